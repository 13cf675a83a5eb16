"""Safe defaults: CSP on every page, docs without a CDN, opt-in proxy trust, private files."""

import stat
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests.config.test_settings import PRODUCTION_ENV, _manage

pytestmark = pytest.mark.django_db

PAGES = ["/admin/login/", "/dashboard/login/", "/api/docs/", "/api/redoc/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_html_page_has_a_content_security_policy(client, path):
    response = client.get(path)

    assert response.status_code == 200
    # Directives in any order (django-csp does not promise one): {name: sources}.
    policy = dict(
        directive.strip().partition(" ")[::2]
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no inline scripts, no other origins
    assert policy["object-src"] == "'none'"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_api_docs_load_nothing_from_a_cdn(client, path):
    html = client.get(path).content.decode()

    assert "/static/drf_spectacular_sidecar/" in html
    assert "https://" not in html and "http://" not in html
    assert "<script>" not in html  # the Swagger UI start-up script is a file of its own


def test_swagger_ui_start_up_script_is_served_from_this_site(client):
    response = client.get("/api/docs/?script=")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_stored_files_are_readable_by_their_owner_only():
    name = default_storage.save("tests/private.txt", ContentFile(b"secret"))
    try:
        mode = stat.S_IMODE(Path(default_storage.path(name)).stat().st_mode)
        assert mode & 0o077 == 0, oct(mode)
    finally:
        default_storage.delete(name)


def _settings_of(env: dict[str, str], *names: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print(repr(getattr(settings, {name!r}, None)))" for name in names
    )
    result = _manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-len(names) :]


def test_the_sqlite_database_is_created_owner_only(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    assert _manage("migrate", "--noinput", env=env).returncode == 0

    mode = stat.S_IMODE((tmp_path / "db.sqlite3").stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)
    assert stat.S_IMODE(tmp_path.stat().st_mode) & 0o077 == 0


def test_testserver_is_an_allowed_host_only_in_tests(tmp_path):
    [hosts] = _settings_of({"VAR_DIR": str(tmp_path)}, "ALLOWED_HOSTS")

    assert "testserver" not in hosts


def test_hsts_preload_and_forwarded_proto_are_opt_in(tmp_path):
    env = {**PRODUCTION_ENV, "VAR_DIR": str(tmp_path)}
    preload, proxy_header = _settings_of(env, "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER")
    opted = {**env, "SECURE_HSTS_PRELOAD": "1", "TRUST_X_FORWARDED_PROTO": "1"}
    preload_on, proxy_header_on = _settings_of(
        opted, "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER"
    )

    assert (preload, proxy_header) == ("False", "None")
    assert preload_on == "True"
    assert proxy_header_on == "('HTTP_X_FORWARDED_PROTO', 'https')"
