"""Browser frontends on other origins (CORS_ALLOWED_ORIGINS) calling the API and tus."""

import pytest

from accounts.services import auth_token_issue
from tests.videos.tus_requests import TUS, URL, encode_metadata

FRONTEND = "https://app.example.com"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allowed_frontend(settings):
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]


def _listed(header_value: str) -> set[str]:
    return {item.strip().lower() for item in header_value.split(",")}


def test_preflight_for_a_tus_chunk_allows_its_method_and_headers(client):
    response = client.options(
        f"{URL}0b6c1e0a-0000-4000-8000-000000000000/",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, tus-resumable, upload-offset, "
            "content-type",
        },
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert "PATCH" in response["Access-Control-Allow-Methods"]
    assert {"authorization", "tus-resumable", "upload-offset", "content-type"} <= _listed(
        response["Access-Control-Allow-Headers"]
    )


def test_token_authenticated_tus_creation_exposes_location_to_the_frontend(client, user):
    token = auth_token_issue(user=user).token

    response = client.post(
        URL,
        headers={
            **TUS,
            "Origin": FRONTEND,
            "Authorization": f"Token {token}",
            "Upload-Length": "1000",
            "Upload-Metadata": encode_metadata(filename="clip.mp4", title="From the app"),
        },
    )

    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert {"location", "upload-offset", "upload-expires"} <= _listed(
        response["Access-Control-Expose-Headers"]
    )


def test_other_origins_and_non_api_paths_get_no_cors_headers(client, user):
    token = auth_token_issue(user=user).token
    auth = {"Authorization": f"Token {token}"}

    elsewhere = client.get("/api/v1/jobs/", headers={**auth, "Origin": "https://evil.example"})
    admin = client.get("/admin/login/", headers={"Origin": FRONTEND})

    assert elsewhere.status_code == 200  # the server answers; the browser withholds it
    assert "Access-Control-Allow-Origin" not in elsewhere
    assert "Access-Control-Allow-Origin" not in admin
