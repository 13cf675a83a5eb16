"""Settings of the test workers: the project's, plus one test hook.

Between transactional tests the database is flushed and its content types are created
again under new ids, while a long-lived worker process still caches the old ones; a job
the worker creates with a target would then point at a content type that is gone. The
hook module clears that cache before each task.
"""

from config.settings import *  # noqa: F403

CELERY_IMPORTS = ["tests.worker_hooks"]
