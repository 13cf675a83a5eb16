"""Worker liveness: each Celery worker proves it is alive with a heartbeat row.

When a worker is ready (`worker_ready`, in its main process) a daemon thread starts that
every JOBS_WORKER_HEARTBEAT_SECONDS

- upserts the worker's `WorkerHeartbeat` row (hostname, pid, queues, last_seen_at), and
- reaps the jobs of dead workers (`jobs_reap_dead_workers`): `running` jobs whose worker
  has been silent for JOBS_WORKER_DEAD_AFTER_SECONDS, or whose worker started again since.

It runs in the main process, not in the pool, so a long job never delays it, and it only
needs the database, so it works the same on Redis, RabbitMQ and the filesystem broker.
The periodic "jobs: reap dead workers" task (jobs/schedules.py) reaps too, for deployments
where every worker is gone. Nothing here runs outside a worker (web, beat, tests).
"""

import logging
import os
import threading
from datetime import datetime
from typing import Any

from celery.signals import worker_init, worker_ready, worker_shutdown
from django.conf import settings
from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)

_stop = threading.Event()
_thread: threading.Thread | None = None
_fork_guard = threading.Lock()
os.register_at_fork(
    before=_fork_guard.acquire,
    after_in_parent=_fork_guard.release,
    after_in_child=_fork_guard.release,
)


# When this worker process started (worker_init, before it consumes anything): jobs that
# a previous life of the same hostname left `running` started before it, so they are dead.
_life_started_at: datetime | None = None


def heartbeat(
    *, hostname: str, queues: list[str], started_at: datetime, concurrency: int = 0, busy: int = 0
) -> None:
    """Write (or recreate) the worker's heartbeat row."""
    from jobs.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname[:255],
        defaults={
            "pid": os.getpid(),
            "queues": queues,
            "concurrency": concurrency,
            "busy": busy,
            "started_at": started_at,
            "last_seen_at": timezone.now(),
        },
    )


def _busy_slots() -> int:
    """Tasks this worker runs right now (the main process tracks what its pool accepted)."""
    from celery.worker import state

    return len(state.active_requests)


def _beat_loop(hostname: str, queues: list[str], started_at: datetime, concurrency: int) -> None:
    from jobs.services.maintenance import jobs_reap_dead_workers

    while not _stop.is_set():
        # A pool process forked by the main thread (a child replaced after
        # max_tasks_per_child) must not inherit this thread's open SQLite file or
        # PostgreSQL socket: the connection lives only inside `_fork_guard`, which a fork
        # waits for (os.register_at_fork below).
        with _fork_guard:
            try:
                heartbeat(
                    hostname=hostname,
                    queues=queues,
                    started_at=started_at,
                    concurrency=concurrency,
                    busy=_busy_slots(),
                )
                jobs_reap_dead_workers()
            except Exception:  # the database may be away for a while: try again next beat
                logger.warning("worker heartbeat failed hostname=%s", hostname, exc_info=True)
            finally:
                connection.close()
        _stop.wait(settings.JOBS_WORKER_HEARTBEAT_SECONDS)


@worker_init.connect(dispatch_uid="jobs.liveness.life")
def note_life_start(**kwargs: Any) -> None:
    global _life_started_at
    _life_started_at = timezone.now()


@worker_ready.connect(dispatch_uid="jobs.liveness.start")
def start_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    """Start the heartbeat thread of this worker (the main process, once)."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    hostname = getattr(sender, "hostname", "") or ""
    try:
        queues = sorted(q.name for q in sender.app.amqp.queues.consume_from.values())
    except Exception:
        queues = []
    started_at = _life_started_at or timezone.now()
    concurrency = int(getattr(getattr(sender, "controller", None), "concurrency", 0) or 0)
    _stop.clear()
    _thread = threading.Thread(
        target=_beat_loop,
        args=(hostname, queues, started_at, concurrency),
        name="jobs-heartbeat",
        daemon=True,
    )
    _thread.start()
    logger.info(
        "worker heartbeat started hostname=%s every=%ss dead_after=%ss",
        hostname,
        settings.JOBS_WORKER_HEARTBEAT_SECONDS,
        settings.JOBS_WORKER_DEAD_AFTER_SECONDS,
    )


@worker_shutdown.connect(dispatch_uid="jobs.liveness.stop")
def stop_heartbeat(**kwargs: Any) -> None:
    """Stop beating; the row goes stale and nothing of this life is left to reap."""
    _stop.set()
