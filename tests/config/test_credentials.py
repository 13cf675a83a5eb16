"""API tokens: hashed, expiring, one per sign-in, revocable; failed sign-ins locked out."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from accounts.services import auth_token_issue

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
LOGOUT_URL = "/api/v1/auth/logout/"
PASSWORD = "pass-word-123"


def _sign_in(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(
        TOKEN_URL, {"username": username, "password": password}, format="json", **extra
    )


def _authed(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_signing_in_returns_a_token_with_its_expiry(api_client, user, settings):
    response = _sign_in(api_client, user.username)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiry"}
    expiry = timezone.datetime.fromisoformat(body["expiry"])
    expected = timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    assert abs((expiry - expected).total_seconds()) < 60
    assert _authed(body["token"]).get("/api/v1/jobs/").status_code == 200


def test_tokens_are_stored_only_as_hashes(api_client, user):
    token = _sign_in(api_client, user.username).json()["token"]

    stored = AuthToken.objects.get(user=user)
    assert token not in (stored.digest, stored.token_key)
    assert stored.digest != token and len(stored.digest) == 128


def test_each_sign_in_gets_its_own_token(api_client, user):
    first = _sign_in(api_client, user.username).json()["token"]
    second = _sign_in(api_client, user.username).json()["token"]

    assert first != second
    assert AuthToken.objects.filter(user=user).count() == 2
    assert _authed(first).get("/api/v1/jobs/").status_code == 200


def test_an_expired_token_is_refused(user):
    issued = auth_token_issue(user=user)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))

    assert _authed(issued.token).get("/api/v1/jobs/").status_code == 401


def test_logout_revokes_only_the_presented_token(user):
    kept = auth_token_issue(user=user).token
    revoked = auth_token_issue(user=user).token
    client = _authed(revoked)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 204
    assert client.get("/api/v1/jobs/").status_code == 401
    assert _authed(kept).get("/api/v1/jobs/").status_code == 200


def test_a_password_change_revokes_every_token(user):
    tokens = [auth_token_issue(user=user).token for _ in range(2)]

    user.set_password("a-brand-new-password-9")
    user.save()

    assert all(_authed(t).get("/api/v1/jobs/").status_code == 401 for t in tokens)


def test_other_saves_of_the_user_keep_the_tokens(user):
    token = auth_token_issue(user=user).token

    user.first_name = "Ann"
    user.save()

    assert _authed(token).get("/api/v1/jobs/").status_code == 200


def test_the_admin_never_shows_token_keys(client, staff_user, user):
    token = auth_token_issue(user=user).token
    stored = AuthToken.objects.get(user=user)
    client.force_login(staff_user)

    listing = client.get("/admin/knox/authtoken/").content.decode()
    detail = client.get(f"/admin/knox/authtoken/{stored.pk}/change/").content.decode()

    assert user.username in listing
    for page in (listing, detail):
        assert token not in page
        assert stored.token_key not in page
    assert client.get("/admin/knox/authtoken/add/").status_code == 403


def test_the_token_endpoint_locks_out_a_username_after_ten_failures(api_client, user):
    codes = [
        _sign_in(api_client, user.username, "wrong", REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(11)
    ]

    assert codes[:9] == [400] * 9
    assert codes[10] == 429
    # Even the right password waits out the lockout, from any address.
    response = _sign_in(api_client, user.username, REMOTE_ADDR="10.0.1.1")
    assert response.status_code == 429
    assert "try again in 60 seconds" in response.json()["detail"]
    assert response["Retry-After"] == "60"


def test_the_token_endpoint_locks_out_a_client_trying_many_usernames(api_client, user):
    for n in range(10):
        _sign_in(api_client, f"guess{n}", "wrong")

    response = _sign_in(api_client, user.username)

    assert response.status_code == 429


def test_a_made_up_forwarded_for_does_not_escape_the_lockout(api_client, user):
    for n in range(10):
        _sign_in(api_client, f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = _sign_in(api_client, user.username, HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert response.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(api_client, user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        _sign_in(api_client, f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.9")

    other_client = _sign_in(api_client, user.username, HTTP_X_FORWARDED_FOR="198.51.100.7")
    same_client = _sign_in(api_client, user.username, HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert other_client.status_code == 200
    assert same_client.status_code == 429


@pytest.mark.parametrize("login_url", ["/admin/login/", "/dashboard/login/"])
def test_admin_and_dashboard_logins_lock_out_after_ten_failures(client, staff_user, login_url):
    for _ in range(10):
        client.post(login_url, {"username": staff_user.username, "password": "wrong"})

    response = client.post(login_url, {"username": staff_user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.content


def test_a_spoofed_forwarded_for_does_not_reset_the_anonymous_throttle(api_client, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "3/minute", raising=False)
    cache.clear()

    codes = [
        api_client.get("/api/health/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(4)
    ]

    assert codes == [200, 200, 200, 429]
