"""The jobs list API, queue statistics and the dashboard overview at a million jobs.

Fills the jobs table (default 1,000,000 rows: mostly finished, spread over 1,000 users,
every job type and queue, a few thousand active), then times, at the server (the view
called in-process, median of --repeat runs), and counts the SQL queries of:

- the jobs list API, a page of 50 newest first, unfiltered and with each filter the
  dashboard offers (status, job type, queue, a user's own jobs), for staff and a user;
- the same page size of a bare DRF ListAPIView over the same rows (ModelSerializer,
  PageNumberPagination, newest first): the baseline, printed beside it as a throughput
  ratio (goal: >= 0.5);
- queue_statistics() and the dashboard overview's data.

Use a database of its own; bench rows are marked by their queue ("bench-scale"):

  createdb -h 127.0.0.1 -U postgres reelhouse_bench
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/reelhouse_bench \\
    .venv/bin/python bench/jobs_scale.py            # --rows 1000000 --keep to reuse
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "ERROR")

QUEUE = "bench-scale"
USERS = 1000
PAGE = 50


def setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def fill(rows: int, batch: int = 20_000) -> None:
    """Insert `rows` bench jobs (skipped when that many are there already)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jobs.models import JobStatus, ProcessingJob

    have = ProcessingJob.objects.filter(queue=QUEUE).count()
    if have >= rows:
        print(f"{have:,} bench jobs already there")
        return
    User = get_user_model()
    users = list(User.objects.filter(username__startswith="bench-scale-"))
    if len(users) < USERS:
        User.objects.bulk_create(
            User(username=f"bench-scale-{i}") for i in range(len(users), USERS)
        )
        users = list(User.objects.filter(username__startswith="bench-scale-"))
    types = ["sleep", "csv_stats", "resize_images", "send_emails", "process_video"]
    finished = [JobStatus.COMPLETED] * 18 + [JobStatus.FAILED, JobStatus.CANCELLED]
    active = [JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING]
    now = timezone.now()
    start = time.perf_counter()
    for offset in range(have, rows, batch):
        jobs = []
        for i in range(offset, min(rows, offset + batch)):
            created = now - timedelta(seconds=(rows - i) * 3)
            status = active[i % 3] if i % 500 == 0 else finished[i % len(finished)]
            done = status not in active
            jobs.append(
                ProcessingJob(
                    job_type=types[i % len(types)],
                    queue=QUEUE,
                    status=status,
                    params={"bench": True, "n": i},
                    result={"ok": True} if status == JobStatus.COMPLETED else None,
                    error="bench failure" if status == JobStatus.FAILED else "",
                    attempts=1,
                    progress=100 if done else 0,
                    celery_task_id=str(uuid.uuid4()),
                    created_by=users[i % len(users)],
                    created_at=created,
                    queued_at=created,
                    started_at=created if status != JobStatus.PENDING else None,
                    completed_at=created + timedelta(seconds=2) if done else None,
                )
            )
        ProcessingJob.objects.bulk_create(jobs, batch_size=batch)
        print(f"  {min(rows, offset + batch):,} rows", end="\r", flush=True)
    print(f"inserted {rows - have:,} jobs in {time.perf_counter() - start:.0f} s")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {ProcessingJob._meta.db_table}")


def measure(func: Callable[[], object], repeat: int) -> tuple[float, int]:
    """Median milliseconds of `func` and the number of SQL queries of one run."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    func()  # warm caches, as a serving process is
    with CaptureQueriesContext(connection) as captured:
        func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(1000 * (time.perf_counter() - start))
    return statistics.median(samples), len(captured)


def bare_list_view():
    """The baseline: DRF's own list view of the same rows with nothing of ours."""
    from rest_framework import generics, serializers
    from rest_framework.pagination import PageNumberPagination
    from rest_framework.permissions import AllowAny

    from jobs.models import ProcessingJob

    class BareSerializer(serializers.ModelSerializer):
        class Meta:
            model = ProcessingJob
            fields = "__all__"

    class BarePagination(PageNumberPagination):
        page_size = PAGE

    class BareList(generics.ListAPIView):
        queryset = ProcessingJob.objects.order_by("-created_at")
        serializer_class = BareSerializer
        pagination_class = BarePagination
        permission_classes = [AllowAny]
        authentication_classes = []
        filter_backends = []
        throttle_classes = []

    return BareList.as_view()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the rows for the next run")
    args = parser.parse_args()

    setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.test import APIRequestFactory, force_authenticate

    from jobs.dashboard import overview
    from jobs.selectors import queue_statistics
    from jobs.views import JobViewSet

    print(f"database: {connection.vendor}; {os.cpu_count()} CPUs")
    fill(args.rows)
    User = get_user_model()
    staff, _ = User.objects.get_or_create(username="bench-scale-staff", is_staff=True)
    user = User.objects.get(username="bench-scale-7")
    factory = APIRequestFactory(HTTP_HOST="localhost")
    job_list = JobViewSet.as_view({"get": "list"})
    bare = bare_list_view()

    def ours(query: str, who) -> Callable[[], object]:
        def call() -> object:
            request = factory.get(f"/api/v1/jobs/?page_size={PAGE}&{query}")
            force_authenticate(request, user=who)
            response = job_list(request)
            assert response.status_code == 200, response.data
            return response.render()

        return call

    def baseline() -> object:
        return bare(factory.get("/bare/")).render()

    base_ms, base_queries = measure(baseline, args.repeat)
    print(f"\nbaseline: bare DRF list, page of {PAGE}: {base_ms:.1f} ms, {base_queries} queries")
    print(
        f"\n{'jobs list API (page of 50, newest first)':<46} {'ms':>7} {'queries':>7} "
        f"{'vs bare':>7}"
    )
    cases = [
        ("staff, no filter", "", staff),
        ("staff, status=running", "status=running", staff),
        ("staff, status=failed", "status=failed", staff),
        ("staff, job_type=csv_stats", "job_type=csv_stats", staff),
        ("staff, queue=bench-scale", f"queue={QUEUE}", staff),
        ("staff, status=completed&job_type=sleep", "status=completed&job_type=sleep", staff),
        ("user (own jobs), no filter", "", user),
        ("user (own jobs), status=failed", "status=failed", user),
    ]
    worst = 0.0
    for label, query, who in cases:
        ms, queries = measure(ours(query, who), args.repeat)
        worst = max(worst, ms)
        print(f"{label:<46} {ms:7.1f} {queries:7d} {base_ms / ms:7.2f}x")
    for size in (10, 200):

        def page(size: int = size) -> object:
            request = factory.get(f"/api/v1/jobs/?page_size={size}")
            force_authenticate(request, user=staff)
            return job_list(request).render()

        ms, queries = measure(page, args.repeat)
        print(f"{f'staff, page of {size}':<46} {ms:7.1f} {queries:7d}")

    stats_ms, stats_queries = measure(queue_statistics, args.repeat)
    print(f"\n{'queue_statistics()':<46} {stats_ms:7.1f} {stats_queries:7d}")
    overview_ms, overview_queries = measure(overview.overview_data, args.repeat)
    print(f"{'dashboard overview data':<46} {overview_ms:7.1f} {overview_queries:7d}")
    print(
        f"\ngoals: list < 50 ms (worst {worst:.1f}), <= 4 queries; statistics and overview "
        f"< 50 ms; list throughput >= 0.5x the bare list"
    )

    if not args.keep:
        from jobs.models import ProcessingJob

        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {ProcessingJob._meta.db_table} WHERE queue = %s",  # noqa: S608
                [QUEUE],
            )
        print(f"deleted the bench rows ({cursor.rowcount:,})")


if __name__ == "__main__":
    main()
