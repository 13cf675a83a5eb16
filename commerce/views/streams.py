"""Live streams: hosts create theirs, go live and end them (optionally with a recording)."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from commerce import selectors
from commerce.models import LiveStream
from commerce.serializers.streams import LiveStreamSerializer, StreamEndSerializer
from commerce.services.streams import stream_create, stream_end, stream_start
from videos.validation import VideoUploadHandler


class LiveStreamViewSet(viewsets.ModelViewSet):
    """Your live streams."""

    serializer_class = LiveStreamSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "started_at", "scheduled_for"]
    search_fields = ["title"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LiveStream.objects.none()
        return selectors.streams_visible_to(self.request.user)

    def perform_create(self, serializer: LiveStreamSerializer) -> None:
        serializer.instance = stream_create(host=self.request.user, **serializer.validated_data)

    @extend_schema(request=None, responses=LiveStreamSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """Go live."""
        stream = stream_start(stream=self.get_object())
        return Response(LiveStreamSerializer(stream).data)

    @extend_schema(
        request={"multipart/form-data": StreamEndSerializer}, responses=LiveStreamSerializer
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def end(self, request: Request, pk: str | None = None) -> Response:
        """End the stream; a `recording` file becomes one of your videos and is processed."""
        stream = self.get_object()
        serializer = StreamEndSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        recording = serializer.validated_data.get("recording")
        stream = stream_end(
            stream=stream, recording=recording, filename=recording.name if recording else ""
        )
        return Response(LiveStreamSerializer(self.get_queryset().get(pk=stream.pk)).data)

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body: a recording streams to a temporary file and is
        # refused early when over the video size limit.
        method = (getattr(request, "method", None) or "").lower()
        if getattr(self, "action_map", {}).get(method) == "end":
            request.upload_handlers = [VideoUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)
