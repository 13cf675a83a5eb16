"""The media policy on real hostile files: refused after the probe, before any encode."""

import pytest
from PIL import Image

from tests.videos import clips
from videos.media import MediaPolicy, PolicyViolation, probe, transcode


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("policy-clips")


@pytest.fixture(scope="module")
def huge(clip_dir):
    return clips.make_huge_frame_clip(clip_dir / "huge.mp4")


def _policy() -> MediaPolicy:
    return MediaPolicy.from_settings()


def test_a_200_kb_file_of_8192x8192_pixels_is_beyond_the_policy(huge):
    meta = probe(huge)

    assert huge.stat().st_size < 300_000
    with pytest.raises(PolicyViolation) as refused:
        _policy().check(meta)
    assert str(refused.value).startswith("The picture is 8192x8192 (67.1 MP)")
    assert "the most we accept is 8.3 MP (such as 3840x2160)" in str(refused.value)


def test_a_ten_hour_file_of_a_few_kilobytes_is_beyond_the_policy(clip_dir):
    long = clips.make_long_clip(clip_dir / "long.mkv", hours=10)

    meta = probe(long)

    assert long.stat().st_size < 50_000
    assert meta.duration == pytest.approx(36_000, abs=1)
    assert _policy().violations(meta) == [
        "The video is 10:00:00 long; the most we accept is 3:00:00. Trim it or split it into parts."
    ]


def test_a_240_fps_file_is_beyond_the_policy(clip_dir):
    fast = clips.make_clip(clip_dir / "fast.mp4", seconds=0.5, size="64x48", fps=240)

    assert _policy().violations(probe(fast)) == [
        "The video runs at 240 frames per second; the most we accept is 120. "
        "Export it at a lower frame rate."
    ]


def test_the_total_frame_count_is_capped(settings, clip_dir):
    settings.VIDEO_MAX_FRAMES = 20
    clip = clips.make_clip(clip_dir / "frames.mp4", seconds=1, size="64x48", fps=25)

    assert _policy().violations(probe(clip)) == [
        "The video has 25 frames; the most we accept is 20. Trim it or lower its frame rate."
    ]


def test_a_video_within_every_limit_passes(clip_dir):
    clip = clips.make_clip(clip_dir / "fine.mp4", seconds=1, size="320x240")

    assert _policy().violations(probe(clip)) == []


def test_the_main_rendition_is_capped_at_the_output_height_with_its_aspect(settings, tmp_path):
    settings.VIDEO_MAX_OUTPUT_HEIGHT = 360
    hd = clips.make_clip(tmp_path / "hd.mp4", seconds=1, size="1280x720")

    out = transcode(hd, tmp_path / "out", metadata=probe(hd))

    main = probe(out.mp4)
    assert (main.width, main.height) == (640, 360)
    assert probe(out.proxy).height == 360  # never above the source or 480
    assert Image.open(out.thumbnail).size == (640, 360)


def test_a_portrait_video_is_capped_by_its_upright_height(settings, tmp_path):
    settings.VIDEO_MAX_OUTPUT_HEIGHT = 160
    phone = clips.make_rotated_clip(tmp_path / "phone.mp4", rotation=90, size="320x240")

    out = transcode(phone, tmp_path / "out", metadata=probe(phone))

    assert (probe(out.mp4).width, probe(out.mp4).height) == (120, 160)
