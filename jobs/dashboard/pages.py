"""The dashboard's page registry: each app registers its pages in `AppConfig.ready()`.

The shell (login, logout, the nav, the overview API) is the jobs app's; a page belongs to
the app whose data it shows and is mounted under the `dashboard` URL namespace by
`jobs.dashboard_urls`, so the shell never names another app. Staff pages make the
operator nav; "mine" pages (every signed-in user's own) make the user nav.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.urls import get_script_prefix, reverse_lazy

Audience = Literal["staff", "mine"]

staff_required = staff_member_required(login_url=reverse_lazy("dashboard:login"))
user_required = login_required(login_url=reverse_lazy("dashboard:my-login"))


@dataclass(frozen=True)
class DashboardPage:
    name: str  # URL name in the `dashboard` namespace, and the nav's current-page key
    label: str  # the nav link's text
    route: str  # path from the site root, e.g. "dashboard/videos/"
    view: Callable
    audience: Audience = "staff"
    order: int = 100  # place in the nav; the first page is the audience's home

    @property
    def url_name(self) -> str:
        return f"dashboard:{self.name}"


_pages: dict[str, DashboardPage] = {}


def register_page(page: DashboardPage) -> None:
    """Add a page to the dashboard; the same name twice with another route is a bug."""
    existing = _pages.get(page.name)
    if existing is not None and existing.route != page.route:
        raise ValueError(f"Dashboard page {page.name!r} is already registered.")
    _pages[page.name] = page


def pages(audience: Audience | None = None) -> list[DashboardPage]:
    """The registered pages (of one audience), in nav order."""
    chosen = [p for p in _pages.values() if audience is None or p.audience == audience]
    return sorted(chosen, key=lambda page: (page.order, page.name))


def home(audience: Audience) -> DashboardPage | None:
    """The audience's first page: where its login lands and its brand link points."""
    found = pages(audience)
    return found[0] if found else None


def page_context(page: str, *, mine: bool = False, **extra: Any) -> dict[str, Any]:
    """The template context of a dashboard page: its nav, the API root, Flower's URL."""
    audience: Audience = "mine" if mine else "staff"
    other: Audience = "staff" if mine else "mine"
    return {
        "page": page,
        "mine": mine,
        "nav": pages(audience),
        "home": home(audience),
        "other_home": home(other),
        "api_root": f"{get_script_prefix()}api/v1/",
        "flower_url": settings.FLOWER_URL,
        **extra,
    }
