"""Private media: signed, expiring URLs; Range, HEAD and conditional requests."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.test import Client

from config import manifests, media
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

CONTENT = bytes(range(256)) * 40  # 10,240 bytes
NAME = "processed/0b9e/video.mp4"


@pytest.fixture
def isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def stored() -> str:
    default_storage.save(NAME, ContentFile(CONTENT))
    return NAME


@pytest.fixture
def url(stored, user) -> str:
    """A signed path for `user`, as the API hands out (relative to the site)."""
    full = media.media_url(stored, user=user)
    parts = urlsplit(full)
    return f"{parts.path}?{parts.query}"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _with(url: str, **changes: str) -> str:
    path, query = url.split("?", 1)
    params = {key: values[0] for key, values in parse_qs(query).items()}
    params.update(changes)
    return f"{path}?{urlencode(params)}"


def _someone_else(url: str) -> str:
    """A user id other than the one the link was signed for."""
    signed_for = parse_qs(urlsplit(url).query)["user"][0]
    return str(int(signed_for) + 1)


def test_a_signed_url_serves_the_file_to_anyone_holding_it(url):
    response = Client().get(url)

    assert response.status_code == 200
    assert _body(response) == CONTENT
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Cache-Control"].startswith("private, max-age=")


@pytest.mark.parametrize(
    "broken",
    [
        lambda url: url.split("?")[0],  # a plain /media/ path
        lambda url: _with(url, signature="forged"),
        lambda url: _with(url, expires=str(int(time.time()) + 10 * 3600)),  # extended
        lambda url: _with(url, user=_someone_else(url)),  # re-addressed to someone else
        lambda url: url.replace("video.mp4", "proxy.mp4"),  # another file
    ],
)
def test_a_missing_or_tampered_signature_is_refused(url, broken):
    response = Client().get(broken(url))

    assert response.status_code == 403
    assert response.json()["code"] == "media_link_invalid"
    assert "expired" in response.json()["detail"]


def test_an_expired_url_is_refused(url, monkeypatch):
    later = time.time() + 3601
    monkeypatch.setattr(media.time, "time", lambda: later)

    assert Client().get(url).status_code == 403


def test_urls_last_the_configured_time_and_stay_stable_between_polls(settings, stored, user):
    settings.MEDIA_URL_EXPIRE_SECONDS = 600

    first, second = media.media_url(stored, user=user), media.media_url(stored, user=user)
    expires = int(parse_qs(urlsplit(first).query)["expires"][0])

    assert first == second
    assert 550 <= expires - time.time() <= 600


def test_a_deactivated_user_loses_the_links_signed_for_them(url, user):
    user.is_active = False
    user.save()

    assert Client().get(url).status_code == 403


def test_a_missing_file_is_404(url):
    default_storage.delete(NAME)

    assert Client().get(url).status_code == 404


def test_head_answers_the_headers_without_the_body(url):
    response = Client().head(url)

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(CONTENT))
    assert _body(response) == b""


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=10000-", 10000, 10239),  # open range
        ("bytes=-240", 10000, 10239),  # suffix range: the last 240 bytes
        ("bytes=10200-99999", 10200, 10239),  # past the end: cut to the end
    ],
)
def test_a_range_gets_206_with_exactly_those_bytes(url, header, first, last):
    response = Client().get(url, headers={"Range": header})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(CONTENT)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert _body(response) == CONTENT[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-20010", "bytes=-0"])
def test_a_range_outside_the_file_gets_416(url, header):
    response = Client().get(url, headers={"Range": header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=9-3", "items=0-1"])
def test_ranges_we_do_not_serve_get_the_whole_file(url, header):
    response = Client().get(url, headers={"Range": header})

    assert response.status_code == 200
    assert _body(response) == CONTENT


def test_a_cached_copy_is_revalidated_with_its_etag(url):
    first = Client().get(url)

    again = Client().get(url, headers={"If-None-Match": first["ETag"]})
    since = Client().get(url, headers={"If-Modified-Since": first["Last-Modified"]})

    assert (again.status_code, since.status_code) == (304, 304)
    assert again["ETag"] == first["ETag"]


def test_a_replaced_file_has_a_new_etag_and_if_range_sends_it_whole(url):
    old_etag = Client().get(url)["ETag"]
    default_storage.delete(NAME)
    default_storage.save(NAME, ContentFile(CONTENT[::-1]))

    resumed = Client().get(url, headers={"Range": "bytes=100-", "If-Range": old_etag})

    assert resumed["ETag"] != old_etag
    assert resumed.status_code == 200
    assert _body(resumed) == CONTENT[::-1]


def test_only_get_and_head_are_served(url):
    assert Client().post(url).status_code == 405


def test_a_signed_path_cannot_leave_the_media_folder(settings, tmp_path):
    (tmp_path / "secret.txt").write_text("secret")

    path = media.signed_path("../secret.txt")

    assert Client().get(path).status_code in (400, 403, 404)


def test_the_storages_own_url_is_signed_too(stored):
    assert "signature=" in default_storage.url(stored)
    assert Client().get(default_storage.url(stored)).status_code == 200


def test_s3_media_urls_are_presigned_for_the_configured_time(settings):
    settings.AWS_STORAGE_BUCKET_NAME = "reelhouse-test"
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # never contacted: signing is local
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.MEDIA_URL_EXPIRE_SECONDS = 900
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }

    url = media.media_url("originals/x.mp4", user=UserFactory(), filename="Beach.mp4")

    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["900"]
    assert "X-Amz-Signature" in query
    assert query["response-content-disposition"][0].startswith('attachment; filename="Beach.mp4"')


PLAYLIST = "processed/0b9e/hls-1/480/index.m3u8"
PLAYLIST_TEXT = (
    '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg_00000.m4s\n'
    "#EXTINF:4.0,\n../../../../etc/passwd\n#EXTINF:4.0,\nhttps://elsewhere.example/x.m4s\n"
)


def test_a_playlist_is_served_with_its_files_signed_for_the_same_user_and_expiry(user):
    default_storage.save(PLAYLIST, ContentFile(PLAYLIST_TEXT.encode()))
    parts = urlsplit(media.media_url(PLAYLIST, user=user))
    query = parse_qs(parts.query)

    response = Client().get(f"{parts.path}?{parts.query}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    lines = response.content.decode().splitlines()
    segment = next(line for line in lines if "seg_00000.m4s" in line)
    assert segment.startswith("/media/processed/0b9e/hls-1/480/seg_00000.m4s?")
    signed = parse_qs(urlsplit(segment).query)
    assert (signed["user"], signed["expires"]) == (query["user"], query["expires"])
    assert 'URI="/media/processed/0b9e/hls-1/480/init.mp4?' in response.content.decode()
    # names outside the playlist's folder are dropped, never signed
    assert "passwd" not in response.content.decode()
    assert "elsewhere" not in response.content.decode()


def test_a_playlist_link_is_checked_like_any_media_link(user):
    default_storage.save(PLAYLIST, ContentFile(PLAYLIST_TEXT.encode()))
    parts = urlsplit(media.media_url(PLAYLIST, user=user))
    tampered = parts.query.replace(f"user={user.pk}", f"user={user.pk + 1}")

    assert Client().get(f"{parts.path}?{tampered}").status_code == 403
    assert Client().get(parts.path).status_code == 403


def test_on_s3_playlists_go_through_the_app_and_name_presigned_segments(settings, user):
    settings.AWS_STORAGE_BUCKET_NAME = "reelhouse-test"
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # never contacted: signing is local
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }

    url = media.media_url(PLAYLIST, user=user)
    grant = media.verify(PLAYLIST, QueryDict(urlsplit(url).query))
    rewritten = manifests.rewrite(PLAYLIST, PLAYLIST_TEXT, grant)

    assert urlsplit(url).path == f"/media/{PLAYLIST}" and grant.user_id == str(user.pk)
    segment = next(line for line in rewritten.splitlines() if "seg_00000.m4s" in line)
    query = parse_qs(urlsplit(segment).query)
    assert segment.startswith(
        "http://127.0.0.1:9/reelhouse-test/" + PLAYLIST.replace("index.m3u8", "")
    )
    assert "X-Amz-Signature" in query
    assert int(query["X-Amz-Expires"][0]) <= grant.expires - time.time() + 1
