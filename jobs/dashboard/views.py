"""The dashboard: staff-only operator pages, and "My videos" / "My jobs" for every user.

The user pages are the operator pages' templates and scripts with `mine` set: the lists ask
the API for `mine=true`, and the staff-only parts (bulk actions, queues) are left out.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import get_script_prefix, reverse_lazy
from django.views.decorators.cache import never_cache

from config.celery import QUEUE_NAMES
from jobs.dashboard.overview import overview_data
from jobs.models import JobStatus
from jobs.registry import all_job_types

staff_required = staff_member_required(login_url=reverse_lazy("dashboard:login"))
user_required = login_required(login_url=reverse_lazy("dashboard:my-login"))


def _page_context(page: str, *, mine: bool = False, **extra: Any) -> dict[str, Any]:
    return {
        "page": page,
        "mine": mine,
        "api_root": f"{get_script_prefix()}api/v1/",
        "flower_url": settings.FLOWER_URL,
        **extra,
    }


class DashboardLoginView(LoginView):
    """Session login for operators (the dashboard's own page, not the admin's)."""

    template_name = "dashboard/login.html"
    authentication_form = AdminAuthenticationForm  # refuses non-staff accounts
    next_page = reverse_lazy("dashboard:overview")


class UserLoginView(LoginView):
    """Session login for every account, landing on "My videos"."""

    template_name = "dashboard/login.html"
    next_page = reverse_lazy("dashboard:my-videos")
    extra_context = {"mine": True}


@staff_required
def overview_page(request: HttpRequest) -> HttpResponse:
    """Throughput chart, queues, workers and periodic tasks."""
    return render(request, "dashboard/overview.html", _page_context("overview"))


@staff_required
def jobs_page(request: HttpRequest) -> HttpResponse:
    """Submit, follow, cancel and retry jobs."""
    context = _page_context(
        "jobs",
        filters={
            "statuses": JobStatus.values,
            "queues": list(QUEUE_NAMES),
            "job_types": [job_type.name for job_type in all_job_types()],
        },
    )
    return render(request, "dashboard/jobs.html", context)


@staff_required
def videos_page(request: HttpRequest) -> HttpResponse:
    """Upload videos and watch them being processed."""
    return render(request, "dashboard/videos.html", _page_context("videos"))


@user_required
def my_videos_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own videos: upload, status, player, reprocess, delete."""
    return render(request, "dashboard/videos.html", _page_context("my-videos", mine=True))


@user_required
def my_jobs_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own jobs: submit the types they may run, follow, cancel, retry."""
    types = [t.name for t in all_job_types() if request.user.is_staff or not t.staff_only]
    context = _page_context(
        "my-jobs", mine=True, filters={"statuses": JobStatus.values, "job_types": types}
    )
    return render(request, "dashboard/jobs.html", context)


def _staff_json(view: Callable[[HttpRequest], JsonResponse]) -> Callable:
    """Answer 401/403 in the API's error body instead of redirecting to the login page."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> JsonResponse:
        user = request.user
        if not user.is_authenticated:
            return _json_error("Log in as staff to read the overview.", "not_authenticated", 401)
        if not (user.is_active and user.is_staff):
            return _json_error("Only staff can read the overview.", "permission_denied", 403)
        return view(request)

    return wrapped


def _json_error(detail: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code, "errors": {}}, status=status)


@never_cache
@_staff_json
def overview_api(request: HttpRequest) -> JsonResponse:
    """`GET /dashboard/api/overview/`: the overview page's data."""
    if request.method != "GET":
        return _json_error(f'Method "{request.method}" not allowed.', "method_not_allowed", 405)
    return JsonResponse(overview_data())
