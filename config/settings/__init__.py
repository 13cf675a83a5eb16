"""Reelhouse settings, read from the environment (12-factor).

Every variable is documented in `.env.example`. With nothing set, Reelhouse runs on
embedded defaults: a SQLite file, a kombu filesystem broker and media on local disk,
all under `var/`. `DATABASE_URL`, `CELERY_BROKER_URL` and `AWS_STORAGE_BUCKET_NAME`
switch to PostgreSQL, Redis/RabbitMQ and S3.

The settings live in one module per topic. Each module imports by name the settings it
builds on (`environment` holds `env`, `BASE_DIR`, `VAR_DIR`, `TESTING` and `DEBUG`); this
package is `DJANGO_SETTINGS_MODULE` and gathers every module's settings, in this order.
"""

from .environment import *
from .core import *
from .database import *
from .auth import *
from .storage import *
from .security import *
from .api import *
from .celery import *
from .jobs import *
from .videos import *
from .commerce import *
from .notifications import *
from .observability import *

# `from config.settings import *` (tests/worker_settings.py) takes the settings only.
__all__ = [name for name in list(globals()) if name.isupper()]
