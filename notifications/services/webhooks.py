"""Outbound webhooks: emit events, deliver each one to its endpoints, retry on a schedule.

Each attempt is one `webhook_deliver` job. After a failed attempt the delivery gets a
`next_attempt_at`; a short wait is timed by a countdown message (`dispatch_delivery`), a
long one by the periodic sweep (`dispatch_due_deliveries`), which also picks up any
delivery whose timer was lost, so a delivery is never dropped. The delivery row is locked
and its state checked before each attempt, so a delivered event is not sent again.
"""

import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.errors import InvalidRequest
from jobs import broker
from jobs.models import ACTIVE_STATUSES, FINAL_STATUSES, ProcessingJob
from jobs.services import job_create
from notifications import signatures
from notifications.delivery import DeliveryOutcome, deliver
from notifications.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

DELIVER_JOB_TYPE = "webhook_deliver"
DISPATCH_TASK = "notifications.webhooks.dispatch_delivery"
# Waits longer than this are left to the periodic sweep: long countdowns sit in worker
# memory and outlive a Redis visibility timeout.
TIMER_MAX_SECONDS = 15 * 60
# A timer may fire a moment early; do not push it back to the next sweep for that.
DUE_SLACK = timedelta(seconds=2)
RETRY_AFTER_MAX_SECONDS = 24 * 3600


def retry_schedule() -> list[int]:
    """Seconds to wait before each attempt; its length is the number of attempts."""
    return [int(s) for s in settings.WEBHOOK_RETRY_SCHEDULE_SECONDS]


def retry_delay(*, attempts_made: int, retry_after: float | None = None) -> float | None:
    """Seconds before the next attempt after `attempts_made` failed ones; None = give up.

    The scheduled wait gets up to 10% jitter; a receiver's Retry-After (capped at a day)
    is honoured when it asks for longer.
    """
    schedule = retry_schedule()
    if attempts_made >= len(schedule):
        return None
    delay = schedule[attempts_made] * random.uniform(1.0, 1.1)
    if retry_after is not None:
        delay = max(delay, min(retry_after, RETRY_AFTER_MAX_SECONDS))
    return delay


def _event(event_type: str, data: dict[str, Any], event_id: str | None) -> dict[str, Any]:
    now = timezone.now()
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": event_type,
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": data,
    }
    try:
        return json.loads(json.dumps(event, cls=DjangoJSONEncoder))
    except TypeError as exc:
        raise ValueError(f"Webhook event data must be JSON-serialisable: {exc}") from exc


def subscribed_endpoints(
    *, event_type: str, owner: AbstractBaseUser | None
) -> list[WebhookEndpoint]:
    """Active endpoints taking `event_type`: the owner's, and those subscribed to all objects.

    Being staff is not enough to receive other people's events: a superuser's endpoint
    must say so (`all_objects`), so a forgotten test endpoint never leaks everyone's data.
    """
    audience = Q(all_objects=True, owner__is_superuser=True)
    if owner is not None and owner.pk is not None:
        audience |= Q(owner_id=owner.pk)
    # event_types is a JSON list: filtered here because SQLite has no JSON containment.
    candidates = WebhookEndpoint.objects.filter(audience, is_active=True).order_by("created_at")
    return [endpoint for endpoint in candidates if endpoint.is_subscribed_to(event_type)]


@transaction.atomic
def webhook_event_emit(
    *,
    event_type: str,
    data: dict[str, Any],
    owner: AbstractBaseUser | None,
    event_id: str | None = None,
) -> list[WebhookDelivery]:
    """Create one delivery (and its first attempt's job) per endpoint subscribed to the event.

    `event_id` (the webhook-id receivers deduplicate on) defaults to a new one.
    """
    if event_type not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event type {event_type!r}.")
    endpoints = subscribed_endpoints(event_type=event_type, owner=owner)
    if not endpoints:
        return []
    payload = _event(event_type, data, event_id)
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type=event_type,
            event_id=payload["id"],
            payload=payload,
            next_attempt_at=timezone.now(),
        )
        _start_attempt(delivery)
        deliveries.append(delivery)
    logger.info(
        "webhook event emitted event_id=%s type=%s deliveries=%s",
        payload["id"],
        event_type,
        len(deliveries),
    )
    return deliveries


def _start_attempt(delivery: WebhookDelivery) -> ProcessingJob:
    job = job_create(
        job_type=DELIVER_JOB_TYPE, params={"delivery_id": str(delivery.pk)}, target=delivery
    )
    delivery.current_job = job
    delivery.save(update_fields=["current_job", "updated_at"])
    return job


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a finished delivery's event again, as a new delivery with the same event id."""
    original = delivery.redelivery_of or delivery
    in_flight = WebhookDelivery.objects.filter(
        Q(pk=original.pk) | Q(redelivery_of=original), status=DeliveryStatus.PENDING
    )
    if in_flight.exists():
        raise InvalidRequest("This event is still being delivered; wait for it to finish.")
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise InvalidRequest("The endpoint is disabled; enable it before redelivering.")
    copy = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=delivery.event_type,
        event_id=delivery.event_id,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
        redelivery_of=original,
    )
    _start_attempt(copy)
    logger.info("webhook redelivery delivery_id=%s of=%s", copy.pk, original.pk)
    return copy


@dataclass(frozen=True)
class ClaimedAttempt:
    url: str
    secret: str
    event_id: str
    body: bytes
    number: int


@transaction.atomic
def webhook_attempt_claim(*, delivery_id: str, job_id: str) -> ClaimedAttempt | str:
    """Check that this job may make the next attempt; return what to send or why not."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return "delivery no longer exists"
    if delivery.status != DeliveryStatus.PENDING:
        return f"delivery already {delivery.status}"
    if str(delivery.current_job_id) != str(job_id):
        return "another job owns this delivery's next attempt"
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        reason = endpoint.disabled_reason or "disabled by its owner"
        _finish(delivery, DeliveryStatus.FAILED, error=f"Endpoint is disabled: {reason}")
        return "endpoint disabled"
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    return ClaimedAttempt(
        url=endpoint.url,
        secret=endpoint.secret,
        event_id=delivery.event_id,
        body=body,
        number=delivery.attempt_count + 1,
    )


def webhook_attempt_run(*, delivery_id: str, job_id: str) -> dict[str, Any]:
    """Make the delivery's next attempt if this job may: sign, send, record."""
    claim = webhook_attempt_claim(delivery_id=delivery_id, job_id=job_id)
    if isinstance(claim, str):
        return {"delivery_id": delivery_id, "skipped": claim}
    signed = signatures.headers(
        msg_id=claim.event_id, timestamp=int(time.time()), body=claim.body, secret=claim.secret
    )
    outcome = deliver(
        url=claim.url,
        body=claim.body,
        headers=signed,
        allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS,
        extra_ports=settings.WEBHOOK_ALLOWED_PORTS,
        deadline_seconds=settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS,
    )
    return webhook_attempt_record(delivery_id=delivery_id, job_id=job_id, outcome=outcome)


@transaction.atomic
def webhook_attempt_record(
    *, delivery_id: str, job_id: str, outcome: DeliveryOutcome
) -> dict[str, Any]:
    """Log one attempt and decide: delivered, failed for good, or try again later."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return {"delivery_id": delivery_id, "skipped": "delivery is not pending"}
    if str(delivery.current_job_id) != str(job_id):
        return {"delivery_id": delivery_id, "skipped": "another job owns this delivery"}
    number = delivery.attempt_count + 1
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=number,
        response_code=outcome.status_code,
        response_excerpt=outcome.excerpt,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
    )
    delivery.attempt_count = number
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if outcome.delivered:
        _finish(delivery, DeliveryStatus.DELIVERED)
        if endpoint.failure_streak:
            endpoint.failure_streak = 0
            endpoint.save(update_fields=["failure_streak", "updated_at"])
        return {"delivery_id": delivery_id, "attempt": number, "status": delivery.status}
    if outcome.gone:
        _finish(delivery, DeliveryStatus.FAILED)
        _disable(endpoint, "The receiver answered 410 Gone.")
        return {"delivery_id": delivery_id, "attempt": number, "status": delivery.status}
    delay = (
        None
        if outcome.refused
        else retry_delay(attempts_made=number, retry_after=outcome.retry_after_seconds)
    )
    if delay is None:
        _finish(delivery, DeliveryStatus.FAILED)
        _count_failed_delivery(endpoint)
        return {"delivery_id": delivery_id, "attempt": number, "status": delivery.status}
    _schedule(delivery, delay)
    return {"delivery_id": delivery_id, "attempt": number, "retry_in_seconds": round(delay, 1)}


def _finish(delivery: WebhookDelivery, status: str, *, error: str | None = None) -> None:
    delivery.status = status
    delivery.next_attempt_at = None
    if status == DeliveryStatus.DELIVERED:
        delivery.delivered_at = timezone.now()
    if error is not None:
        delivery.last_error = error
    delivery.save()
    logger.info(
        "webhook delivery %s delivery_id=%s attempts=%s",
        status,
        delivery.pk,
        delivery.attempt_count,
    )


def _schedule(delivery: WebhookDelivery, delay: float) -> None:
    delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    # The finished attempt's job lets go, so the next dispatch may start a new one.
    delivery.current_job = None
    delivery.save()
    if delay <= TIMER_MAX_SECONDS:
        # Only a wake-up call: the durable record is the row's next_attempt_at, which the
        # periodic sweep reads, so a timer lost with this process delays, never drops.
        transaction.on_commit(
            partial(
                broker.publish_timer,
                task_name=DISPATCH_TASK,
                args=[str(delivery.pk)],
                countdown=delay,
            )
        )
    logger.info("webhook retry delivery_id=%s in %.1fs", delivery.pk, delay)


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.is_active = False
    endpoint.disabled_reason = reason[:255]
    endpoint.disabled_at = timezone.now()
    endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_at", "updated_at"])
    logger.warning("webhook endpoint disabled endpoint_id=%s: %s", endpoint.pk, reason)


def _count_failed_delivery(endpoint: WebhookEndpoint) -> None:
    endpoint.failure_streak += 1
    endpoint.save(update_fields=["failure_streak", "updated_at"])
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILED_DELIVERIES
    if limit and endpoint.failure_streak >= limit:
        _disable(endpoint, f"{endpoint.failure_streak} deliveries in a row failed.")


@transaction.atomic
def webhook_delivery_dispatch(*, delivery_id: str) -> ProcessingJob | None:
    """Start the next attempt of a pending delivery that is due and has no attempt running."""
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",))
        .select_related("current_job")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    if delivery.current_job is not None and delivery.current_job.status in ACTIVE_STATUSES:
        return None
    if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now() + DUE_SLACK:
        return None
    return _start_attempt(delivery)


def webhook_deliveries_dispatch_due(*, limit: int = 1000) -> int:
    """Start attempts for due deliveries without a live job (long waits, lost timers)."""
    due = (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .filter(Q(current_job__isnull=True) | Q(current_job__status__in=FINAL_STATUSES))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    started = sum(webhook_delivery_dispatch(delivery_id=str(pk)) is not None for pk in due)
    if started:
        logger.info("webhook sweep started %s attempts", started)
    return started


def webhook_delivery_fail_for_job(job: ProcessingJob) -> None:
    """Count a delivery job that failed (e.g. its worker died) as a failed attempt."""
    delivery_id = (job.params or {}).get("delivery_id")
    if delivery_id:
        webhook_attempt_record(
            delivery_id=delivery_id,
            job_id=str(job.pk),
            outcome=DeliveryOutcome(error=f"The delivery job failed: {job.error}"[:2000]),
        )


def webhook_deliveries_prune(*, older_than: timedelta, dry_run: bool = False) -> int:
    """Delete delivered deliveries (and their attempts) delivered before the cutoff."""
    cutoff = timezone.now() - older_than
    # An original whose redeliveries are still kept waits for them: deleting it first would
    # turn two redeliveries into originals of the same event.
    old = WebhookDelivery.objects.filter(
        status=DeliveryStatus.DELIVERED, delivered_at__lt=cutoff, redeliveries__isnull=True
    )
    if dry_run:
        return old.count()
    deleted = 0
    while batch := list(old.values_list("pk", flat=True)[:1000]):
        WebhookDelivery.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
    logger.info("webhook deliveries pruned=%s cutoff=%s", deleted, cutoff.isoformat())
    return deleted
