"""One error body for the whole API.

Every 4xx/5xx from `/api/` has the shape
`{"detail": "<a sentence a person can act on>", "code": "<machine code>", "errors": {...}}`
where `errors` maps field names to messages for validation failures.
"""

import logging

from django.db import DataError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import (
    Busy,
    Conflict,
    Gone,
    InvalidRequest,
    LimitReached,
    Missing,
    NotAllowed,
    ServiceError,
    TooLarge,
    Unavailable,
    UpstreamRefused,
    first_message,
)

logger = logging.getLogger(__name__)


def _out_of_range(exc: Exception, context: dict) -> Response:
    """A value the database cannot hold (a number past 64 bits, text past its column)."""
    view = context.get("view")
    logger.warning("value out of range in %s: %r", view.__class__.__name__, exc)
    body = {
        "detail": "A value in the request is out of range for its field (a number too large "
        "or a text too long); check it and send it again.",
        "code": "out_of_range",
        "errors": {},
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _database_unavailable(exc: Exception, context: dict) -> Response:
    """No database connection in time (the pool is exhausted, or the server is down)."""
    view = context.get("view")
    logger.error("database unavailable in %s: %r", view.__class__.__name__, exc)
    body = {
        "detail": "The service is busy or its database is unreachable; try again in a few seconds.",
        "code": "database_unavailable",
        "errors": {},
    }
    return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})


# The one place a kind of service failure becomes an HTTP status.
SERVICE_ERROR_STATUS: dict[type[ServiceError], int] = {
    InvalidRequest: status.HTTP_400_BAD_REQUEST,
    TooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    Missing: status.HTTP_404_NOT_FOUND,
    Gone: status.HTTP_410_GONE,
    Conflict: status.HTTP_409_CONFLICT,
    Busy: status.HTTP_423_LOCKED,
    LimitReached: status.HTTP_429_TOO_MANY_REQUESTS,
    UpstreamRefused: status.HTTP_502_BAD_GATEWAY,
    Unavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    ServiceError: status.HTTP_400_BAD_REQUEST,
}


def service_error_status(exc: ServiceError) -> int:
    """The HTTP status of a service error: that of the first kind in its class's MRO."""
    for kind in type(exc).__mro__:
        if kind in SERVICE_ERROR_STATUS:
            return SERVICE_ERROR_STATUS[kind]
    return status.HTTP_400_BAD_REQUEST


def _service_error(exc: ServiceError) -> Response:
    body = {"detail": exc.message, "code": exc.code, "errors": exc.errors}
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
    return Response(body, status=service_error_status(exc), headers=headers)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Render service errors and DRF exceptions in the project's error body."""
    if isinstance(exc, ServiceError):
        return _service_error(exc)
    if isinstance(exc, OverflowError | DataError):
        # The last line of defence: fields are bounded where they are declared.
        return _out_of_range(exc, context)
    if isinstance(exc, OperationalError):
        return _database_unavailable(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        body = {"detail": first_message(errors), "code": "invalid", "errors": errors}
    else:
        detail = data.get("detail", data) if isinstance(data, dict) else data
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(
            exc, "default_code", "error"
        )
        body = {"detail": str(detail), "code": str(code), "errors": {}}
        if isinstance(data, dict):
            body.update({k: v for k, v in data.items() if k not in ("detail",)})
    response.data = body
    return response


def json_error(detail: str, code: str, status_code: int) -> JsonResponse:
    """Return the project's error body outside DRF (plain Django views)."""
    return JsonResponse({"detail": detail, "code": code, "errors": {}}, status=status_code)


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Answer unexpected errors on API paths in the same JSON body."""
    if request.path.startswith("/api/"):
        return json_error(
            "Internal server error; it has been logged.",
            "server_error",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    return defaults.server_error(request, *args, **kwargs)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Answer unknown API paths with a JSON 404."""
    if request.path.startswith("/api/"):
        return json_error(f"No API endpoint at {request.path}.", "not_found", 404)
    return defaults.page_not_found(request, exception)
