"""Start real web server processes (`manage.py runserver`) against the test database."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests
from django.conf import settings

from tests.workers import die_with_the_test_session, test_database_url

BASE_DIR = Path(settings.BASE_DIR)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def delete_broker_keys(broker_url: str, keyprefix: str) -> None:
    """Remove what processes on `TEST_BROKER_KEYPREFIX` left in Redis (their own keys only)."""
    if not broker_url.startswith(("redis://", "rediss://")):
        return
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        for key in client.scan_iter(match=f"{keyprefix}*", count=500):
            client.delete(key)
    finally:
        client.close()


class WebProcess:
    """A web host: `runserver` (threaded, no autoreload) in its own process group.

    `prefix` runs it through another command first (`ip netns exec <ns>`); its log is
    kept under VAR_DIR/webs/.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.name = f"web-{uuid.uuid4().hex[:8]}"
        log_dir = Path(settings.VAR_DIR) / "webs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}.log"
        self._log = self.log_path.open("w")
        web_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.web_settings",
            "DATABASE_URL": test_database_url(),
            **(env or {}),
        }
        command = [
            *prefix,
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"{host}:{self.port}",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=web_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_the_test_session,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> "WebProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Web server exited early:\n{self.log()[-4000:]}")
            try:
                requests.options(f"{self.url}/api/v1/videos/uploads/", timeout=5)
                return self
            except requests.ConnectionError:
                time.sleep(0.2)
        raise RuntimeError(f"Web server not answering after {timeout} s:\n{self.log()[-4000:]}")

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 15)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)
            except ProcessLookupError:
                pass
        if not self._log.closed:
            self._log.close()
