"""Dashboard URLs (mounted at the site root): the shell, and every registered page.

Pages are registered by their apps (`jobs.dashboard.pages.register_page`) and all share
the `dashboard` namespace: `dashboard:videos` is the videos app's page, mounted here.
"""

from django.contrib.auth.views import LogoutView
from django.urls import path, re_path, reverse_lazy

from jobs.dashboard import views
from jobs.dashboard.pages import pages

app_name = "dashboard"

urlpatterns = [
    *(path(page.route, page.view, name=page.name) for page in pages()),
    path("dashboard/login/", views.DashboardLoginView.as_view(), name="login"),
    path(
        "dashboard/logout/",
        LogoutView.as_view(next_page=reverse_lazy("dashboard:login")),
        name="logout",
    ),
    path("my/login/", views.UserLoginView.as_view(), name="my-login"),
    path(
        "my/logout/",
        LogoutView.as_view(next_page=reverse_lazy("dashboard:my-login")),
        name="my-logout",
    ),
    re_path(r"^dashboard/api/overview/?$", views.overview_api, name="overview-api"),
]
