"""Named leases in the database: non-overlapping maintenance runs, and the beat leader.

A lease is a `MaintenanceLock` row taken with a conditional UPDATE (SQLite and PostgreSQL
alike) that expires by itself, so a holder that dies cannot block the others for longer
than its time to live. Times come from the hosts' clocks: keep them in sync (NTP).
"""

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any

from django.db import IntegrityError
from django.db.models import Q
from django.utils import timezone

from jobs.models import MaintenanceLock


@contextmanager
def maintenance_lock(name: str, *, ttl_seconds: int) -> Iterator[bool]:
    """Yield True if this caller holds the lease `name`, False if another run does."""
    holder = uuid.uuid4().hex
    with suppress(IntegrityError):  # created concurrently by another run: fine
        MaintenanceLock.objects.get_or_create(name=name)
    now = timezone.now()  # after the row's creation, whose default is its creation time
    acquired = MaintenanceLock.objects.filter(name=name, locked_until__lte=now).update(
        locked_until=now + timedelta(seconds=ttl_seconds), holder=holder
    )
    try:
        yield bool(acquired)
    finally:
        if acquired:
            MaintenanceLock.objects.filter(name=name, holder=holder).update(
                locked_until=timezone.now(), holder=""
            )


def one_run_at_a_time(
    name: str, *, ttl_seconds: int, busy: str
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Decorate a job function to run under `maintenance_lock(name)`.

    While another run holds the lock, the job does nothing and answers `{"skipped": busy}`.
    Give the lock the job's time limit as `ttl_seconds`.
    """

    def decorate(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> dict[str, Any]:
            with maintenance_lock(name, ttl_seconds=ttl_seconds) as acquired:
                if not acquired:
                    return {"skipped": busy}
                return func(*args, **kwargs)

        return run

    return decorate


def hold_lease(name: str, *, holder: str, ttl_seconds: float) -> bool:
    """Take the lease `name` if it is free or expired, or renew it if `holder` has it.

    Returns whether `holder` holds it now, for `ttl_seconds` from now.
    """
    with suppress(IntegrityError):  # created concurrently by another process: fine
        MaintenanceLock.objects.get_or_create(name=name)
    now = timezone.now()  # after the row's creation, whose default is its creation time
    held = (
        MaintenanceLock.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(locked_until__lte=now))
        .update(locked_until=now + timedelta(seconds=ttl_seconds), holder=holder)
    )
    return bool(held)


def release_lease(name: str, *, holder: str) -> None:
    """Give the lease up at once (a clean shutdown), if `holder` still has it."""
    MaintenanceLock.objects.filter(name=name, holder=holder).update(
        locked_until=timezone.now(), holder=""
    )
