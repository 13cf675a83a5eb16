"""The tus 1.0 server: the protocol, through the test client (creation, PATCH and HEAD,
termination, who may see an upload)."""

import pytest
from rest_framework.test import APIClient

from tests.videos.tus_requests import (
    OFFSET_TYPE,
    TUS,
    URL,
    create_upload,
    encode_metadata,
    patch_chunk,
    start_upload,
    upload_of,
)
from videos.uploads import partials
from videos.uploads.models import TusUpload

pytestmark = pytest.mark.usefixtures("tus_dir")


# --- protocol -------------------------------------------------------------------------


def test_options_advertises_version_extensions_and_size_limit(api_client, settings):
    response = api_client.options(URL)

    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert response["Tus-Max-Size"] == str(settings.VIDEO_MAX_UPLOAD_BYTES)


@pytest.mark.django_db
def test_creation_answers_location_and_expiry_and_keeps_an_empty_partial(user_client, user):
    response = create_upload(user_client, length=1000, filename="Beach.MP4", title="Beach day")

    assert response.status_code == 201
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Location"].startswith("http://testserver/api/v1/videos/uploads/")
    assert response["Upload-Expires"].endswith(" GMT")
    upload = upload_of(response["Location"])
    assert (upload.owner, upload.length, upload.offset) == (user, 1000, 0)
    assert (upload.filename, upload.title, upload.status) == ("Beach.MP4", "Beach day", "uploading")
    assert partials.size(upload.pk) == 0


@pytest.mark.django_db
def test_title_defaults_to_the_file_name(user_client):
    url = start_upload(
        user_client, length=10, **{"Upload-Metadata": encode_metadata(filename="Sea.mov")}
    )

    assert upload_of(url).title == "Sea"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "head", "patch", "delete"])
def test_requests_without_tus_resumable_are_refused_with_412(user_client, method):
    url = start_upload(user_client, length=10)
    target = URL if method == "post" else url

    response = getattr(user_client, method)(target, headers={"Upload-Length": "10"})

    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Resumable"] == "1.0.0"


@pytest.mark.django_db
def test_unsupported_tus_version_is_refused_with_412(user_client):
    response = user_client.post(URL, headers={"Tus-Resumable": "0.2.2", "Upload-Length": "10"})

    assert response.status_code == 412
    assert "Tus-Resumable: 1.0.0" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"Upload-Length": ""}, 400, "Upload-Length"),
        ({"Upload-Length": "-5"}, 400, "Upload-Length must be a whole number"),
        ({"Upload-Metadata": encode_metadata(title="No name")}, 400, "filename"),
        ({"Upload-Metadata": "filename !!notbase64"}, 400, "base64"),
        ({"Upload-Metadata": encode_metadata(filename="notes.txt")}, 400, "can't be uploaded"),
        ({"Upload-Length": "0"}, 400, "empty"),
        ({"Upload-Length": str(10 * 1024 * 1024 + 1)}, 413, "at most 10.0 MB"),
    ],
)
def test_creation_checks_size_and_name_up_front(user_client, settings, headers, status, message):
    settings.VIDEO_MAX_UPLOAD_BYTES = 10 * 1024 * 1024

    response = user_client.post(
        URL,
        headers={
            **TUS,
            "Upload-Length": "100",
            "Upload-Metadata": encode_metadata(filename="a.mp4"),
            **headers,
        },
    )

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not TusUpload.objects.exists()


@pytest.mark.django_db
def test_anonymous_clients_cannot_upload(api_client):
    response = create_upload(api_client, length=10)

    assert response.status_code == 401
    assert response["Tus-Resumable"] == "1.0.0"


@pytest.mark.django_db
def test_patch_appends_and_head_resumes_from_the_new_offset(user_client):
    url = start_upload(user_client, length=10)

    response = patch_chunk(user_client, url, b"hello", offset=0)

    assert response.status_code == 204
    assert response["Upload-Offset"] == "5"
    assert response["Upload-Expires"].endswith(" GMT")
    head = user_client.head(url, headers=TUS)
    assert head.status_code == 200
    assert (head["Upload-Offset"], head["Upload-Length"]) == ("5", "10")
    assert head["Cache-Control"] == "no-store"
    assert "filename" in head["Upload-Metadata"]
    assert partials.partial_path(upload_of(url).pk).read_bytes() == b"hello"


@pytest.mark.django_db
def test_patch_at_the_wrong_offset_conflicts_and_writes_nothing(user_client):
    url = start_upload(user_client, length=10)
    patch_chunk(user_client, url, b"hello", offset=0)

    response = patch_chunk(user_client, url, b"world", offset=3)

    assert response.status_code == 409
    assert "server has 5 bytes" in response.json()["detail"]
    assert partials.partial_path(upload_of(url).pk).read_bytes() == b"hello"


@pytest.mark.django_db
def test_patch_with_another_content_type_is_refused_with_415(user_client):
    url = start_upload(user_client, length=10)

    response = patch_chunk(user_client, url, b"hello", offset=0, content_type="application/json")

    assert response.status_code == 415
    assert OFFSET_TYPE in response.json()["detail"]
    assert partials.size(upload_of(url).pk) == 0


@pytest.mark.django_db
def test_chunk_past_the_upload_length_is_refused_and_writes_nothing(user_client):
    url = start_upload(user_client, length=10)

    response = patch_chunk(user_client, url, b"0123456789AB", offset=0)

    assert response.status_code == 413
    assert "past the upload's length of 10 bytes" in response.json()["detail"]
    assert partials.size(upload_of(url).pk) == 0


@pytest.mark.django_db
def test_a_patch_while_another_is_writing_is_told_to_retry(user_client):
    # given another request holding the upload's lock
    url = start_upload(user_client, length=10)
    upload = upload_of(url)
    with partials.locked(upload.pk):
        # when a second PATCH arrives
        response = patch_chunk(user_client, url, b"hello", offset=0)

    # then it is refused without touching the data, and a retry succeeds
    assert response.status_code == 423
    assert partials.size(upload.pk) == 0
    assert patch_chunk(user_client, url, b"hello", offset=0).status_code == 204


@pytest.mark.django_db
def test_patch_can_be_tunnelled_through_post(user_client):
    url = start_upload(user_client, length=10)

    response = user_client.post(
        url,
        data=b"hello",
        content_type=OFFSET_TYPE,
        headers={**TUS, "Upload-Offset": "0", "X-HTTP-Method-Override": "PATCH"},
    )

    assert response.status_code == 204
    assert response["Upload-Offset"] == "5"


@pytest.mark.django_db
def test_delete_terminates_the_upload_and_removes_its_data(user_client):
    url = start_upload(user_client, length=10)
    patch_chunk(user_client, url, b"hello", offset=0)
    upload = upload_of(url)

    response = user_client.delete(url, headers=TUS)

    assert response.status_code == 204
    assert not TusUpload.objects.filter(pk=upload.pk).exists()
    assert not partials.partial_path(upload.pk).exists()
    assert user_client.head(url, headers=TUS).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["head", "get", "patch", "delete"])
def test_others_uploads_are_not_found(user_client, other_user, method):
    url = start_upload(user_client, length=10)
    stranger = APIClient()
    stranger.force_authenticate(other_user)

    if method == "patch":
        response = patch_chunk(stranger, url, b"hi", offset=0)
    else:
        response = getattr(stranger, method)(url, headers=TUS)

    assert response.status_code == 404
    assert partials.size(upload_of(url).pk) == 0
