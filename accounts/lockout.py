"""Failed sign-ins, counted per username and per client by django-axes.

The admin and dashboard logins go through `authenticate()`, where axes' backend and
middleware do the work. The API's token and OTP endpoints use the helpers here; every
lockout answers with `lockout_response` (429, JSON on /api/, a page elsewhere).
"""

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def _message() -> str:
    seconds = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return (
        "Too many failed sign-ins for this account or from this address; "
        f"try again in {seconds} seconds."
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """Answer a locked-out sign-in (axes' AXES_LOCKOUT_CALLABLE)."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": _message(), "code": "login_locked", "errors": {}}, status=429
        )
    else:
        response = render(request, "accounts/locked_out.html", {"message": _message()}, status=429)
    response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
    return response


def login_allowed(request: HttpRequest, *, username: str) -> bool:
    """Tell whether this client may try to sign in as `username` now."""
    return AxesProxyHandler.is_allowed(request, {"username": username})


def login_failed(request: HttpRequest, *, username: str, sender: object) -> None:
    """Count a failed sign-in that did not go through `authenticate()` (e.g. a wrong OTP)."""
    user_login_failed.send(sender=sender, credentials={"username": username}, request=request)
