"""The HLS ladder and storyboard over HTTP: ffmpeg plays every rung from the signed master."""

import json
import re
import subprocess
from urllib.parse import urlsplit

import pytest
import requests

from tests.videos import clips
from tests.waiting import wait_for
from videos.media.ffmpeg import ffmpeg_binary, ffprobe_binary
from videos.models import Video, VideoStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SECONDS, FPS = 3, 15


def _on(live_server, url: str) -> str:
    """Return the same path and signed query on the live server."""
    parts = urlsplit(url)
    return f"{live_server.url}{parts.path}?{parts.query}"


@pytest.fixture
def ready_720p(live_worker, user_client, clip_dir) -> dict:
    """Upload a short 720p clip and return the API's view of it once it is ready."""
    clip = clips.make_clip(clip_dir / "hls720.mp4", seconds=SECONDS, size="1280x720", fps=FPS)
    with clip.open("rb") as f:
        response = user_client.post(
            "/api/v1/videos/upload/", {"file": f, "title": "HLS"}, "multipart"
        )
    assert response.status_code == 202, response.json()
    video = Video.objects.get(pk=response.json()["video_id"])

    def ready() -> bool:
        video.refresh_from_db()
        return video.status in (VideoStatus.READY, VideoStatus.ERROR)

    wait_for(ready, timeout=180, message="video ready")
    assert video.status == VideoStatus.READY, video.error_reason
    return user_client.get(f"/api/v1/videos/{video.pk}/").json()


def _run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_ffmpeg_plays_every_rung_from_the_signed_master_playlist(live_server, ready_720p):
    master_url = _on(live_server, ready_720p["hls_url"])

    # ffprobe reads the master over HTTP: every rung and the audio rendition
    probed = json.loads(
        _run(ffprobe_binary(), "-v", "error", "-show_streams", "-of", "json", master_url)
    )
    heights = sorted({s["height"] for s in probed["streams"] if s["codec_type"] == "video"})
    assert heights == [360, 480, 720]
    assert any(s["codec_type"] == "audio" for s in probed["streams"])

    # and each variant playlist it names decodes to the whole clip
    master = requests.get(master_url, timeout=10)
    assert master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert re.search(r"BANDWIDTH=\d+.*RESOLUTION=1280x720.*CODECS=\"avc1", master.text)
    variants = [line for line in master.text.splitlines() if line and not line.startswith("#")]
    assert len(variants) == 3
    for variant in variants:
        assert "signature=" in variant
        frames = _run(
            *(ffmpeg_binary(), "-v", "error", "-i", f"{live_server.url}{variant}"),
            *("-map", "0:v:0", "-f", "framecrc", "-"),
        )
        assert len([line for line in frames.splitlines() if not line.startswith("#")]) == (
            SECONDS * FPS
        )


def test_the_playlists_segments_are_signed_for_the_requester_only(
    live_server, ready_720p, other_user
):
    master = requests.get(_on(live_server, ready_720p["hls_url"]), timeout=10).text
    variant = next(line for line in master.splitlines() if line and not line.startswith("#"))
    playlist = requests.get(f"{live_server.url}{variant}", timeout=10).text
    segment = next(line for line in playlist.splitlines() if line and not line.startswith("#"))

    assert requests.get(f"{live_server.url}{segment}", timeout=10).status_code == 200
    # the same segment for someone else, or without its signature, is refused
    stolen = re.sub(r"user=\d+", f"user={other_user.pk}", segment)
    assert requests.get(f"{live_server.url}{stolen}", timeout=10).status_code == 403
    unsigned = segment.split("?")[0]
    assert requests.get(f"{live_server.url}{unsigned}", timeout=10).status_code == 403


def test_storyboard_track_points_at_the_signed_sprite(live_server, ready_720p):
    track = requests.get(_on(live_server, ready_720p["storyboard_url"]), timeout=10)

    assert track.status_code == 200
    assert track.text.startswith("WEBVTT")
    sprite_refs = re.findall(r"^(/media/\S+)#xywh=\d+,\d+,\d+,\d+$", track.text, re.M)
    assert len(sprite_refs) == SECONDS
    sprite = requests.get(f"{live_server.url}{sprite_refs[0]}", timeout=10)
    assert sprite.status_code == 200 and sprite.headers["Content-Type"] == "image/jpeg"
