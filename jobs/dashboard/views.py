"""The dashboard shell and the jobs app's pages: the overview, jobs and "My jobs".

Other apps add their pages through `jobs.dashboard.pages` (e.g. the videos pages in
`videos/dashboard.py`). A user page is an operator page's template and scripts with `mine`
set: the lists ask the API for `mine=true`, and the staff-only parts (bulk actions, queues)
are left out.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from config.celery import QUEUE_NAMES
from jobs.dashboard.overview import overview_data
from jobs.dashboard.pages import (
    DashboardPage,
    home,
    page_context,
    register_page,
    staff_required,
    user_required,
)
from jobs.models import JobStatus
from jobs.registry import all_job_types


class DashboardLoginView(LoginView):
    """Session login for operators (the dashboard's own page, not the admin's)."""

    template_name = "dashboard/login.html"
    authentication_form = AdminAuthenticationForm  # refuses non-staff accounts

    def get_default_redirect_url(self) -> str:
        return reverse(home("staff").url_name)


class UserLoginView(LoginView):
    """Session login for every account, landing on the first user page ("My videos")."""

    template_name = "dashboard/login.html"
    extra_context = {"mine": True}

    def get_default_redirect_url(self) -> str:
        return reverse(home("mine").url_name)


@staff_required
def overview_page(request: HttpRequest) -> HttpResponse:
    """Throughput chart, queues, workers and periodic tasks."""
    return render(request, "dashboard/overview.html", page_context("overview"))


@staff_required
def jobs_page(request: HttpRequest) -> HttpResponse:
    """Submit, follow, cancel and retry jobs."""
    context = page_context(
        "jobs",
        filters={
            "statuses": JobStatus.values,
            "queues": list(QUEUE_NAMES),
            "job_types": [job_type.name for job_type in all_job_types()],
        },
    )
    return render(request, "dashboard/jobs.html", context)


@user_required
def my_jobs_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own jobs: submit the types they may run, follow, cancel, retry."""
    types = [t.name for t in all_job_types() if request.user.is_staff or not t.staff_only]
    context = page_context(
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


PAGES = (
    DashboardPage(
        name="overview", label="Overview", route="dashboard/", view=overview_page, order=10
    ),
    DashboardPage(name="jobs", label="Jobs", route="dashboard/jobs/", view=jobs_page, order=20),
    DashboardPage(
        name="my-jobs",
        label="My jobs",
        route="my/jobs/",
        view=my_jobs_page,
        audience="mine",
        order=20,
    ),
)


def register_pages() -> None:
    """Add the jobs app's pages to the dashboard (from `AppConfig.ready()`)."""
    for page in PAGES:
        register_page(page)
