"""API tokens: issue one per sign-in, revoke one, revoke all of a user's.

Tokens are django-rest-knox's: only a hash is stored, each one expires after
API_TOKEN_TTL_HOURS, and the client sends `Authorization: Token <key>`.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

logger = logging.getLogger(__name__)

# Signing in again and again must not grow a user's tokens without end: past this many
# live ones, the oldest are revoked.
MAX_TOKENS_PER_USER = 25


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expiry: datetime | None


@transaction.atomic
def auth_token_issue(*, user: AbstractBaseUser) -> IssuedToken:
    """Create a new token for one device or sign-in; the key is shown only this once."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    stale = AuthToken.objects.filter(user=user).order_by("-created")[MAX_TOKENS_PER_USER:]
    AuthToken.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    logger.info("api token issued user_id=%s", user.pk)
    return IssuedToken(token=token, expiry=instance.expiry)


def auth_token_revoke(*, token: AuthToken) -> None:
    """Revoke one token (sign out of one device)."""
    token.delete()
    logger.info("api token revoked user_id=%s", token.user_id)


def auth_tokens_revoke_all(*, user: AbstractBaseUser) -> int:
    """Revoke every token of the user; return how many there were."""
    deleted, _ = AuthToken.objects.filter(user=user).delete()
    logger.info("api tokens revoked user_id=%s count=%s", user.pk, deleted)
    return deleted
