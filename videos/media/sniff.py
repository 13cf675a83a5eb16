"""Identify a video container from the first bytes of a file."""

import struct

SNIFF_BYTES = 4096

_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE_ID = 0x4282
_EBML_SEGMENT_ID = 0x18538067
# Leading atoms of QuickTime files written without an `ftyp` box (old cameras, some editors).
_QUICKTIME_LEADING_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}
# ISO BMFF brands that are still images or audio, not video.
_NON_VIDEO_BRANDS = {
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
    b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B ", b"jp2 ", b"jpx ", b"crx ",
}  # fmt: skip


def sniff_container(head: bytes) -> str | None:
    """Return 'mp4', 'mov', 'avi', 'mkv' or 'webm' for a recognised container, else None."""
    if len(head) < 12:
        return None
    if head[4:8] == b"ftyp":
        return _sniff_ftyp(head)
    if head[4:8] in _QUICKTIME_LEADING_ATOMS and _plausible_atom_size(head):
        return "mov"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == _EBML_MAGIC:
        return _sniff_ebml(head)
    return None


def _sniff_ftyp(head: bytes) -> str | None:
    """Classify an ISO BMFF file by its major brand."""
    brand = head[8:12]
    if brand in _NON_VIDEO_BRANDS:
        return None
    return "mov" if brand == b"qt  " else "mp4"


def _plausible_atom_size(head: bytes) -> bool:
    """Tell whether the first QuickTime atom header has a valid size field."""
    (size,) = struct.unpack(">I", head[:4])
    return size in (0, 1) or size >= 8


def _sniff_ebml(head: bytes) -> str | None:
    """Tell WebM from Matroska by the DocType in the EBML header."""
    doctype = _ebml_doctype(head)
    if doctype == "webm":
        return "webm"
    if doctype in (None, "matroska"):
        return "mkv"
    return None


def _ebml_doctype(head: bytes) -> str | None:
    """Return the DocType string of the EBML header, or None if it is not readable."""
    pos = len(_EBML_MAGIC)
    header_size, pos = _read_vint(head, pos, keep_marker=False)
    if header_size is None:
        return None
    end = min(len(head), pos + header_size)
    while pos < end:
        element_id, pos = _read_vint(head, pos, keep_marker=True)
        size, pos = _read_vint(head, pos, keep_marker=False)
        if element_id is None or size is None:
            return None
        if element_id == _EBML_DOCTYPE_ID:
            return head[pos : pos + size].rstrip(b"\0").decode("ascii", "replace")
        pos += size
    return None


def ebml_segment_end(head: bytes) -> int | None:
    """Return the offset where a Matroska file's Segment says it ends, or None if unknown."""
    if head[:4] != _EBML_MAGIC:
        return None
    header_size, pos = _read_vint(head, len(_EBML_MAGIC), keep_marker=False)
    if header_size is None:
        return None
    element_id, pos = _read_vint(head, pos + header_size, keep_marker=True)
    size_start = pos
    size, pos = _read_vint(head, pos, keep_marker=False)
    if element_id != _EBML_SEGMENT_ID or size is None:
        return None
    # All-ones means "unknown size": live recordings are written that way.
    if size == (1 << (7 * (pos - size_start))) - 1:
        return None
    return pos + size


def _read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int | None, int]:
    """Decode an EBML variable-length integer at pos; return (value, next position)."""
    if pos >= len(data) or data[pos] == 0:
        return None, pos
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        return None, pos
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length
