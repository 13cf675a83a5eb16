"""Start real `celery -A config beat` processes against the test database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings

from tests.workers import BASE_DIR, die_with_the_test_session, test_database_url


class BeatProcess:
    """A Celery beat subprocess in its own process group; its log is kept under VAR_DIR/beats/."""

    def __init__(self, *, env: dict[str, str] | None = None) -> None:
        self.name = f"beat-{uuid.uuid4().hex[:8]}"
        log_dir = Path(settings.VAR_DIR) / "beats"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO", "--pidfile", ""],
            cwd=BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": test_database_url(),
                **(env or {}),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_the_test_session,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, *, timeout: float = 90) -> None:
        """Wait until `text` appears in the log (fail early if the process exits)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"Beat exited early:\n{self.log()[-4000:]}")
            time.sleep(0.2)
        tail = self.log()[-4000:]
        raise AssertionError(f"{text!r} not in the beat log after {timeout} s:\n{tail}")

    def kill(self) -> None:
        """SIGKILL the beat process (a lost host: no chance to hand the lease over)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self, timeout: float = 20) -> None:
        """Clean shutdown (SIGTERM); kill if it does not stop in time."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self._log.closed:
            self._log.close()
