"""Settings of the test web servers (tests/webs.py): the test workers', plus one middleware.

For the reason the test workers clear cached content type ids (tests/worker_settings.py),
a long-lived web process clears them before each request.
"""

from tests.worker_settings import *  # noqa: F403

MIDDLEWARE = ["tests.worker_hooks.ContentTypeCacheClearing", *MIDDLEWARE]  # noqa: F405
