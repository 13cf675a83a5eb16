"""Private media: a stored file is reached only through a signed URL that expires.

Every app hands out file links with `media_url()` (videos, thumbnails, proxies,
originals, job outputs, sales reports):

- on S3, a presigned URL valid for MEDIA_URL_EXPIRE_SECONDS;
- on local disk, `/media/<name>?expires=<unix time>&user=<id>&signature=<HMAC>`, served by
  `config.media_views` until it expires, while that user is still active. A missing,
  tampered or expired signature gets 403, and nothing else under /media/ is served.

HLS playlists and WebVTT tracks name other files, so they are always served by the app,
on S3 too, with those names signed like the link that asked (see `config.manifests`).

The default local storage's `url()` signs too (without a user), so a `.url` anywhere
(the admin, an email) never leaks a public path.

Expiry times are rounded down to a twelfth of MEDIA_URL_EXPIRE_SECONDS, so a page polling
the API keeps getting the same URL for a while and the browser's cache keeps working; a
URL is valid for between 11/12 and all of MEDIA_URL_EXPIRE_SECONDS.
"""

import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urljoin

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.signing import Signer
from django.http import HttpRequest, QueryDict
from django.utils.crypto import constant_time_compare

SALT = "reelhouse.media"
PATH_PREFIX = "/media/"
EXPIRY_STEPS = 12
# Files served by the app even when media is on S3 (see config.manifests).
MANIFEST_SUFFIXES = (".m3u8", ".vtt")


@dataclass(frozen=True)
class Grant:
    """What a valid signed URL allows: this file, until then, for that user."""

    name: str
    expires: int
    user_id: str
    filename: str


class SignedFileSystemStorage(FileSystemStorage):
    """Local media whose `url()` is a signed, expiring link, never a public path."""

    def url(self, name: str | None) -> str:
        return signed_path(name or "")


def media_url(
    name: str,
    *,
    user: AbstractBaseUser | None = None,
    request: HttpRequest | None = None,
    filename: str = "",
) -> str:
    """Return an absolute, expiring URL for the stored file `name`, signed for `user`.

    `filename` makes browsers save the file under that name (Content-Disposition).
    """
    on_s3 = not isinstance(default_storage, FileSystemStorage)
    if on_s3 and not name.endswith(MANIFEST_SUFFIXES):
        parameters = {"ResponseContentDisposition": attachment(filename)} if filename else None
        return default_storage.url(
            name, parameters=parameters, expire=settings.MEDIA_URL_EXPIRE_SECONDS
        )
    user_id = str(user.pk) if user is not None and user.is_authenticated else ""
    path = signed_path(name, user_id=user_id, filename=filename)
    if request is not None:
        return request.build_absolute_uri(path)
    return urljoin(settings.PUBLIC_BASE_URL, path)


def signed_path(
    name: str, *, user_id: str = "", filename: str = "", expires: int | None = None
) -> str:
    """Return the site path of a signed local media URL for `name`.

    `expires` (a unix time) keeps another link's expiry; by default the link gets the
    configured lifetime.
    """
    if expires is None:
        lifetime = settings.MEDIA_URL_EXPIRE_SECONDS
        step = max(1, lifetime // EXPIRY_STEPS)
        now = int(time.time())
        expires = now - now % step + lifetime
    grant = Grant(name=name, expires=expires, user_id=user_id, filename=filename)
    query = {"expires": expires, "user": user_id}
    if filename:
        query["filename"] = filename
    query["signature"] = _signature(grant)
    return f"{PATH_PREFIX}{quote(name)}?{urlencode(query)}"


def verify(name: str, query: QueryDict) -> Grant | None:
    """Return the grant a request's query carries for `name`, or None if invalid or expired."""
    try:
        expires = int(query.get("expires", ""))
    except ValueError:
        return None
    grant = Grant(
        name=name,
        expires=expires,
        user_id=query.get("user", ""),
        filename=query.get("filename", ""),
    )
    if not constant_time_compare(_signature(grant), query.get("signature", "")):
        return None
    if expires < time.time():
        return None
    return grant


def attachment(filename: str) -> str:
    """Return a Content-Disposition value that saves the file as `filename`."""
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _signature(grant: Grant) -> str:
    value = "\n".join((grant.name, str(grant.expires), grant.user_id, grant.filename))
    return Signer(salt=SALT).signature(value)
