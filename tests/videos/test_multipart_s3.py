"""S3 presigned multipart uploads against a real S3 HTTP endpoint (moto's server mode):
creating one, sending its parts and completing it.

The client PUTs the parts to the presigned URLs itself, with `requests`, as a browser would
(tests/videos/multipart_requests.py).
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.videos.multipart_requests import (
    URL,
    complete_upload,
    part_of,
    put_part,
    put_parts,
    start_upload,
)
from tests.waiting import wait_for
from videos.models import Video, VideoStatus
from videos.uploads.models import MultipartUpload, UploadStatus
from videos.uploads.services import multipart_part_size

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MiB = 1024 * 1024


def test_part_size_stays_within_s3_rules(settings):
    settings.S3_MULTIPART_PART_SIZE = 16 * MiB
    assert multipart_part_size(300 * MiB) == 16 * MiB
    settings.S3_MULTIPART_PART_SIZE = 1 * MiB
    assert multipart_part_size(300 * MiB) == 5 * MiB  # S3's minimum
    settings.S3_MULTIPART_PART_SIZE = 10 * 1024 * MiB
    assert multipart_part_size(300 * MiB) == 5 * 1024 * MiB  # S3's maximum
    settings.S3_MULTIPART_PART_SIZE = 5 * MiB
    size = 200 * 1024 * MiB  # 200 GiB would need 40,960 parts of 5 MiB
    part = multipart_part_size(size)
    assert -(-size // part) <= 10_000
    assert part % MiB == 0


def test_multipart_needs_s3_storage(user_client):
    response = start_upload(user_client, size=1000)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Multipart uploads need S3 storage; use the tus endpoint (/api/v1/videos/uploads/)."
    )


def test_two_part_upload_resumed_after_a_crash_becomes_a_ready_video(
    s3_bucket, user_client, user, mp4_6_mib, small_parts
):
    # given an upload of a 6 MiB file: two parts of 5 MiB and the rest
    data = mp4_6_mib.read_bytes()
    response = start_upload(user_client, size=len(data), filename="Big Trip.MP4", title="Big trip")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["part_size"] == 5 * MiB
    assert [p["part_number"] for p in body["parts"]] == [1, 2]
    upload_id, video_id = body["upload_id"], body["video_id"]

    # when the client sends part 1, crashes, and asks where it was
    first = put_part(body["parts"][0]["url"], data[: 5 * MiB])
    resumed = user_client.get(f"{URL}{upload_id}/").json()

    # then S3 has part 1 and only part 2 needs sending, with a fresh URL
    assert [(p["part_number"], p["etag"]) for p in resumed["uploaded_parts"]] == [(1, first)]
    assert [p["part_number"] for p in resumed["parts"]] == [2]
    second = put_part(resumed["parts"][0]["url"], data[5 * MiB :])

    # when it completes the upload
    response = complete_upload(
        user_client,
        upload_id,
        [{"part_number": 1, "etag": first}, {"part_number": 2, "etag": second}],
    )

    # then the promised video exists, its original is the whole file, the staging copy is gone
    assert response.status_code == 202, response.json()
    done = response.json()
    assert done["video_id"] == video_id
    assert done["status"] == "processing"
    video = Video.objects.get(pk=video_id)
    assert (video.owner, video.title, video.original_filename) == (user, "Big trip", "Big Trip.MP4")
    assert str(video.current_job_id) == done["processing_job_id"]
    assert s3_bucket.read(video.original_key) == data
    assert s3_bucket.object_keys("uploads/") == set()
    assert s3_bucket.open_uploads() == []

    # and completing again (a retry after a lost response) answers the same
    assert complete_upload(user_client, upload_id, [{"part_number": 1, "etag": first}]).json() == {
        **done,
        "status": "processing",
    }

    # and the S3 worker makes it ready
    def finished() -> bool:
        video.refresh_from_db()
        return video.status in (VideoStatus.READY, VideoStatus.ERROR)

    wait_for(finished, timeout=90, message="the multipart video processed")
    assert video.status == VideoStatus.READY, video.error_reason
    assert Video.objects.count() == 1


def test_wrong_etag_answers_400_with_s3s_reason_and_can_be_corrected(
    s3_bucket, user_client, mp4_clip
):
    data = mp4_clip.read_bytes()
    body = start_upload(user_client, size=len(data)).json()
    [part] = put_parts(body, data)

    response = complete_upload(
        user_client, body["upload_id"], [{"part_number": 1, "etag": '"0000"'}]
    )

    assert response.status_code == 400
    assert "S3 refused to complete the upload" in response.json()["detail"]
    assert "InvalidPart" in response.json()["detail"]
    assert MultipartUpload.objects.get().status == UploadStatus.UPLOADING
    assert complete_upload(user_client, body["upload_id"], [part]).status_code == 202


def test_part_numbers_outside_the_upload_are_refused(s3_bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    body = start_upload(user_client, size=len(data)).json()

    response = complete_upload(user_client, body["upload_id"], [{"part_number": 3, "etag": '"x"'}])

    assert response.status_code == 400
    assert response.json()["detail"] == "Part 3 doesn't exist: this upload has parts 1 to 1."


def test_content_that_is_not_a_video_fails_the_upload_and_is_deleted(
    s3_bucket, user_client, text_as_mp4
):
    data = text_as_mp4.read_bytes()
    body = start_upload(user_client, size=len(data), filename="notes.mp4").json()
    parts = put_parts(body, data)

    response = complete_upload(user_client, body["upload_id"], parts)

    assert response.status_code == 400
    assert "not a video" in response.json()["detail"]
    upload = MultipartUpload.objects.get()
    assert upload.status == UploadStatus.FAILED
    assert "not a video" in upload.error
    video = Video.objects.get(pk=upload.video_id)  # says why, and holds no file
    assert (video.status, video.original_key) == (VideoStatus.ERROR, "")
    assert "not a video" in video.error_reason
    assert s3_bucket.object_keys("uploads/") == set()
    assert s3_bucket.object_keys(f"originals/{upload.video_id}") == set()
    assert complete_upload(user_client, body["upload_id"], parts).status_code == 409


def test_parts_that_dont_add_up_to_the_declared_size_fail_the_upload(
    s3_bucket, user_client, mp4_clip
):
    data = mp4_clip.read_bytes()
    body = start_upload(user_client, size=len(data) + 10).json()
    parts = [{"part_number": 1, "etag": put_part(body["parts"][0]["url"], data)}]

    response = complete_upload(user_client, body["upload_id"], parts)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"The parts add up to {len(data)} bytes, but the upload was declared as "
        f"{len(data) + 10} bytes."
    )
    assert s3_bucket.object_keys("uploads/") == set()


@pytest.mark.parametrize(
    ("filename", "size", "status", "message"),
    [
        ("notes.txt", 100, 400, "can't be uploaded"),
        ("clip.mp4", 0, 400, "empty"),
        ("clip.mp4", 11 * MiB, 413, "at most 10.0 MB"),
    ],
)
def test_creation_checks_name_and_size(
    s3_bucket, user_client, settings, filename, size, status, message
):
    settings.VIDEO_MAX_UPLOAD_BYTES = 10 * MiB

    response = start_upload(user_client, size=size, filename=filename)

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert s3_bucket.open_uploads() == []


def test_each_part_url_is_signed_for_its_exact_size(s3_bucket, user_client, mp4_6_mib, small_parts):
    data = mp4_6_mib.read_bytes()

    body = start_upload(user_client, size=len(data)).json()

    sizes = [part["size"] for part in body["parts"]]
    assert sizes == [5 * MiB, len(data) - 5 * MiB]
    for part in body["parts"]:
        query = parse_qs(urlsplit(part["url"]).query)
        # S3 checks the signed Content-Length: a PUT of any other size is refused.
        assert "content-length" in query.get("X-Amz-SignedHeaders", [""])[0].split(";"), part["url"]
    etags = [put_part(p["url"], part_of(data, p, body["part_size"])) for p in body["parts"]]
    assert all(etags)
