"""A real HTTP server on 127.0.0.1 for webhook receivers and the SMS gateway in tests.

Each path answers from its own script of responses (the last one repeats; 200 when none),
and every request it gets is recorded, so a test can check what a worker sent.
"""

import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ScriptedHttpServer:
    """Serve scripted replies per path in a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, list[Reply]] = {}
        self._received: dict[str, list[Received]] = defaultdict(list)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, *replies: Reply) -> str:
        """Return the URL of a fresh path that answers with `replies` in turn."""
        path = f"/{uuid.uuid4().hex}"
        with self._lock:
            self._scripts[path] = list(replies) or [Reply()]
        return self.base_url + path

    def script(self, url: str, *replies: Reply) -> None:
        """Make an existing path answer with `replies` from now on."""
        with self._lock:
            self._scripts[url.removeprefix(self.base_url)] = list(replies) or [Reply()]

    def received(self, url: str) -> list[Received]:
        path = url.removeprefix(self.base_url)
        with self._lock:
            return list(self._received[path])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _reply_for(self, request: Received) -> Reply:
        with self._lock:
            self._received[request.path].append(request)
            script = self._scripts.get(request.path, [Reply(404, b"no such path")])
            return script.pop(0) if len(script) > 1 else script[0]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Received(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                reply = server._reply_for(request)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
