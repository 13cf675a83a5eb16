"""Seeking in the dashboard's player: the browser jumps with a Range request, it never has to
download the whole file first. Runs in Chromium and Firefox."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.signals import request_started

from tests.videos import clips
from tests.videos.factories import VideoFactory

pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory) -> Path:
    return clips.make_big_streamable_clip(tmp_path_factory.mktemp("seek") / "big.mp4")


@pytest.fixture
def range_requests():
    """Record (path, Range header) of every request the live server receives."""
    seen: list[tuple[str, str]] = []

    def record(sender, environ, **kwargs):
        seen.append((environ.get("PATH_INFO", ""), environ.get("HTTP_RANGE", "")))

    request_started.connect(record, dispatch_uid="tests.range_requests")
    yield seen
    request_started.disconnect(dispatch_uid="tests.range_requests")


def test_seeking_in_the_player_fetches_only_the_part_it_needs(
    staff_page, staff_user, big_clip, range_requests
):
    # given a ready video whose MP4 is a 30 MB file in local media
    video = VideoFactory(owner=staff_user, title="Seek me", duration=10.0)
    target = Path(settings.MEDIA_ROOT, video.mp4_key)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(big_clip.read_bytes())
    size = target.stat().st_size
    page = staff_page

    # when its player (signed URL) has loaded the metadata and the user seeks near the end
    page.goto(f"/dashboard/videos/?video={video.pk}")
    player = page.locator("#video-detail video").first
    player_handle = player.element_handle()
    page.wait_for_function("video => video.readyState >= 1", arg=player_handle)
    assert "signature=" in player.get_attribute("src")
    page.evaluate(
        """video => new Promise(resolve => {
            video.addEventListener("seeked", resolve, { once: true });
            video.currentTime = 9;
        })""",
        arg=player_handle,
    )
    page.wait_for_function("video => video.readyState >= 2", arg=player_handle)

    # then the frame at 9 s is showing
    assert page.evaluate("video => video.currentTime", player_handle) == pytest.approx(9, abs=0.5)
    # and the browser got there with a Range request that starts past the middle of the file
    starts = [
        int(match[1])
        for path, header in range_requests
        if path == f"/media/{video.mp4_key}" and (match := re.match(r"bytes=(\d+)-", header))
    ]
    assert starts, f"no Range requests for the MP4: {range_requests}"
    assert max(starts) > size // 2, (starts, size)
