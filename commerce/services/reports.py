"""The daily sales report: totals and per-product rows, a CSV in storage, an email to staff."""

import csv
import io
import logging
from datetime import UTC, date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Count, FileField, Sum
from django.utils import timezone

from commerce.models import DailySalesReport, Order, OrderItem
from commerce.models.orders import PAID_STATUSES
from commerce.money import format_amount
from commerce.services import notices
from jobs.orphans import FileOwner, register_file_owner

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("sku", "name", "currency", "quantity", "revenue")
SALES_CSV_FOLDER = "reports/sales"


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _rows(day: date) -> list[dict[str, object]]:
    start, end = _day_bounds(day)
    lines = (
        OrderItem.objects.filter(
            order__status__in=PAID_STATUSES, order__paid_at__gte=start, order__paid_at__lt=end
        )
        .values("product_id", "sku", "name", "order__currency")
        .annotate(quantity=Sum("quantity"), revenue_minor=Sum("line_total_minor"))
        .order_by("-revenue_minor", "sku")
    )
    return [
        {
            "product_id": line["product_id"],
            "sku": line["sku"],
            "name": line["name"],
            "currency": line["order__currency"],
            "quantity": line["quantity"],
            "revenue": format_amount(line["revenue_minor"], line["order__currency"]),
        }
        for line in lines
    ]


def _totals(day: date) -> tuple[int, dict[str, str]]:
    start, end = _day_bounds(day)
    by_currency = (
        Order.objects.filter(status__in=PAID_STATUSES, paid_at__gte=start, paid_at__lt=end)
        .values("currency")
        .annotate(orders=Count("pk"), revenue=Sum("total_minor"))
        .order_by("currency")
    )
    orders = sum(row["orders"] for row in by_currency)
    return orders, {
        row["currency"]: format_amount(row["revenue"], row["currency"]) for row in by_currency
    }


def _csv(rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def sales_report_build(*, day: date, email: bool = True) -> DailySalesReport:
    """Build (or rebuild) the report of `day`, replacing any earlier one for that date.

    Staff are emailed the first time a day's report is built; a rebuild replaces the
    figures and the CSV without emailing again. The CSV is stored before the transaction
    that points the row at it (no storage write under the row lock); a file whose row
    never committed is deleted by the orphan sweep (jobs.orphans).
    """
    rows = _rows(day)
    orders_count, totals = _totals(day)
    name = _store_csv(day, rows)
    try:
        with transaction.atomic():
            report, _ = DailySalesReport.objects.select_for_update().get_or_create(date=day)
            old_file = report.csv_file.name if report.csv_file else ""
            report.orders_count = orders_count
            report.items_count = sum(int(row["quantity"]) for row in rows)
            report.totals = totals
            report.rows = rows
            report.generated_at = timezone.now()
            report.csv_file.name = name
            report.save()
            if old_file and old_file != name:
                transaction.on_commit(lambda: _csv_storage().delete(old_file))
            if email and report.emailed_at is None and notices.sales_report_notify(report=report):
                report.emailed_at = timezone.now()
                report.save(update_fields=["emailed_at"])
    except BaseException:
        _csv_storage().delete(name)
        raise
    logger.info(
        "sales report built date=%s orders=%s file=%s", day, orders_count, report.csv_file.name
    )
    return report


def _csv_field() -> FileField:
    return DailySalesReport._meta.get_field("csv_file")


def _csv_storage() -> Storage:
    return _csv_field().storage


def _store_csv(day: date, rows: list[dict[str, object]]) -> str:
    """Store the CSV under a fresh name (a rerun never overwrites a file a row points to)."""
    name = _csv_field().generate_filename(None, f"sales-{day.isoformat()}.csv")
    return _csv_storage().save(name, ContentFile(_csv(rows)))


def _referenced(names: list[str]) -> set[str]:
    return set(
        DailySalesReport.objects.filter(csv_file__in=names).values_list("csv_file", flat=True)
    )


register_file_owner(
    FileOwner(name="commerce.sales_reports", prefixes=(SALES_CSV_FOLDER,), referenced=_referenced)
)
