"""Live streams: anyone sees live ones; hosts (staff or stream_hosts) create and run theirs."""

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from commerce import selectors
from commerce.errors import NotAStreamHost
from commerce.models import LiveStream
from commerce.serializers.streams import LiveStreamSerializer, StreamEndSerializer
from commerce.services.streams import can_host_streams, stream_create, stream_end, stream_start
from videos.models import Video
from videos.validation import VideoUploadHandler


class CanHostStreamsOrReadOnly(permissions.BasePermission):
    """Reading is for anyone; creating and running streams for staff and stream_hosts."""

    def has_permission(self, request: Request, view: object) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        if not can_host_streams(request.user):
            raise NotAStreamHost()
        return True


class LiveStreamViewSet(viewsets.ModelViewSet):
    """Live streams: live ones are public (their sales numbers are the host's and staff's)."""

    serializer_class = LiveStreamSerializer
    permission_classes = [CanHostStreamsOrReadOnly]
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "started_at", "scheduled_for"]
    search_fields = ["title"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LiveStream.objects.none()
        if self.request.method in permissions.SAFE_METHODS:
            return selectors.streams_visible_to(self.request.user)
        return selectors.streams_run_by(self.request.user)

    def perform_create(self, serializer: LiveStreamSerializer) -> None:
        serializer.instance = stream_create(host=self.request.user, **serializer.validated_data)

    def _answer(self, stream: LiveStream) -> Response:
        fresh = selectors.streams_visible_to(self.request.user).get(pk=stream.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(request=None, responses=LiveStreamSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Go live."""
        return self._answer(stream_start(stream=self.get_object()))

    @extend_schema(
        request={
            "multipart/form-data": StreamEndSerializer,
            "application/json": StreamEndSerializer,
        },
        responses=LiveStreamSerializer,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the stream; its recording (a `recording` file, or `recording_video`, one of
        your uploaded videos) becomes the stream's recording."""
        stream = self.get_object()
        serializer = StreamEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recording = serializer.validated_data.get("recording")
        video = None
        if "recording_video" in serializer.validated_data:
            video = Video.objects.filter(
                pk=serializer.validated_data["recording_video"], owner_id=stream.host_id
            ).first()
            if video is None:
                raise ValidationError({"recording_video": ["The host has no such video."]})
        stream = stream_end(
            stream=stream,
            recording=recording,
            filename=recording.name if recording else "",
            recording_video=video,
        )
        return self._answer(stream)

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body: a recording streams to a temporary file and is
        # refused early when over the video size limit.
        method = (getattr(request, "method", None) or "").lower()
        if getattr(self, "action_map", {}).get(method) == "end":
            request.upload_handlers = [VideoUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)
