"""The Celery app: `celery -A config worker|beat|flower`.

Queues and routing live here, in one place. Settings come from Django's settings
(`CELERY_*`); task modules are discovered in the installed apps.
"""

import os

from celery import Celery
from kombu import Exchange, Queue
from kombu.transport import TRANSPORT_ALIASES

# `filesystem://` writes each message file atomically (see config/fs_broker.py).
TRANSPORT_ALIASES["filesystem"] = "config.fs_broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("reelhouse")
app.config_from_object("django.conf:settings", namespace="CELERY")

# `user_jobs` takes the generic jobs users submit through the API, so a flood of them
# cannot delay the system's own work (notifications and webhooks run on `default`).
USER_JOBS_QUEUE = "user_jobs"
QUEUE_NAMES = (
    "high_priority",
    "default",
    USER_JOBS_QUEUE,
    "low_priority",
    "video_processing",
    "maintenance",
)

# x-max-priority makes RabbitMQ honour message priorities; Redis uses priority_steps
# (see settings); the filesystem broker ignores priorities.
app.conf.task_queues = tuple(
    Queue(name, Exchange(name), routing_key=name, queue_arguments={"x-max-priority": 10})
    for name in QUEUE_NAMES
)
app.conf.task_default_queue = "default"
app.conf.task_default_exchange = "default"
app.conf.task_default_routing_key = "default"
app.conf.task_default_priority = 5

# Routing by task-name prefix. Job tasks are also published with their job type's queue
# (jobs.registry), which agrees with these routes.
app.conf.task_routes = {
    "jobs.maintenance.*": {"queue": "maintenance"},
    # The seed's thumbnail entry point only writes a job row: it must not wait behind encodes.
    "videos.generate_thumbnail": {"queue": "default"},
    "jobs.generic.noop": {"queue": "default"},
    "jobs.generic.*": {"queue": USER_JOBS_QUEUE},
    "videos.*": {"queue": "video_processing"},
    "commerce.payments.*": {"queue": "high_priority"},
    "commerce.orders.*": {"queue": "high_priority"},
    "commerce.otp.*": {"queue": "high_priority"},
    "commerce.reports.*": {"queue": "low_priority"},
    "commerce.cleanup.*": {"queue": "low_priority"},
    "notifications.*": {"queue": "default"},
}

app.autodiscover_tasks()

from config import task_logging  # noqa: E402,F401  (connects the lifecycle log signals)
