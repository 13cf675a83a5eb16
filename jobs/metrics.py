"""Prometheus collectors for jobs: counts by status and type, queue depths, durations.

Each collector reads the database (and the broker) when scraped, so every web process
reports the same numbers and no process keeps metric state of its own.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric

from config.celery import QUEUE_NAMES
from jobs import broker
from jobs.models import JobStatus, ProcessingJob, WorkerHeartbeat
from jobs.registry import all_job_types
from jobs.selectors import job_counts

# Seconds; fixed so the series stay comparable between scrapes and deployments.
DURATION_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
DURATION_WINDOW = timedelta(hours=24)


def _bucket_key(bound: float) -> str:
    return f"le_{str(bound).replace('.', '_')}"


class JobsCollector:
    """Jobs by status and type, broker queue depths, and recent job durations."""

    def collect(self) -> Iterator[Metric]:
        yield self._jobs_by_status()
        yield from self._queue_depths()
        yield self._durations()
        yield from self._workers()

    def _workers(self) -> Iterator[GaugeMetricFamily]:
        """Task slots of each live worker, and how many live workers consume each queue."""
        slots = GaugeMetricFamily(
            "reelhouse_worker_slots",
            "Task slots of each live worker (by heartbeat), busy or idle at its last beat.",
            labels=["worker", "state"],
        )
        consumers = {name: 0 for name in QUEUE_NAMES}
        for worker in WorkerHeartbeat.alive():
            busy = min(worker.busy, worker.concurrency) if worker.concurrency else worker.busy
            slots.add_metric([worker.hostname, "busy"], busy)
            slots.add_metric([worker.hostname, "idle"], max(worker.concurrency - busy, 0))
            for queue in worker.queues:
                consumers[queue] = consumers.get(queue, 0) + 1
        yield slots
        gauge = GaugeMetricFamily(
            "reelhouse_queue_consumers",
            "Live workers (by heartbeat) consuming each queue.",
            labels=["queue"],
        )
        for queue, count in sorted(consumers.items()):
            gauge.add_metric([queue], count)
        yield gauge

    def _jobs_by_status(self) -> GaugeMetricFamily:
        gauge = GaugeMetricFamily(
            "reelhouse_jobs",
            "Jobs in the database by type and status (finished ones counted each minute).",
            labels=["job_type", "status"],
        )
        counts: dict[tuple[str, str], int] = {}
        for job_type, _, status, n in job_counts():  # finished counts: cached a minute
            counts[job_type, status] = counts.get((job_type, status), 0) + n
        # Every status of every known type, zeros included, so series never vanish.
        job_types = {job_type.name for job_type in all_job_types()} | {jt for jt, _ in counts}
        for job_type in sorted(job_types):
            for status in JobStatus.values:
                gauge.add_metric([job_type, status], counts.get((job_type, status), 0))
        return gauge

    def _queue_depths(self) -> Iterator[GaugeMetricFamily]:
        depths = broker.queue_depths()
        reachable = any(depth is not None for depth in depths.values())
        up = GaugeMetricFamily(
            "reelhouse_broker_up", "1 if the broker answered the queue-depth query, else 0."
        )
        up.add_metric([], 1 if reachable else 0)
        yield up
        gauge = GaugeMetricFamily(
            "reelhouse_queue_depth", "Messages waiting in each broker queue.", labels=["queue"]
        )
        for queue, depth in depths.items():
            if depth is not None:
                gauge.add_metric([queue], depth)
        yield gauge

    def _durations(self) -> HistogramMetricFamily:
        histogram = HistogramMetricFamily(
            "reelhouse_job_duration_seconds",
            "Run time (start to finish) of jobs completed in the last 24 hours.",
            labels=["job_type"],
        )
        duration = ExpressionWrapper(F("completed_at") - F("started_at"), DurationField())
        buckets = {
            _bucket_key(bound): Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
            for bound in DURATION_BUCKETS
        }
        rows = (
            ProcessingJob.objects.filter(
                status=JobStatus.COMPLETED,
                completed_at__gte=timezone.now() - DURATION_WINDOW,
                started_at__isnull=False,
            )
            .annotate(duration=duration)
            .order_by()
            .values("job_type")
            .annotate(count=Count("pk"), total=Sum("duration"), **buckets)
        )
        for row in sorted(rows, key=lambda r: r["job_type"]):
            cumulative = [(str(float(b)), row[_bucket_key(b)]) for b in DURATION_BUCKETS]
            cumulative.append(("+Inf", row["count"]))
            total = row["total"].total_seconds() if row["total"] else 0.0
            histogram.add_metric([row["job_type"]], cumulative, sum_value=total)
        return histogram
