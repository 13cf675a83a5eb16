"""Serve signed local media (see `config.media`): Range, HEAD and conditional requests.

Players seek by asking for byte ranges, so `Range: bytes=a-b`, `bytes=a-` and `bytes=-n`
get `206 Partial Content` with `Content-Range`; a range past the end gets `416`. Several
ranges in one request get the whole file (allowed by RFC 9110, and players never ask).
`ETag` / `Last-Modified` answer `If-None-Match` / `If-Modified-Since` with `304`, and
`If-Range` keeps a resumed download from mixing two versions of a file.
"""

import logging
import mimetypes
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from django.views.decorators.http import require_safe

from config import manifests
from config.api_errors import json_error
from config.media import Grant, attachment, verify

logger = logging.getLogger(__name__)
CHUNK_BYTES = 256 * 1024
mimetypes.add_type("video/iso.segment", ".m4s")  # CMAF segments of the HLS ladder
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
DENIED = "This media link is invalid or has expired; reload the page for a fresh one."


class Unsatisfiable(Exception):
    """The requested range lies outside the file."""


@require_safe
def serve(request: HttpRequest, name: str) -> HttpResponse:
    """Serve the stored file `name` to the holder of a valid signed URL."""
    grant = verify(name, request.GET)
    if grant is None or not _user_active(grant):
        return json_error(DENIED, "media_link_invalid", 403)
    if manifests.is_manifest(name):
        return _manifest(request, name, grant)
    path = _local_path(name)
    try:
        stat = path.stat() if path else None
    except OSError:
        stat = None
    if stat is None or not path.is_file():
        return json_error("This file does not exist (any more).", "not_found", 404)
    headers = _headers(grant, path, stat)
    base = HttpResponse(headers=headers)
    conditional = get_conditional_response(
        request, etag=headers["ETag"], last_modified=int(stat.st_mtime), response=base
    )
    if conditional is not base:
        return conditional
    try:
        span = _requested_range(request, headers["ETag"], stat.st_size)
    except Unsatisfiable:
        response = HttpResponse(status=416, headers=headers)
        response["Content-Range"] = f"bytes */{stat.st_size}"
        return response
    start, end = span or (0, stat.st_size - 1)
    length = max(0, end - start + 1)
    body = iter(()) if request.method == "HEAD" else _read(path, start, length)
    response = StreamingHttpResponse(body, status=206 if span else 200, headers=headers)
    response["Content-Length"] = str(length)
    if span:
        response["Content-Range"] = f"bytes {start}-{end}/{stat.st_size}"
    return response


def _manifest(request: HttpRequest, name: str, grant: Grant) -> HttpResponse:
    """Serve a playlist or track with the names in it signed like this link (any storage)."""
    try:
        text = manifests.read(name)
    except Exception:  # missing (locally or on S3), or not a manifest after all
        logger.info("manifest %s could not be read", name, exc_info=True)
        return json_error("This file does not exist (any more).", "not_found", 404)
    body = b"" if request.method == "HEAD" else manifests.rewrite(name, text, grant).encode()
    remaining = max(0, grant.expires - int(time.time()))
    response = HttpResponse(body, content_type=manifests.content_type(name))
    response["Cache-Control"] = f"private, max-age={remaining}"
    return response


def _user_active(grant: Grant) -> bool:
    """Tell whether the user the URL was signed for may still use it (no user: anyone)."""
    if not grant.user_id:
        return True
    return get_user_model().objects.filter(pk=grant.user_id, is_active=True).exists()


def _local_path(name: str) -> Path | None:
    if not isinstance(default_storage, FileSystemStorage):
        return None  # S3 media is served by S3 through presigned URLs
    try:
        return Path(default_storage.path(name))
    except SuspiciousFileOperation:
        return None


def _headers(grant: Grant, path: Path, stat: os.stat_result) -> dict[str, str]:
    content_type, encoding = mimetypes.guess_type(path.name)
    remaining = max(0, grant.expires - int(time.time()))
    headers = {
        "Content-Type": content_type or "application/octet-stream",
        "Accept-Ranges": "bytes",
        # A new file at the same name (a reprocess) has a new inode, size or mtime.
        "ETag": f'"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"',
        "Last-Modified": http_date(stat.st_mtime),
        "Cache-Control": f"private, max-age={remaining}",
        "Content-Disposition": attachment(grant.filename) if grant.filename else "inline",
    }
    if encoding:  # e.g. a .gz: serve the bytes as stored, never decoded by the browser
        headers["Content-Type"] = "application/octet-stream"
    return headers


def _requested_range(request: HttpRequest, etag: str, size: int) -> tuple[int, int] | None:
    """Return the (first, last) byte of a single satisfiable Range, or None for all."""
    header = request.headers.get("Range", "").replace(" ", "")
    if not header or not _if_range_holds(request, etag):
        return None
    match = _RANGE_RE.match(header)
    if not match or match.groups() == ("", ""):
        return None  # several ranges or a syntax we don't know: the whole file
    first, last = match.groups()
    if first == "":  # the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # not a valid range: ignored, as RFC 9110 says
    if start >= size:
        raise Unsatisfiable
    return start, min(int(last), size - 1) if last else size - 1


def _if_range_holds(request: HttpRequest, etag: str) -> bool:
    """Tell whether an If-Range (if any) still names this version of the file."""
    condition = request.headers.get("If-Range")
    if not condition:
        return True
    if parse_http_date_safe(condition) is not None:
        return False  # dates are too coarse to be sure; send the whole file
    return etag in parse_etags(condition)


def _read(path: Path, start: int, length: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(start)
        while length > 0:
            chunk = f.read(min(CHUNK_BYTES, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
