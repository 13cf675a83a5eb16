"""API conventions: health, token auth, optional trailing slash, error body, OpenAPI."""

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_health_reports_every_dependency_ok(api_client):
    response = api_client.get("/api/health/")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


def test_health_names_the_dependency_that_is_down(api_client, monkeypatch):
    from config.celery import app

    # given a broker address nobody listens on
    monkeypatch.setitem(app.conf, "broker_write_url", "redis://127.0.0.1:1/0")

    response = api_client.get("/api/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    # which component is down, never why: exception text names hosts and ports
    assert body["checks"]["broker"] == "down"
    assert "127.0.0.1" not in response.content.decode()


def test_token_obtained_with_username_and_password_authenticates(api_client, user):
    response = api_client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": "pass-word-123"}
    )
    assert response.status_code == 200
    token = response.json()["token"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/jobs/").status_code == 200


def test_wrong_password_gets_the_standard_error_body(api_client, user):
    response = api_client.post(
        "/api/v1/auth/token", {"username": user.username, "password": "nope"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) >= {"detail", "code", "errors"}
    assert "Unable to log in" in body["detail"]


@pytest.mark.parametrize("path", ["/api/v1/jobs", "/api/v1/jobs/"])
def test_api_paths_work_with_and_without_trailing_slash(user_client, path):
    assert user_client.get(path).status_code == 200


def test_api_requires_authentication_by_default(api_client):
    response = api_client.get("/api/v1/jobs/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_openapi_schema_and_docs_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


def test_openapi_schema_has_no_warnings(tmp_path):
    # --fail-on-warn turns every drf-spectacular warning into an error
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


@override_settings(DEBUG=False)
def test_admin_login_page_is_served(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b"Django administration" in response.content or b"Log in" in response.content
