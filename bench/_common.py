"""What the benches that start Celery workers share: a worker subprocess and a wait loop.

Benches run as scripts (`python bench/x.py`), so this folder is on sys.path and they
import it as `_common`.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.05
) -> None:
    """Call `predicate` every `poll` seconds until it is true; exit after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(poll)


class CeleryWorker:
    """A `celery -A config worker` subprocess in its own process group, logging to a file.

    `stop` asks it for a warm shutdown (SIGTERM to the main process, which lets a running
    task finish and be acknowledged first; a SIGTERM to the whole group would stop the pool
    mid-task and the broker would hand the message to the next worker). `kill` ends the
    whole group at once (SIGKILL), as the OOM killer or a lost host would.
    """

    def __init__(
        self,
        *,
        queue: str,
        env: dict[str, str],
        concurrency: int = 1,
        loglevel: str = "INFO",
        extra: tuple[str, ...] = (),
        log_dir: Path | None = None,
    ) -> None:
        self.name = f"bench-{uuid.uuid4().hex[:6]}"
        self.log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open while it runs)
            prefix=f"{self.name}-", suffix=".log", dir=log_dir, delete=False
        )
        self.log_path = Path(self.log_file.name)
        self.process = subprocess.Popen(
            [
                sys.executable,
                *("-m", "celery", "-A", "config", "worker", "-n", f"{self.name}@%h"),
                *("-Q", queue, "-c", str(concurrency), "-l", loglevel, *extra),
                *("--without-mingle", "--without-gossip"),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        """Return what the worker has logged so far."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> "CeleryWorker":
        """Wait for the worker's ` ready.` line (needs INFO logging); exit if it died."""
        deadline = time.monotonic() + timeout
        while " ready." not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (main process and pool)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, timeout: float = 30, *, remove_log: bool = False) -> None:
        """Shut the worker down warmly, killing it after `timeout` s; close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log_file.close()
        if remove_log:
            self.log_path.unlink(missing_ok=True)
