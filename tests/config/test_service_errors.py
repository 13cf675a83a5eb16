"""Services raise kinds of failure; the API maps each kind to one HTTP status, once."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from commerce.errors import InsufficientStock, OtpRateLimited, PaymentProviderError
from config.api_errors import exception_handler
from config.errors import (
    Conflict,
    InvalidRequest,
    LimitReached,
    Missing,
    NotAllowed,
    ServiceError,
    Unavailable,
    UpstreamRefused,
)
from jobs.errors import JobStateError


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidRequest("Bad input."), 400),
        (NotAllowed("Not yours."), 403),
        (Missing("No such thing."), 404),
        (Conflict("Busy."), 409),
        (LimitReached("Too many."), 429),
        (UpstreamRefused("The provider said no."), 502),
        (Unavailable("The provider is down."), 503),
        (ServiceError("Something else."), 400),
        # an app's error takes the status of its kind
        (InsufficientStock(sku="A-1", name="Mug", requested=3, available=1), 409),
        (PaymentProviderError("Stripe refused the key."), 502),
        (JobStateError("The job is already completed."), 409),
    ],
)
def test_each_kind_answers_its_status_with_the_message(error, status):
    response = exception_handler(error, {"view": None})

    assert response.status_code == status
    assert response.data == {"detail": error.message, "code": error.code, "errors": {}}


def test_field_errors_are_listed_and_the_first_is_the_detail():
    error = InvalidRequest(errors={"currency": ["Use a three-letter ISO 4217 code."]})

    response = exception_handler(error, {"view": None})

    assert response.status_code == 400
    assert response.data == {
        "detail": "currency: Use a three-letter ISO 4217 code.",
        "code": "invalid",
        "errors": {"currency": ["Use a three-letter ISO 4217 code."]},
    }


def test_a_limit_with_a_known_wait_says_when_to_come_back():
    response = exception_handler(
        OtpRateLimited("Wait before asking again.", wait_seconds=42), {"view": None}
    )

    assert (response.status_code, response["Retry-After"]) == (429, "42")
    assert response.data["code"] == "otp_rate_limited"


def test_no_service_raises_or_imports_http_exceptions():
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.glob("*/**/services/*.py"):
        relative = path.relative_to(root)
        if ".venv" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "rest_framework"
            ):
                offenders.append(f"{relative}:{node.lineno} imports {node.module}")
    assert offenders == [], "Services must raise config.errors kinds:\n" + "\n".join(offenders)
