"""API URLs of the jobs app (mounted under /api/v1/)."""

from config.routers import OptionalSlashRouter
from jobs.views import JobViewSet

router = OptionalSlashRouter()
router.register("jobs", JobViewSet, basename="job")

urlpatterns = router.urls
