"""`manage.py queue_stats`: job counts by status, type and queue, and broker depths."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jobs.models import JobStatus
from jobs.selectors import queue_statistics


def _table(title: str, rows: dict[str, dict[str, int]], depths: dict | None = None) -> list[str]:
    statuses = list(JobStatus.values)
    header = [title, *statuses, "total"] + (["broker"] if depths is not None else [])
    body = []
    for name, counts in rows.items():
        line = [name, *(str(counts.get(s, 0)) for s in statuses), str(sum(counts.values()))]
        if depths is not None:
            depth = depths.get(name)
            line.append("?" if depth is None else str(depth))
        body.append(line)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        return "  ".join(
            [first, *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))]
        )

    return [fmt(header), "  ".join("-" * w for w in widths), *(fmt(row) for row in body)]


class Command(BaseCommand):
    help = "Show job counts by status, type and queue, waiting ages and broker queue depths."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the statistics as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        stats = queue_statistics()
        if options["json"]:
            self.stdout.write(json.dumps(stats, indent=2))
            return
        lines = [
            f"Jobs: {stats['total']}  "
            + "  ".join(f"{status}={n}" for status, n in stats["by_status"].items()),
            f"Last hour: {stats['completed_last_hour']} completed, "
            f"{stats['failed_last_hour']} failed",
            f"Oldest pending: {_age(stats['oldest_pending_age_seconds'])}   "
            f"oldest queued: {_age(stats['oldest_queued_age_seconds'])}",
            "",
            *_table("queue", stats["by_queue"], stats["broker_queue_depths"] or {}),
            "",
            *_table("job type", stats["by_type"]),
        ]
        self.stdout.write("\n".join(lines))


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
