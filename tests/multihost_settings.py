"""Settings of web and worker processes with broker queues of their own (tests/scaleout/).

The test web servers' settings, on a broker key prefix of their own: the session's test
worker consumes the same Redis database and must not take these hosts' jobs.
"""

import os

from tests.web_settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "global_keyprefix": os.environ.get("TEST_BROKER_KEYPREFIX", ""),
}
