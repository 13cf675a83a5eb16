"""Outbound webhooks go to web ports only, and each attempt has one deadline."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from notifications.delivery import deliver
from notifications.ssrf import UnsafeTarget, check_url
from tests.notifications.endpoint_requests import post_endpoint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["http://93.184.216.34:25/", "https://93.184.216.34:6379/x"])
def test_other_ports_than_80_and_443_are_refused(url):
    with pytest.raises(UnsafeTarget, match="must use port 80 or 443"):
        check_url(url, allow_private=False)


def test_an_operator_may_allow_more_ports():
    assert check_url("https://93.184.216.34:8443/x", allow_private=False, extra_ports=[8443])


def test_an_endpoint_on_another_port_is_refused_with_a_reason(user_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True

    response = post_endpoint(user_client, "http://127.0.0.1:6379/", ["video.ready"])

    assert response.status_code == 400
    assert "port 80 or 443, not 6379" in response.json()["errors"]["url"][0]


@pytest.fixture
def dripping_server() -> Iterator[int]:
    """A receiver that answers one header byte at a time, each well within a read timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(100):  # about 20 s of answer, a byte every 0.2 s
                    if stop.is_set():
                        return
                    try:
                        conn.sendall(b"X")
                    except OSError:
                        break
                    time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(5)
    listener.close()


def test_a_slow_receiver_is_cut_off_at_the_attempt_deadline(dripping_server):
    port = dripping_server

    outcome = deliver(
        url=f"http://127.0.0.1:{port}/hook",
        body=b"{}",
        headers={},
        allow_private=True,
        extra_ports=[port],
        deadline_seconds=1,
    )

    assert not outcome.delivered
    assert "within the 1 s deadline" in outcome.error
