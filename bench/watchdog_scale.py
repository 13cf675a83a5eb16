"""Benchmark the watchdog as the jobs table grows (default: up to 1,000,000 rows).

Fills the table in steps (rows/100, rows/10, rows by default) with mostly finished jobs,
a few healthy running/queued ones and a fixed number of stuck ones, then times the
watchdog's query, a dry-run pass and queue_statistics() at each size, and prints how each
grew against the row count. At the largest size it shows the query plan and times a real
requeue pass (published to a queue named "bench" that nothing consumes, then purged).

Bench rows are marked by their queue, "bench", and deleted at the end unless --keep.
Use a database of its own, e.g.:

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/jobsapi \\
  CELERY_BROKER_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/watchdog_scale.py
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")  # a warning per requeued job would drown the numbers

MARK = "wsbench-"
QUEUE = "bench"
STUCK_AFTER = timedelta(minutes=120)


def timed(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of `func` in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(1000 * (time.perf_counter() - start))
    return statistics.median(samples)


def make_rows(count: int, *, kind: str, now) -> list:
    """Unsaved bench jobs: "finished", "active" (healthy) or "stuck"."""
    from jobs.models import JobStatus, ProcessingJob

    rows = []
    for i in range(count):
        created = now - timedelta(minutes=5 + (i % 40_000))
        fields = {
            "job_type": "noop",
            "queue": QUEUE,
            "celery_task_id": f"{MARK}{uuid.uuid4()}",
            "params": {"bench": "watchdog_scale"},
            "created_at": created,
            "queued_at": created,
        }
        if kind == "finished":
            status = (JobStatus.COMPLETED, JobStatus.COMPLETED, JobStatus.FAILED)[i % 3]
            fields |= {
                "status": status,
                "attempts": 1,
                "started_at": created,
                "heartbeat_at": created,
                "completed_at": created + timedelta(seconds=3),
            }
        elif kind == "active" and i % 2:
            fields |= {"status": JobStatus.RUNNING, "attempts": 1, "started_at": now}
            fields |= {"heartbeat_at": now, "created_at": now, "queued_at": now}
        elif kind == "active":
            fields |= {"status": JobStatus.QUEUED, "created_at": now, "queued_at": now}
        elif i % 2:  # stuck: a dead worker's job, silent for 3 hours
            old = now - timedelta(hours=3)
            fields |= {"status": JobStatus.RUNNING, "attempts": 1, "started_at": old}
            fields |= {"heartbeat_at": old, "created_at": old, "queued_at": old}
        else:  # stuck: a publish lost while the broker was down
            old = now - timedelta(hours=3)
            fields |= {"status": JobStatus.PENDING, "created_at": old, "queued_at": None}
        rows.append(ProcessingJob(**fields))
    return rows


def insert(count: int, *, kind: str, batch: int) -> float:
    """Insert bench rows; return seconds taken."""
    from django.utils import timezone

    from jobs.models import ProcessingJob

    start = time.perf_counter()
    now = timezone.now()
    for offset in range(0, count, batch):
        rows = make_rows(min(batch, count - offset), kind=kind, now=now)
        ProcessingJob.objects.bulk_create(rows, batch_size=batch)
    return time.perf_counter() - start


def analyze() -> None:
    """Refresh planner statistics, as autovacuum would after a big load."""
    from django.db import connection

    from jobs.models import ProcessingJob

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ProcessingJob._meta.db_table}")


def delete_bench_rows() -> int:
    from django.db import connection

    from jobs.models import ProcessingJob

    # Raw SQL: the ORM would load every pk to apply retry_of's SET NULL first. The queue
    # marks the rows: a requeue gives a job a fresh celery_task_id.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {ProcessingJob._meta.db_table} WHERE queue = %s",  # noqa: S608
            [QUEUE],
        )
        return cursor.rowcount


def purge_bench_queue() -> None:
    from config.celery import app

    with app.connection_for_write() as conn:
        try:
            conn.default_channel.queue_purge(QUEUE)
        except Exception as exc:  # never declared: nothing to purge
            print(f"(bench queue not purged: {exc})")


def print_plans(func: Callable[[], object]) -> None:
    """Print the query plan of every SQL statement `func` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        func()
    explain = "EXPLAIN ANALYZE" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    for number, query in enumerate(captured.captured_queries, 1):
        print(f"\nquery plan {number} of the watchdog at the largest size:")
        with connection.cursor() as cursor:
            cursor.execute(f"{explain} {query['sql']}")
            for row in cursor.fetchall():
                line = " ".join(map(str, row))
                print(line if len(line) <= 160 else f"{line[:157]}...")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows at the largest step")
    parser.add_argument("--steps", type=int, default=3, help="sizes rows/10^(steps-1) .. rows")
    parser.add_argument("--stuck", type=int, default=100, help="stuck jobs among the rows")
    parser.add_argument("--active-per-mille", type=int, default=10, help="healthy active jobs")
    parser.add_argument("--repeat", type=int, default=5, help="timings per measurement")
    parser.add_argument("--batch", type=int, default=5000, help="rows per INSERT")
    parser.add_argument("--keep", action="store_true", help="keep the bench rows")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from jobs.models import ProcessingJob
    from jobs.selectors import queue_statistics
    from jobs.services import jobs_requeue_stuck, stuck_jobs

    sizes = [
        max(args.stuck + 1, args.rows // 10 ** (args.steps - 1 - i)) for i in range(args.steps)
    ]
    print(
        f"database={connection.vendor} broker={settings.CELERY_BROKER_URL.split('://')[0]} "
        f"sizes={sizes} stuck={args.stuck}",
        flush=True,
    )
    if ProcessingJob.objects.filter(queue=QUEUE).exists():
        print("removing bench rows left by an earlier run ...", flush=True)
        delete_bench_rows()
    others = ProcessingJob.objects.count()

    def watchdog_query() -> list:
        return list(stuck_jobs(older_than=STUCK_AFTER, limit=1000)[:1000])

    results = []
    watchdog_query(), queue_statistics()  # warm up: connections, broker channel
    try:
        insert(args.stuck, kind="stuck", batch=args.batch)
        current = args.stuck
        for size in sizes:
            active = size * args.active_per_mille // 1000
            filler = max(0, size - current - active)
            seconds = insert(filler, kind="finished", batch=args.batch)
            seconds += insert(active, kind="active", batch=args.batch)
            current += filler + active
            analyze()
            found = len(watchdog_query())
            query_ms = timed(watchdog_query, args.repeat)
            dry_ms = timed(
                lambda: jobs_requeue_stuck(older_than=STUCK_AFTER, dry_run=True), args.repeat
            )
            stats_ms = timed(queue_statistics, max(1, args.repeat // 2))
            results.append((current, query_ms, dry_ms, stats_ms))
            print(
                f"rows={current:>9,}  (+{filler + active:,} in {seconds:.1f}s)  stuck found="
                f"{found}  watchdog query {query_ms:8.2f} ms  dry-run pass {dry_ms:8.2f} ms  "
                f"queue_statistics {stats_ms:9.2f} ms",
                flush=True,
            )
        print_plans(watchdog_query)
        start = time.perf_counter()
        outcomes = jobs_requeue_stuck(older_than=STUCK_AFTER)
        real_s = time.perf_counter() - start
        requeued = sum(o.action == "requeued" for o in outcomes)
        print(
            f"\nreal pass at {current:,} rows: requeued {requeued} stuck jobs in {real_s:.2f}s "
            f"({1000 * real_s / max(1, requeued):.1f} ms per job, publish + revoke included)"
        )
    finally:
        purge_bench_queue()
        if not args.keep:
            print(f"deleted {delete_bench_rows():,} bench rows")

    base_rows, base_query, base_dry, base_stats = results[0]
    print("\ngrowth against the smallest size (1.0 = flat; the row count grows by the first):")
    for rows, query_ms, dry_ms, stats_ms in results:
        print(
            f"  rows x{rows / base_rows:7.1f}   watchdog query x{query_ms / base_query:5.2f}   "
            f"dry-run pass x{dry_ms / base_dry:5.2f}   "
            f"queue_statistics x{stats_ms / base_stats:6.2f}"
        )
    if others:
        print(f"(the table also held {others:,} rows that are not the bench's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
