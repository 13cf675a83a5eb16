"""The pipeline against a real S3 HTTP endpoint (moto's server mode) and a dedicated worker."""

import io
import posixpath
from urllib.parse import urlsplit

import pytest
import requests
from django.core.files.storage import default_storage
from PIL import Image

from tests.waiting import wait_for
from videos.media import probe
from videos.models import Video, VideoStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HLS_FILES = ("index.m3u8", "init.mp4", "seg_00000.m4s")


def _uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def _wait_finished(video: Video) -> Video:
    def finished() -> bool:
        video.refresh_from_db()
        return video.status in (VideoStatus.READY, VideoStatus.ERROR)

    wait_for(finished, timeout=90, message=f"video {video.pk} processed from S3")
    return video


def test_upload_to_s3_is_processed_served_presigned_and_deleted(
    s3_bucket, user_client, mp4_clip, tmp_path
):
    # given an upload stored in S3
    with mp4_clip.open("rb") as f:
        response = user_client.post(
            "/api/v1/videos/upload/", {"file": f, "title": "On S3"}, format="multipart"
        )
    assert response.status_code == 202, response.json()
    video = Video.objects.get(pk=response.json()["video_id"])
    assert s3_bucket.read(video.original_key) == mp4_clip.read_bytes()

    # when the S3 worker processes it
    _wait_finished(video)

    # then the renditions are in the bucket and the API links are presigned and fetchable
    assert video.status == VideoStatus.READY, video.error_reason
    prefix = f"processed/{video.pk}/"
    ladder = posixpath.dirname(video.hls_key)
    storyboard = posixpath.dirname(video.storyboard_key)
    assert s3_bucket.object_keys(prefix) == {
        *(f"{prefix}{n}" for n in ("video.mp4", "proxy.mp4", "thumbnail.jpg")),
        f"{ladder}/master.m3u8",
        *(f"{ladder}/{rung}/{n}" for rung in ("120", "audio") for n in HLS_FILES),
        *(f"{storyboard}/{n}" for n in ("sprite.jpg", "storyboard.vtt")),
    }
    body = user_client.get(f"/api/v1/videos/{video.pk}/").json()
    # the ladder's playlists come from the app, naming presigned S3 segments
    master = urlsplit(body["hls_url"])
    assert master.path == f"/media/{video.hls_key}"
    variant = _uris(user_client.get(f"{master.path}?{master.query}").content.decode())[0]
    segments = _uris(user_client.get(variant).content.decode())
    assert segments and all("Signature=" in uri for uri in segments)
    assert requests.get(segments[0], timeout=10).content == s3_bucket.read(
        f"{ladder}/120/seg_00000.m4s"
    )
    fetched = {}
    for field in ("url_mp4", "proxy_url", "thumbnail_url"):
        assert "Signature=" in body[field]
        download = requests.get(body[field], timeout=10)
        assert download.status_code == 200
        fetched[field] = download.content
    assert fetched["url_mp4"] == s3_bucket.read(video.mp4_key)
    local_mp4 = tmp_path / "video.mp4"
    local_mp4.write_bytes(fetched["url_mp4"])
    assert probe(local_mp4).video_codec == "h264"
    proxy = tmp_path / "proxy.mp4"
    proxy.write_bytes(fetched["proxy_url"])
    assert probe(proxy).display_height <= 480
    with Image.open(io.BytesIO(fetched["thumbnail_url"])) as thumbnail:
        assert thumbnail.size == (160, 120)

    # and the download view redirects to the presigned URL
    redirect = user_client.get(f"/api/v1/videos/{video.pk}/download/thumbnail")
    assert redirect.status_code == 302
    assert "Signature=" in redirect["Location"]

    # when the video is deleted, every object goes with it
    assert user_client.delete(f"/api/v1/videos/{video.pk}/").status_code == 204
    assert s3_bucket.object_keys() == set()


def test_video_from_an_object_already_in_s3(s3_bucket, user, mp4_clip):
    # given a file uploaded straight to the bucket (e.g. an S3 multipart upload)
    from videos.services import video_create_from_storage

    s3_bucket.client.put_object(
        Bucket=s3_bucket.name, Key="incoming/abc.mp4", Body=mp4_clip.read_bytes()
    )

    video = video_create_from_storage(
        owner=user, key="incoming/abc.mp4", filename="Beach.MP4", title="Beach"
    )

    assert video.status == VideoStatus.PROCESSING
    assert video.original_key == f"originals/{video.pk}.mp4"
    assert s3_bucket.read(video.original_key) == mp4_clip.read_bytes()
    assert "incoming/abc.mp4" not in s3_bucket.object_keys()
    assert video.original_filename == "Beach.MP4"
    assert _wait_finished(video).status == VideoStatus.READY, video.error_reason
    assert default_storage.exists(video.thumbnail_key)
