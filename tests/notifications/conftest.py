"""Fixtures for the notifications tests: local HTTP servers and a worker configured for them.

Webhook receivers and the SMS gateway live on 127.0.0.1, which production refuses, and
the gateway's port is only known once it listens; so these tests run their own worker
with that configuration in its environment. The session worker stops consuming while it
runs (and resumes afterwards), so every message goes to the configured one.
"""

from collections.abc import Iterator

import pytest

from config.celery import QUEUE_NAMES
from config.celery import app as celery_app
from tests.notifications.http_servers import ScriptedHttpServer
from tests.waiting import wait_for_jobs_to_settle
from tests.workers import WorkerProcess

SMS_GATEWAY_TOKEN = "test-gateway-token"
# Short waits between webhook attempts, so a retry happens within a test.
TEST_RETRY_SCHEDULE = "0,1,1,1"


@pytest.fixture(scope="module")
def http_server() -> Iterator[ScriptedHttpServer]:
    server = ScriptedHttpServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def sms_gateway_url(http_server) -> str:
    """The one gateway URL the configured worker sends SMS to (200 unless scripted)."""
    return http_server.route()


def _set_consuming(worker: WorkerProcess, *, consuming: bool) -> None:
    control = celery_app.control.add_consumer if consuming else celery_app.control.cancel_consumer
    for queue in QUEUE_NAMES:
        for attempt in range(3):
            try:
                control(queue, destination=[worker.hostname], reply=True, timeout=10)
                break
            except ValueError:
                # The filesystem broker can hand over a reply file still being written
                # (empty JSON); asking again is safe, the commands are idempotent.
                if attempt == 2:
                    raise


@pytest.fixture(scope="module")
def notifications_worker(celery_worker, http_server, sms_gateway_url) -> Iterator[WorkerProcess]:
    """A worker allowed to reach 127.0.0.1, with short retries and the test SMS gateway."""
    _set_consuming(celery_worker, consuming=False)
    worker = WorkerProcess(
        env={
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1",
            "WEBHOOK_ALLOWED_PORTS": str(http_server.port),
            "WEBHOOK_RETRY_SCHEDULE_SECONDS": TEST_RETRY_SCHEDULE,
            "RENDER_RETRY_BACKOFF_SECONDS": "1",
            "SMS_BACKEND": "notifications.sms.HttpGatewaySmsBackend",
            "SMS_GATEWAY_URL": sms_gateway_url,
            "SMS_GATEWAY_TOKEN": SMS_GATEWAY_TOKEN,
        }
    )
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
        _set_consuming(celery_worker, consuming=True)


@pytest.fixture
def notif_worker(
    notifications_worker, http_server, transactional_db, settings
) -> Iterator[WorkerProcess]:
    """The configured worker, with this process's settings matching its environment."""
    if notifications_worker.process.poll() is not None:
        pytest.fail(f"The notifications worker died:\n{notifications_worker.log()[-4000:]}")
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_ALLOWED_PORTS = [http_server.port]
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = [int(s) for s in TEST_RETRY_SCHEDULE.split(",")]
    yield notifications_worker
    wait_for_jobs_to_settle()  # before the flush, which would race the worker's locks
