"""`manage.py requeue_stuck`: republish jobs whose message is lost, fail those out of attempts."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.services import jobs_requeue_stuck


class Command(BaseCommand):
    help = (
        "Find jobs whose message is lost, older than --older-than minutes: pending (never "
        "published), queued with no message in the broker nor held by a live worker, running "
        "on a dead worker; requeue those with attempts left and fail the rest. Jobs waiting "
        "their turn are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=settings.JOBS_STUCK_AFTER_MINUTES,
            metavar="MINUTES",
            help="Silent or waiting for this many minutes (default: %(default)s).",
        )
        parser.add_argument("--job-type", help="Only jobs of this type.")
        parser.add_argument(
            "--limit", type=int, default=1000, help="At most this many jobs (default: 1000)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        minutes: int = options["older_than"]
        if minutes < 0:
            raise CommandError("--older-than must be 0 minutes or more.")
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        outcomes = jobs_requeue_stuck(
            older_than=timedelta(minutes=minutes),
            job_type=options["job_type"],
            dry_run=options["dry_run"],
            limit=options["limit"],
        )
        for outcome in outcomes:
            self.stdout.write(
                f"{outcome.action:<13} {outcome.job_id} {outcome.job_type} "
                f"({outcome.status}): {outcome.reason}"
            )
        counts = {
            action: sum(o.action == action for o in outcomes)
            for action in sorted({o.action for o in outcomes})
        }
        summary = ", ".join(f"{n} {action}" for action, n in counts.items()) or "nothing to do"
        prefix = "Dry run, nothing changed: " if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(f"{prefix}{len(outcomes)} stuck job(s) older than {minutes} min: ")
            + summary
        )
