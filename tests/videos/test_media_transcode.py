"""The single-pass transcode, checked by probing and decoding what it really wrote."""

import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.videos import clips
from tests.waiting import wait_for
from videos.media import (
    MediaError,
    MediaPolicy,
    Renditions,
    TranscodeCancelled,
    probe,
    threads,
    transcode,
)

OUTPUT_NAMES = {"video.mp4", "proxy.mp4", "thumbnail.jpg", "hls", "storyboard"}
# `videos.media.transcode` is shadowed by the re-exported function; reach the module itself.
transcode_module = sys.modules["videos.media.transcode"]


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("transcode-clips")


@pytest.fixture(scope="module")
def small(clip_dir):
    return clips.make_clip(clip_dir / "small.mp4", seconds=1.5, size="320x240")


@pytest.fixture(scope="module")
def small_out(small, tmp_path_factory):
    return _transcode(small, tmp_path_factory.mktemp("small-out"))


@pytest.fixture(scope="module")
def hd(clip_dir):
    return clips.make_clip(clip_dir / "hd.mp4", seconds=6, size="1280x720", fps=30)


def _transcode(src: Path, out_dir: Path, **kwargs) -> Renditions:
    return transcode(src, out_dir, metadata=probe(src), **kwargs)


@pytest.fixture
def ffmpeg_runs(monkeypatch) -> list[subprocess.Popen]:
    """Record the transcoding ffmpeg processes (not the probes) started during a test."""
    runs: list[subprocess.Popen] = []

    class RecordingPopen(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if "-filter_complex" in self.args:
                runs.append(self)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    return runs


def _difference(path: Path, reference: Path) -> float:
    """Return the mean per-channel pixel difference of two same-sized images."""
    ours, ref = Image.open(path).convert("RGB"), Image.open(reference).convert("RGB")
    assert ours.size == ref.size
    return max(ImageStat.Stat(ImageChops.difference(ours, ref)).mean)


def _assert_shows_frame_at(thumbnail: Path, src: Path, at: float, work: Path) -> None:
    """Assert the thumbnail is the (autorotated) frame at `at`, not one 0.2 s either side."""
    distances = {}
    for t in (at - 0.2, at, at + 0.2):
        distances[t] = _difference(thumbnail, clips.extract_frame(src, work / f"{t}.png", at=t))
    assert distances[at] < 8, distances  # Only JPEG loss.
    assert min(distances, key=distances.__getitem__) == at, distances


def _processes_using(folder: Path) -> list[int]:
    """Return the pids of processes whose command line names `folder` (ffmpeg, bwrap)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if str(folder).encode() in cmdline and entry.name.isdigit():
            pids.append(int(entry.name))
    return pids


def test_outputs_are_h264_with_aac_audio(small_out):
    main, proxy = probe(small_out.mp4), probe(small_out.proxy)

    assert (main.video_codec, main.audio_codec) == ("h264", "aac")
    assert (proxy.video_codec, proxy.audio_codec) == ("h264", "aac")
    assert main.duration == pytest.approx(1.5, abs=0.1)
    assert small_out.mp4.name == "video.mp4"


def test_mp4_outputs_are_faststart_with_moov_before_mdat(small_out):
    for path in (small_out.mp4, small_out.proxy):
        boxes = clips.top_level_boxes(path)
        assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_only_the_renditions_are_left_in_the_output_folder(small_out):
    assert {p.name for p in small_out.mp4.parent.iterdir()} == OUTPUT_NAMES


def test_small_source_is_never_upscaled(small_out):
    main, proxy = probe(small_out.mp4), probe(small_out.proxy)

    assert (main.width, main.height) == (320, 240)
    assert (proxy.width, proxy.height) == (320, 240)
    assert proxy.fps == pytest.approx(10)


def test_thumbnail_is_the_jpeg_frame_at_one_second(small, small_out, tmp_path):
    assert Image.open(small_out.thumbnail).format == "JPEG"
    _assert_shows_frame_at(small_out.thumbnail, small, 1.0, tmp_path)


def test_hd_source_gets_a_480p_10fps_proxy_and_keeps_full_size(hd, tmp_path):
    out = _transcode(hd, tmp_path)
    main, proxy = probe(out.mp4), probe(out.proxy)

    assert (main.width, main.height, main.fps) == (1280, 720, pytest.approx(30))
    assert proxy.height == 480 and proxy.width % 2 == 0
    assert proxy.width == pytest.approx(480 * 16 / 9, abs=2)
    assert proxy.fps == pytest.approx(10)
    assert Image.open(out.thumbnail).size == (1280, 720)


def test_rotated_phone_video_comes_out_upright(tmp_path):
    phone = clips.make_rotated_clip(tmp_path / "phone.mp4", rotation=90)

    out = _transcode(phone, tmp_path / "out")
    main, proxy = probe(out.mp4), probe(out.proxy)

    assert (main.width, main.height, main.rotation) == (240, 320, 0)
    assert (proxy.width, proxy.height, proxy.rotation) == (240, 320, 0)
    assert "displaymatrix" not in clips.stream_report(out.mp4)
    _assert_shows_frame_at(out.thumbnail, phone, 1.0, tmp_path)


def test_odd_dimensions_are_rounded_down_to_even(tmp_path):
    odd = clips.make_odd_sized_clip(tmp_path / "odd.avi")

    out = _transcode(odd, tmp_path / "out")

    assert (probe(out.mp4).width, probe(out.mp4).height) == (320, 240)
    assert (probe(out.proxy).width, probe(out.proxy).height) == (320, 240)
    assert Image.open(out.thumbnail).size == (321, 241)


def test_silent_source_produces_renditions_without_audio(tmp_path):
    silent = clips.make_clip(tmp_path / "silent.webm", audio=False, seconds=1.0)

    out = _transcode(silent, tmp_path / "out")

    assert probe(out.mp4).has_audio is False
    assert probe(out.proxy).has_audio is False


def test_variable_frame_rate_source_keeps_its_timing(tmp_path):
    vfr = clips.make_vfr_clip(tmp_path / "vfr.mp4")

    out = _transcode(vfr, tmp_path / "out")

    # Forcing CFR at the 30 fps peak would duplicate frames up to ~117.
    assert clips.count_video_frames(out.mp4) == clips.count_video_frames(vfr) < 61
    assert probe(out.mp4).duration == pytest.approx(probe(vfr).duration, abs=0.2)
    assert probe(out.proxy).fps == pytest.approx(10)


def test_clip_shorter_than_a_second_gets_its_middle_frame_as_thumbnail(tmp_path):
    short = clips.make_clip(tmp_path / "short.mp4", seconds=0.6)

    out = _transcode(short, tmp_path / "out")

    _assert_shows_frame_at(out.thumbnail, short, 0.3, tmp_path)
    assert probe(out.proxy).duration > 0


def test_single_frame_video_still_gets_all_renditions(tmp_path):
    still = clips.make_clip(tmp_path / "one.mp4", audio=False, output_args=["-frames:v", "1"])

    out = _transcode(still, tmp_path / "out")

    assert {p.name for p in out.mp4.parent.iterdir()} == OUTPUT_NAMES
    assert Image.open(out.thumbnail).size == (320, 240)


def test_picture_ending_before_one_second_still_yields_a_thumbnail(tmp_path):
    # The audio track runs 3 s, so the container says 3 s but the picture stops at 0.5 s.
    src = tmp_path / "long-audio.mp4"
    clips.ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=0.5"),
        *("-f", "lavfi", "-i", "sine=duration=3", "-c:v", "libx264", "-c:a", "aac", str(src)),
    )

    out = _transcode(src, tmp_path / "out")

    assert Image.open(out.thumbnail).size == (320, 240)


def test_progress_is_monotonic_and_ends_at_100(hd, tmp_path):
    reported: list[float] = []

    _transcode(hd, tmp_path, on_progress=reported.append, threads=1)

    assert reported == sorted(set(reported))
    assert reported[-1] == 100.0
    assert any(0 < p < 100 for p in reported), reported
    assert all(0 <= p <= 100 for p in reported)


def test_cancelling_mid_run_stops_ffmpeg_and_leaves_nothing_behind(hd, tmp_path, ffmpeg_runs):
    running = threading.Event()

    with pytest.raises(TranscodeCancelled):
        _transcode(
            hd,
            tmp_path,
            threads=1,
            on_progress=lambda percent: running.set() if percent > 0 else None,
            should_cancel=running.is_set,
        )

    [ffmpeg_run] = ffmpeg_runs
    assert ffmpeg_run.returncode not in (0, None)  # Stopped by us, not finished.
    wait_for(lambda: _processes_using(tmp_path) == [], timeout=5, message="ffmpeg gone")
    assert list(tmp_path.iterdir()) == []


def test_failing_progress_callback_also_stops_ffmpeg_and_cleans_up(hd, tmp_path, ffmpeg_runs):
    def explode(percent: float) -> None:
        raise RuntimeError("task revoked")

    with pytest.raises(RuntimeError, match="task revoked"):
        _transcode(hd, tmp_path, on_progress=explode)

    [ffmpeg_run] = ffmpeg_runs
    assert ffmpeg_run.returncode not in (0, None)
    wait_for(lambda: _processes_using(tmp_path) == [], timeout=5, message="ffmpeg gone")
    assert list(tmp_path.iterdir()) == []


def test_unreadable_input_raises_media_error_with_ffmpegs_reason(small, tmp_path):
    fake = clips.make_text_file(tmp_path / "fake.mp4")

    with pytest.raises(MediaError, match=r"^The video could not be converted: \S.+\.$"):
        transcode(fake, tmp_path / "out", metadata=probe(small))

    assert list((tmp_path / "out").iterdir()) == []


def test_an_encode_gets_the_cores_divided_by_the_workers_concurrency(settings, monkeypatch):
    settings.VIDEO_FFMPEG_THREADS = 0
    monkeypatch.setattr(threads, "_worker_concurrency", 1)
    assert threads.ffmpeg_threads() == threads.cores()

    # a worker started with -c 2 runs two encodes at once
    threads.remember_worker_concurrency(SimpleNamespace(concurrency=2, max_concurrency=None))
    assert threads.ffmpeg_threads() == max(1, threads.cores() // 2)

    settings.VIDEO_FFMPEG_THREADS = 3
    assert threads.ffmpeg_threads() == 3


def test_the_thread_count_reaches_decoder_filters_and_both_encoders(small, tmp_path):
    outputs = Renditions(tmp_path / "a", tmp_path / "b", tmp_path / "c")
    command = transcode_module.build_command(
        small, outputs, probe(small), 3, policy=MediaPolicy.from_settings()
    )

    assert command.count("-threads") == 3
    assert command[command.index("-threads") + 1] == "3"
    assert command[command.index("-filter_complex_threads") + 1] == "3"
    assert command.count("-i") == 1
