"""The sweep of stored files whose row never committed, for every app (jobs.orphans)."""

import uuid
from typing import Any

from jobs import storage
from jobs.base_task import job_task
from jobs.locks import one_run_at_a_time
from jobs.models import ProcessingJob
from jobs.orphans import FileOwner, orphan_files_sweep, register_file_owner
from jobs.progress import JobRun


def _job_id_of(name: str) -> uuid.UUID | None:
    parts = name.split("/")
    try:
        return uuid.UUID(parts[2]) if len(parts) >= 4 else None
    except ValueError:
        return None


def _job_files_referenced(names: list[str]) -> set[str]:
    """A job's inputs and outputs are its own as long as its row exists."""
    ids = {name: _job_id_of(name) for name in names}
    existing = set(
        ProcessingJob.objects.filter(pk__in={i for i in ids.values() if i}).values_list(
            "pk", flat=True
        )
    )
    return {name for name, job_id in ids.items() if job_id is None or job_id in existing}


# Uploads are stored before their job's row commits (jobs.services.submission).
register_file_owner(
    FileOwner(
        name="jobs",
        prefixes=(storage.INPUTS_ROOT, storage.OUTPUTS_ROOT),
        referenced=_job_files_referenced,
    )
)


@job_task(
    job_type="orphan_files_sweep",
    name="jobs.cleanup.sweep_orphaned_files",
    queue="low_priority",
    max_attempts=3,
    retry_for=(ConnectionError, TimeoutError),
    soft_time_limit=50 * 60,
    time_limit=55 * 60,
    description="Delete stored files whose row never committed or is gone (every app's).",
)
@one_run_at_a_time(
    "sweep_orphaned_files", ttl_seconds=55 * 60, busy="Another sweep is in progress."
)
def sweep_orphaned_files(run: JobRun) -> dict[str, Any]:
    """Delete files no row points to, once they are old enough; never two runs at once."""
    return orphan_files_sweep()
