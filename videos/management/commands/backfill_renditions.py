"""`manage.py backfill_renditions`: HLS ladders and storyboards for videos made before them."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from videos.services.backfill import videos_backfill_renditions


class Command(BaseCommand):
    help = (
        "Start a processing job for each ready video that has no HLS ladder or storyboard "
        "yet, up to --limit per run, reading --batch-size videos at a time. Run it again "
        "to carry on: videos already queued or done are not queued again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=100,
            help="Most jobs to start in this run (default: %(default)s).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=50,
            help="Videos read per query (default: %(default)s).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the videos it would queue; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1 or options["batch_size"] < 1:
            raise CommandError("--limit and --batch-size must be at least 1.")
        result = videos_backfill_renditions(
            limit=options["limit"], batch_size=options["batch_size"], dry_run=options["dry_run"]
        )
        for video_id, job_id in result.started:
            verb = "would queue" if options["dry_run"] else f"queued job {job_id} for"
            self.stdout.write(f"{verb} video {video_id}")
        for video_id, reason in result.skipped:
            self.stdout.write(f"skipped video {video_id}: {reason}")
        done = "Dry run: would queue" if options["dry_run"] else "Queued"
        self.stdout.write(
            self.style.SUCCESS(
                f"{done} {len(result.started)} video(s); {result.remaining} more still "
                "lack renditions."
            )
        )
