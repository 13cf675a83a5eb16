"""The HLS ladder and the storyboard, made in the transcode's single ffmpeg pass."""

import itertools
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.videos import clips
from videos.media import probe, transcode
from videos.media.ffmpeg import ffprobe_binary
from videos.media.ladder import plan

SEGMENT_LIMIT_SECONDS = 6


@pytest.fixture(scope="module")
def hd_out(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ladder")
    src = clips.make_clip(folder / "hd.mp4", seconds=9, size="1280x720", fps=25)
    return transcode(src, folder / "out", metadata=probe(src))


def _master(out) -> tuple[list[dict[str, str]], list[str]]:
    """Return the variants (attributes + uri) and the EXT-X-MEDIA lines of master.m3u8."""
    lines = (out.hls / "master.m3u8").read_text().splitlines()
    variants = []
    for tag, uri in itertools.pairwise(lines):
        if tag.startswith("#EXT-X-STREAM-INF:"):
            attributes = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', tag.split(":", 1)[1]))
            variants.append({**{k: v.strip('"') for k, v in attributes.items()}, "uri": uri})
    return variants, [line for line in lines if line.startswith("#EXT-X-MEDIA:")]


def _segment_durations(playlist: Path) -> list[float]:
    text = playlist.read_text()
    return [float(value) for value in re.findall(r"#EXTINF:([\d.]+),", text)]


def _decoded_frames(path: Path) -> int:
    result = subprocess.run(
        [
            *(ffprobe_binary(), "-v", "error", "-count_frames", "-select_streams", "v:0"),
            *("-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0"),
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip().split(",")[-1])


def test_ladder_has_rungs_up_to_the_source_height_and_at_least_two_from_720p():
    assert [rung.height for rung in plan((1920, 1080))] == [1080, 720, 480, 360]
    assert [rung.height for rung in plan((1280, 720))] == [720, 480, 360]
    assert [rung.height for rung in plan((320, 240))] == [240]
    assert all(rung.width % 2 == 0 for rung in plan((1000, 562)))


def test_master_playlist_names_each_rung_with_bandwidth_resolution_and_codecs(hd_out):
    variants, media = _master(hd_out)

    assert [v["RESOLUTION"] for v in variants] == ["1280x720", "854x480", "640x360"]
    for variant in variants:
        assert int(variant["BANDWIDTH"]) > 0
        assert re.fullmatch(r"avc1\.[0-9a-f]{6},mp4a\.40\.2", variant["CODECS"])
        assert variant["AUDIO"] == "audio"
    [audio] = media
    assert 'TYPE=AUDIO,GROUP-ID="audio"' in audio


def test_segments_are_cmaf_at_most_six_seconds_and_aligned_across_rungs(hd_out):
    variants, _ = _master(hd_out)
    playlists = [hd_out.hls / v["uri"] for v in variants] + [hd_out.hls / "audio/index.m3u8"]

    durations = [_segment_durations(p) for p in playlists]
    video = durations[:-1]
    assert all(0 < d <= SEGMENT_LIMIT_SECONDS for rung in durations for d in rung)
    assert all(rung == pytest.approx(video[0], abs=0.05) for rung in video), video
    assert sum(video[0]) == pytest.approx(9, abs=0.1)
    for playlist in playlists:
        assert '#EXT-X-MAP:URI="init.mp4"' in playlist.read_text()
        assert all(seg.suffix == ".m4s" for seg in playlist.parent.glob("seg_*"))


def test_every_rung_decodes_to_the_whole_video(hd_out):
    variants, _ = _master(hd_out)

    for variant in variants:
        assert _decoded_frames(hd_out.hls / variant["uri"]) == 9 * 25


def test_storyboard_maps_every_second_to_a_tile_of_the_sprite(hd_out):
    sprite = Image.open(hd_out.storyboard / "sprite.jpg")
    cues = re.findall(
        r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n"
        r"sprite\.jpg#xywh=(\d+),(\d+),(\d+),(\d+)",
        (hd_out.storyboard / "storyboard.vtt").read_text(),
    )

    assert len(cues) == 9
    assert (cues[0][0], cues[-1][1]) == ("00:00:00.000", "00:00:09.000")
    for *_, x, y, w, h in cues:
        assert (int(w), int(h)) == (160, 90)
        assert int(x) + int(w) <= sprite.width and int(y) + int(h) <= sprite.height


def test_a_long_video_gets_a_bounded_storyboard():
    from videos.media.storyboard import MAX_TILES, layout

    three_hours = layout(3 * 3600, (1920, 1080))

    assert three_hours.count <= MAX_TILES
    assert three_hours.interval * three_hours.count >= 3 * 3600
    assert three_hours.columns * three_hours.tile_width <= 1600


def test_hls_can_be_turned_off(tmp_path):
    src = clips.make_clip(tmp_path / "small.mp4", seconds=1, size="160x120")

    out = transcode(src, tmp_path / "out", metadata=probe(src), hls=False)

    assert out.hls is None
    assert not (tmp_path / "out" / "hls").exists()
    assert out.storyboard and (out.storyboard / "sprite.jpg").exists()
