"""Probing real clips: metadata that is right, and broken files that are refused clearly."""

import json

import pytest

from tests.videos import clips
from videos.media import MediaError, VideoMetadata, probe


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("probe-clips")


@pytest.fixture(scope="module")
def mp4(clip_dir):
    return clips.make_clip(clip_dir / "clip.mp4", seconds=1.5, size="320x240", fps=25)


@pytest.fixture(scope="module")
def faststart_mp4(clip_dir):
    return clips.make_clip(clip_dir / "fast.mp4", output_args=["-movflags", "+faststart"])


def test_mp4_metadata_matches_what_was_encoded(mp4):
    meta = probe(mp4)

    assert meta.duration == pytest.approx(1.5, abs=0.05)
    assert (meta.width, meta.height) == (320, 240)
    assert (meta.display_width, meta.display_height) == (320, 240)
    assert meta.rotation == 0
    assert meta.fps == pytest.approx(25)
    assert meta.video_codec == "h264"
    assert meta.audio_codec == "aac"
    assert meta.has_audio is True
    assert meta.bitrate is not None and meta.bitrate > 10_000


@pytest.mark.parametrize(
    ("suffix", "video_codec", "audio_codec"),
    [
        (".mov", "h264", "aac"),
        (".avi", "mpeg4", "mp3"),
        (".mkv", "h264", "aac"),
        (".webm", "vp8", "opus"),
    ],
)
def test_every_supported_container_is_probed(tmp_path, suffix, video_codec, audio_codec):
    meta = probe(clips.make_clip(tmp_path / f"clip{suffix}", seconds=1.0, size="160x120"))

    assert (meta.width, meta.height) == (160, 120)
    assert meta.duration == pytest.approx(1.0, abs=0.1)
    assert (meta.video_codec, meta.audio_codec) == (video_codec, audio_codec)


def test_silent_video_has_no_audio(tmp_path):
    meta = probe(clips.make_clip(tmp_path / "silent.mp4", audio=False))

    assert meta.has_audio is False
    assert meta.audio_codec is None


@pytest.mark.parametrize("rotation", [90, 270])
def test_phone_rotation_is_reported_and_swaps_the_display_size(tmp_path, rotation):
    meta = probe(clips.make_rotated_clip(tmp_path / "phone.mp4", rotation=rotation))

    assert meta.rotation == rotation
    assert (meta.width, meta.height) == (320, 240)
    assert (meta.display_width, meta.display_height) == (240, 320)


def test_odd_dimensions_are_reported_as_stored(tmp_path):
    meta = probe(clips.make_odd_sized_clip(tmp_path / "odd.avi"))

    assert (meta.width, meta.height) == (321, 241)


def test_variable_frame_rate_clip_reports_its_average_rate(tmp_path):
    meta = probe(clips.make_vfr_clip(tmp_path / "vfr.mp4"))

    assert 10 < meta.fps < 30
    assert meta.duration == pytest.approx(3.9, abs=0.15)


def test_webm_without_duration_header_gets_duration_from_its_packets(tmp_path):
    meta = probe(clips.make_headerless_webm(tmp_path / "recording.webm", seconds=1.5))

    assert meta.duration == pytest.approx(1.5, abs=0.1)
    assert meta.video_codec == "vp8"


def test_metadata_serialises_to_json_with_display_size(tmp_path):
    meta = probe(clips.make_rotated_clip(tmp_path / "phone.mp4", rotation=90))

    data = json.loads(json.dumps(meta.as_dict()))

    assert data["rotation"] == 90
    assert (data["display_width"], data["display_height"]) == (240, 320)
    assert VideoMetadata(**{k: v for k, v in data.items() if not k.startswith("display_")}) == meta


def test_upload_cut_in_half_is_reported_as_truncated(clip_dir, faststart_mp4):
    broken = clips.truncate(faststart_mp4, clip_dir / "half-fast.mp4")

    with pytest.raises(MediaError, match=r"^The video file is truncated or corrupt: .*mdat"):
        probe(broken)


def test_mp4_with_moov_at_the_end_cut_off_is_reported_as_truncated(clip_dir, mp4):
    assert clips.top_level_boxes(mp4)[-1] == "moov"
    broken = clips.cut_tail(mp4, clip_dir / "no-tail.mp4", nbytes=100)

    with pytest.raises(MediaError, match=r"^The video file is truncated or corrupt: .*moov"):
        probe(broken)


def test_recording_that_never_wrote_its_moov_reports_ffmpegs_reason(clip_dir, mp4):
    broken = clips.drop_boxes(mp4, clip_dir / "no-moov.mp4", kinds={"moov"})

    with pytest.raises(MediaError) as caught:
        probe(broken)

    assert str(caught.value) == "The video file is truncated or corrupt: moov atom not found."


@pytest.mark.parametrize("suffix", [".webm", ".mkv"])
def test_matroska_upload_cut_in_half_is_reported_as_truncated(tmp_path, suffix):
    clip = clips.make_clip(tmp_path / f"clip{suffix}", seconds=1.0)
    broken = clips.truncate(clip, tmp_path / f"half{suffix}")

    with pytest.raises(MediaError, match=r"^The video file is truncated or corrupt: .*segment"):
        probe(broken)


def test_recording_cut_before_its_first_frame_is_rejected(clip_dir):
    webm = clips.make_headerless_webm(clip_dir / "rec.webm")
    broken = clips.truncate(webm, clip_dir / "rec-cut.webm", keep=0.01)

    with pytest.raises(MediaError, match=r"^The video (is empty|file is truncated or corrupt)"):
        probe(broken)


def test_text_file_named_mp4_is_not_a_video(tmp_path):
    with pytest.raises(MediaError, match=r"^The file is not a video we can read"):
        probe(clips.make_text_file(tmp_path / "notes.mp4"))


def test_zero_byte_file_is_empty(tmp_path):
    with pytest.raises(MediaError, match=r"^The file is empty\.$"):
        probe(clips.make_empty_file(tmp_path / "empty.mp4"))


def test_audio_only_file_has_no_video_stream(tmp_path):
    with pytest.raises(MediaError) as caught:
        probe(clips.make_audio_only_mp4(tmp_path / "song.mp4"))

    assert str(caught.value) == "The file is not a video we can read (no video stream found)."


def test_video_without_frames_is_rejected_as_zero_length(tmp_path):
    with pytest.raises(MediaError, match=r"duration is zero"):
        probe(clips.make_frameless_avi(tmp_path / "nothing.avi"))


def test_subtitles_and_cover_art_riding_along_do_not_stop_the_probe(tmp_path):
    clip = clips.make_clip(tmp_path / "clip.mp4", seconds=1.0, size="160x120")
    srt = tmp_path / "subs.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHello\n")
    subtitled = tmp_path / "subtitled.mp4"
    clips.ffmpeg(
        *("-i", str(clip), "-i", str(srt), "-map", "0", "-map", "1", "-c", "copy"),
        *("-c:s", "mov_text", str(subtitled)),
    )

    meta = probe(subtitled)

    assert (meta.video_codec, meta.audio_codec, meta.width) == ("h264", "aac", 160)


def test_a_song_with_cover_art_is_not_a_video(tmp_path):
    cover = tmp_path / "cover.png"
    clips.ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64:d=1", "-frames:v", "1", str(cover))
    song = tmp_path / "song.mp4"
    clips.ffmpeg(
        *("-f", "lavfi", "-i", "sine=duration=1", "-i", str(cover), "-map", "0", "-map", "1"),
        *("-c:a", "aac", "-c:v", "png", "-disposition:v:0", "attached_pic", str(song)),
    )

    with pytest.raises(MediaError, match=r"no video stream found"):
        probe(song)


def test_a_codec_we_do_not_decode_is_named_and_never_decoded(tmp_path):
    lossless = tmp_path / "master.mkv"
    clips.ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=5:duration=1", "-c:v", "ffv1"),
        str(lossless),
    )

    with pytest.raises(MediaError) as refused:
        probe(lossless)

    assert str(refused.value).startswith("The file holds a ffv1 stream, which can't be read here")
