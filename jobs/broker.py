"""Talking to the broker: publish a job's task, revoke it, read queue depths."""

import logging
from typing import Any

from config.celery import QUEUE_NAMES
from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def _broker_priority(priority: int) -> int:
    """Map a job priority (9 = most urgent) to the broker's scale.

    RabbitMQ delivers higher numbers first; Redis (kombu priority steps) lower first.
    """
    if celery_app.conf.broker_url.startswith(("redis", "rediss")):
        return 9 - priority
    return priority


def publish(
    *,
    task_name: str,
    job_id: str,
    task_id: str,
    queue: str,
    priority: int,
    soft_time_limit: int | None = None,
    time_limit: int | None = None,
) -> None:
    """Send the job's task to its queue under the pre-generated task id."""
    options: dict[str, Any] = {
        "task_id": task_id,
        "queue": queue,
        "routing_key": queue,
        "priority": _broker_priority(priority),
    }
    if soft_time_limit:
        options["soft_time_limit"] = soft_time_limit
    if time_limit:
        options["time_limit"] = time_limit
    celery_app.send_task(task_name, args=[job_id], **options)


def publish_timer(*, task_name: str, args: list[str], countdown: float, queue: str) -> bool:
    """Send a wake-up message that is not a job (e.g. a webhook retry's timer); never raise.

    Only for work whose durable record is a row a periodic sweep also reads, so a lost
    timer only delays it. Jobs are published by `jobs.services.job_publish`.
    """
    try:
        celery_app.send_task(
            task_name, args=args, countdown=countdown, queue=queue, routing_key=queue
        )
    except Exception:  # the sweep finds the due row
        logger.warning("timer publish failed task=%s args=%s", task_name, args, exc_info=True)
        return False
    return True


def revoke(task_id: str, *, terminate: bool = False) -> None:
    """Ask workers to drop (or with terminate, kill) a task; never raise."""
    if not task_id:
        return
    try:
        celery_app.control.revoke(task_id, terminate=terminate, signal="SIGTERM")
    except Exception:  # revoke is best effort: the job row already says cancelled
        logger.warning("revoke failed task_id=%s", task_id, exc_info=True)


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each queue; None for a queue the broker could not report."""
    depths: dict[str, int | None] = {}
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
            channel = conn.default_channel
            for name in QUEUE_NAMES:
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True).message_count
                except Exception:  # queue not declared yet: nothing was ever sent to it
                    depths[name] = 0
                    channel = conn.channel()
    except Exception:
        logger.warning("broker unreachable while reading queue depths", exc_info=True)
        return {name: None for name in QUEUE_NAMES}
    return depths


def workers_seen(timeout: float = 1.0) -> list[str]:
    """Names of the workers that answered a ping."""
    try:
        replies = celery_app.control.ping(timeout=timeout) or []
    except Exception:
        logger.warning("worker ping failed", exc_info=True)
        return []
    return sorted(name for reply in replies for name in reply)
