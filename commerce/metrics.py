"""Prometheus collectors for commerce: payment provider events and payments."""

from collections.abc import Iterator

from django.apps import apps
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric


def _model(name: str):
    """The commerce model, or None while it does not exist."""
    try:
        return apps.get_model("commerce", name)
    except LookupError:
        return None


class CommerceCollector:
    """Payment events by provider and processing outcome; payments by provider and status."""

    def collect(self) -> Iterator[Metric]:
        yield from self._grouped(
            "PaymentEvent",
            "processing_status",
            "reelhouse_payment_events",
            "Verified payment provider callbacks by provider and processing outcome.",
            "outcome",
        )
        yield from self._grouped(
            "Payment",
            "status",
            "reelhouse_payments",
            "Payments by provider and status.",
            "status",
        )

    def _grouped(
        self, model_name: str, field: str, metric: str, documentation: str, label: str
    ) -> Iterator[Metric]:
        model = _model(model_name)
        if model is None:
            return
        gauge = GaugeMetricFamily(metric, documentation, labels=["provider", label])
        rows = model.objects.order_by().values_list("provider", field).annotate(n=Count("pk"))
        for provider, value, count in sorted(rows):
            gauge.add_metric([provider, value], count)
        yield gauge
