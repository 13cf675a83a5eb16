"""Per-account quotas: what one account may hold open at once, answered with a clear 429.

Anyone can sign up, so each account gets a bounded share of uploads, jobs and unpaid
orders. Staff are operators and are not counted. Services call `quota_check` inside their
transaction after `quota_lock`, which serialises one user's requests so two at once
cannot both take the last slot.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from config.errors import LimitReached


class QuotaExceeded(LimitReached):
    """The account already holds as many of something as it may."""

    code = "quota_exceeded"
    default_message = "You have reached a limit of your account."


def is_limited(user: AbstractBaseUser | None) -> bool:
    """Tell whether quotas apply: to signed-in accounts that are not staff."""
    return bool(user is not None and user.is_authenticated and not user.is_staff)


def quota_lock(user: AbstractBaseUser) -> None:
    """Lock the user's row for the rest of the transaction (one quota decision at a time)."""
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


def quota_check(*, used: int, limit: int, what: str, advice: str) -> None:
    """Raise QuotaExceeded when `used` has reached `limit` (a limit of 0 means no limit)."""
    if limit and used >= limit:
        raise QuotaExceeded(f"You already have {used} {what}; the limit is {limit}. {advice}")
