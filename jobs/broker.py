"""Talking to the broker: publish a job's task, revoke it, read queue depths."""

import json
import logging
from pathlib import Path
from typing import Any

from config.celery import QUEUE_NAMES
from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def broker_priority(priority: int) -> int:
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
        "priority": broker_priority(priority),
    }
    if soft_time_limit:
        options["soft_time_limit"] = soft_time_limit
    if time_limit:
        options["time_limit"] = time_limit
    celery_app.send_task(task_name, args=[job_id], **options)


def publish_timer(*, task_name: str, args: list[str], countdown: float) -> bool:
    """Send a wake-up message that is not a job (e.g. a webhook retry's timer); never raise.

    Only for work whose durable record is a row a periodic sweep also reads, so a lost
    timer only delays it. Jobs are published by `jobs.services.job_publish`. The queue is
    the task's own (`jobs.registry.task_route`, Celery's router).
    """
    try:
        celery_app.send_task(task_name, args=args, countdown=countdown)
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


def waiting_task_ids(queue: str) -> set[str] | None:
    """Task ids of the messages waiting in `queue`, or None when the broker cannot tell.

    Redis (the queue's priority lists) and the filesystem broker (its message files) can
    be read without taking anything; RabbitMQ cannot list a queue, so it gives None, as
    does an unreachable broker. Messages a worker already took (Redis `unacked`, or
    deleted from the filesystem queue) are not listed: ask the workers (`held_task_ids`).
    """
    url = celery_app.conf.broker_url
    try:
        if url.startswith("filesystem"):
            return _filesystem_task_ids(queue)
        if url.startswith(("redis", "rediss")):
            return _redis_task_ids(queue)
    except Exception:
        logger.warning("could not list the messages of queue %s", queue, exc_info=True)
    return None


def _task_id(body: bytes | str) -> str:
    return str(json.loads(body).get("headers", {}).get("id", ""))


def _redis_task_ids(queue: str) -> set[str]:
    ids: set[str] = set()
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        channel = conn.default_channel
        client = channel.client
        for step in channel.priority_steps:
            for raw in client.lrange(channel._q_for_pri(queue, step), 0, -1):
                ids.add(_task_id(raw))
    return ids


def _filesystem_task_ids(queue: str) -> set[str]:
    folder = Path(celery_app.conf.broker_transport_options["data_folder_in"])
    ids: set[str] = set()
    for path in folder.glob(f"*.{queue}.msg"):
        try:
            ids.add(_task_id(path.read_bytes()))
        except (OSError, ValueError):  # taken by a worker meanwhile, or half written
            continue
    return ids


def held_task_ids(timeout: float = 2.0) -> set[str] | None:
    """Ids of the tasks live workers hold: running, prefetched, or waiting for their ETA.

    None when the broker could not be asked. A worker that does not answer in time
    counts as holding nothing; at worst its job is published again and the older message
    is skipped when it starts (stale task id), so nothing runs twice.
    """
    ids: set[str] = set()
    try:
        inspect = celery_app.control.inspect(timeout=timeout)
        for method in (inspect.active, inspect.reserved, inspect.scheduled):
            for tasks in (method() or {}).values():
                for task in tasks:
                    request = task.get("request", task)
                    ids.add(str(request.get("id", "")))
    except Exception:
        logger.warning("could not ask the workers which tasks they hold", exc_info=True)
        return None
    return ids
