"""The job state machine is enforced where status changes, and nowhere else writes it."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from jobs.models import ALLOWED_TRANSITIONS, FINAL_STATUSES, JobStatus, ProcessingJob
from jobs.transitions import InvalidTransition, claim_status, set_status
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db

FORBIDDEN = [
    (current, to)
    for current in JobStatus.values
    for to in JobStatus.values
    if to not in ALLOWED_TRANSITIONS[current]
]


@pytest.mark.parametrize(("current", "to"), FORBIDDEN)
def test_a_move_outside_the_table_raises_and_writes_nothing(current, to):
    job = ProcessingJobFactory(status=current)

    with pytest.raises(InvalidTransition, match=f"from {current} to {to}"):
        set_status(job, to)
    with pytest.raises(InvalidTransition):
        claim_status(job.pk, from_status=current, to=to)

    assert ProcessingJob.objects.get(pk=job.pk).status == current


@pytest.mark.parametrize("final", sorted(FINAL_STATUSES))
def test_a_finished_job_never_moves_again(final):
    assert ALLOWED_TRANSITIONS[final] == frozenset()


def test_an_allowed_claim_moves_only_a_row_still_in_the_expected_status():
    job = ProcessingJobFactory(status=JobStatus.RUNNING)

    assert claim_status(job.pk, from_status=JobStatus.RUNNING, to=JobStatus.COMPLETED)
    assert not claim_status(job.pk, from_status=JobStatus.RUNNING, to=JobStatus.FAILED)
    assert ProcessingJob.objects.get(pk=job.pk).status == JobStatus.COMPLETED


def _status_writes(path: Path) -> list[int]:
    """Lines of `path` that assign `x.status = JobStatus...` or update(status=JobStatus...)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Assign):
            targets = [t for t in node.targets if isinstance(t, ast.Attribute)]
            if any(t.attr == "status" for t in targets) and "JobStatus" in ast.unparse(node.value):
                lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"update", "bulk_update", "update_or_create"}
            and any(
                kw.arg == "status" and "JobStatus" in ast.unparse(kw.value) for kw in node.keywords
            )
        ):
            lines.append(node.lineno)
    return lines


def test_no_module_but_jobs_transitions_writes_a_job_status():
    root = Path(settings.BASE_DIR)
    offenders = {
        str(path.relative_to(root)): lines
        for app in ("jobs", "videos", "commerce", "notifications", "accounts", "config")
        for path in (root / app).rglob("*.py")
        if "migrations" not in path.parts
        and path.name != "transitions.py"
        and (lines := _status_writes(path))
    }
    assert offenders == {}, f"Job status written outside jobs/transitions.py: {offenders}"
