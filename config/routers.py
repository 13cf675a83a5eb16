"""The API router: every path works with and without its trailing slash."""

from django.db import models
from rest_framework.routers import SimpleRouter

# Integer ids in paths: at most 18 digits, so every one fits a 64-bit column. A longer
# number is a 404, never an overflow in the database driver.
INTEGER_ID = "[0-9]{1,18}"


def _has_integer_pk(viewset: type) -> bool:
    serializer = getattr(viewset, "serializer_class", None)
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    return model is not None and isinstance(model._meta.pk, models.IntegerField)


class OptionalSlashRouter(SimpleRouter):
    """A router whose URL patterns accept `/x` and `/x/` alike, with bounded integer ids."""

    def __init__(self) -> None:
        super().__init__()
        self.trailing_slash = "/?"

    def get_lookup_regex(self, viewset: type, lookup_prefix: str = "") -> str:
        if getattr(viewset, "lookup_value_regex", None) is None and _has_integer_pk(viewset):
            field = getattr(viewset, "lookup_field", "pk")
            kwarg = getattr(viewset, "lookup_url_kwarg", None) or field
            return f"(?P<{lookup_prefix}{kwarg}>{INTEGER_ID})"
        return super().get_lookup_regex(viewset, lookup_prefix)
