"""`GET /metrics`: Prometheus text format for scrapers (bearer token) and staff (session).

Each app registers its collector classes with `register_collector` in its
`AppConfig.ready()`, so this module names no app. The collectors are instantiated on a
fresh registry per request and read the database when scraped: the numbers are the same
whichever web process answers, and no process keeps metric state between requests.
"""

import hmac
from collections.abc import Iterable
from typing import Protocol

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import Metric

from config.db_metrics import DatabasePoolCollector


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


_collectors: list[type[Collector]] = []


def register_collector(collector: type[Collector]) -> None:
    """Add an app's collector class to `/metrics` (call from `AppConfig.ready()`)."""
    if collector not in _collectors:
        _collectors.append(collector)


def collectors() -> list[type[Collector]]:
    """The registered collectors, in registration order, then the database pool's."""
    return [*_collectors, DatabasePoolCollector]


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """Why this request may not read metrics (401/403), or None if it may."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer":
        expected = settings.METRICS_TOKEN
        if expected and hmac.compare_digest(token.strip().encode(), expected.encode()):
            return None
        response = HttpResponse("Invalid metrics token.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics", error="invalid_token"'
        return response
    user = request.user
    if user.is_authenticated and user.is_active and user.is_staff:
        return None
    if user.is_authenticated:
        return HttpResponse("Only staff can read metrics.\n", status=403, content_type="text/plain")
    response = HttpResponse(
        "Send Authorization: Bearer <METRICS_TOKEN>, or log in as staff.\n",
        status=401,
        content_type="text/plain",
    )
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Render every app's collectors in the Prometheus exposition format."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors():
        registry.register(collector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
