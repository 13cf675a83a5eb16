"""The tus 1.0.0 headers: what this server supports, and parsing what clients send.

Protocol: https://tus.io/protocols/resumable-upload (core, creation, termination and
expiration extensions).
"""

import base64
import binascii
from datetime import datetime

from django.conf import settings
from django.utils.http import http_date

from videos.validation import UploadRejected

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,expiration"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"


def discovery_headers() -> dict[str, str]:
    """Return the headers that tell a client what this server supports."""
    return {
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": str(settings.VIDEO_MAX_UPLOAD_BYTES),
    }


def expires_header(moment: datetime) -> str:
    """Format a time the way Upload-Expires wants it (RFC 9110 HTTP date)."""
    return http_date(moment.timestamp())


def parse_length(value: str | None) -> int:
    """Return Upload-Length as an int; reject missing or malformed values."""
    if value is None or value == "":
        raise UploadRejected(
            "Send the file size in the Upload-Length header (deferred lengths are not supported).",
            code="upload_length_required",
        )
    return _non_negative(value, "Upload-Length")


def parse_offset(value: str | None) -> int:
    """Return Upload-Offset as an int; reject missing or malformed values."""
    if value is None or value == "":
        raise UploadRejected(
            "Send the offset this chunk starts at in the Upload-Offset header.",
            code="upload_offset_required",
        )
    return _non_negative(value, "Upload-Offset")


def _non_negative(value: str, header: str) -> int:
    # ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() refuses or reads.
    if not (value.isascii() and value.isdigit()) or len(value) > 20:
        raise UploadRejected(
            f"{header} must be a whole number of bytes, not {value[:40]!r}.",
            code="invalid_header",
        )
    return int(value)


def parse_metadata(value: str | None) -> dict[str, str]:
    """Decode Upload-Metadata: comma-separated `key base64(value)` pairs, values optional."""
    metadata: dict[str, str] = {}
    for pair in (value or "").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        if key in metadata:
            raise UploadRejected(
                f"Upload-Metadata names {key!r} twice.", code="invalid_upload_metadata"
            )
        metadata[key] = _decode(key, encoded.strip())
    return metadata


def _decode(key: str, encoded: str) -> str:
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise UploadRejected(
            f"Upload-Metadata value of {key!r} must be base64 of UTF-8 text.",
            code="invalid_upload_metadata",
        ) from None
