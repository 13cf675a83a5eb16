"""Start real web server processes (`manage.py runserver`) against the test database."""

import os
import sys
import time

import requests

from tests.servers import ServerProcess, free_port, test_database_url, unique_name


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


class WebProcess(ServerProcess):
    """A web host: `runserver` (threaded, no autoreload) in its own process group.

    `prefix` runs it through another command first (`ip netns exec <ns>`); its log is
    kept under VAR_DIR/webs/.
    """

    log_folder = "webs"

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
        super().__init__(
            [
                *prefix,
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--skip-checks",
                f"{host}:{self.port}",
            ],
            name=unique_name("web"),
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.web_settings",
                "DATABASE_URL": test_database_url(),
                **(env or {}),
            },
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

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
