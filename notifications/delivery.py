"""One HTTP try of one outbound webhook: SSRF check, signed POST, what the receiver said.

The target is resolved and checked when the request is made (not only when the endpoint
was saved), and the connection goes to the address that was checked. Redirects are not
followed: a 3xx is a failed attempt like any other non-2xx answer.

Each attempt has one deadline for everything (connect, send, headers, the excerpt):
requests' timeouts only bound each read, so a receiver answering a byte at a time could
hold a worker forever. When the deadline passes, the attempt's sockets are shut down.
"""

import contextlib
import email.utils
import logging
import socket
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

import requests

from notifications.ssrf import UnsafeTarget, check_url, pinned_session

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 15
EXCERPT_BYTES = 1024
USER_AGENT = "Reelhouse-Webhooks/1.0"


@dataclass(frozen=True)
class DeliveryOutcome:
    status_code: int | None = None
    excerpt: str = ""
    duration_ms: int = 0
    error: str = ""
    retry_after_seconds: float | None = None
    # The target is refused by the SSRF guard: retrying cannot help.
    refused: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class AttemptDeadline:
    """Shut down every socket of an attempt once `seconds` have passed since it started."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def track(self, sock: socket.socket) -> None:
        """Watch a socket the attempt opened (closing it at once if already too late)."""
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> "AttemptDeadline":
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._timer.cancel()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv/send in the other thread


def deliver(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    extra_ports: Collection[int] = (),
    deadline_seconds: float = 30,
) -> DeliveryOutcome:
    """POST `body` to `url` once and describe the outcome; never raise for network trouble."""
    with AttemptDeadline(deadline_seconds) as deadline:
        outcome = _post(url, body, headers, allow_private, extra_ports, deadline)
    if deadline.expired and not outcome.refused:
        return DeliveryOutcome(
            error=f"No complete answer within the {deadline_seconds:g} s deadline",
            duration_ms=outcome.duration_ms,
        )
    return outcome


def _post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    extra_ports: Collection[int],
    deadline: AttemptDeadline,
) -> DeliveryOutcome:
    started = time.monotonic()
    try:
        addresses = check_url(url, allow_private=allow_private, extra_ports=extra_ports)
    except UnsafeTarget as exc:
        # A name that does not resolve may resolve later; an internal address will not change.
        unresolved = isinstance(exc.__cause__, OSError | UnicodeError)
        return DeliveryOutcome(error=str(exc), refused=not unresolved)
    request_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    try:
        with pinned_session(url, addresses, on_connect=deadline.track) as session:
            response = session.post(
                url,
                data=body,
                headers=request_headers,
                timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
                allow_redirects=False,
                stream=True,
            )
            with response:
                excerpt = _excerpt(response)
    except UnsafeTarget as exc:
        return DeliveryOutcome(error=str(exc), refused=True, duration_ms=_ms(started))
    except requests.Timeout as exc:
        return DeliveryOutcome(error=f"Timed out: {exc}", duration_ms=_ms(started))
    except requests.RequestException as exc:
        return DeliveryOutcome(error=f"{exc.__class__.__name__}: {exc}", duration_ms=_ms(started))
    error = ""
    if not 200 <= response.status_code < 300:
        error = f"The receiver answered HTTP {response.status_code}"
        if 300 <= response.status_code < 400:
            error += " (redirects are not followed)"
    return DeliveryOutcome(
        status_code=response.status_code,
        excerpt=excerpt,
        duration_ms=_ms(started),
        error=error,
        retry_after_seconds=parse_retry_after(response.headers.get("Retry-After")),
    )


def _excerpt(response: requests.Response) -> str:
    """The first KB of the response body, as text; a read timeout keeps what arrived."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=EXCERPT_BYTES):
            chunks.append(chunk)
            size += len(chunk)
            if size >= EXCERPT_BYTES:
                break
    except requests.RequestException:
        pass
    text = b"".join(chunks)[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    # Cut to 1 KB of characters too: a replacement character can stand for one byte.
    return text[:EXCERPT_BYTES]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
