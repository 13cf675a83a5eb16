"""`GET /api/health/`: is the database, the broker and media storage reachable?"""

import logging
from collections.abc import Callable

from django.core.files.storage import default_storage
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.celery import app as celery_app

logger = logging.getLogger(__name__)


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)


def check_storage() -> None:
    # exists() is a cheap HEAD on S3 and a stat on local disk; both prove reachability.
    default_storage.exists("healthcheck/.probe")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
}


@extend_schema(
    auth=[],
    responses={
        (200, "application/json"): inline_serializer(
            "Health",
            {"status": serializers.CharField(), "checks": serializers.DictField()},
        ),
        (503, "application/json"): inline_serializer(
            "HealthDown",
            {"status": serializers.CharField(), "checks": serializers.DictField()},
        ),
    },
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health(request: Request) -> Response:
    """Report each dependency as "ok" or "down"; why it is down goes to the log only.

    The endpoint is public: exception text names hosts, ports and versions.
    """
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "down"; the log says why
            logger.warning("health check %s failed: %r", name, exc)
            results[name] = "down"
    healthy = all(value == "ok" for value in results.values())
    return Response(
        {"status": "ok" if healthy else "unavailable", "checks": results},
        status=200 if healthy else 503,
    )
