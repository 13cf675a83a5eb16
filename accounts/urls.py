"""Sign-in URLs (mounted under /api/v1/)."""

from django.urls import re_path

from accounts.views import LogoutView, TokenLoginView

urlpatterns = [
    re_path(r"^auth/token/?$", TokenLoginView.as_view(), name="api-token"),
    re_path(r"^auth/logout/?$", LogoutView.as_view(), name="api-logout"),
]
