"""The S3 calls behind presigned multipart uploads, made with the default storage's client.

Names here are storage names (what `default_storage` and the video services take); the
bucket key adds the storage's AWS_LOCATION prefix, if any. Network and 5xx failures come
out as `videos.storage.StorageUnavailable`; S3's refusals as `S3Refused` with its reason.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage

from videos.storage import storage_errors

# S3's multipart rules (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html).
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_BYTES = 5 * 1024 * 1024 * 1024
MAX_PARTS = 10_000
# SigV4 presigned URLs live at most a week.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600


class S3Refused(Exception):
    """S3 answered a request with a client error (bad part, unknown upload...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PendingUpload:
    """A multipart upload S3 holds open."""

    key: str
    upload_id: str
    initiated: datetime


def part_size_for(size: int, preferred: int) -> int:
    """Return the part size for a file of `size` bytes: `preferred` within S3's rules.

    Parts are 5 MiB to 5 GiB and at most 10,000; a file too big for 10,000 parts of the
    preferred size gets larger parts (rounded up to whole MiB). The last part may be
    smaller.
    """
    mib = 1024 * 1024
    part = min(max(preferred, MIN_PART_BYTES), MAX_PART_BYTES)
    if -(-size // part) > MAX_PARTS:
        part = -(-size // MAX_PARTS)
        part = -(-part // mib) * mib
    return part


def is_s3() -> bool:
    """Tell whether the default storage is an S3 bucket."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages[s3] is a dependency
        return False
    return isinstance(default_storage, S3Storage)


def _client() -> Any:
    return default_storage.connection.meta.client


def _bucket() -> str:
    return default_storage.bucket_name


def bucket_key(name: str) -> str:
    """Return the bucket key of a storage name."""
    from storages.utils import clean_name

    return default_storage._normalize_name(clean_name(name))


def _call(operation: str, **params: Any) -> dict[str, Any]:
    from botocore.exceptions import ClientError

    with storage_errors():
        try:
            return getattr(_client(), operation)(Bucket=_bucket(), **params)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if status >= 500:
                raise
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Error"))
            raise S3Refused(code, str(error.get("Message") or code)) from exc


def create_upload(name: str, *, content_type: str) -> str:
    """Start a multipart upload to `name` and return S3's upload id."""
    response = _call("create_multipart_upload", Key=bucket_key(name), ContentType=content_type)
    return response["UploadId"]


def part_url(name: str, upload_id: str, part_number: int, *, size: int, expires_in: int) -> str:
    """Return a presigned URL a client PUTs part `part_number` of exactly `size` bytes to.

    Content-Length is one of the signed headers, so S3 refuses a PUT of any other size:
    a client cannot park gigabytes in a part that should hold a few megabytes.
    """
    return _client().generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": _bucket(),
            "Key": bucket_key(name),
            "UploadId": upload_id,
            "PartNumber": part_number,
            "ContentLength": size,
        },
        ExpiresIn=min(expires_in, MAX_PRESIGN_SECONDS),
        HttpMethod="PUT",
    )


def uploaded_parts(name: str, upload_id: str) -> list[dict[str, Any]]:
    """Return the parts S3 has received: [{part_number, etag, size}]."""
    parts: list[dict[str, Any]] = []
    marker = 0
    while True:
        page = _call(
            "list_parts", Key=bucket_key(name), UploadId=upload_id, PartNumberMarker=marker
        )
        parts.extend(
            {"part_number": p["PartNumber"], "etag": p["ETag"], "size": p["Size"]}
            for p in page.get("Parts", [])
        )
        if not page.get("IsTruncated"):
            return parts
        marker = int(page["NextPartNumberMarker"])


def upload_part(name: str, upload_id: str, part_number: int, data: bytes | bytearray) -> str:
    """Send part `part_number` of a multipart upload from this process; return its ETag."""
    response = _call(
        "upload_part",
        Key=bucket_key(name),
        UploadId=upload_id,
        PartNumber=part_number,
        Body=data,
        ContentLength=len(data),
    )
    return response["ETag"]


def put_bytes(name: str, data: bytes | bytearray) -> None:
    """Write a small object (an upload's buffered bytes) at `name`, replacing what is there."""
    _call("put_object", Key=bucket_key(name), Body=data, ContentLength=len(data))


def read_bytes(name: str) -> bytes | None:
    """Return the whole (small) object at `name`, or None if there is none."""
    try:
        return _call("get_object", Key=bucket_key(name))["Body"].read()
    except S3Refused as exc:
        if exc.code in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise


def complete_upload(name: str, upload_id: str, parts: list[dict[str, Any]]) -> None:
    """Join the parts ([{part_number, etag}], ascending) into the object at `name`."""
    _call(
        "complete_multipart_upload",
        Key=bucket_key(name),
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": p["part_number"], "ETag": p["etag"]} for p in parts]
        },
    )


def abort_upload(name: str, upload_id: str) -> None:
    """Abort a multipart upload, freeing its parts (an unknown upload is fine)."""
    try:
        _call("abort_multipart_upload", Key=bucket_key(name), UploadId=upload_id)
    except S3Refused as exc:
        if exc.code != "NoSuchUpload":
            raise


def object_size(name: str) -> int | None:
    """Return the size of the object at `name`, or None if there is none."""
    try:
        return int(_call("head_object", Key=bucket_key(name))["ContentLength"])
    except S3Refused as exc:
        if exc.code in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise


def delete_object(name: str) -> None:
    """Delete the object at `name` (a missing object is fine)."""
    _call("delete_object", Key=bucket_key(name))


def pending_uploads(prefix: str) -> list[PendingUpload]:
    """Return the multipart uploads S3 holds open under the storage name `prefix`."""
    pending: list[PendingUpload] = []
    params: dict[str, Any] = {"Prefix": bucket_key(prefix)}
    while True:
        page = _call("list_multipart_uploads", **params)
        pending.extend(
            PendingUpload(key=u["Key"], upload_id=u["UploadId"], initiated=u["Initiated"])
            for u in page.get("Uploads", [])
        )
        if not page.get("IsTruncated"):
            return pending
        params.update(KeyMarker=page["NextKeyMarker"], UploadIdMarker=page["NextUploadIdMarker"])


def abort_key(key: str, upload_id: str) -> None:
    """Abort a multipart upload given its bucket key (as `pending_uploads` lists it)."""
    try:
        _call("abort_multipart_upload", Key=key, UploadId=upload_id)
    except S3Refused as exc:
        if exc.code != "NoSuchUpload":
            raise
