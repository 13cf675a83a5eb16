"""Start real `celery -A config beat` processes against the test database."""

import os
import sys
import time

from tests.servers import ServerProcess, test_database_url, unique_name


class BeatProcess(ServerProcess):
    """A Celery beat subprocess; its log is kept under VAR_DIR/beats/."""

    log_folder = "beats"

    def __init__(self, *, env: dict[str, str] | None = None) -> None:
        super().__init__(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "INFO", "--pidfile", ""],
            name=unique_name("beat"),
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": test_database_url(),
                **(env or {}),
            },
        )

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
