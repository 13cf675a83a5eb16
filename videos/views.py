"""The videos API: upload, list, read, edit, delete, reprocess and download."""

from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.throttling import UserRateThrottle

from videos import selectors, storage
from videos.filters import VideoFilter
from videos.links import rendition_url
from videos.models import Video
from videos.serializers import (
    JobAcceptedSerializer,
    ThumbnailAcceptedSerializer,
    ThumbnailRequestSerializer,
    VideoSerializer,
    VideoUpdateSerializer,
    VideoUploadResponseSerializer,
    VideoUploadSerializer,
)
from videos.services import (
    video_create,
    video_delete,
    video_reprocess,
    video_thumbnail_request,
    video_update,
)
from videos.validation import VideoUploadHandler

UPLOAD_ACTIONS = ("create", "upload")
UPLOAD_ACCEPTED = "Upload accepted; the video is being processed."


class StorageDown(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Media storage is unavailable right now; try again in a minute."
    default_code = "storage_unavailable"


class ReprocessRateThrottle(UserRateThrottle):
    """Each reprocess is a full transcode: VIDEO_REPROCESS_RATE per user, then 429."""

    scope = "video_reprocess"


class VideoViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your videos (staff: everyone's); others' videos answer 404."""

    serializer_class = VideoSerializer
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    filterset_class = VideoFilter
    search_fields = ["title"]
    ordering_fields = ["created_at", "title", "duration", "status"]
    ordering = ["-created_at"]

    def _requested_action(self, request) -> str | None:
        method = getattr(request, "method", None) or ""
        return getattr(self, "action_map", {}).get(method.lower())

    def initialize_request(self, request, *args, **kwargs) -> Request:
        # Before anything reads the body: uploads stream to disk under the size limit.
        if self._requested_action(request) in UPLOAD_ACTIONS:
            request.upload_handlers = [VideoUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    def get_parsers(self) -> list:
        if self._requested_action(self.request) in UPLOAD_ACTIONS:
            return [MultiPartParser()]
        return super().get_parsers()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Video.objects.none()
        return selectors.video_list(user=self.request.user)

    @extend_schema(
        request={"multipart/form-data": VideoUploadSerializer},
        responses={202: VideoUploadResponseSerializer},
        summary="Upload a video (multipart `file` + `title`); processing starts at once.",
    )
    def create(self, request: Request) -> Response:
        return self._upload(request)

    @extend_schema(
        request={"multipart/form-data": VideoUploadSerializer},
        responses={202: VideoUploadResponseSerializer},
        summary="Upload a video (same as POST /videos/).",
    )
    @action(detail=False, methods=["post"])
    def upload(self, request: Request) -> Response:
        return self._upload(request)

    def _upload(self, request: Request) -> Response:
        serializer = VideoUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        try:
            video = video_create(
                owner=request.user,
                file=upload,
                filename=upload.name or "",
                title=serializer.validated_data["title"],
                description=serializer.validated_data["description"],
            )
        except storage.StorageUnavailable:
            raise StorageDown() from None
        body = {
            "id": video.pk,
            "video_id": video.pk,
            "status": video.status,
            "job_id": video.current_job_id,
            "message": UPLOAD_ACCEPTED,
        }
        location = reverse("video-detail", kwargs={"pk": video.pk}, request=request)
        return Response(
            VideoUploadResponseSerializer(body).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )

    @extend_schema(request=VideoUpdateSerializer, responses=VideoSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        video = self.get_object()
        serializer = VideoUpdateSerializer(video, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        video = video_update(video=video, **serializer.validated_data)
        return Response(self.get_serializer(video).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        video = self.get_object()
        try:
            video_delete(video=video)
        except storage.StorageUnavailable:
            raise StorageDown() from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: JobAcceptedSerializer})
    @action(
        detail=True,
        methods=["post"],
        throttle_classes=[UserRateThrottle, ReprocessRateThrottle],
    )
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        video = self.get_object()
        job = video_reprocess(video=video, requested_by=request.user)  # 409 while busy
        body = {
            "video_id": video.pk,
            "job_id": job.pk,
            "status": "processing",
            "message": "Reprocessing started.",
        }
        return Response(JobAcceptedSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=ThumbnailRequestSerializer,
        responses={202: ThumbnailAcceptedSerializer},
        summary="Make the thumbnail from the frame at `at_seconds` (a job; 400 outside the video).",
    )
    @action(detail=True, methods=["post"])
    def thumbnail(self, request: Request, pk: str | None = None) -> Response:
        video = self.get_object()
        serializer = ThumbnailRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        at = serializer.validated_data["at_seconds"]
        # 400 for a time outside the video, 409 while it is not ready or busy
        job = video_thumbnail_request(video=video, at_seconds=at, requested_by=request.user)
        body = {
            "video_id": video.pk,
            "at_seconds": at,
            "job_id": job.pk,
            "job": job,
            "message": "The thumbnail is being made; thumbnail_url changes when it is ready.",
        }
        location = reverse("job-detail", kwargs={"pk": job.pk}, request=request)
        return Response(
            ThumbnailAcceptedSerializer(body).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "rendition",
                str,
                OpenApiParameter.PATH,
                enum=list(storage.RENDITIONS),
                description="Which file: original, mp4, proxy or thumbnail.",
            )
        ],
        responses={302: OpenApiResponse(description="Redirect to a signed, expiring URL.")},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"download/(?P<rendition>original|mp4|proxy|thumbnail)",
    )
    def download(self, request: Request, pk: str | None = None, rendition: str = "") -> object:
        """Redirect to a signed, expiring URL of one of the video's files."""
        video = self.get_object()
        url = rendition_url(video, rendition, request=request)
        if url is None:
            raise NotFound(f"This video has no {rendition} file yet (status: {video.status}).")
        return HttpResponseRedirect(url)
