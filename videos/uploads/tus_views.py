"""The tus 1.0.0 server at /api/v1/videos/uploads/ (creation, termination, expiration).

DRF views with no parsers: nothing reads the request body except PATCH, which streams it
to the partial file (or, on S3, to multipart parts) in bounded blocks (never
`request.body`, which Django caps at DATA_UPLOAD_MAX_MEMORY_SIZE). Authentication is the
API's (token or session + CSRF). GET returns the upload as JSON; it is this server's
addition, so it needs no Tus-Resumable header. Others' uploads answer 404.
"""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, UnsupportedMediaType
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from videos.storage import StorageUnavailable
from videos.uploads import selectors
from videos.uploads.models import TusUpload, UploadStatus
from videos.uploads.serializers import TusUploadSerializer
from videos.uploads.services import tus_upload_append, tus_upload_create, tus_upload_terminate
from videos.uploads.services.tus import upload_gone
from videos.uploads.tus_headers import (
    OFFSET_CONTENT_TYPE,
    TUS_VERSION,
    discovery_headers,
    expires_header,
    parse_length,
    parse_metadata,
    parse_offset,
)
from videos.views import StorageDown

# Clients behind proxies that only pass GET/POST send the real method in this header.
METHOD_OVERRIDE = "X-HTTP-Method-Override"
OVERRIDABLE = {"PATCH", "DELETE"}


class UnsupportedTusVersion(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = f"Send the header Tus-Resumable: {TUS_VERSION} (the tus version spoken here)."
    default_code = "tus_version_unsupported"


class LengthRequired(APIException):
    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_detail = "Send the chunk's size in Content-Length (chunked bodies are not accepted)."
    default_code = "length_required"


class TusView(APIView):
    """What every tus endpoint shares: version check, tus headers, open OPTIONS."""

    parser_classes: list = []
    tus_exempt_methods = ("OPTIONS", "GET")

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        override = request.headers.get(METHOD_OVERRIDE, "").upper()
        if request.method == "POST" and override in OVERRIDABLE:
            request.method = override
        return super().initialize_request(request, *args, **kwargs)

    def get_permissions(self) -> list:
        if self.request.method == "OPTIONS":
            return [AllowAny()]  # discovery, and browsers' preflight, carry no credentials
        return super().get_permissions()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if (
            request.method not in self.tus_exempt_methods
            and request.headers.get("Tus-Resumable") != TUS_VERSION
        ):
            raise UnsupportedTusVersion()
        super().initial(request, *args, **kwargs)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = TUS_VERSION
        if request.method == "OPTIONS" or response.status_code == 412:
            for name, value in discovery_headers().items():
                response[name] = value
        return response

    @extend_schema(
        summary="tus discovery: the supported version, extensions and maximum size.",
        request=None,
        responses={204: None},
    )
    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)


def _upload_headers(upload: TusUpload) -> dict[str, str]:
    """Return the headers that describe an upload's progress and outcome."""
    headers = {
        "Upload-Offset": str(selectors.tus_upload_offset(upload)),
        "Upload-Length": str(upload.length),
        "Upload-Status": str(upload.status),
        "Cache-Control": "no-store",
    }
    if upload.status == UploadStatus.UPLOADING:
        headers["Upload-Expires"] = expires_header(upload.expires_at)
    if upload.video_id:
        headers["Upload-Video-Id"] = str(upload.video_id)
    if upload.job_id:
        headers["Upload-Job-Id"] = str(upload.job_id)
    return headers


class TusUploadCreateView(TusView):
    """POST here to start an upload (tus creation)."""

    @extend_schema(
        summary="Start a tus upload (headers Upload-Length and Upload-Metadata).",
        description=(
            "Upload-Metadata: comma-separated `key base64(value)` pairs; `filename` is "
            "required, `title` (default: the file name) and `description` are optional. "
            "The 201 response's Location is the upload's URL for HEAD, PATCH and DELETE."
        ),
        request=None,
        parameters=[
            OpenApiParameter("Tus-Resumable", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Length", int, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Metadata", str, OpenApiParameter.HEADER, required=True),
        ],
        responses={201: OpenApiResponse(description="Created; see the Location header.")},
    )
    def post(self, request: Request) -> Response:
        length = parse_length(request.headers.get("Upload-Length"))
        raw_metadata = request.headers.get("Upload-Metadata", "")
        metadata = parse_metadata(raw_metadata)
        try:
            upload = tus_upload_create(
                owner=request.user,
                length=length,
                filename=metadata.get("filename", ""),
                title=metadata.get("title", ""),
                description=metadata.get("description", ""),
                metadata=raw_metadata,
            )
        except StorageUnavailable:
            raise StorageDown() from None
        location = request.build_absolute_uri(
            reverse("video-tus-upload", kwargs={"pk": str(upload.pk)})
        )
        headers = {**_upload_headers(upload), "Location": location}
        return Response(status=status.HTTP_201_CREATED, headers=headers)


class TusUploadView(TusView):
    """One upload: HEAD for its offset, PATCH to append, DELETE to terminate, GET as JSON."""

    def get_object(
        self, pk: str, *, allow_failed: bool = False, allow_expired: bool = False
    ) -> TusUpload:
        """Return the caller's upload: 404 for others', 410 when failed or expired."""
        try:
            upload = selectors.tus_upload_list(user=self.request.user).get(pk=pk)
        except TusUpload.DoesNotExist:
            raise NotFound("No such upload (it may have expired and been removed).") from None
        gone = upload_gone(upload)
        failed = upload.status == UploadStatus.FAILED
        if gone is None or (allow_failed if failed else allow_expired):
            return upload
        raise gone

    @extend_schema(
        summary="The upload's offset, length and outcome as headers (tus).",
        request=None,
        responses={200: None},
    )
    def head(self, request: Request, pk: str) -> Response:
        upload = self.get_object(pk)
        headers = _upload_headers(upload)
        if upload.metadata:
            headers["Upload-Metadata"] = upload.metadata
        return Response(status=status.HTTP_200_OK, headers=headers)

    @extend_schema(
        summary="The upload as JSON: progress, status, video and job ids.",
        responses=TusUploadSerializer,
    )
    def get(self, request: Request, pk: str) -> Response:
        upload = self.get_object(pk, allow_failed=True)
        return Response(TusUploadSerializer(upload).data, headers={"Cache-Control": "no-store"})

    @extend_schema(
        summary="Append a chunk (Content-Type: application/offset+octet-stream).",
        description=(
            "Upload-Offset must equal the bytes received (see HEAD). The last byte turns "
            "the upload into a video whose id and processing job come back as the headers "
            "Upload-Video-Id and Upload-Job-Id."
        ),
        request={OFFSET_CONTENT_TYPE: OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("Tus-Resumable", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("Upload-Offset", int, OpenApiParameter.HEADER, required=True),
        ],
        responses={204: None},
    )
    def patch(self, request: Request, pk: str) -> Response:
        upload = self.get_object(pk)
        content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != OFFSET_CONTENT_TYPE:
            raise UnsupportedMediaType(
                content_type,
                detail=f"Send chunks with Content-Type: {OFFSET_CONTENT_TYPE}.",
            )
        offset = parse_offset(request.headers.get("Upload-Offset"))
        nbytes = _content_length(request)
        try:
            upload = tus_upload_append(
                upload=upload, offset=offset, read=request._request.read, nbytes=nbytes
            )
        except StorageUnavailable:
            raise StorageDown() from None
        return Response(status=status.HTTP_204_NO_CONTENT, headers=_upload_headers(upload))

    @extend_schema(summary="Terminate the upload and delete its data (tus).", responses={204: None})
    def delete(self, request: Request, pk: str) -> Response:
        upload = self.get_object(pk, allow_failed=True, allow_expired=True)
        try:
            tus_upload_terminate(upload=upload)
        except StorageUnavailable:
            raise StorageDown() from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def _content_length(request: Request) -> int:
    """Return the body's size; a body of unknown size (chunked) is refused."""
    value = request.META.get("CONTENT_LENGTH") or ""
    if value.isascii() and value.isdigit():
        return int(value)
    if value or "HTTP_TRANSFER_ENCODING" in request.META:
        raise LengthRequired()
    return 0  # no length and no transfer coding: an empty body
