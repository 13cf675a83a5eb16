"""Caps on request bodies, checked before a byte of the body is read.

Only the video upload routes take large bodies (up to VIDEO_MAX_UPLOAD_BYTES; their own
upload handler and the tus service check the exact size). Other multipart uploads (job
files) may carry UPLOAD_MAX_BYTES, and every other body DATA_UPLOAD_MAX_MEMORY_SIZE, which
Django applies to forms but DRF's JSON parser does not. A body over its cap is refused
with a 413 from its Content-Length, so it is never read or spooled to disk; the upload
handler below also counts the bytes that arrive, for bodies that understate their size.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import status
from rest_framework.exceptions import APIException

# (URL name, method) pairs whose bodies are video files.
VIDEO_UPLOAD_ROUTES = {
    ("video-list", "POST"),
    ("video-upload", "POST"),
    ("video-tus-upload", "PATCH"),
    ("video-tus-upload", "POST"),  # PATCH sent as POST with X-HTTP-Method-Override
}
# Room for a multipart body's boundaries and headers around the file itself.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def body_limit(request: HttpRequest) -> int:
    """The largest body this request's route takes, in bytes."""
    try:
        route = resolve(request.path_info).url_name
    except Resolver404:
        route = None
    if (route, request.method) in VIDEO_UPLOAD_ROUTES:
        return settings.VIDEO_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
    if request.content_type == "multipart/form-data":
        return settings.UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _too_large(size: int | None, limit: int) -> str:
    stated = f"The request body is {size} bytes" if size is not None else "The request body"
    return f"{stated}; this endpoint takes at most {limit} bytes."


class BodySizeLimitMiddleware:
    """Answer 413 (or 400 for a malformed Content-Length) before the body is read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.META.get("CONTENT_LENGTH") or ""
        if raw:
            if not (raw.isascii() and raw.isdigit()):
                return _error("Content-Length must be a whole number of bytes.", "bad_length", 400)
            size, limit = int(raw), body_limit(request)
            if size > limit:
                return _error(_too_large(size, limit), "request_too_large", 413)
        return self.get_response(request)


def _error(detail: str, code: str, status_code: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, "errors": {}}, status=status_code)


class SizeLimitedUploadHandler(FileUploadHandler):
    """First upload handler: stop a multipart upload once it passes its route's cap."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit = body_limit(self.request)
        if content_length > self.limit:
            raise RequestTooLarge(_too_large(content_length, self.limit))
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise RequestTooLarge(_too_large(None, self.limit))
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
