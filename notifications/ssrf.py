"""Refuse outbound webhook targets that resolve to internal addresses, and pin checked ones.

`check_url` resolves a URL's host and refuses it if any address it resolves to is internal,
or if it names a port other than 80 and 443 (and those an operator allowed): a webhook
must not become a way to poke at SMTP, Redis or admin ports.
Checking is not enough on its own: DNS can answer differently when the request connects
(DNS rebinding). `pinned_session` returns a `requests` session that connects to the address
already checked, while still sending the real Host header and verifying TLS against the
real hostname. It ignores proxy settings from the environment and refuses any host it was
not pinned to, so a redirect cannot lead it somewhere unchecked.
"""

import ipaddress
import socket
from collections.abc import Callable, Collection, Mapping, Sequence
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

WEB_PORTS = frozenset({80, 443})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """A webhook URL is not http(s), cannot be resolved or points at an internal address."""


def check_url(url: str, *, allow_private: bool, extra_ports: Collection[int] = ()) -> list[str]:
    """Resolve `url`'s host and return its addresses, raising UnsafeTarget if any is unsafe."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget(f"Only http and https webhook URLs are allowed, not {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("Webhook URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeTarget(f"Webhook URL has an invalid port: {exc}") from exc
    if port not in WEB_PORTS and port not in extra_ports:
        raise UnsafeTarget(
            f"Webhook URLs must use port 80 or 443, not {port} "
            "(an operator can allow more with WEBHOOK_ALLOWED_PORTS)"
        )
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"Cannot resolve webhook host {host!r}: {exc}") from exc

    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise UnsafeTarget(f"Webhook host {host!r} resolved to no address")
    for address in addresses:
        reason = _unsafe_reason(ipaddress.ip_address(address), allow_private)
        if reason:
            raise UnsafeTarget(f"Refusing webhook host {host!r}: {address} is {reason}")
    return addresses


def _unsafe_reason(ip: IPAddress, allow_private: bool) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        # These reach the embedded IPv4 host (directly, or through a NAT64 gateway).
        embedded = ip.ipv4_mapped or (_nat64_ipv4(ip) if ip in _NAT64 else None)
        if embedded is not None:
            reason = _unsafe_reason(embedded, allow_private)
            return f"{reason} (via {embedded})" if reason else None
        if ip.sixtofour is not None:
            reason = _unsafe_reason(ip.sixtofour, allow_private)
            if reason:
                return f"{reason} (via 6to4 gateway {ip.sixtofour})"
    if ip.is_unspecified or ip in _THIS_NETWORK:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address (such as cloud metadata)"
    if ip.is_multicast:
        return "a multicast address"
    # Checked before `is_reserved`, which also covers ::1.
    if ip.is_loopback:
        return None if allow_private else "a loopback address"
    if ip.is_reserved:
        return "a reserved address"
    site_local = isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
    # `is_global` is false for RFC 1918, CGNAT 100.64/10, fc00::/7 and other internal ranges.
    if ip.is_private or site_local or not ip.is_global:
        return None if allow_private else "a private address"
    return None


def _nat64_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


SocketHook = Callable[[socket.socket], None]


def _pools_calling(on_connect: SocketHook) -> dict[str, type]:
    """Connection pool classes whose new sockets are handed to `on_connect`."""

    def connection_class(base: type) -> type:
        class Connection(base):
            def _new_conn(self) -> socket.socket:
                sock = super()._new_conn()
                on_connect(sock)
                return sock

        return Connection

    class Pool(HTTPConnectionPool):
        ConnectionCls = connection_class(HTTPConnectionPool.ConnectionCls)

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = connection_class(HTTPSConnectionPool.ConnectionCls)

    return {"http": Pool, "https": SecurePool}


class PinnedAddressAdapter(HTTPAdapter):
    """Connect to a fixed address for each pinned hostname, keeping Host, SNI and TLS checks.

    `on_connect`, if given, receives each socket the adapter opens (to enforce a deadline).
    """

    def __init__(
        self, pins: Mapping[str, str], *, on_connect: SocketHook | None = None, **kwargs
    ) -> None:
        self._pins = {host.lower(): address for host, address in pins.items()}
        self._on_connect = on_connect
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        if self._on_connect is not None:
            self.poolmanager.pool_classes_by_scheme = _pools_calling(self._on_connect)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        """Send `request` to its pinned address, refusing hosts that were never checked."""
        parts = urlsplit(request.url)
        if parts.hostname not in self._pins:
            raise UnsafeTarget(f"Host {parts.hostname!r} was not checked before sending")
        if any((kwargs.get("proxies") or {}).values()):
            raise UnsafeTarget("A pinned webhook request must not go through a proxy")
        # The connection is made to an IP, so name the real host explicitly.
        request.headers["Host"] = parts.netloc.rpartition("@")[2]
        return super().send(request, **kwargs)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        """Point the connection pool at the pinned address instead of the hostname."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        hostname = host_params["host"]
        host_params["host"] = self._pins[hostname]
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = hostname
            pool_kwargs["assert_hostname"] = hostname
        return host_params, pool_kwargs


def pinned_session(
    url: str, addresses: Sequence[str], *, on_connect: SocketHook | None = None
) -> requests.Session:
    """Return a session that sends requests for `url`'s host only to `addresses[0]`."""
    host = urlsplit(url).hostname
    if not host or not addresses:
        raise UnsafeTarget("A pinned session needs a URL with a host and a checked address")
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAddressAdapter({host: addresses[0]}, on_connect=on_connect)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
