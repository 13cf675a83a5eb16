"""`manage.py backfill_renditions`: one processing job per older video, resumable."""

from io import StringIO

import pytest
from django.core.management import call_command

from jobs.models import ProcessingJob
from tests.videos.factories import VideoFactory
from videos.models import VideoStatus

pytestmark = pytest.mark.django_db


def _backfill(*args: str) -> str:
    out = StringIO()
    call_command("backfill_renditions", *args, stdout=out)
    return out.getvalue()


def _older_video(**kwargs):
    return VideoFactory(hls_key="", storyboard_key="", **kwargs)


def test_backfill_starts_one_job_per_video_without_the_new_renditions():
    older = [_older_video() for _ in range(3)]
    current = VideoFactory(
        hls_key="processed/x/hls-1/master.m3u8", storyboard_key="processed/x/sb-1/storyboard.vtt"
    )

    output = _backfill("--batch-size", "2")

    jobs = ProcessingJob.objects.filter(job_type="video_process")
    assert sorted(job.target_object_id for job in jobs) == sorted(str(v.pk) for v in older)
    for video in older:
        video.refresh_from_db()
        assert video.status == VideoStatus.PROCESSING
        assert video.current_job.params == {"video_id": str(video.pk)}
    current.refresh_from_db()
    assert current.status == VideoStatus.READY
    assert "Queued 3 video(s); 0 more" in output


def test_backfill_resumes_where_its_limit_stopped_it_and_never_queues_twice():
    older = [_older_video() for _ in range(3)]

    first = _backfill("--limit", "2", "--batch-size", "1")
    second = _backfill("--limit", "2")
    third = _backfill()

    assert "Queued 2 video(s); 1 more" in first
    assert "Queued 1 video(s); 0 more" in second
    assert "Queued 0 video(s)" in third
    jobs = ProcessingJob.objects.filter(job_type="video_process")
    assert sorted(job.target_object_id for job in jobs) == sorted(str(v.pk) for v in older)


def test_dry_run_lists_the_videos_and_changes_nothing():
    video = _older_video()

    output = _backfill("--dry-run")

    assert f"would queue video {video.pk}" in output
    assert not ProcessingJob.objects.exists()
    video.refresh_from_db()
    assert video.status == VideoStatus.READY
