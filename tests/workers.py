"""Start real `celery -A config worker` processes against the test database."""

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import QUEUE_NAMES

BASE_DIR = Path(settings.BASE_DIR)
PR_SET_PDEATHSIG = 1


def die_with_the_test_session() -> None:
    """`preexec_fn` of every server a test starts: SIGKILL it when pytest dies.

    A test run that is killed (a CI timeout, Ctrl-C twice) skips its fixtures' teardown;
    without this its workers would live on and write into the next run's database.
    """
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


TEST_TIMINGS = {
    "JOBS_WORKER_HEARTBEAT_SECONDS": "1",
    "JOBS_WORKER_DEAD_AFTER_SECONDS": "8",
    "JOBS_RETRY_BACKOFF_SECONDS": "1",
    "JOBS_RETRY_BACKOFF_MAX_SECONDS": "10",
    "VIDEO_STORAGE_RETRY_BACKOFF_SECONDS": "1",
}


def test_database_url() -> str:
    """The URL of the database the test session created (workers must use it too)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


class WorkerProcess:
    """A Celery worker subprocess; its log is kept under VAR_DIR/workers/."""

    def __init__(
        self,
        *,
        queues: tuple[str, ...] = QUEUE_NAMES,
        concurrency: int = 2,
        env: dict[str, str] | None = None,
        pool: str = "prefork",
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        log_dir = Path(settings.VAR_DIR) / "workers"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}.log"
        self._log = self.log_path.open("w")
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
        self.process = subprocess.Popen(
            [
                *prefix,  # e.g. `ip netns exec <namespace>`: a worker on another "host"
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-n",
                f"{self.name}@%h",
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
            cwd=BASE_DIR,
            env=worker_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_the_test_session,
        )

    @property
    def hostname(self) -> str:
        return f"{self.name}@{os.uname().nodename}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> "WorkerProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"Worker exited early:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"Worker not ready after {timeout} s:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), like an OOM kill."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self, timeout: float = 20) -> None:
        """Warm shutdown; kill if it does not stop in time."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self._log.closed:
            self._log.close()
