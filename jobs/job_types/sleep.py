"""`sleep`: a diagnostic job to check the pipeline, cancellation and retries end to end."""

import time
from typing import Any

from django.conf import settings
from rest_framework import serializers

from config.celery import USER_JOBS_QUEUE
from jobs.base_task import job_task
from jobs.errors import PermanentJobError, TransientJobError
from jobs.progress import JobRun


class SleepParams(serializers.Serializer):
    seconds = serializers.FloatField(min_value=0, max_value=3600, default=5)
    fail = serializers.BooleanField(default=False)
    flaky_attempts = serializers.IntegerField(
        min_value=0,
        max_value=10,
        default=0,
        help_text="Fail with a transient error on this many first attempts (tests retries).",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        """Cap what a non-staff account may ask for: a sleep holds a worker slot."""
        fields = super().get_fields()
        user = self.context.get("user")
        if user is not None and not user.is_staff:
            fields["seconds"] = serializers.FloatField(
                min_value=0, max_value=settings.JOBS_USER_SLEEP_MAX_SECONDS, default=5
            )
        return fields


@job_task(
    job_type="sleep",
    name="jobs.generic.sleep",
    queue=USER_JOBS_QUEUE,
    params_serializer=SleepParams,
    max_attempts=3,
    user_submittable=True,
    description=(
        "Sleep for `seconds`, reporting progress every second; `fail` makes it fail, "
        "`flaky_attempts` fails that many first attempts with a transient error."
    ),
)
def sleep_job(run: JobRun) -> dict[str, Any]:
    """Sleep in one-second steps, reporting progress (a cancellation checkpoint) each step."""
    seconds = float(run.params.get("seconds", 5))
    started = time.monotonic()
    run.progress(0, f"Slept 0 of {seconds:.0f} s", force=True)
    while (elapsed := time.monotonic() - started) < seconds:
        time.sleep(min(1.0, seconds - elapsed))
        slept = min(time.monotonic() - started, seconds)
        run.progress(100 * slept / seconds, f"Slept {slept:.0f} of {seconds:.0f} s", force=True)
    if run.job.attempts <= int(run.params.get("flaky_attempts", 0)):
        raise TransientJobError(
            f"Transient failure on attempt {run.job.attempts} (flaky_attempts)."
        )
    if run.params.get("fail"):
        raise PermanentJobError(f"Failed on purpose after sleeping {seconds:g} s (fail=true).")
    return {"slept_seconds": round(time.monotonic() - started, 3)}
