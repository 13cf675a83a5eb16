"""The videos API beyond uploads: visibility, editing, deleting, reprocessing, downloads."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_create
from tests.videos.factories import VideoFactory
from videos.models import Video, VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

RENDITION_KEYS = ("original_key", "mp4_key", "proxy_key", "thumbnail_key")


def _write_files(video: Video) -> dict[str, bytes]:
    """Put small stand-in files at every key of the video; return {key: content}."""
    contents = {}
    for field in RENDITION_KEYS:
        key = getattr(video, field)
        contents[key] = f"{field} of {video.pk}".encode()
        default_storage.save(key, ContentFile(contents[key]))
    return contents


def test_list_shows_only_own_videos(user_client, user, other_user):
    mine = VideoFactory(owner=user)
    VideoFactory(owner=other_user)

    response = user_client.get("/api/v1/videos/")

    assert response.status_code == 200
    assert [v["id"] for v in response.json()["results"]] == [str(mine.pk)]


def test_staff_list_everyone_and_filter_by_status(staff_client, user, other_user):
    VideoFactory(owner=user)
    failed = VideoFactory(owner=other_user, status=VideoStatus.ERROR, error_reason="Bad")

    everything = staff_client.get("/api/v1/videos")
    only_errors = staff_client.get("/api/v1/videos/?status=error")

    assert everything.json()["count"] == 2
    assert [v["id"] for v in only_errors.json()["results"]] == [str(failed.pk)]
    assert only_errors.json()["results"][0]["error_reason"] == "Bad"


def test_unknown_status_filter_is_a_400(user_client):
    response = user_client.get("/api/v1/videos/?status=lost")

    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_search_by_title(user_client, user):
    VideoFactory(owner=user, title="Cat on a skateboard")
    VideoFactory(owner=user, title="Sunset")

    response = user_client.get("/api/v1/videos/?search=skate")

    assert [v["title"] for v in response.json()["results"]] == ["Cat on a skateboard"]


def test_detail_has_metadata_absolute_urls_and_the_current_job(user_client, user):
    video = VideoFactory(owner=user)
    job = job_create(job_type="video_process", params={}, created_by=user, target=video)
    Video.objects.filter(pk=video.pk).update(current_job=job)

    body = user_client.get(f"/api/v1/videos/{video.pk}/").json()

    assert body["status"] == "ready"
    assert body["duration"] == 1.5
    assert (body["width"], body["height"], body["rotation"]) == (320, 240, 0)
    assert body["video_codec"] == "h264"
    assert body["has_audio"] is True
    assert body["processed_at"]
    for field, key in (
        ("url_mp4", video.mp4_key),
        ("proxy_url", video.proxy_key),
        ("thumbnail_url", video.thumbnail_key),
    ):
        assert body[field].startswith(f"http://testserver/media/{key}?expires=")
        assert f"&user={user.pk}&signature=" in body[field]
    assert body["job"] == {
        "id": str(job.pk),
        "status": "pending",
        "progress": 0,
        "message": "",
        "error": "",
    }


def test_detail_links_the_hls_ladder_and_storyboard_signed_for_the_requester(user_client, user):
    video = VideoFactory(
        owner=user,
        hls_key="processed/0b9e/hls-1/master.m3u8",
        storyboard_key="processed/0b9e/storyboard-1/storyboard.vtt",
    )
    older = VideoFactory(owner=user)  # processed before the ladder existed

    body = user_client.get(f"/api/v1/videos/{video.pk}/").json()
    before = user_client.get(f"/api/v1/videos/{older.pk}/").json()

    for field, key in (("hls_url", video.hls_key), ("storyboard_url", video.storyboard_key)):
        assert body[field].startswith(f"http://testserver/media/{key}?expires=")
        assert f"&user={user.pk}&signature=" in body[field]
    assert before["hls_url"] is None and before["storyboard_url"] is None
    assert before["url_mp4"]


def test_the_api_schema_documents_the_streaming_fields(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    fields = schema["components"]["schemas"]["Video"]["properties"]
    for name in ("hls_url", "storyboard_url"):
        assert fields[name]["format"] == "uri"
        assert fields[name]["readOnly"] is True
        assert "Signed and expiring" in fields[name]["description"]


def test_processing_video_has_no_rendition_urls_yet(user_client, user):
    video = VideoFactory(owner=user, processing=True)

    body = user_client.get(f"/api/v1/videos/{video.pk}").json()

    assert body["status"] == "processing"
    assert body["url_mp4"] is None and body["thumbnail_url"] is None


@pytest.mark.parametrize("debug", [True, False])
def test_media_urls_are_signed_in_every_mode(user_client, user, settings, debug):
    settings.DEBUG = debug
    video = VideoFactory(owner=user)
    files = _write_files(video)

    url = user_client.get(f"/api/v1/videos/{video.pk}").json()["url_mp4"]

    assert "signature=" in url
    assert b"".join(APIClient().get(url).streaming_content) == files[video.mp4_key]
    assert APIClient().get(f"/media/{video.mp4_key}").status_code == 403


def test_others_videos_are_404_for_every_action(user_client, other_user):
    video = VideoFactory(owner=other_user)
    url = f"/api/v1/videos/{video.pk}/"

    assert user_client.get(url).status_code == 404
    assert user_client.patch(url, {"title": "Mine now"}, format="json").status_code == 404
    assert user_client.delete(url).status_code == 404
    assert user_client.post(f"{url}reprocess/").status_code == 404
    assert user_client.get(f"{url}download/mp4/").status_code == 404
    video.refresh_from_db()
    assert video.title != "Mine now"


def test_owner_edits_title_and_description(user_client, user):
    video = VideoFactory(owner=user)

    response = user_client.patch(
        f"/api/v1/videos/{video.pk}", {"title": " New title ", "description": "Longer"}, "json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "New title"
    video.refresh_from_db()
    assert (video.title, video.description) == ("New title", "Longer")


def test_blank_title_is_refused(user_client, user):
    video = VideoFactory(owner=user)

    response = user_client.patch(f"/api/v1/videos/{video.pk}", {"title": ""}, format="json")

    assert response.status_code == 400
    assert "title" in response.json()["errors"]


def test_put_is_not_offered(user_client, user):
    video = VideoFactory(owner=user)

    response = user_client.put(f"/api/v1/videos/{video.pk}", {"title": "x"}, format="json")

    assert response.status_code == 405


def test_delete_removes_the_row_and_every_file(user_client, user, isolated_media):
    # given a video with all its files, and another user's untouched files
    video = VideoFactory(owner=user)
    _write_files(video)
    other = VideoFactory()
    others_files = _write_files(other)

    response = user_client.delete(f"/api/v1/videos/{video.pk}/")

    assert response.status_code == 204
    assert not Video.objects.filter(pk=video.pk).exists()
    for field in RENDITION_KEYS:
        assert not default_storage.exists(getattr(video, field))
    assert not (isolated_media / "processed" / str(video.pk)).exists()
    assert all(default_storage.exists(key) for key in others_files)


def test_delete_cancels_the_active_job(user_client, user):
    video = VideoFactory(owner=user, processing=True)
    job = job_create(job_type="video_process", params={}, created_by=user, target=video)

    user_client.delete(f"/api/v1/videos/{video.pk}/")

    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_reprocess_starts_a_job_and_refuses_a_second_while_active(user_client, user):
    video = VideoFactory(owner=user)
    url = f"/api/v1/videos/{video.pk}/reprocess/"

    first = user_client.post(url)
    second = user_client.post(url)

    assert first.status_code == 202
    job = ProcessingJob.objects.get(pk=first.json()["job_id"])
    assert job.target == video and job.created_by == user
    video.refresh_from_db()
    assert video.status == VideoStatus.PROCESSING
    assert video.current_job == job
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert str(job.pk) in second.json()["detail"]


def test_download_redirects_the_owner_to_a_signed_url(user_client, user):
    video = VideoFactory(owner=user, original_filename="Beach day.MOV")
    files = _write_files(video)

    thumbnail = user_client.get(f"/api/v1/videos/{video.pk}/download/thumbnail/")
    original = user_client.get(f"/api/v1/videos/{video.pk}/download/original/")

    assert thumbnail.status_code == 302
    served = APIClient().get(thumbnail["Location"])
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content) == files[video.thumbnail_key]
    saved_as = APIClient().get(original["Location"])["Content-Disposition"]
    assert saved_as.startswith('attachment; filename="Beach day.MOV"')


def test_download_of_a_missing_rendition_is_404(user_client, user):
    video = VideoFactory(owner=user, processing=True)

    response = user_client.get(f"/api/v1/videos/{video.pk}/download/proxy")

    assert response.status_code == 404
    assert "processing" in response.json()["detail"]


def test_download_of_an_unknown_rendition_is_404(user_client, user):
    video = VideoFactory(owner=user)

    response = user_client.get(f"/api/v1/videos/{video.pk}/download/secrets")

    assert response.status_code == 404


def test_anonymous_users_see_nothing(api_client):
    video = VideoFactory()

    assert api_client.get("/api/v1/videos/").status_code in (401, 403)
    assert api_client.get(f"/api/v1/videos/{video.pk}/download/mp4").status_code in (401, 403)


def test_media_root_is_isolated(isolated_media):
    assert Path(default_storage.path("x")).parent == isolated_media
