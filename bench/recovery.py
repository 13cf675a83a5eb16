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
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.models import ProcessingJob

BASE_DIR = Path(__file__).resolve().parent.parent


class Worker:
    """A `celery worker` subprocess in its own process group, on one queue."""

    def __init__(self, *, queue: str, env: dict[str, str]) -> None:
        self.name = f"bench-{uuid.uuid4().hex[:6]}"
        self.log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open while it runs)
            prefix=f"{self.name}-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "celery", "-A", "config", "worker", "-n", f"{self.name}@%h"),
                *("-Q", queue, "-c", "1", "-l", "INFO", "--without-mingle", "--without-gossip"),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> "Worker":
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


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
        first = Worker(queue=queue, env=env).wait_ready()
        standby: Worker | None = None
        try:
            _wait(partial(_running, job, 1), 120)
            standby = Worker(queue=queue, env=env).wait_ready()
            killed_at = time.monotonic()
            first.kill()
            _wait(partial(_running, job, 2), 900)
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


def _wait(predicate: "Callable[[], bool]", timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not recovered after {timeout} s")
        time.sleep(0.2)


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
