"""`csv_stats`: per-column statistics of an uploaded CSV file, streamed in constant memory."""

import csv
import io
import math
import posixpath
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import default_storage
from rest_framework import serializers

from config.celery import USER_JOBS_QUEUE
from jobs.base_task import job_task
from jobs.errors import PermanentJobError
from jobs.progress import JobRun

DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
MAX_COLUMNS = 500


class CsvStatsParams(serializers.Serializer):
    files = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=1)
    delimiter = serializers.ChoiceField(
        choices=list(DELIMITERS), default="comma", help_text="The field separator."
    )


@dataclass
class ColumnStats:
    """Running statistics of one column: counts, and min/max/mean of its numeric values."""

    name: str
    empty: int = 0
    numeric: int = 0
    total: float = 0.0
    minimum: float | None = None
    maximum: float | None = None

    def add(self, value: str) -> None:
        value = value.strip()
        if not value:
            self.empty += 1
            return
        try:
            number = float(value)
        except ValueError:
            return
        if not math.isfinite(number):  # "nan"/"inf" parse as floats but are not data
            return
        self.numeric += 1
        self.total += number
        self.minimum = number if self.minimum is None else min(self.minimum, number)
        self.maximum = number if self.maximum is None else max(self.maximum, number)

    def as_dict(self, rows: int) -> dict[str, Any]:
        return {
            "name": self.name,
            "non_empty": rows - self.empty,
            "numeric": self.numeric,
            "min": self.minimum,
            "max": self.maximum,
            "mean": round(self.total / self.numeric, 6) if self.numeric else None,
        }


def _header(reader: Any) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise PermanentJobError("The file is empty; expected a header row.") from None
    if len(header) > MAX_COLUMNS:
        raise PermanentJobError(f"Line 1: {len(header)} columns; the limit is {MAX_COLUMNS}.")
    return header


def csv_file_stats(run: JobRun, name: str, delimiter: str) -> dict[str, Any]:
    """Read the stored CSV once, row by row, reporting progress by bytes read."""
    size = default_storage.size(name) or 1
    with default_storage.open(name, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        rows = 0
        try:
            header = _header(reader)
            columns = [ColumnStats(name=column.strip()) for column in header]
            for row in reader:
                if not row:  # a blank line
                    continue
                if len(row) != len(columns):
                    raise PermanentJobError(
                        f"Line {reader.line_num}: expected {len(columns)} fields, found {len(row)}."
                    )
                rows += 1
                for column, value in zip(columns, row, strict=True):
                    column.add(value)
                if rows % 1000 == 0:
                    run.progress(min(99, 100 * raw.tell() / size), f"Read {rows} rows")
        except csv.Error as exc:
            raise PermanentJobError(f"Line {reader.line_num}: {exc}.") from None
        except UnicodeDecodeError:
            raise PermanentJobError(
                f"Near line {reader.line_num + 1}: the file is not UTF-8 text; "
                "save it as UTF-8 CSV and submit it again."
            ) from None
    return {
        "file": posixpath.basename(name),
        "rows": rows,
        "columns": [column.as_dict(rows) for column in columns],
    }


@job_task(
    job_type="csv_stats",
    name="jobs.generic.csv_stats",
    queue=USER_JOBS_QUEUE,
    params_serializer=CsvStatsParams,
    max_attempts=2,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    accepts_files="one",
    user_submittable=True,
    description=(
        "Count the rows of a CSV file (with a header row) and give each column's "
        "non-empty and numeric counts and numeric min, max and mean."
    ),
)
def csv_stats(run: JobRun) -> dict[str, Any]:
    """Compute column statistics of the uploaded CSV file."""
    name = run.params["files"][0]
    if not default_storage.exists(name):
        raise PermanentJobError("The uploaded file no longer exists; submit it again.")
    delimiter = DELIMITERS[run.params.get("delimiter", "comma")]
    return csv_file_stats(run, name, delimiter)
