"""`manage.py cleanup_jobs`: delete finished jobs older than --days, and their files."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.services import jobs_cleanup


class Command(BaseCommand):
    help = (
        "Delete completed, failed and cancelled jobs that finished more than --days ago, "
        "in batches, with the input and output files of file-handling job types."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.JOBS_RETENTION_DAYS,
            help="Keep jobs finished within this many days (default: %(default)s).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=settings.JOBS_CLEANUP_BATCH_SIZE,
            help="Rows deleted per transaction (default: %(default)s).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        count = jobs_cleanup(
            older_than=timedelta(days=days),
            batch_size=options["batch_size"],
            dry_run=options["dry_run"],
        )
        if options["dry_run"]:
            message = f"Dry run: would delete {count} finished job(s) older than {days} day(s)."
        else:
            message = f"Deleted {count} finished job(s) older than {days} day(s)."
        self.stdout.write(self.style.SUCCESS(message))
