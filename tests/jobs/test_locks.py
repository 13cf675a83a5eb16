"""Named leases: maintenance runs never overlap; one beat leads."""

import pytest

from jobs.locks import hold_lease, maintenance_lock, release_lease

pytestmark = pytest.mark.django_db


def test_the_first_maintenance_run_on_a_fresh_database_takes_the_lock():
    with maintenance_lock("check_stuck_jobs", ttl_seconds=60) as acquired:
        assert acquired
        with maintenance_lock("check_stuck_jobs", ttl_seconds=60) as overlapping:
            assert not overlapping
    with maintenance_lock("check_stuck_jobs", ttl_seconds=60) as next_run:
        assert next_run


def test_a_lease_has_one_holder_who_renews_it_until_released():
    assert hold_lease("celery-beat", holder="host-a", ttl_seconds=30)
    assert not hold_lease("celery-beat", holder="host-b", ttl_seconds=30)
    assert hold_lease("celery-beat", holder="host-a", ttl_seconds=30)  # renewed

    release_lease("celery-beat", holder="host-b")  # not b's to release
    assert not hold_lease("celery-beat", holder="host-b", ttl_seconds=30)

    release_lease("celery-beat", holder="host-a")
    assert hold_lease("celery-beat", holder="host-b", ttl_seconds=30)


def test_an_expired_lease_goes_to_whoever_asks(settings):
    assert hold_lease("celery-beat", holder="host-a", ttl_seconds=0)
    assert hold_lease("celery-beat", holder="host-b", ttl_seconds=30)
    assert not hold_lease("celery-beat", holder="host-a", ttl_seconds=30)
