"""How long an upload session lives: TUS_UPLOAD_EXPIRE_HOURS after it was last touched.

One rule for tus and S3 multipart uploads, for the rows and for what they leave on disk
or on S3.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone


def upload_expiry(now: datetime | None = None) -> datetime:
    """Return when an upload touched at `now` expires."""
    return (now or timezone.now()) + timedelta(hours=settings.TUS_UPLOAD_EXPIRE_HOURS)


def upload_expiry_cutoff(now: datetime | None = None) -> datetime:
    """Return the time before which an untouched upload (or its leftovers) has expired."""
    return (now or timezone.now()) - timedelta(hours=settings.TUS_UPLOAD_EXPIRE_HOURS)
