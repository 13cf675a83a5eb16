"""The outbound webhook SSRF guard: address classes, resolution and address pinning."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests

from notifications.ssrf import PinnedAddressAdapter, UnsafeTarget, check_url, pinned_session

PRIVATE_URLS = [
    "http://127.0.0.1/hook",
    "http://127.9.9.9/hook",
    "http://[::1]/hook",
    "http://10.0.0.1/hook",
    "http://172.16.5.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://[fc00::1]/hook",
    "http://[fd12:3456::1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://localhost/hook",
]

ALWAYS_REFUSED_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[fe80::1]/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",
    "http://0.0.0.0/hook",
    "http://0.1.2.3/hook",
    "http://[::]/hook",
    "http://224.0.0.1/hook",
    "http://[ff02::1]/hook",
    "http://240.0.0.1/hook",
    "http://255.255.255.255/hook",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_and_loopback_targets_are_refused_by_default(url):
    with pytest.raises(UnsafeTarget, match=r"(private|loopback) address"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_private_and_loopback_targets_are_allowed_when_asked(url):
    assert check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ALWAYS_REFUSED_URLS)
@pytest.mark.parametrize("allow_private", [False, True])
def test_metadata_link_local_and_special_targets_are_always_refused(url, allow_private):
    with pytest.raises(UnsafeTarget, match="Refusing"):
        check_url(url, allow_private=allow_private)


def test_cloud_metadata_refusal_names_the_address():
    with pytest.raises(UnsafeTarget, match=r"169\.254\.169\.254 is a link-local address"):
        check_url("http://169.254.169.254/", allow_private=True)


def test_ipv4_mapped_metadata_address_is_refused_as_link_local():
    with pytest.raises(UnsafeTarget, match=r"link-local.*via 169\.254\.169\.254"):
        check_url("https://[::ffff:169.254.169.254]/", allow_private=True)


def test_localhost_resolves_and_is_treated_as_loopback():
    with pytest.raises(UnsafeTarget, match="loopback"):
        check_url("http://localhost/hook", allow_private=False)
    assert "127.0.0.1" in check_url("http://localhost/hook", allow_private=True)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://93.184.216.34/hook", "93.184.216.34"),
        ("https://93.184.216.34/x", "93.184.216.34"),
        ("http://[2606:4700::1111]/", "2606:4700::1111"),
    ],
)
def test_public_literal_address_is_accepted_without_dns(url, address):
    assert check_url(url, allow_private=False) == [address]


@pytest.mark.parametrize(
    "url",
    ["ftp://93.184.216.34/x", "file:///etc/passwd", "gopher://93.184.216.34/", "93.184.216.34"],
)
def test_non_http_schemes_are_refused(url):
    with pytest.raises(UnsafeTarget, match="Only http and https"):
        check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["http:///hook", "https://:443/hook"])
def test_url_without_a_host_is_refused(url):
    with pytest.raises(UnsafeTarget, match="no host"):
        check_url(url, allow_private=True)


def test_invalid_port_is_refused():
    with pytest.raises(UnsafeTarget, match="invalid port"):
        check_url("http://93.184.216.34:99999/", allow_private=True)


def test_unresolvable_host_is_refused(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(UnsafeTarget, match="Cannot resolve"):
        check_url("https://hooks.example.com/", allow_private=False)


def fake_resolver(*addresses):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port),
            )
            for a in addresses
        ]

    return getaddrinfo


def test_host_is_refused_if_any_resolved_address_is_internal(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver("93.184.216.34", "10.1.2.3"))
    with pytest.raises(UnsafeTarget, match=r"10\.1\.2\.3 is a private address"):
        check_url("https://hooks.example.com/", allow_private=False)


def test_all_resolved_addresses_are_returned_once(monkeypatch):
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        fake_resolver("93.184.216.34", "93.184.216.34", "2606:4700::1111"),
    )
    assert check_url("https://hooks.example.com/", allow_private=False) == [
        "93.184.216.34",
        "2606:4700::1111",
    ]


class RecordingHandler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str]] = []

    def do_GET(self):
        RecordingHandler.seen.append((self.path, self.headers["Host"]))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://elsewhere.invalid/")
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    RecordingHandler.seen = []
    server = HTTPServer(("127.0.0.1", 0), RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_pinned_session_connects_to_the_checked_address_with_the_real_host(local_server):
    # hook.invalid never resolves, so reaching the server proves the pinned address was used.
    url = f"http://hook.invalid:{local_server}/deliver"
    with pinned_session(url, ["127.0.0.1"]) as session:
        response = session.get(url, timeout=5)
    assert response.text == "ok"
    assert RecordingHandler.seen == [("/deliver", f"hook.invalid:{local_server}")]


def test_pinned_session_ignores_proxies_from_the_environment(local_server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://10.255.255.1:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.255.255.1:3128")
    url = f"http://hook.invalid:{local_server}/deliver"
    with pinned_session(url, ["127.0.0.1"]) as session:
        assert session.get(url, timeout=5).status_code == 200


def test_pinned_session_refuses_a_redirect_to_an_unchecked_host(local_server):
    url = f"http://hook.invalid:{local_server}/redirect"
    with pinned_session(url, ["127.0.0.1"]) as session, pytest.raises(UnsafeTarget):
        session.get(url, timeout=5)


def test_pinned_session_refuses_explicit_proxies(local_server):
    url = f"http://hook.invalid:{local_server}/deliver"
    with pinned_session(url, ["127.0.0.1"]) as session, pytest.raises(UnsafeTarget, match="proxy"):
        session.get(url, timeout=5, proxies={"http": "http://10.255.255.1:3128"})
    assert RecordingHandler.seen == []


def test_pinned_https_pool_uses_the_address_but_checks_tls_against_the_hostname():
    adapter = PinnedAddressAdapter({"hooks.example.com": "93.184.216.34"})
    request = requests.Request("POST", "https://hooks.example.com/x").prepare()
    pool = adapter.get_connection_with_tls_context(request, verify=True)
    assert pool.host == "93.184.216.34"
    assert pool.conn_kw["server_hostname"] == "hooks.example.com"
    assert pool.assert_hostname == "hooks.example.com"


def test_pinned_session_needs_a_checked_address():
    with pytest.raises(UnsafeTarget):
        pinned_session("https://hooks.example.com/", [])
