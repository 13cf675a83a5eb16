"""Two real beat processes on one database: one sends the periodic tasks, the other takes
over when the first dies (issue 17: one beat, however many start)."""

import uuid

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from kombu import Queue

from config.celery import app
from tests.beats import BeatProcess

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = "4"


@pytest.fixture
def probe_task():
    """A periodic task due every second, sent to a queue nobody consumes."""
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    queue = f"beat-probe-{uuid.uuid4().hex[:8]}"
    task = PeriodicTask.objects.create(
        name=f"beat probe {queue}", task="tests.beat_probe", interval=every_second, queue=queue
    )
    yield task
    with app.connection_for_write() as connection:
        Queue(queue).bind(connection).delete()


def _sends(beat: BeatProcess, task: PeriodicTask) -> int:
    return beat.log().count(f"Sending due task {task.name} ")


def test_only_the_lease_holder_sends_and_a_standby_takes_over_when_it_dies(probe_task):
    env = {"BEAT_LEASE_SECONDS": LEASE_SECONDS}
    first = BeatProcess(env=env)
    second = None
    try:
        first.wait_for(f"Sending due task {probe_task.name} ")
        second = BeatProcess(env=env)
        second.wait_for("standing by")
        # Let the leader send several more times while the standby watches the lease.
        sent_before = _sends(first, probe_task)
        while _sends(first, probe_task) < sent_before + 5:
            first.wait_for(f"Sending due task {probe_task.name} ")  # fails if it exits
        assert _sends(second, probe_task) == 0, "both beats sent the same periodic task"

        first.kill()  # a lost host: no clean hand-over
        second.wait_for(f"Sending due task {probe_task.name} ", timeout=60)
        assert "Beat lease taken" in second.log()
    finally:
        first.kill()
        if second:
            second.stop()


def test_a_leader_stopped_cleanly_hands_over_at_once(probe_task):
    # A lease far longer than the wait below: only the clean hand-over can explain a takeover.
    env = {"BEAT_LEASE_SECONDS": "600"}
    first = BeatProcess(env=env)
    second = None
    try:
        first.wait_for(f"Sending due task {probe_task.name} ")
        second = BeatProcess(env=env)
        second.wait_for("standing by")
        first.stop()
        second.wait_for(f"Sending due task {probe_task.name} ", timeout=60)
        assert _sends(second, probe_task) >= 1
    finally:
        first.kill()
        if second:
            second.stop()
