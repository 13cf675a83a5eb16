"""The jobs API: list, submit, inspect, cancel and retry jobs; types and statistics."""

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.pagination import LargeTablePagination
from config.parsers import StrictJSONParser
from jobs import selectors, services
from jobs.filters import JobFilter
from jobs.models import ProcessingJob
from jobs.registry import submittable_job_types
from jobs.serializers import (
    JobCancelSerializer,
    JobCreateSerializer,
    JobSerializer,
    JobStatusSerializer,
    JobTypeSerializer,
    QueueStatisticsSerializer,
    job_type_summary,
)


class JobPagination(LargeTablePagination):
    """Pages of jobs; `count` is estimated above 1,000 matching jobs (`count_is_estimate`)."""


_CANCEL_RESPONSES = {
    200: OpenApiResponse(JobSerializer, description="Cancelled."),
    202: OpenApiResponse(
        JobSerializer, description="Running: cancel requested; it stops at its next checkpoint."
    ),
    409: OpenApiResponse(description="Already completed, failed or cancelled."),
}


@extend_schema_view(
    list=extend_schema(summary="List jobs (your own; staff see all)"),
    retrieve=extend_schema(summary="A job with its params, result and timings"),
    destroy=extend_schema(summary="Cancel a job", responses=_CANCEL_RESPONSES),
)
class JobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Background jobs: submit user job types, follow their progress, cancel or retry them."""

    serializer_class = JobSerializer
    filterset_class = JobFilter
    pagination_class = JobPagination
    search_fields = ["job_type", "id", "error"]
    ordering_fields = [
        "created_at",
        "started_at",
        "completed_at",
        "status",
        "job_type",
        "queue",
        "progress",
        "priority",
        "attempts",
    ]
    ordering = ["-created_at"]
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"

    def get_parsers(self) -> list:
        # Only submitting takes files (multipart); everything else is JSON. Called before
        # `self.action` is set, so the action is looked up from the method.
        method = (getattr(self.request, "method", None) or "").lower()
        if getattr(self, "action_map", {}).get(method) == "create":
            return [StrictJSONParser(), MultiPartParser()]
        return super().get_parsers()

    def get_queryset(self) -> QuerySet[ProcessingJob]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ProcessingJob.objects.none()
        return selectors.job_list(user=self.request.user)

    @extend_schema(
        summary="Submit a job",
        request={
            "application/json": JobCreateSerializer,
            "multipart/form-data": JobCreateSerializer,
        },
        responses={202: JobSerializer},
    )
    def create(self, request: Request) -> Response:
        """Validate and queue a job of a user-submittable type; 202 with the new job."""
        serializer = JobCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.job_submit(
            job_type=serializer.validated_data["job_type"],
            params=serializer.validated_data["params"],
            files=serializer.validated_files(),
            created_by=request.user,
        )
        job.refresh_from_db()  # published on commit: show `queued`, not the stale `pending`
        body = JobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Cancel the job (the row is kept)."""
        return self._cancel(request, force=False)

    @extend_schema(summary="Cancel a job", request=JobCancelSerializer, responses=_CANCEL_RESPONSES)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel the job; `force` (staff only) stops a running task at once."""
        serializer = JobCancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._cancel(request, force=serializer.validated_data["force"])

    def _cancel(self, request: Request, *, force: bool) -> Response:
        job = self.get_object()
        if force and not request.user.is_staff:
            raise PermissionDenied("Only staff can force-cancel a job; cancel without force.")
        job = services.job_cancel(job=job, force=force)  # 409 when its state forbids it
        code = status.HTTP_200_OK if job.is_final else status.HTTP_202_ACCEPTED
        return Response(JobSerializer(job, context=self.get_serializer_context()).data, code)

    @extend_schema(
        summary="Retry a failed or cancelled job",
        request=None,
        responses={
            201: JobSerializer,
            403: OpenApiResponse(description="Only staff can retry this type."),
            409: OpenApiResponse(description="The job is not failed or cancelled."),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Create a new job with the same type and params; 201 with the new job."""
        job = self.get_object()
        if not request.user.is_staff and not _user_submittable(job.job_type):
            # Jobs started by another app belong to its workflow (e.g. re-upload a video).
            raise PermissionDenied(f"Only staff can retry {job.job_type} jobs.")
        with transaction.atomic():
            services.user_jobs_quota_check(user=request.user)
            new_job = services.job_retry(job=job, created_by=request.user)
        body = JobSerializer(new_job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(summary="A job's compact status", responses=JobStatusSerializer)
    @action(detail=True, methods=["get"], url_path="status")
    def job_status(self, request: Request, pk: str | None = None) -> Response:
        """Status, progress, message, attempts, error and duration: cheap to poll."""
        return Response(JobStatusSerializer(self.get_object()).data)

    @extend_schema(
        summary="Queue statistics (your jobs; staff: all jobs and broker depths)",
        responses=QueueStatisticsSerializer,
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def stats(self, request: Request) -> Response:
        """Counts by status, type and queue, waiting ages and last-hour outcomes."""
        created_by = None if request.user.is_staff else request.user
        return Response(selectors.queue_statistics(created_by=created_by))

    @extend_schema(
        summary="Job types you can submit, with their params",
        responses=JobTypeSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def types(self, request: Request) -> Response:
        """Submittable job types with a summary of their params, to build forms from."""
        job_types = submittable_job_types(staff=request.user.is_staff)
        return Response([job_type_summary(jt, user=request.user) for jt in job_types])


def _user_submittable(job_type: str) -> bool:
    """A type a non-staff user may submit (and so retry)."""
    return any(jt.name == job_type for jt in submittable_job_types(staff=False))
