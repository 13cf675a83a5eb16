"""Benchmark the job engine's cost: N no-op jobs against N raw Celery no-op tasks.

Both go through the same broker and worker. A raw task stores its result with
django-celery-results (Celery's default when a result backend is set, and how this script
sees it finish); a job stores its outcome on its row instead: the row insert, the on-commit
publish and the running/completed updates are the engine's cost. Prints each side's rate
and the ratio jobs/raw. Run it against a broker and database no other worker uses, e.g.:

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/jobsapi \\
  CELERY_BROKER_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/jobs_throughput.py
"""

import argparse
import os
import statistics
import sys
import time
import uuid

from _common import BASE_DIR, CeleryWorker, wait_until

sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # one INFO line per job would drown the numbers


def run_raw(count: int, timeout: float) -> tuple[float, float]:
    """Send `count` raw no-op tasks; return (submit seconds, end-to-end seconds)."""
    from django_celery_results.models import TaskResult

    from jobs.job_types.noop import raw_noop

    task_ids = [str(uuid.uuid4()) for _ in range(count)]
    start = time.perf_counter()
    for task_id in task_ids:
        raw_noop.apply_async(task_id=task_id, queue="default")
    submitted = time.perf_counter() - start
    done = TaskResult.objects.filter(task_id__in=task_ids, status="SUCCESS")
    wait_until(lambda: done.count() == count, timeout=timeout, what="raw tasks")
    total = time.perf_counter() - start
    TaskResult.objects.filter(task_id__in=task_ids).delete()
    return submitted, total


def run_jobs(count: int, timeout: float) -> tuple[float, float]:
    """Create `count` no-op jobs (one transaction each); return (submit s, end-to-end s)."""
    from django_celery_results.models import TaskResult

    from jobs.models import JobStatus, ProcessingJob
    from jobs.services import job_create

    start = time.perf_counter()
    jobs = [job_create(job_type="noop", params={"bench": "throughput"}) for _ in range(count)]
    submitted = time.perf_counter() - start
    ids = [job.pk for job in jobs]
    done = ProcessingJob.objects.filter(pk__in=ids, status=JobStatus.COMPLETED)
    wait_until(lambda: done.count() == count, timeout=timeout, what="jobs")
    total = time.perf_counter() - start
    TaskResult.objects.filter(task_id__in=[job.celery_task_id for job in jobs]).delete()
    ProcessingJob.objects.filter(pk__in=ids).delete()
    return submitted, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="tasks per side per round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per side")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--pool", default="prefork", help="worker pool (prefork, threads)")
    parser.add_argument(
        "--max-tasks-per-child",
        type=int,
        default=100_000,
        help="recycle pool processes after this many tasks (the production default, 100, "
        "adds a restart every 100 tasks to both sides)",
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds per round")
    parser.add_argument(
        "--external-worker", action="store_true", help="use running workers; start none"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from jobs.broker import workers_seen

    print(
        f"database={settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
        f"broker={settings.CELERY_BROKER_URL.split('://')[0]} count={args.count} "
        f"rounds={args.rounds} concurrency={args.concurrency} pool={args.pool}",
        flush=True,
    )
    others = workers_seen()
    if others and not args.external_worker:
        print(f"warning: other workers share this broker and may take tasks: {others}")
    worker = None
    if not args.external_worker:
        env = {**os.environ, "CELERY_WORKER_MAX_TASKS_PER_CHILD": str(args.max_tasks_per_child)}
        worker = CeleryWorker(
            queue="default",
            env=env,
            concurrency=args.concurrency,
            loglevel="WARNING",
            extra=("-P", args.pool),
        )
    try:
        wait_until(lambda: bool(workers_seen()), timeout=60, what="a worker to answer")
        run_raw(min(50, args.count), args.timeout)  # warm up: pool processes, connections
        run_jobs(min(50, args.count), args.timeout)
        raw_rates, job_rates = [], []
        for round_no in range(1, args.rounds + 1):
            # Alternate so drift in machine load hits both sides alike.
            raw_submit, raw_total = run_raw(args.count, args.timeout)
            job_submit, job_total = run_jobs(args.count, args.timeout)
            raw_rates.append(args.count / raw_total)
            job_rates.append(args.count / job_total)
            print(
                f"round {round_no}: raw {raw_total:6.2f}s ({raw_rates[-1]:6.1f}/s, submit "
                f"{raw_submit:5.2f}s)   jobs {job_total:6.2f}s ({job_rates[-1]:6.1f}/s, "
                f"submit {job_submit:5.2f}s)",
                flush=True,
            )
    finally:
        if worker is not None:
            if worker.process.poll() is not None:
                print(worker.log()[-3000:])
            worker.stop(20, remove_log=True)
    raw_rate, job_rate = statistics.median(raw_rates), statistics.median(job_rates)
    overhead_ms = 1000 * (1 / job_rate - 1 / raw_rate)
    print(f"median throughput: raw {raw_rate:.1f} tasks/s, jobs {job_rate:.1f} jobs/s")
    print(f"ratio jobs/raw = {job_rate / raw_rate:.3f}  (engine cost ~{overhead_ms:.2f} ms/job)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
