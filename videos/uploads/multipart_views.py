"""S3 presigned multipart uploads at /api/v1/videos/multipart/.

Start one (presigned part URLs come back), PUT the parts straight to S3, then complete
it: the object is checked and becomes a video with its processing job. GET returns fresh
URLs for the parts still missing, so a client can resume after a crash.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from videos.models import Video
from videos.storage import StorageUnavailable
from videos.uploads import s3, selectors
from videos.uploads.models import MultipartUpload, UploadStatus
from videos.uploads.serializers import (
    MultipartCompletedSerializer,
    MultipartCompleteSerializer,
    MultipartCreateSerializer,
    MultipartUploadSerializer,
)
from videos.uploads.services import (
    multipart_part_urls,
    multipart_progress_record,
    multipart_upload_abort,
    multipart_upload_complete,
    multipart_upload_create,
)
from videos.validation import UploadRejected
from videos.views import StorageDown

UUID_PATTERN = "[0-9a-fA-F-]{32,36}"


class MultipartUploadViewSet(viewsets.GenericViewSet):
    """Your multipart uploads (staff: everyone's); others' answer 404."""

    serializer_class = MultipartUploadSerializer
    lookup_value_regex = UUID_PATTERN
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return MultipartUpload.objects.none()
        return selectors.multipart_upload_list(user=self.request.user).select_related("owner")

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, StorageUnavailable):
            exc = StorageDown()
        elif isinstance(exc, s3.S3Refused):
            exc = UploadRejected(f"S3 refused the request: {exc.message} ({exc.code})")
        return super().handle_exception(exc)

    @extend_schema(
        request=MultipartCreateSerializer,
        responses={201: MultipartUploadSerializer},
        summary="Start an S3 multipart upload; PUT each part to its presigned URL.",
    )
    def create(self, request: Request) -> Response:
        serializer = MultipartCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = multipart_upload_create(owner=request.user, **serializer.validated_data)
        body = {"upload": upload, "parts": multipart_part_urls(upload=upload)}
        return Response(MultipartUploadSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=MultipartUploadSerializer,
        summary="The upload, the parts S3 has, and fresh URLs for the missing ones.",
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        uploaded = multipart_progress_record(upload=upload)
        parts = []
        if upload.status == UploadStatus.UPLOADING:
            have = {part["part_number"] for part in uploaded}
            missing = [n for n in range(1, upload.part_count + 1) if n not in have]
            parts = multipart_part_urls(upload=upload, part_numbers=missing)
        body = {"upload": upload, "parts": parts, "uploaded_parts": uploaded}
        return Response(MultipartUploadSerializer(body).data)

    @extend_schema(
        request=MultipartCompleteSerializer,
        responses={202: MultipartCompletedSerializer},
        summary="Join the parts (with the ETags S3 gave), check the file, start processing.",
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        serializer = MultipartCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = multipart_upload_complete(upload=upload, parts=serializer.validated_data["parts"])
        video = Video.objects.filter(pk=upload.video_id).first()
        body = {
            "upload_id": upload.pk,
            "video_id": upload.video_id,
            "processing_job_id": upload.job_id,
            "status": video.status if video else "deleted",
            "message": "Upload complete; the video is being processed.",
        }
        location = request.build_absolute_uri(
            reverse("video-detail", kwargs={"pk": upload.video_id})
        )
        return Response(
            MultipartCompletedSerializer(body).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )

    @extend_schema(request=None, responses={204: None}, summary="Abort and delete the parts.")
    @action(detail=True, methods=["post"])
    def abort(self, request: Request, pk: str | None = None) -> Response:
        multipart_upload_abort(upload=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
