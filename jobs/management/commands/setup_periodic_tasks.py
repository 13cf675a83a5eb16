"""Create the periodic tasks the apps declare (their `schedules.py`) in django-celery-beat."""

from django.core.management.base import BaseCommand

from jobs.periodic import sync_periodic_tasks


class Command(BaseCommand):
    help = (
        "Create every declared periodic task by name. Existing tasks keep an operator's admin "
        "edits unless --force; tasks no longer declared are disabled, never deleted."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Overwrite admin edits with the declared values."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would change.")

    def handle(self, *args, force: bool, dry_run: bool, **options) -> None:
        report = sync_periodic_tasks(force=force, dry_run=dry_run)
        prefix = "[dry run] would have " if dry_run else ""
        for label, names in (
            ("created", report.created),
            ("updated", report.updated),
            ("disabled", report.disabled),
        ):
            for name in names:
                self.stdout.write(f"{prefix}{label}: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} left as they are, {len(report.disabled)} disabled."
            )
        )
