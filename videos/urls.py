"""API URLs of the videos app (mounted under /api/v1/)."""

from django.urls import re_path

from config.routers import OptionalSlashRouter
from videos.uploads.multipart_views import MultipartUploadViewSet
from videos.uploads.tus_views import TusUploadCreateView, TusUploadView
from videos.views import VideoViewSet

router = OptionalSlashRouter()
# Upload routes first: they live under videos/ and must not reach the video routes.
router.register("videos/multipart", MultipartUploadViewSet, basename="video-multipart")
router.register("videos", VideoViewSet, basename="video")

urlpatterns = [
    re_path(r"^videos/uploads/?$", TusUploadCreateView.as_view(), name="video-tus-uploads"),
    re_path(
        r"^videos/uploads/(?P<pk>[0-9a-fA-F-]{32,36})/?$",
        TusUploadView.as_view(),
        name="video-tus-upload",
    ),
    *router.urls,
]
