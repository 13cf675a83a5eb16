"""Container sniffing on real clips and on hand-made headers."""

import struct
from pathlib import Path

import pytest

from tests.videos import clips
from videos.media import SNIFF_BYTES, sniff_container


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(SNIFF_BYTES)


def _box(kind: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def test_sniff_reads_at_least_4_kib():
    assert SNIFF_BYTES >= 4096


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [(".mp4", "mp4"), (".mov", "mov"), (".avi", "avi"), (".mkv", "mkv"), (".webm", "webm")],
)
def test_real_clips_are_recognised_by_container(tmp_path, suffix, expected):
    clip = clips.make_clip(tmp_path / f"clip{suffix}", seconds=0.2, size="64x48")
    assert sniff_container(_head(clip)) == expected


def test_quicktime_without_ftyp_is_recognised_from_its_leading_atom():
    head = _box(b"wide") + struct.pack(">I", 100_000) + b"mdat" + b"\0" * 4000
    assert sniff_container(head) == "mov"


def test_mp4_brand_other_than_quicktime_is_mp4():
    head = _box(b"ftyp", b"mp42\0\0\0\0mp42isom") + b"\0" * 4000
    assert sniff_container(head) == "mp4"


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"avif", b"M4A "])
def test_still_image_and_audio_brands_are_not_videos(brand):
    head = _box(b"ftyp", brand + b"\0\0\0\0" + brand) + b"\0" * 4000
    assert sniff_container(head) is None


def test_matroska_doctype_tells_webm_from_mkv():
    def ebml(doctype: bytes) -> bytes:
        element = b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
        return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(element)]) + element + b"\0" * 4000

    assert sniff_container(ebml(b"webm")) == "webm"
    assert sniff_container(ebml(b"matroska")) == "mkv"
    assert sniff_container(ebml(b"somethingelse")) is None


def test_riff_that_is_not_avi_is_rejected():
    wav = b"RIFF" + struct.pack("<I", 5000) + b"WAVEfmt " + b"\0" * 4000
    assert sniff_container(wav) is None


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"\0" * 4096,
        b"This is definitely not a video.\n" * 200,
        b"\x89PNG\r\n\x1a\n" + b"\0" * 4000,
        b"\xff\xd8\xff\xe0" + b"\0" * 4000,
        b"%PDF-1.7\n" + b"\0" * 4000,
        b"\x00\x00\x00\x04mdat"
        + b"\0" * 4000,  # An atom size below the 8-byte header is impossible.
    ],
    ids=["empty", "zeros", "text", "png", "jpeg", "pdf", "bad-atom-size"],
)
def test_non_video_bytes_are_rejected(head):
    assert sniff_container(head) is None
