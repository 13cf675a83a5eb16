"""The Celery app: `celery -A config worker|beat|flower`.

Queues and routing live here, in one place. Settings come from Django's settings
(`CELERY_*`); task modules are discovered in the installed apps.
"""

import os

from celery import Celery, signals
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


@signals.worker_init.connect
def _no_connection_pool_in_workers(**kwargs: object) -> None:
    """Workers keep one persistent connection per pool child instead of a psycopg pool.

    Prefork children are forked from the worker's main process (again whenever one is
    replaced): a pool made before a fork would hand the parent's sockets and dead pool
    threads to the child. This runs in the main process before any fork and before any
    database use, so every process of the worker inherits the setting.
    """
    from django.conf import settings
    from django.db import connections

    for connection in connections.all(initialized_only=False):
        if connection.settings_dict.get("OPTIONS", {}).pop("pool", None):
            connection.settings_dict["CONN_MAX_AGE"] = settings.DATABASE_CONN_MAX_AGE


from config import task_logging  # noqa: E402,F401  (connects the lifecycle log signals)
