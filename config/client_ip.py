"""The client's IP address, trusting X-Forwarded-For only through TRUSTED_PROXY_COUNT proxies.

Each proxy appends the address it received the request from, so with N trusted proxies in
front of us the client is the N-th address from the right; anything to its left was
written by the client and may be made up. With no trusted proxy (the default) the header
is ignored. DRF's throttles read the same setting (NUM_PROXIES) the same way.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address of whoever sent the request, as far as we can trust it."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
