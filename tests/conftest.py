"""Shared fixtures: users, API clients and a real Celery worker."""

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management.base import CommandError
from django.db import OperationalError
from django.test import Client, testcases
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.s3_buckets import S3Bucket, new_bucket, use_s3_storage
from tests.servers import moto_server
from tests.waiting import wait_for_jobs_to_settle
from tests.workers import WorkerProcess


@pytest.fixture(scope="session", autouse=True)
def _clean_test_area() -> None:
    """Start each session with an empty broker, media and mail folder."""
    for folder in ("broker/queue", "media", "mail"):
        path = Path(settings.VAR_DIR) / folder
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
    (Path(settings.VAR_DIR) / "broker/control").mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session", autouse=True)
def _media_served_by_the_app():
    """Let the live server's /media/ requests reach Reelhouse's signed-media view.

    Django's LiveServerThread serves MEDIA_ROOT at MEDIA_URL itself, unsigned, in front of
    the app; Reelhouse serves media only through signed URLs, so that shortcut must not
    answer (it would hide exactly what the browser tests check).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testcases._MediaFilesHandler, "_should_handle", lambda self, path: False)
        yield


def _is_deadlock(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OperationalError) and "deadlock detected" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


@pytest.fixture(scope="session", autouse=True)
def _flush_survives_deadlocks():
    """Retry the flush between transactional tests when PostgreSQL reports a deadlock.

    The flush TRUNCATEs every table while real workers may still touch rows (a heartbeat
    reaping, an announcement finishing); PostgreSQL then fails one side of the deadlock,
    and when that is the flush, a test that passed would error. The failed TRUNCATE rolled
    back, so trying again is safe.
    """
    original = testcases.TransactionTestCase._fixture_teardown

    def teardown(self: testcases.TransactionTestCase) -> None:
        for attempt in range(1, 6):
            try:
                return original(self)
            except (OperationalError, CommandError) as exc:
                # `flush` wraps the database's error in a CommandError
                if not _is_deadlock(exc) or attempt == 5:
                    raise
                time.sleep(0.5 * attempt)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testcases.TransactionTestCase, "_fixture_teardown", teardown)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Start each test with an empty cache: throttle counters must not carry over."""
    cache.clear()


@pytest.fixture(autouse=True)
def _no_welcome_emails(settings) -> None:
    """Users made by factories are not welcomed: their emails and jobs would crowd every
    test's counts. tests/notifications/test_welcome.py turns the welcome back on."""
    settings.WELCOME_EMAIL = False


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(staff_user) -> Client:
    """A browser session of a staff superuser (admin, dashboard); replaces pytest-django's."""
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture(scope="module")
def moto_s3() -> Iterator[tuple[S3Bucket, dict[str, str]]]:
    """A moto S3 server with a fresh bucket (one per test module), and the environment that
    points storage at it (tests/s3_buckets.py)."""
    with moto_server() as endpoint:
        yield new_bucket(endpoint)


@pytest.fixture
def s3_storage(moto_s3, settings) -> Iterator[S3Bucket]:
    """This process's default storage is the module's moto bucket (no worker reads it).

    The module shares the bucket: multipart uploads a test leaves open are aborted after it.
    """
    bucket, env = moto_s3
    use_s3_storage(settings, env)
    yield bucket
    bucket.abort_open_uploads()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker) -> Iterator[WorkerProcess]:
    """One real worker for the session, consuming every queue of the test broker."""
    worker = WorkerProcess().wait_ready()
    yield worker
    worker.stop()


@pytest.fixture
def live_worker(celery_worker, transactional_db) -> Iterator[WorkerProcess]:
    """The session worker, with committed data it can see (use in worker tests)."""
    if celery_worker.process.poll() is not None:
        pytest.fail(f"The test worker died:\n{celery_worker.log()[-4000:]}")
    yield celery_worker
    wait_for_jobs_to_settle()  # before the flush, which would race the worker's locks
