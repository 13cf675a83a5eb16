"""A non-blocking named lease for maintenance tasks that must not overlap."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta

from django.db import IntegrityError
from django.utils import timezone

from jobs.models import MaintenanceLock


@contextmanager
def maintenance_lock(name: str, *, ttl_seconds: int) -> Iterator[bool]:
    """Yield True if this caller holds the lease `name`, False if another run does."""
    holder = uuid.uuid4().hex
    now = timezone.now()
    with suppress(IntegrityError):  # created concurrently by another run: fine
        MaintenanceLock.objects.get_or_create(name=name)
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
