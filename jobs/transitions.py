"""The one place a job's status changes, and the rule it keeps (`ALLOWED_TRANSITIONS`).

Two ways in, one check: `set_status` for a row the caller has locked (select_for_update),
saved so that model signals see it (a `pending` row is published on commit), and
`claim_status` for one conditional UPDATE that moves the row only if it still is in the
status the caller expects (and, given a task id, still belongs to that delivery). Either
raises InvalidTransition before writing anything when the move is not in the table: that is
a bug in the caller, never a user's mistake.
"""

from typing import Any

from jobs.models import ALLOWED_TRANSITIONS, ProcessingJob


class InvalidTransition(RuntimeError):
    """A service tried a status change the job state machine does not allow."""


def check_transition(current: str, to: str) -> None:
    """Raise InvalidTransition unless a job may move from `current` to `to`."""
    if to not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"A job cannot go from {current} to {to}.")


def set_status(job: ProcessingJob, to: str, **fields: Any) -> None:
    """Move a row the caller has locked to `to`, saving `fields` with it."""
    check_transition(job.status, to)
    job.status = to
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", *fields])


def claim_status(
    job_id: Any, *, from_status: str, to: str, task_id: str | None = None, **fields: Any
) -> bool:
    """Move the row from `from_status` to `to` in one UPDATE; False when it was not there."""
    check_transition(from_status, to)
    rows = ProcessingJob.objects.filter(pk=job_id, status=from_status)
    if task_id is not None:
        rows = rows.filter(celery_task_id=task_id)
    return rows.update(status=to, **fields) == 1
