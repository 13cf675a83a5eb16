"""Text media that names other stored files: HLS playlists and WebVTT storyboards.

A master playlist names media playlists, which name segments; a storyboard track names its
sprite. Relative names would resolve to unsigned `/media/...` paths (403), so these files
are always served by the app (`config.media_views`, local disk or S3) with each name
rewritten into a signed URL for the same user and the same expiry as the link that asked:
the whole tree works for that person until that link expires, and for nobody else.

Only names inside the manifest's own folder are rewritten; anything else (an absolute URL,
a `..` path) is dropped from the answer.
"""

import posixpath
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

from config.media import MANIFEST_SUFFIXES, Grant, signed_path

SUFFIXES = {".m3u8": "application/vnd.apple.mpegurl", ".vtt": "text/vtt; charset=utf-8"}
assert tuple(SUFFIXES) == MANIFEST_SUFFIXES
MAX_BYTES = 4 * 1024 * 1024  # a 3 h video's playlist is ~100 KB
_URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')
_VTT_REFERENCE = re.compile(r"^([A-Za-z0-9._/-]+)(#[A-Za-z0-9=,.]*)?$")


def is_manifest(name: str) -> bool:
    """Tell whether the stored file `name` is served rewritten (a playlist or a track)."""
    return posixpath.splitext(name)[1] in SUFFIXES


def content_type(name: str) -> str:
    return SUFFIXES[posixpath.splitext(name)[1]]


def read(name: str) -> str:
    """Return the stored manifest's text (raise FileNotFoundError when it is not there)."""
    with default_storage.open(name, "rb") as f:
        data = f.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"{name} is larger than a manifest can be.")
    return data.decode("utf-8")


def rewrite(name: str, text: str, grant: Grant) -> str:
    """Return the manifest with every name it references replaced by a signed URL."""
    sign = _signer(posixpath.dirname(name), grant)
    if name.endswith(".vtt"):
        return "\n".join(_vtt_line(line, sign) for line in text.splitlines()) + "\n"
    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            line = _URI_ATTRIBUTE.sub(lambda m: f'URI="{sign(m.group(1)) or ""}"', line)
        elif line.strip():
            line = sign(line.strip()) or ""
        lines.append(line)
    return "\n".join(lines) + "\n"


def _vtt_line(line: str, sign: Callable[[str], str | None]) -> str:
    match = _VTT_REFERENCE.match(line.strip())
    if not match or line.startswith("WEBVTT") or "-->" in line:
        return line
    url = sign(match.group(1))
    return url + (match.group(2) or "") if url else ""


def _signer(folder: str, grant: Grant) -> Callable[[str], str | None]:
    """Return a function turning a name relative to `folder` into a URL like the grant."""

    def sign(reference: str) -> str | None:
        if "://" in reference or reference.startswith("/"):
            return None
        target = posixpath.normpath(posixpath.join(folder, reference))
        if not target.startswith(folder + "/"):
            return None
        return _url(target, grant)

    return sign


def _url(name: str, grant: Grant) -> str:
    """Return a URL of `name` valid for the grant's user until the grant expires."""
    if is_manifest(name) or isinstance(default_storage, FileSystemStorage):
        return signed_path(name, user_id=grant.user_id, expires=grant.expires)
    remaining = max(1, grant.expires - int(time.time()))
    return default_storage.url(name, expire=min(remaining, settings.MEDIA_URL_EXPIRE_SECONDS))
