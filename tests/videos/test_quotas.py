"""Upload quotas and the reprocess rate limit: clear 429s."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.videos.factories import VideoFactory
from tests.videos.tus_requests import create_upload
from videos.uploads.models import MultipartUpload, TusUpload, UploadStatus
from videos.views import ReprocessRateThrottle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


def _open_upload(model, user, **fields):
    common = {
        "owner": user,
        "filename": "clip.mp4",
        "title": "Clip",
        "expires_at": timezone.now() + timedelta(hours=1),
    }
    if model is MultipartUpload:
        fields = {"size": 10, "part_size": 5 * 1024**2, "key": "k", "s3_upload_id": "u", **fields}
    else:
        fields = {"length": 10, **fields}
    return model.objects.create(**{**common, **fields})


def test_open_uploads_of_a_user_are_capped(user_client, user, settings):
    settings.UPLOADS_MAX_OPEN_PER_USER = 3
    _open_upload(TusUpload, user)
    _open_upload(MultipartUpload, user)
    _open_upload(TusUpload, user)
    # finished or expired sessions do not count
    _open_upload(TusUpload, user, status=UploadStatus.COMPLETED)
    _open_upload(TusUpload, user, expires_at=timezone.now() - timedelta(minutes=1))

    response = create_upload(user_client, length=1000)

    assert response.status_code == 429
    assert "You already have 3 uploads in progress; the limit is 3" in response.json()["detail"]


def test_the_upload_quota_is_per_user(user_client, other_user, settings):
    settings.UPLOADS_MAX_OPEN_PER_USER = 1
    _open_upload(TusUpload, other_user)

    assert create_upload(user_client, length=1000).status_code == 201


def test_reprocessing_a_video_is_rate_limited(user_client, user, monkeypatch):
    monkeypatch.setitem(ReprocessRateThrottle.THROTTLE_RATES, "video_reprocess", "2/hour")
    videos = VideoFactory.create_batch(3, owner=user)

    codes = [user_client.post(f"/api/v1/videos/{v.pk}/reprocess/").status_code for v in videos]

    assert codes == [202, 202, 429]
