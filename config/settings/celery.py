"""Celery: the broker, task time limits, results, workers and beat."""

from .environment import VAR_DIR, env

# --- Celery (see config/celery.py; every name below is CELERY_<celery setting>) -------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
BROKER_FS_DIR = VAR_DIR / "broker"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
# Video jobs (processing, thumbnails) have their own soft / hard limits (55 / 60 minutes).
VIDEO_TASK_SOFT_TIME_LIMIT = env.int("VIDEO_TASK_SOFT_TIME_LIMIT", default=55 * 60)
VIDEO_TASK_TIME_LIMIT = env.int("VIDEO_TASK_TIME_LIMIT", default=60 * 60)
# Video jobs wait longer before retrying after a storage (S3) error: 5 min, doubling.
VIDEO_STORAGE_RETRY_BACKOFF_SECONDS = env.float(
    "VIDEO_STORAGE_RETRY_BACKOFF_SECONDS", default=300.0
)
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FS_DIR / "queue"),
        "data_folder_out": str(BROKER_FS_DIR / "queue"),
        # The control folder holds the fanout tables that inspect/revoke/ping use.
        "control_folder": str(BROKER_FS_DIR / "control"),
        # An idle worker lists the queue folder this often (a directory read per queue: an
        # idle video worker uses 0.6% of a core); a new task waits half of it on average
        # before a worker sees it (Redis and RabbitMQ push instead of being polled).
        "polling_interval": 0.05,
    }
    for _folder in ("queue", "control"):
        (BROKER_FS_DIR / _folder).mkdir(parents=True, exist_ok=True)
elif CELERY_BROKER_URL.startswith(("redis", "rediss")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Unacked tasks are redelivered after this long: it must exceed the longest hard
        # time limit or long tasks would run twice while still running.
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT",
            default=max(CELERY_TASK_TIME_LIMIT, VIDEO_TASK_TIME_LIMIT) + 10 * 60,
        ),
        "priority_steps": list(range(10)),
        "sep": ":",
        "queue_order_strategy": "priority",
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="django-db")
CELERY_CACHE_BACKEND = "django-cache"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=100)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=4.0)
# Publishing must fail fast when the broker is down: the job row stays `pending`
# and the watchdog / requeue_stuck publishes it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
# django-celery-beat's DatabaseScheduler behind a leader lease: start beat on as many hosts
# as you like, one sends the periodic tasks and a standby takes over within
# BEAT_LEASE_SECONDS (+ a few seconds) of its death (jobs/beat.py).
CELERY_BEAT_SCHEDULER = "jobs.beat:LeaderDatabaseScheduler"
BEAT_LEASE_SECONDS = env.float("BEAT_LEASE_SECONDS", default=30.0)
CELERY_TASK_DEFAULT_QUEUE = "default"
