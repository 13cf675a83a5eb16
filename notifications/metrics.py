"""Prometheus collectors for notifications: webhook deliveries and email/SMS sends."""

from collections.abc import Iterator

from django.apps import apps
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric


def _model(name: str):
    """The notifications model, or None while it does not exist."""
    try:
        return apps.get_model("notifications", name)
    except LookupError:
        return None


def _counts_by(
    model_name: str, name: str, documentation: str, *, labels: list[str]
) -> Iterator[Metric]:
    """A gauge of a model's rows counted by its `labels` fields (none while it doesn't exist)."""
    model = _model(model_name)
    if model is None:
        return
    gauge = GaugeMetricFamily(name, documentation, labels=labels)
    rows = model.objects.order_by().values_list(*labels).annotate(n=Count("pk"))
    for *values, count in sorted(rows):
        gauge.add_metric(values, count)
    yield gauge


def _code_class(code: int | None) -> str:
    return f"{code // 100}xx" if code else "none"


class NotificationsCollector:
    """Webhook deliveries by status, webhook responses by code class, notifications sent."""

    def collect(self) -> Iterator[Metric]:
        yield from self._deliveries()
        yield from self._attempts()
        yield from self._notifications()

    def _deliveries(self) -> Iterator[Metric]:
        return _counts_by(
            "WebhookDelivery",
            "reelhouse_webhook_deliveries",
            "Outbound webhook deliveries by event type and status (pending/delivered/failed).",
            labels=["event_type", "status"],
        )

    def _attempts(self) -> Iterator[Metric]:
        model = _model("WebhookAttempt")
        if model is None:
            return
        gauge = GaugeMetricFamily(
            "reelhouse_webhook_attempts",
            'Webhook HTTP attempts by response code class ("none": no response, e.g. timeout).',
            labels=["code_class"],
        )
        counts: dict[str, int] = {}
        rows = model.objects.order_by().values_list("response_code").annotate(n=Count("pk"))
        for code, count in rows:
            key = _code_class(code)
            counts[key] = counts.get(key, 0) + count
        for key, count in sorted(counts.items()):
            gauge.add_metric([key], count)
        yield gauge

    def _notifications(self) -> Iterator[Metric]:
        return _counts_by(
            "Notification",
            "reelhouse_notifications",
            "Email/SMS notifications by channel and status.",
            labels=["channel", "status"],
        )
