"""The Celery app: `celery -A config worker|beat|flower`.

The queues live here. A task's queue is decided by the app that declares the task (the
jobs registry routes each task to its job type's queue), through the router hook below, so
this module names no app. Settings come from Django's settings (`CELERY_*`); task modules
are discovered in the installed apps.
"""

import os
from collections.abc import Callable
from typing import Any

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

# Routers added with `add_task_router` (from an app's `AppConfig.ready()`) are asked in
# turn; a task none of them routes goes to the default queue.
TaskRouter = Callable[[str, Any], "dict[str, Any] | None"]
_task_routers: list[TaskRouter] = []


def add_task_router(router: TaskRouter) -> None:
    """Let `router(task_name, task_or_none)` choose the queue (and priority) of tasks."""
    if router not in _task_routers:
        _task_routers.append(router)


def _route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any):
    for router in _task_routers:
        route = router(name, task)
        if route:
            return route
    return None


app.conf.task_routes = (_route_task,)

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
