"""Start real `celery -A config worker` processes against the test database."""

import os
import sys
import time

from config.celery import QUEUE_NAMES
from tests.servers import (  # noqa: F401  (BASE_DIR and the helpers, for older imports)
    BASE_DIR,
    ServerProcess,
    die_with_the_test_session,
    test_database_url,
    unique_name,
)

TEST_TIMINGS = {
    "JOBS_WORKER_HEARTBEAT_SECONDS": "1",
    "JOBS_WORKER_DEAD_AFTER_SECONDS": "8",
    "JOBS_RETRY_BACKOFF_SECONDS": "1",
    "JOBS_RETRY_BACKOFF_MAX_SECONDS": "10",
    "VIDEO_STORAGE_RETRY_BACKOFF_SECONDS": "1",
}


class WorkerProcess(ServerProcess):
    """A Celery worker subprocess; its log is kept under VAR_DIR/workers/."""

    log_folder = "workers"

    def __init__(
        self,
        *,
        queues: tuple[str, ...] = QUEUE_NAMES,
        concurrency: int = 2,
        env: dict[str, str] | None = None,
        pool: str = "prefork",
        prefix: tuple[str, ...] = (),
    ) -> None:
        name = unique_name("test")
        worker_env = {
            # Short liveness and retry timings (production: 15 s / 90 s, 60 s backoff), so
            # a dead worker is reaped and a retry runs within seconds; `env` overrides them.
            **TEST_TIMINGS,
            **os.environ,
            # tests.worker_settings clears cached content-type ids before each task
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "DATABASE_URL": test_database_url(),
            **(env or {}),
        }
        super().__init__(
            [
                *prefix,  # e.g. `ip netns exec <namespace>`: a worker on another "host"
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-n",
                f"{name}@%h",
                "-Q",
                ",".join(queues),
                "-c",
                str(concurrency),
                "-P",
                pool,
                "-l",
                "INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            name=name,
            env=worker_env,
        )

    @property
    def hostname(self) -> str:
        return f"{self.name}@{os.uname().nodename}"

    def wait_ready(self, timeout: float = 60) -> "WorkerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_of_this_start():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"Worker exited early:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"Worker not ready after {timeout} s:\n{self.log()[-4000:]}")
