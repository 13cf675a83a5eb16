"""The videos app's dashboard pages: upload videos and watch them being processed.

"Videos" (staff: every video) and "My videos" (every signed-in user: their own) are one
template and script; registered with the dashboard shell in `VideosConfig.ready()`.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from jobs.dashboard.pages import DashboardPage, page_context, staff_required, user_required


@staff_required
def videos_page(request: HttpRequest) -> HttpResponse:
    """Upload videos and watch them being processed."""
    return render(request, "dashboard/videos.html", page_context("videos"))


@user_required
def my_videos_page(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own videos: upload, status, player, reprocess, delete."""
    return render(request, "dashboard/videos.html", page_context("my-videos", mine=True))


PAGES = (
    DashboardPage(
        name="videos", label="Videos", route="dashboard/videos/", view=videos_page, order=30
    ),
    DashboardPage(
        name="my-videos",
        label="My videos",
        route="my/videos/",
        view=my_videos_page,
        audience="mine",
        order=10,
    ),
)
