"""The jobs app: stuck jobs, retention, worker liveness, retries and quotas."""

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# --- Reelhouse ------------------------------------------------------------------------
JOBS_STUCK_AFTER_MINUTES = env.int("JOBS_STUCK_AFTER_MINUTES", default=120)
# Counts of finished jobs in statistics and the dashboard are refreshed this often (counting
# millions of rows is slow); waiting and running counts are always live. 0 = always count.
JOBS_FINISHED_COUNTS_CACHE_SECONDS = env.int("JOBS_FINISHED_COUNTS_CACHE_SECONDS", default=60)
JOBS_RETENTION_DAYS = env.int("JOBS_RETENTION_DAYS", default=30)
JOBS_CLEANUP_BATCH_SIZE = env.int("JOBS_CLEANUP_BATCH_SIZE", default=5000)
JOBS_PROGRESS_INTERVAL_SECONDS = env.float("JOBS_PROGRESS_INTERVAL_SECONDS", default=1.0)
# Worker liveness (jobs/liveness.py): every worker writes a heartbeat row this often; a
# worker silent for JOBS_WORKER_DEAD_AFTER_SECONDS is dead and its running jobs are requeued.
JOBS_WORKER_HEARTBEAT_SECONDS = env.float("JOBS_WORKER_HEARTBEAT_SECONDS", default=15.0)
JOBS_WORKER_DEAD_AFTER_SECONDS = env.float("JOBS_WORKER_DEAD_AFTER_SECONDS", default=90.0)
if JOBS_WORKER_DEAD_AFTER_SECONDS < 2 * JOBS_WORKER_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "JOBS_WORKER_DEAD_AFTER_SECONDS must be at least twice JOBS_WORKER_HEARTBEAT_SECONDS, "
        "or a live but busy worker could be taken for dead."
    )
# Retries after a transient error wait BACKOFF x 2^(attempt-1) s (+-25% jitter), at most MAX.
JOBS_RETRY_BACKOFF_SECONDS = env.float("JOBS_RETRY_BACKOFF_SECONDS", default=60.0)
JOBS_RETRY_BACKOFF_MAX_SECONDS = env.float("JOBS_RETRY_BACKOFF_MAX_SECONDS", default=3600.0)
# Quotas of non-staff accounts (0 = no limit): jobs waiting or running at once, and the
# longest `sleep` job they may submit.
JOBS_MAX_ACTIVE_PER_USER = env.int("JOBS_MAX_ACTIVE_PER_USER", default=20)
JOBS_USER_SLEEP_MAX_SECONDS = env.int("JOBS_USER_SLEEP_MAX_SECONDS", default=60)
DEMO_ADMIN_USERNAME = env("DEMO_ADMIN_USERNAME", default="admin")
DEMO_ADMIN_PASSWORD = env("DEMO_ADMIN_PASSWORD", default="")
FLOWER_URL = env("FLOWER_URL", default="")
