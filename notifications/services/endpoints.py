"""Webhook endpoints: create (with a new secret), change, delete."""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from config.errors import InvalidRequest, NotAllowed
from notifications.models import WebhookEndpoint, WebhookEvent
from notifications.signatures import generate_secret
from notifications.ssrf import UnsafeTarget, check_url

logger = logging.getLogger(__name__)


def _checked_url(url: str) -> str:
    try:
        check_url(
            url,
            allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
            extra_ports=settings.WEBHOOK_ALLOWED_PORTS,
        )
    except UnsafeTarget as exc:
        raise InvalidRequest(errors={"url": [str(exc)]})
    return url


def _checked_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in WebhookEvent.values]
    if unknown:
        raise InvalidRequest(
            errors={
                "event_types": [
                    f"Unknown event type(s): {', '.join(unknown)}. "
                    f"Choose from: {', '.join(WebhookEvent.values)}."
                ]
            }
        )
    if not chosen:
        raise InvalidRequest(errors={"event_types": ["Subscribe to at least one event type."]})
    return chosen


def _checked_all_objects(owner: AbstractBaseUser, all_objects: bool) -> bool:
    if all_objects and not owner.is_superuser:
        raise NotAllowed(
            "Only superusers can subscribe an endpoint to everyone's objects (all_objects)."
        )
    return all_objects


@transaction.atomic
def webhook_endpoint_create(
    *,
    owner: AbstractBaseUser,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    all_objects: bool = False,
) -> WebhookEndpoint:
    """Create an endpoint with a fresh `whsec_` secret (the caller shows it once)."""
    all_objects = _checked_all_objects(owner, all_objects)
    endpoint = WebhookEndpoint.objects.create(
        owner=owner,
        url=_checked_url(url),
        event_types=_checked_event_types(event_types),
        description=description,
        all_objects=all_objects,
        secret=generate_secret(),
    )
    logger.info("webhook endpoint created endpoint_id=%s owner_id=%s", endpoint.pk, owner.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change url, event_types, description, all_objects or is_active.

    Enabling clears the failure record.
    """
    allowed = {"url", "event_types", "description", "is_active", "all_objects"}
    unexpected = set(changes) - allowed
    if unexpected:
        raise ValueError(f"Cannot change {', '.join(sorted(unexpected))} of an endpoint.")
    if "url" in changes:
        endpoint.url = _checked_url(changes["url"])
    if "event_types" in changes:
        endpoint.event_types = _checked_event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "all_objects" in changes:
        endpoint.all_objects = _checked_all_objects(endpoint.owner, changes["all_objects"])
    if "is_active" in changes and changes["is_active"] != endpoint.is_active:
        endpoint.is_active = changes["is_active"]
        if endpoint.is_active:
            endpoint.failure_streak = 0
            endpoint.disabled_reason = ""
            endpoint.disabled_at = None
        else:
            endpoint.disabled_reason = "Disabled by its owner."
            endpoint.disabled_at = timezone.now()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Give the endpoint a new secret; the next attempts are signed with it."""
    endpoint.secret = generate_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log."""
    logger.info("webhook endpoint deleted endpoint_id=%s", endpoint.pk)
    endpoint.delete()
