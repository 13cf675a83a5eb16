"""The videos admin: list with thumbnails, detail with player and jobs, actions."""

import html
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from jobs.models import ProcessingJob
from jobs.services import job_create
from tests.videos.factories import VideoFactory
from videos.models import Video, VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

CHANGELIST = "/admin/videos/video/"


def _signed_src(page_text: str, tag: str, key: str) -> str:
    """Return the (unescaped) signed media URL a tag's src points at for `key`."""
    match = re.search(rf'<{tag} src="(http://testserver/media/{key}\?[^"]+)"', page_text)
    assert match, f"no signed <{tag}> for {key}"
    return html.unescape(match[1])


def test_list_shows_thumbnails_and_filters_by_status(admin_client, staff_user):
    ready = VideoFactory(title="Ready one")
    VideoFactory(title="Broken one", status=VideoStatus.ERROR)
    default_storage.save(ready.thumbnail_key, ContentFile(b"jpeg"))

    page = admin_client.get(CHANGELIST)
    errors_only = admin_client.get(f"{CHANGELIST}?status__exact=error")

    assert page.status_code == 200
    thumbnail = _signed_src(page.text, "img", ready.thumbnail_key)
    assert f"user={staff_user.pk}&" in thumbnail
    assert b"".join(Client().get(thumbnail).streaming_content) == b"jpeg"
    assert "Ready one" in page.text and "Broken one" in page.text
    assert "Broken one" in errors_only.text and "Ready one" not in errors_only.text


def test_detail_has_player_metadata_and_jobs(admin_client):
    video = VideoFactory(video_codec="h264", width=320, height=240)
    job = job_create(job_type="video_process", params={}, target=video)

    page = admin_client.get(f"{CHANGELIST}{video.pk}/change/")

    assert page.status_code == 200
    assert _signed_src(page.text, "video", video.mp4_key)
    assert "h264" in page.text
    assert "video_process" in page.text  # the jobs inline
    assert "Processing jobs" in page.text
    assert job.get_status_display() in page.text


def test_reprocess_action_starts_jobs_and_reports_refusals(admin_client):
    idle = VideoFactory()
    busy = VideoFactory(processing=True)
    job_create(job_type="video_process", params={}, target=busy)

    response = admin_client.post(
        CHANGELIST,
        {"action": "reprocess", "_selected_action": [str(idle.pk), str(busy.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Reprocessing 1 video(s)." in response.text
    assert "already being processed" in response.text
    idle.refresh_from_db()
    assert idle.status == VideoStatus.PROCESSING
    assert ProcessingJob.objects.filter(job_type="video_process").count() == 2


def test_admin_delete_removes_files(admin_client):
    video = VideoFactory()
    default_storage.save(video.original_key, ContentFile(b"original"))
    default_storage.save(video.mp4_key, ContentFile(b"mp4"))

    response = admin_client.post(f"{CHANGELIST}{video.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Video.objects.filter(pk=video.pk).exists()
    assert not default_storage.exists(video.original_key)
    assert not default_storage.exists(video.mp4_key)
    assert not ProcessingJob.objects.filter(job_type="video_delete_files").exists()


def test_no_add_button(admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
