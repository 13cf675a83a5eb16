"""Odd input answers a 4xx with a message, never a 500 (one regression test per case)."""

import json

import pytest
from rest_framework.test import APIClient

from jobs.models import ProcessingJob
from tests.commerce.factories import ProductFactory
from tests.factories import UserFactory
from tests.videos.tus_requests import TUS, create_upload, encode_metadata
from tests.videos.tus_requests import URL as TUS_URL

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs/"
HUGE = 10**30


def _post_json(client: APIClient, path: str, text: str):
    return client.generic("POST", path, text, content_type="application/json")


def test_deeply_nested_json_is_a_400(user_client):
    nested = "[" * 100_000 + "]" * 100_000

    response = _post_json(user_client, JOBS, f'{{"job_type": "sleep", "params": {nested}}}')

    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_json_nested_past_the_limit_without_recursion_trouble_is_a_400(user_client):
    params = {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}

    response = user_client.post(JOBS, {"job_type": "sleep", "params": params})

    assert response.status_code == 400
    assert not ProcessingJob.objects.exists()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_a_json_body_are_a_400(user_client, constant):
    response = _post_json(
        user_client, JOBS, f'{{"job_type": "sleep", "params": {{"seconds": {constant}}}}}'
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_nan_in_multipart_params_is_a_400(user_client):
    response = user_client.post(
        JOBS, {"job_type": "sleep", "params": '{"seconds": NaN}'}, format="multipart"
    )

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"]["params"][0]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/products/{HUGE}/",
        f"/api/v1/orders/{HUGE}/",
        f"/api/v1/payments/{HUGE}/",
        f"/api/v1/streams/{HUGE}/",
        f"/api/v1/notifications/{HUGE}/",
        f"/api/v1/carts/1/items/{HUGE}/",
    ],
)
def test_huge_integers_in_paths_are_a_404(user_client, path):
    response = user_client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"cart": HUGE},
        {"items": [{"product": HUGE, "quantity": 1}]},
        {"items": [{"product": 1, "quantity": HUGE}]},
    ],
)
def test_huge_integers_in_bodies_are_a_400(user_client, body):
    ProductFactory()

    response = user_client.post("/api/v1/orders/", body)

    assert response.status_code == 400
    assert response.json()["detail"]


@pytest.mark.parametrize("value", ["²", "١٢٣", "1e3", "-1", "9" * 40])
def test_non_ascii_or_odd_digits_in_upload_length_are_a_400(user_client, value):
    response = create_upload(user_client, length=0, **{"Upload-Length": value})

    assert response.status_code == 400
    assert "Upload-Length must be a whole number of bytes" in response.json()["detail"]


def test_non_ascii_digits_in_upload_offset_are_a_400(user_client):
    created = create_upload(user_client, length=10)
    url = created["Location"]

    response = user_client.patch(
        url,
        data=b"x",
        content_type="application/offset+octet-stream",
        headers={**TUS, "Upload-Offset": "\u0660"},
    )

    assert response.status_code == 400


def test_an_over_long_webhook_id_is_refused(settings):
    settings.RENDER_WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))
    body = json.dumps({"video_id": "r-1", "status": "processing"})

    signed = APIClient().generic(
        "POST",
        "/api/v1/renders/notify/",
        body,
        content_type="application/json",
        headers={
            "webhook-id": "m" * 10_000,
            "webhook-timestamp": "1",
            "webhook-signature": "v1,x",
        },
    )
    as_staff = staff.generic(
        "POST",
        "/api/v1/renders/notify/",
        body,
        content_type="application/json",
        headers={"webhook-id": "m" * 10_000},
    )

    assert signed.status_code in (400, 401)
    assert as_staff.status_code == 400
    assert "At most 255 characters" in as_staff.json()["errors"]["webhook-id"][0]


def test_text_fields_take_their_maximum_length_and_refuse_one_more(user_client, user):
    from tests.videos.factories import VideoFactory

    video = VideoFactory(owner=user)
    url = f"/api/v1/videos/{video.pk}/"

    at_max = user_client.patch(url, {"title": "t" * 255, "description": "d" * 5000})
    over = user_client.patch(url, {"description": "d" * 5001})

    assert at_max.status_code == 200
    assert over.status_code == 400
    assert "5000" in over.json()["errors"]["description"][0]


def test_an_over_long_tus_description_is_a_400(user_client):
    metadata = encode_metadata(filename="clip.mp4", description="d" * 5001)

    response = user_client.post(
        TUS_URL, headers={**TUS, "Upload-Length": "10", "Upload-Metadata": metadata}
    )

    assert response.status_code == 400
    assert "at most 5000" in response.json()["detail"]


def test_staff_product_fields_at_their_maximum_length_are_stored(staff_client):
    response = staff_client.post(
        "/api/v1/products/",
        {"sku": "S" * 64, "name": "N" * 200, "price": "9999999999.99", "stock": 2**31 - 1},
    )

    too_long = staff_client.post(
        "/api/v1/products/", {"sku": "S" * 65, "name": "n", "price": "1.00", "stock": 1}
    )

    assert response.status_code == 201, response.content
    assert too_long.status_code == 400
