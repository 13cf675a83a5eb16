"""The API router: every path works with and without its trailing slash."""

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """A router whose URL patterns accept `/x` and `/x/` alike."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"
