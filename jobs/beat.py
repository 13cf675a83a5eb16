"""One beat, however many start: django-celery-beat's scheduler behind a leader lease.

Every beat process runs `LeaderDatabaseScheduler` (CELERY_BEAT_SCHEDULER). Only the one
holding the `celery-beat` lease (a `MaintenanceLock` row renewed on every tick) sends due
tasks; the others check the lease every few seconds and send nothing. When the leader dies
its lease runs out after `BEAT_LEASE_SECONDS` and a standby takes over; a leader stopped
cleanly gives the lease up at once. The leader writes each entry's `last_run_at` right
after sending it, so a new leader reads up-to-date schedules and does not send again what
the old one already sent.
"""

import logging
import os
import socket
import uuid
from contextlib import suppress
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django_celery_beat.schedulers import DatabaseScheduler

from jobs.locks import hold_lease, release_lease

logger = logging.getLogger(__name__)

LEASE_NAME = "celery-beat"


class LeaderDatabaseScheduler(DatabaseScheduler):
    """A DatabaseScheduler that sends due tasks only while it holds the beat lease."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Persist last_run_at after every sent task, not every 3 minutes: a standby that
        # takes over must not send again what the old leader already sent.
        kwargs.setdefault("sync_every_tasks", 1)
        self.lease_holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = float(settings.BEAT_LEASE_SECONDS)
        self.is_leader = False
        super().__init__(*args, **kwargs)

    @property
    def standby_interval(self) -> float:
        """How often a standby checks the lease (and a leader at least renews it)."""
        return max(1.0, min(5.0, self.lease_seconds / 3))

    def _hold_lease(self) -> bool:
        close_old_connections()
        try:
            return hold_lease(LEASE_NAME, holder=self.lease_holder, ttl_seconds=self.lease_seconds)
        except DatabaseError as exc:
            # Without the database nobody can prove who leads: send nothing until it is back.
            logger.warning("Beat lease: database unavailable (%s); not sending tasks", exc)
            return False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._hold_lease():
            if self.is_leader:
                logger.warning("Beat lease lost: another beat leads now; standing by")
            elif not hasattr(self, "_announced_standby"):
                logger.info("Beat lease held by another beat; standing by (%s)", self.lease_holder)
                self._announced_standby = True
            self.is_leader = False
            return self.standby_interval
        if not self.is_leader:
            logger.info("Beat lease taken: this beat sends periodic tasks (%s)", self.lease_holder)
            self.is_leader = True
            # Forget what was read while standing by: re-read every entry's last_run_at.
            self._initial_read = True
            self._heap = None
        return min(super().tick(*args, **kwargs), self.standby_interval)

    def close(self) -> None:
        super().close()
        if self.is_leader:
            with suppress(DatabaseError):  # else it expires by itself
                release_lease(LEASE_NAME, holder=self.lease_holder)
            self.is_leader = False
