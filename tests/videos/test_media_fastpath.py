"""The fast path: a web-ready upload is copied into the MP4, not re-encoded."""

import dataclasses

import pytest
from PIL import Image

from tests.videos import clips
from videos.media import MediaPolicy, probe, transcode


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fastpath-clips")


@pytest.fixture(scope="module")
def web_ready(clip_dir):
    return clips.make_web_ready_clip(clip_dir / "web.mp4", seconds=2)


@pytest.fixture(scope="module")
def web_ready_meta(web_ready):
    return probe(web_ready)


def test_web_ready_upload_is_copied_and_still_gets_a_proxy_and_thumbnail(web_ready, tmp_path):
    out = transcode(web_ready, tmp_path / "out", metadata=probe(web_ready))

    # the main MP4 holds the very same H.264 and AAC packets, moved to the front for streaming
    assert out.remuxed is True
    assert clips.stream_md5(out.mp4, "0:v:0") == clips.stream_md5(web_ready, "0:v:0")
    assert clips.stream_md5(out.mp4, "0:a:0") == clips.stream_md5(web_ready, "0:a:0")
    boxes = clips.top_level_boxes(out.mp4)
    assert boxes.index("moov") < boxes.index("mdat")
    # and the proxy and thumbnail are made as for any video
    proxy = probe(out.proxy)
    assert (proxy.video_codec, proxy.fps, proxy.has_audio) == ("h264", pytest.approx(10), True)
    assert Image.open(out.thumbnail).size == (320, 240)


def test_a_video_that_must_be_re_encoded_is_not_copied(clip_dir, tmp_path):
    avi = clips.make_clip(clip_dir / "old.avi", seconds=1, size="160x120")

    out = transcode(avi, tmp_path / "out", metadata=probe(avi))

    assert out.remuxed is False
    assert probe(out.mp4).video_codec == "h264"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"video_codec": "hevc"}, "not H.264"),
        ({"pixel_format": "yuv444p"}, "4:4:4 does not play in browsers"),
        ({"profile": "High 10"}, "10-bit profile"),
        ({"level": 52}, "level above 5.1"),
        ({"level": None}, "unknown level"),
        ({"audio_codec": "mp3"}, "audio is not AAC"),
        ({"rotation": 90}, "players may ignore the rotation"),
        ({"container": "avi"}, "AVI's H.264 can't be copied as is"),
        ({"video_bitrate": 50_000_000}, "bitrate far above what the picture needs"),
        ({"video_bitrate": None, "bitrate": None}, "unknown bitrate"),
    ],
)
def test_the_fast_path_needs_every_property_of_a_web_ready_file(web_ready_meta, change, why):
    policy = MediaPolicy.from_settings()
    assert policy.can_remux(web_ready_meta)

    assert not policy.can_remux(dataclasses.replace(web_ready_meta, **change)), why


def test_a_web_ready_video_taller_than_the_output_height_is_re_encoded(settings, web_ready_meta):
    settings.VIDEO_MAX_OUTPUT_HEIGHT = 120

    assert not MediaPolicy.from_settings().can_remux(web_ready_meta)


def test_the_fast_path_can_be_turned_off(settings, web_ready, tmp_path):
    settings.VIDEO_FAST_PATH = False

    out = transcode(web_ready, tmp_path / "out", metadata=probe(web_ready))

    assert out.remuxed is False
    assert clips.stream_md5(out.mp4, "0:v:0") != clips.stream_md5(web_ready, "0:v:0")
