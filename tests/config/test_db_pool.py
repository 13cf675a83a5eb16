"""DATABASE_POOL: a web process shares a few health-checked connections among its threads,
reports them on /metrics, and answers 503 (not 500) when it can't get one."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.request import Request, urlopen

import pytest
from django.db import OperationalError, connection
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests import servers

APP_NAME = "reelhouse-pool-test"
METRICS_TOKEN = "pool-metrics-token-0123456789"
MAX_SIZE = 2


def _backends() -> int:
    """Server-side connections the pooled web process holds right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        )
        return cursor.fetchone()[0]


@pytest.fixture
def pooled_web(transactional_db, tmp_path):
    """gunicorn, one process with 8 threads, on a pool of at most MAX_SIZE connections."""
    port = servers.free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "8",
            "--timeout",
            "60",
        ],
        cwd=servers.BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": servers.test_database_url(),
            "DATABASE_POOL": "1",
            "DATABASE_POOL_MIN_SIZE": "1",
            "DATABASE_POOL_MAX_SIZE": str(MAX_SIZE),
            "METRICS_TOKEN": METRICS_TOKEN,
            "PGAPPNAME": APP_NAME,  # libpq names every connection the process opens
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=servers.die_with_the_test_session,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urlopen(f"{base}/api/health/", timeout=5)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail((tmp_path / "gunicorn.log").read_text()[-4000:])
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(20)
    log.close()


@pytest.mark.worker
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")
def test_threads_share_a_bounded_pool_and_metrics_show_it(pooled_web):
    def health(_: int) -> int:
        with urlopen(f"{pooled_web}/api/health/", timeout=60) as response:
            return response.status

    with ThreadPoolExecutor(16) as pool:
        running = pool.map(health, range(48))
        peak = max(_backends() for _ in range(20))
        statuses = list(running)

    assert statuses == [200] * 48
    assert 1 <= peak <= MAX_SIZE
    request = Request(f"{pooled_web}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urlopen(request, timeout=30) as response:
        text = response.read().decode()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("reelhouse_db_pool_max_connections", (("database", "default"),))] == MAX_SIZE
    assert samples[("reelhouse_db_pool_checkouts_total", (("database", "default"),))] >= 48
    in_use = samples[
        ("reelhouse_db_pool_connections", (("database", "default"), ("state", "in_use")))
    ]
    idle = samples[("reelhouse_db_pool_connections", (("database", "default"), ("state", "idle")))]
    assert 1 <= in_use + idle <= MAX_SIZE


def test_no_database_connection_in_time_is_a_503_with_retry_after():
    class Busy(APIView):
        authentication_classes = ()
        permission_classes = ()

        def get(self, request):
            raise OperationalError("couldn't get a connection after 10.00 sec")

    response = Busy.as_view()(APIRequestFactory().get("/api/v1/anything/"))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.data["code"] == "database_unavailable"
    assert "try again" in response.data["detail"]
