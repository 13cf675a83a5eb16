"""Prometheus collector for the database connection pool of the process that answers.

Unlike the other collectors (which read the database, so every process reports the same
numbers), a pool belongs to one process: each web process reports its own. Scrape every
web process (one target per gunicorn process, or one gunicorn process with threads) or
read these as a sample. Nothing is reported when pooling is off (SQLite, DATABASE_POOL=0).
"""

from collections.abc import Iterator

from django.db import connections
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


class DatabasePoolCollector:
    """Size, use and waits of each database alias's psycopg pool in this process."""

    def collect(self) -> Iterator[Metric]:
        stats = {
            alias: connection.pool.get_stats()
            for alias in connections
            if (connection := connections[alias]).vendor == "postgresql" and connection.pool
        }
        if not stats:
            return
        connections_now = GaugeMetricFamily(
            "reelhouse_db_pool_connections",
            "Connections held by this process's database pool, in use or idle.",
            labels=["database", "state"],
        )
        limit = GaugeMetricFamily(
            "reelhouse_db_pool_max_connections",
            "Most connections this process's database pool may open.",
            labels=["database"],
        )
        waiting = GaugeMetricFamily(
            "reelhouse_db_pool_waiting_requests",
            "Requests waiting for a free connection right now.",
            labels=["database"],
        )
        checkouts = CounterMetricFamily(
            "reelhouse_db_pool_checkouts",
            "Connections handed out by the pool since the process started.",
            labels=["database"],
        )
        timeouts = CounterMetricFamily(
            "reelhouse_db_pool_checkout_timeouts",
            "Requests that got no connection within DATABASE_POOL_TIMEOUT.",
            labels=["database"],
        )
        for alias, pool in stats.items():
            size, idle = pool.get("pool_size", 0), pool.get("pool_available", 0)
            connections_now.add_metric([alias, "in_use"], size - idle)
            connections_now.add_metric([alias, "idle"], idle)
            limit.add_metric([alias], pool.get("pool_max", 0))
            waiting.add_metric([alias], pool.get("requests_waiting", 0))
            checkouts.add_metric([alias], pool.get("requests_num", 0))
            timeouts.add_metric([alias], pool.get("requests_errors", 0))
        yield from (connections_now, limit, waiting, checkouts, timeouts)
