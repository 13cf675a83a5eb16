"""Daily sales reports."""

from django.db import models
from django.utils import timezone


class DailySalesReport(models.Model):
    """Sales of one (UTC) day: paid orders by their payment time, one row per product."""

    date = models.DateField(unique=True)
    orders_count = models.PositiveIntegerField(default=0)
    items_count = models.PositiveIntegerField(default=0)
    # {"TWD": "1500.00"}: orders in different currencies are never added together.
    totals = models.JSONField(default=dict, blank=True)
    # [{"product_id", "sku", "name", "currency", "quantity", "revenue"}], by revenue.
    rows = models.JSONField(default=list, blank=True)
    csv_file = models.FileField(upload_to="reports/sales/", blank=True, max_length=255)
    generated_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"Sales {self.date}"
