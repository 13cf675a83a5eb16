"""Speaking tus to the API through the Django test client (shared by the tus tests)."""

import base64
from urllib.parse import urlsplit

from videos.uploads.models import TusUpload

URL = "/api/v1/videos/uploads/"
TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"


def encode_metadata(**values: str) -> str:
    """Encode Upload-Metadata: comma-separated `key base64(value)` pairs."""
    return ",".join(f"{key} {base64.b64encode(v.encode()).decode()}" for key, v in values.items())


def create_upload(
    client, *, length: int, filename: str = "clip.mp4", title: str = "My clip", **extra
):
    headers = {**TUS, "Upload-Length": str(length), **extra}
    headers.setdefault("Upload-Metadata", encode_metadata(filename=filename, title=title))
    return client.post(URL, headers=headers)


def start_upload(client, *, length: int, **kwargs) -> str:
    """Create an upload and return its path."""
    response = create_upload(client, length=length, **kwargs)
    assert response.status_code == 201, response.content
    return urlsplit(response["Location"]).path


def patch_chunk(client, url: str, data: bytes, *, offset: int, content_type: str = OFFSET_TYPE):
    return client.patch(
        url, data=data, content_type=content_type, headers={**TUS, "Upload-Offset": str(offset)}
    )


def upload_of(url: str) -> TusUpload:
    """Return the upload row behind an upload URL."""
    return TusUpload.objects.get(pk=url.rstrip("/").rsplit("/", 1)[-1])
