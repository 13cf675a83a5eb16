"""Real server processes a test starts (Celery workers, beat, web servers): the common part.

Each runs in its own process group (so the whole of it can be SIGKILLed like a lost host),
logs to VAR_DIR/<folder>/<name>.log, gets the test database's URL, and dies with the
pytest process that started it.
"""

import ctypes
import os
import signal
import socket
import subprocess
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
PR_SET_PDEATHSIG = 1


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now, for a server a test starts."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's S3 HTTP server on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def die_with_the_test_session() -> None:
    """`preexec_fn` of every server a test starts: SIGKILL it when pytest dies.

    A test run that is killed (a CI timeout, Ctrl-C twice) skips its fixtures' teardown;
    without this its workers would live on and write into the next run's database.
    """
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_database_url() -> str:
    """The URL of the database the test session created (servers must use it too)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test, wherever it is imported


RUNNING: "weakref.WeakSet[ServerProcess]" = weakref.WeakSet()


@contextmanager
def others_stopped(keep: "list[ServerProcess]") -> Iterator[None]:
    """Stop every other server this session started (its session workers); start them again.

    A test that runs a separate deployment on the same database (the multi-host test) must
    not have the session's workers reap its dead workers' jobs onto their own broker.
    """
    stopped = [server for server in list(RUNNING) if server not in keep and server.is_running()]
    for server in stopped:
        server.stop()
    try:
        yield
    finally:
        for server in stopped:
            server.start()
            if hasattr(server, "wait_ready"):
                server.wait_ready()


class ServerProcess:
    """A server subprocess started with `command`, in its own process group."""

    log_folder = "servers"

    def __init__(self, command: list[str], *, name: str, env: dict[str, str]) -> None:
        self.name = name
        log_dir = Path(settings.VAR_DIR) / self.log_folder
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{self.name}.log"
        self.log_path.write_text("")
        self._command, self._env = command, env
        self.start()

    def start(self) -> None:
        """Start the process (again, after `stop`: same command, log appended)."""
        self._log = self.log_path.open("a")
        self._log_start = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            self._command,
            cwd=BASE_DIR,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_the_test_session,
        )
        RUNNING.add(self)

    def is_running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_of_this_start(self) -> str:
        """What the process logged since it was last started."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and children), like a lost host."""
        if self.process.poll() is None:
            with suppress(ProcessLookupError):  # already gone
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        if not self._log.closed:
            self._log.close()

    def stop(self, timeout: float = 20) -> None:
        """Clean shutdown (SIGTERM to the group); SIGKILL if it does not stop in time."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
            except ProcessLookupError:
                pass
        if not self._log.closed:
            self._log.close()
