"""The welcome email a new account gets (seed 003's send_welcome_email)."""

import logging

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from config.errors import InvalidRequest
from notifications.models import Notification
from notifications.services.messages import notification_send

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh-hant")


def site_language() -> str:
    """The site's message language: zh-hant when LANGUAGE_CODE is Chinese, else en."""
    return "zh-hant" if settings.LANGUAGE_CODE.lower().startswith("zh") else "en"


@transaction.atomic
def send_welcome_email(*, user: AbstractBaseUser, language: str = "") -> Notification | None:
    """Queue the welcome email of a user with an address (in the caller's transaction).

    Returns None, sending nothing, for a user without a usable address.
    """
    if not user.email:
        return None
    language = language if language in LANGUAGES else site_language()
    try:
        with transaction.atomic():
            return notification_send(
                channel="email",
                recipient=user.email,
                template=f"accounts/{language}/welcome",
                context={"username": user.get_username(), "site_url": settings.PUBLIC_BASE_URL},
                related=user,
                user=user,
            )
    except InvalidRequest:
        logger.warning("no welcome email for user_id=%s: address not usable", user.pk)
        return None
