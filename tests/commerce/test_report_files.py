"""The daily sales report's CSV is stored before the row points at it, outside any
transaction; a CSV whose row never committed is swept."""

import os
import time
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from commerce.models import DailySalesReport
from commerce.services import reports
from commerce.services.reports import sales_report_build
from jobs.orphans import ORPHAN_MIN_AGE, orphan_files_sweep

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def isolated_media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_report_csv_is_stored_outside_the_transaction(monkeypatch):
    stores: list[bool] = []
    real = reports._store_csv

    def spy(day, rows):
        stores.append(connection.in_atomic_block)
        return real(day, rows)

    monkeypatch.setattr(reports, "_store_csv", spy)
    real_save = default_storage.save

    def save_spy(name, content, **kwargs):
        stores.append(connection.in_atomic_block)
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(default_storage, "save", save_spy)

    report = sales_report_build(day=DAY, email=False)

    assert stores == [False, False]
    assert default_storage.exists(report.csv_file.name)


def test_a_failed_report_transaction_leaves_no_csv(monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(DailySalesReport, "save", broken_save)

    with pytest.raises(RuntimeError):
        sales_report_build(day=DAY, email=False)

    assert not list(default_storage.listdir("reports/sales")[1])


def test_sweep_deletes_old_report_csvs_no_row_points_to():
    report = sales_report_build(day=DAY, email=False)
    lost = default_storage.save("reports/sales/sales-2026-02-28.csv", ContentFile(b"sku\n"))
    for name in (report.csv_file.name, lost):
        then = time.time() - ORPHAN_MIN_AGE.total_seconds() - 60
        os.utime(default_storage.path(name), (then, then))

    result = orphan_files_sweep(owners=["commerce.sales_reports"])

    assert result["deleted"] == [lost]
    assert default_storage.exists(report.csv_file.name)
