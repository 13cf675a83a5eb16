"""Schemathesis against /api/schema/: no input makes a server error.

Every operation gets generated requests, valid and invalid, sent through the WSGI app
with a regular (non-staff) user's token, then with a staff token (staff reach the write
endpoints of the catalogue and the operator actions); the test fails on any 5xx. The
example budget is small so the run stays within a couple of minutes (FUZZ_MAX_EXAMPLES
raises it).
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from accounts.services import auth_token_issue
from config.wsgi import application
from tests.factories import UserFactory

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "12"))
# Revoking the test's own token would leave the rest of the run unauthenticated.
SKIPPED_PATHS = ["/api/v1/auth/logout/"]


@pytest.fixture
def keep_test_connection():
    """Keep the test's database connection open across requests, as Django's test client does.

    The WSGI handler closes connections it finds inside a transaction after each request,
    and the test's transaction is one.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, keep_test_connection):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
    return schema.exclude(path=SKIPPED_PATHS)


@pytest.fixture
def stranger_token(db) -> str:
    return auth_token_issue(user=UserFactory()).token


@pytest.fixture
def staff_token(db) -> str:
    return auth_token_issue(user=UserFactory(is_staff=True, is_superuser=True)).token


schema = schemathesis.pytest.from_fixture("api_schema")


@schemathesis.serializer("application/offset+octet-stream")
def _tus_chunk(ctx, value) -> bytes:
    """A tus chunk is raw bytes; send whatever was generated as such."""
    return value if isinstance(value, bytes) else str(value).encode()


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _call_and_check(case, token: str) -> None:
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=[not_a_server_error])


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_request_from_a_stranger_makes_a_server_error(case, stranger_token):
    _call_and_check(case, stranger_token)


@schema.parametrize()
@FUZZ_SETTINGS
def test_no_request_from_staff_makes_a_server_error(case, staff_token):
    _call_and_check(case, staff_token)
