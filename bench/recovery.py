"""Time from a worker host's death to its job running again, on Redis and on RabbitMQ.

For each broker, `--runs` times: a `sleep` job runs on worker A while worker B stands by on
the same (private) queue, as another host would; A's whole process group (main process and
pool) is SIGKILLed, as the OOM killer or a lost host does; the clock runs until the job is
`running` again (attempt 2). Prints the median and the range per broker, beside the liveness
settings in force (production defaults unless overridden with the options or the env).

Needs a migrated database that the workers share (PostgreSQL, or a SQLite file) and the
brokers; use a database and Redis db no other worker uses, e.g.:

  DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelhouse_bench \\
  .venv/bin/python bench/recovery.py --redis-url redis://127.0.0.1:6379/11 \\
      --amqp-url amqp://guest:guest@127.0.0.1:5672//

With the production defaults (heartbeat 15 s, dead after 90 s) a Redis run takes about two
minutes (the message only comes back after the visibility timeout, so the reaper does it);
RabbitMQ gives the message back as soon as A's connection drops.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from functools import partial
from typing import TYPE_CHECKING

from _common import BASE_DIR, CeleryWorker, wait_until

if TYPE_CHECKING:
    from jobs.models import ProcessingJob


def measure(runs: int) -> None:
    """One broker (CELERY_BROKER_URL): print a JSON line with the recovery times."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from jobs.services import job_cancel, job_create

    queue = f"bench-recovery-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "LOG_LEVEL": "INFO"}  # wait_ready reads the worker's INFO log
    times: list[float] = []
    for _ in range(runs):
        job = job_create(job_type="sleep", params={"seconds": 3600}, queue=queue)
        first = CeleryWorker(queue=queue, env=env).wait_ready()
        standby: CeleryWorker | None = None
        try:
            wait_until(partial(_running, job, 1), timeout=120, what="the job to run", poll=0.2)
            standby = CeleryWorker(queue=queue, env=env).wait_ready()
            killed_at = time.monotonic()
            first.kill()
            wait_until(
                partial(_running, job, 2), timeout=900, what="the job to run again", poll=0.2
            )
            times.append(time.monotonic() - killed_at)
        finally:
            first.kill()
            job.refresh_from_db()
            if not job.is_final:
                job_cancel(job=job, force=True)
            if standby is not None:
                standby.stop()
    print(
        json.dumps(
            {
                "times": times,
                "heartbeat": settings.JOBS_WORKER_HEARTBEAT_SECONDS,
                "dead_after": settings.JOBS_WORKER_DEAD_AFTER_SECONDS,
                "visibility_timeout": settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(
                    "visibility_timeout"
                ),
            }
        )
    )


def _running(job: "ProcessingJob", attempt: int) -> bool:
    job.refresh_from_db()
    return job.status == "running" and job.attempts >= attempt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11")
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672//")
    parser.add_argument("--brokers", default="redis,amqp", help="comma-separated")
    parser.add_argument("--heartbeat", help="JOBS_WORKER_HEARTBEAT_SECONDS (default: settings)")
    parser.add_argument("--dead-after", help="JOBS_WORKER_DEAD_AFTER_SECONDS (default: settings)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.runs)
        return
    env = {**os.environ, "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
    if args.heartbeat:
        env["JOBS_WORKER_HEARTBEAT_SECONDS"] = args.heartbeat
    if args.dead_after:
        env["JOBS_WORKER_DEAD_AFTER_SECONDS"] = args.dead_after
    urls = {"redis": args.redis_url, "amqp": args.amqp_url}
    print(f"worker death -> job running again, median of {args.runs} (standby worker ready)")
    for broker in args.brokers.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--measure", "--runs", str(args.runs)],
            env={**env, "CELERY_BROKER_URL": urls[broker]},
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"{broker:>6}: failed\n{out.stderr[-3000:]}")
            continue
        result = json.loads(out.stdout.strip().splitlines()[-1])
        times = result["times"]
        print(
            f"{broker:>6}: median {statistics.median(times):6.1f} s "
            f"(min {min(times):.1f}, max {max(times):.1f}) | "
            f"JOBS_WORKER_HEARTBEAT_SECONDS={result['heartbeat']:g} "
            f"JOBS_WORKER_DEAD_AFTER_SECONDS={result['dead_after']:g} "
            f"visibility_timeout={result['visibility_timeout']}"
        )


if __name__ == "__main__":
    main()
