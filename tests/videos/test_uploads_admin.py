"""Upload sessions in the admin: progress at a glance, and terminating a stuck tus upload."""

import pytest

from tests.videos.tus_requests import patch_chunk, start_upload, upload_of
from videos.uploads import partials
from videos.uploads.models import TusUpload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tus_dir")]

TUS_CHANGELIST = "/admin/videos/tusupload/"


def test_list_shows_how_far_each_upload_got_and_filters_by_status(admin_client, user_client):
    url = start_upload(user_client, length=2000, filename="half.mp4")
    patch_chunk(user_client, url, b"x" * 1000, offset=0)

    page = admin_client.get(TUS_CHANGELIST)
    finished_only = admin_client.get(f"{TUS_CHANGELIST}?status__exact=completed")

    assert page.status_code == 200
    assert "half.mp4" in page.text
    assert "1000\xa0bytes of 2.0\xa0KB (50%)" in page.text
    assert "half.mp4" not in finished_only.text


def test_detail_is_read_only_and_offers_no_delete(admin_client, user_client):
    upload = upload_of(start_upload(user_client, length=10, filename="clip.mp4"))

    page = admin_client.get(f"{TUS_CHANGELIST}{upload.pk}/change/")

    assert page.status_code == 200
    assert "clip.mp4" in page.text
    assert 'name="_save"' not in page.text
    assert admin_client.get(f"{TUS_CHANGELIST}{upload.pk}/delete/").status_code == 403


def test_terminate_action_removes_the_upload_and_its_partial_data(admin_client, user_client):
    url = start_upload(user_client, length=100)
    patch_chunk(user_client, url, b"y" * 40, offset=0)
    upload = upload_of(url)
    assert partials.size(upload.pk) == 40

    response = admin_client.post(
        TUS_CHANGELIST,
        {"action": "terminate", "_selected_action": [str(upload.pk)]},
        follow=True,
    )

    assert response.status_code == 200
    assert "Terminated 1 upload(s)." in response.text
    assert not TusUpload.objects.filter(pk=upload.pk).exists()
    assert not partials.partial_path(upload.pk).exists()
