"""Reelhouse settings, read from the environment (12-factor).

Every variable is documented in `.env.example`. With nothing set, Reelhouse runs on
embedded defaults: a SQLite file, a kombu filesystem broker and media on local disk,
all under `var/`. `DATABASE_URL`, `CELERY_BROKER_URL` and `AWS_STORAGE_BUCKET_NAME`
switch to PostgreSQL, Redis/RabbitMQ and S3.
"""

import os
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import environ
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

# pytest (>= 8.2) exports PYTEST_VERSION for the whole session, including the Celery
# workers that integration tests start as subprocesses: they all share one test area.
TESTING = "PYTEST_VERSION" in os.environ

# Files this process creates (the SQLite database, uploads, media, logs) are readable by
# its own user only; set before anything below creates one.
os.umask(0o077)
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var" / ("test" if TESTING else ""))))
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
if TESTING:
    ALLOWED_HOSTS.append("testserver")  # the host name of Django's test client
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "axes",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our static files
    "django_celery_beat",
    "django_celery_results",
    "storages",
    "accounts",
    "jobs",
    "videos",
    "commerce",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before anything that can answer a request
    # Refuse oversized bodies from their Content-Length, before anything reads them.
    "config.body_limits.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a sign-in lockout flagged during the request into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Web, worker and beat write to one file: wait for the lock instead of failing,
        # take it up front (no deadlocking upgrades) and let readers run beside a writer.
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so the Celery workers started by tests see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_db.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL: web and beat processes share a pool of connections per process (Django's
# psycopg pool; each connection is health-checked when checked out). Celery workers keep
# one persistent connection per pool child instead (CONN_MAX_AGE): a pool must not cross
# the fork that makes the children, so config/celery.py turns it off in workers.
DATABASE_POOL = env.bool("DATABASE_POOL", default=not DEBUG) and DATABASES["default"][
    "ENGINE"
].endswith("postgresql")
DATABASE_CONN_MAX_AGE = env.int("CONN_MAX_AGE", default=60)
if DATABASE_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        # Seconds a request waits for a free connection before it fails.
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        "max_idle": 300,  # close connections idle this long (down to min_size)
        "max_lifetime": 3600,  # and renew every connection after an hour
    }
elif not DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["CONN_MAX_AGE"] = DATABASE_CONN_MAX_AGE
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- Sign-in: API tokens, failed sign-ins, client addresses --------------------------
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies in front of the site that append to X-Forwarded-For (0: ignore the header, as
# anyone can send it). Client addresses for throttles and lockouts come from it.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# API tokens (django-rest-knox): stored as hashes, one per sign-in, expiring.
API_TOKEN_TTL_HOURS = env.int("API_TOKEN_TTL_HOURS", default=24 * 7)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# At most LOGIN_FAILURE_LIMIT failed sign-ins per username and per client address; then
# 429 until LOGIN_FAILURE_WINDOW_SECONDS pass without another failure (token endpoint,
# OTP verify, admin and dashboard logins).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=60)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=LOGIN_FAILURE_WINDOW_SECONDS)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # failures are what we count; successes need no log
AXES_VERBOSE = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Media is private: files are served only through signed URLs that expire after this many
# seconds (S3: presigned; local disk: signed for the requesting user, see config/media.py).
MEDIA_URL_EXPIRE_SECONDS = env.int("MEDIA_URL_EXPIRE_SECONDS", default=3600)
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "uploads")
# Stored files and folders: owner only (the web and worker processes run as one user).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
# Uploads larger than this stream to FILE_UPLOAD_TEMP_DIR instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Body caps (config/body_limits.py): JSON and form bodies; multipart uploads other than
# videos (job files). Videos take up to VIDEO_MAX_UPLOAD_BYTES on their own routes only.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=25 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "config.body_limits.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
# Signature V4 everywhere: presigned part URLs then sign Content-Length (V2 cannot).
AWS_S3_SIGNATURE_VERSION = "s3v4"
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="us-east-1")
    AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", default=None)
    AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default=None)
    AWS_QUERYSTRING_AUTH = True  # media URLs are presigned
    AWS_QUERYSTRING_EXPIRE = MEDIA_URL_EXPIRE_SECONDS
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = True
    DEFAULT_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    DEFAULT_STORAGE = {"BACKEND": "config.media.SignedFileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Content-Security-Policy (django-csp) on every response --------------------------
# Scripts only from our own static files (the admin, dashboard, Swagger UI and ReDoc have
# no inline script). Inline styles are allowed: the admin and ReDoc set them. Media may
# also come from the S3 endpoint, whose presigned URLs the pages show and upload to.
_MEDIA_ORIGINS = []
if AWS_STORAGE_BUCKET_NAME:
    _endpoint = urlsplit(AWS_S3_ENDPOINT_URL or "https://s3.amazonaws.com")
    _MEDIA_ORIGINS = [f"{_endpoint.scheme}://{_endpoint.netloc}"]
    if not AWS_S3_ENDPOINT_URL:
        _MEDIA_ORIGINS.append("https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_MEDIA_ORIGINS],
        "media-src": ["'self'", "blob:", *_MEDIA_ORIGINS],
        "connect-src": ["'self'", *_MEDIA_ORIGINS],
        "font-src": ["'self'", "data:"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# --- Email and SMS --------------------------------------------------------------------
# Tests use the file backend so mail sent by a worker process is visible to the test.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.filebased.EmailBackend"
    if TESTING
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 15
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Reelhouse <noreply@localhost>")

# --- Security (production mode: DEBUG=0) ----------------------------------------------
# Trust X-Forwarded-Proto only behind a proxy that sets it (anyone else could send it).
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is hard to undo (browsers ship the list), so it is the operator's choice.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"  # the admin's video player embeds media from this site
SILENCED_SYSTEM_CHECKS = [
    "security.W019",  # W019 asks for DENY; SAMEORIGIN is deliberate
    "security.W021",  # W021 asks for HSTS preload, which is opt-in (SECURE_HSTS_PRELOAD)
]

# --- Django REST framework ------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only (415 otherwise); views that take files add the multipart parser.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="100/minute"),
        "user": env("API_THROTTLE_USER", default="2000/minute"),
        # POST /videos/{id}/reprocess/ per user: each one is a full transcode.
        "video_reprocess": env("VIDEO_REPROCESS_RATE", default="10/hour"),
    },
    # Throttles take the client address from X-Forwarded-For only through trusted proxies.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reelhouse API",
    "DESCRIPTION": "Video processing, background jobs and live commerce.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise show a badge image from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` field; give each status enum its own schema name.
    "ENUM_NAME_OVERRIDES": {"JobStatusEnum": "jobs.models.JobStatus"},
}

# --- Cross-origin frontends (django-cors-headers) -----------------------------------
# Browsers on these origins may call /api/ with a token (no cookies cross-origin). Empty:
# same-origin only.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
# tus resumable uploads (tus-js-client and friends) send and read these headers.
CORS_ALLOW_HEADERS = (
    *cors_default_headers,
    *("tus-resumable", "upload-length", "upload-metadata", "upload-offset"),
    "x-http-method-override",
)
CORS_EXPOSE_HEADERS = [
    *("Location", "Upload-Offset", "Upload-Length", "Upload-Expires", "Upload-Metadata"),
    *("Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size"),
    *("Upload-Status", "Upload-Video-Id", "Upload-Job-Id"),
]
CORS_PREFLIGHT_MAX_AGE = 3600

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

# --- Videos ---------------------------------------------------------------------------
VIDEO_MAX_UPLOAD_BYTES = env.int("VIDEO_MAX_UPLOAD_BYTES", default=500 * 1024 * 1024)
VIDEO_ALLOWED_EXTENSIONS = env.list(
    "VIDEO_ALLOWED_EXTENSIONS", default=[".mp4", ".mov", ".avi", ".mkv", ".webm"]
)
# ffmpeg threads per encode; 0 = the cores divided by the video worker's concurrency.
VIDEO_FFMPEG_THREADS = env.int("VIDEO_FFMPEG_THREADS", default=0)
# The ffmpeg and ffprobe that process uploads (Debian's package: security fixes via apt).
# FFPROBE_BINARY "" = the ffprobe next to FFMPEG_BINARY.
FFMPEG_BINARY = env("FFMPEG_BINARY", default="ffmpeg")
FFPROBE_BINARY = env("FFPROBE_BINARY", default="")
# auto: run ffmpeg in bubblewrap (no network, read-only system) when it works on this host;
# bwrap: refuse to run ffmpeg without it; none: never use it.
VIDEO_SANDBOX = env("VIDEO_SANDBOX", default="auto")
if VIDEO_SANDBOX not in ("auto", "bwrap", "none"):
    raise ImproperlyConfigured("VIDEO_SANDBOX must be auto, bwrap or none.")
# Address space one ffmpeg run may map (RLIMIT_AS), in MiB.
VIDEO_FFMPEG_MEMORY_LIMIT_MB = env.int("VIDEO_FFMPEG_MEMORY_LIMIT_MB", default=4096)
# The media policy, checked after the probe and before any encode.
VIDEO_MAX_PIXELS = env.int("VIDEO_MAX_PIXELS", default=3840 * 2160)
VIDEO_MAX_DURATION_SECONDS = env.int("VIDEO_MAX_DURATION_SECONDS", default=3 * 3600)
VIDEO_MAX_FPS = env.float("VIDEO_MAX_FPS", default=120)
VIDEO_MAX_FRAMES = env.int("VIDEO_MAX_FRAMES", default=3 * 3600 * 60)
VIDEO_MAX_OUTPUT_HEIGHT = env.int("VIDEO_MAX_OUTPUT_HEIGHT", default=1080)
# Fast path: web-ready H.264 + AAC is copied into the MP4, not re-encoded, when its video
# bitrate is at most this many bits per pixel per frame (0.2: ~12 Mb/s at 1080p30).
VIDEO_FAST_PATH = env.bool("VIDEO_FAST_PATH", default=True)
# The HLS ladder (CMAF, 1080/720/480/360 up to the video's height) in the same ffmpeg pass.
VIDEO_HLS = env.bool("VIDEO_HLS", default=True)
VIDEO_REMUX_MAX_BITS_PER_PIXEL = env.float("VIDEO_REMUX_MAX_BITS_PER_PIXEL", default=0.2)
# Where workers fetch originals and write renditions before storing them ("" = system temp).
VIDEO_WORK_DIR = env("VIDEO_WORK_DIR", default="")
TUS_UPLOAD_EXPIRE_HOURS = env.int("TUS_UPLOAD_EXPIRE_HOURS", default=24)
# Where tus uploads are assembled on local storage. Local disk of the web host: with
# several web hosts, share this folder or route an upload's requests to one host. With S3,
# tus uploads keep their parts on S3 and their state in the database (any web host).
TUS_UPLOAD_DIR = Path(env("TUS_UPLOAD_DIR", default=str(VAR_DIR / "tus")))
# django-storages holds an S3 file it reads wholly in memory unless this is set (default 0:
# no limit); past it, the download spills to FILE_UPLOAD_TEMP_DIR. Reading the head of a
# multipart upload's object opens it, so this keeps the web process flat for big files.
AWS_S3_MAX_MEMORY_SIZE = env.int("AWS_S3_MAX_MEMORY_SIZE", default=8 * 1024 * 1024)
S3_MULTIPART_PART_SIZE = env.int("S3_MULTIPART_PART_SIZE", default=16 * 1024 * 1024)
# Uploads (tus and S3 multipart together) a non-staff account may have open at once (0: no limit).
UPLOADS_MAX_OPEN_PER_USER = env.int("UPLOADS_MAX_OPEN_PER_USER", default=10)
# The API schema names the video status enum after its model (jobs also have a `status`).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["VideoStatusEnum"] = (
    "videos.models.VideoStatus"
)

# --- Commerce -------------------------------------------------------------------------
SHOP_CURRENCY = env("SHOP_CURRENCY", default="TWD")
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
# Quotas of non-staff accounts (429 past them; 0 = no limit): orders awaiting payment at
# once, and how many of one product one order may hold.
ORDERS_MAX_UNPAID_PER_USER = env.int("ORDERS_MAX_UNPAID_PER_USER", default=3)
ORDER_MAX_QUANTITY_PER_LINE = env.int("ORDER_MAX_QUANTITY_PER_LINE", default=10)
CART_ABANDONED_AFTER_HOURS = env.int("CART_ABANDONED_AFTER_HOURS", default=24)
STREAM_RETENTION_DAYS = env.int("STREAM_RETENTION_DAYS", default=90)
PAYMENT_RETRY_MAX_ATTEMPTS = env.int("PAYMENT_RETRY_MAX_ATTEMPTS", default=3)
# Stripe's secret API key (sk_live_... / sk_test_...): creates PaymentIntents and refunds.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
# Where the Stripe client sends API calls: Stripe's, or a Stripe-compatible test server.
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
# Seconds one Stripe API call may take before the client answers 503.
STRIPE_API_TIMEOUT_SECONDS = env.int("STRIPE_API_TIMEOUT_SECONDS", default=20)
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
ECPAY_MERCHANT_ID = env("ECPAY_MERCHANT_ID", default="")
ECPAY_HASH_KEY = env("ECPAY_HASH_KEY", default="")
ECPAY_HASH_IV = env("ECPAY_HASH_IV", default="")
ECPAY_CHECKOUT_URL = env(
    "ECPAY_CHECKOUT_URL", default="https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5"
)
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://localhost:8000")
OTP_TTL_SECONDS = env.int("OTP_TTL_SECONDS", default=300)
OTP_MAX_ATTEMPTS = env.int("OTP_MAX_ATTEMPTS", default=5)
# Codes one phone number / one client IP may request: (window in seconds, codes) pairs.
OTP_SEND_LIMITS_PER_PHONE = [(60, 1), (3600, 5)]
OTP_SEND_LIMITS_PER_IP = [(60, 5), (3600, 20)]
# A failed payment is re-opened after this, doubling per attempt (60 s, 120 s, 240 s ...).
PAYMENT_RETRY_BACKOFF_SECONDS = env.int("PAYMENT_RETRY_BACKOFF_SECONDS", default=60)

# --- Notifications --------------------------------------------------------------------
# Operators told by email when a system job (one no user started) fails for good:
# comma-separated "Name <address>" or plain addresses.
ADMINS = [pair for pair in map(parseaddr, env.list("ADMINS", default=[])) if pair[1]]
# Email every new account that has an address a welcome (templates/emails/accounts/).
WELCOME_EMAIL = env.bool("WELCOME_EMAIL", default=True)
SMS_BACKEND = env("SMS_BACKEND", default="notifications.sms.ConsoleSmsBackend")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
# Mitake (SMS_BACKEND=notifications.sms.MitakeSmsBackend): its SmSend URL and account.
MITAKE_API_URL = env(
    "MITAKE_API_URL", default="https://smsapi.mitake.com.tw/api/mtk/SmSend?CharsetURL=UTF-8"
)
MITAKE_USERNAME = env("MITAKE_USERNAME", default="")
MITAKE_PASSWORD = env("MITAKE_PASSWORD", default="")
RENDER_WEBHOOK_SECRET = env("RENDER_WEBHOOK_SECRET", default="")
RENDER_RETRY_BACKOFF_SECONDS = env.int("RENDER_RETRY_BACKOFF_SECONDS", default=60)
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# Outbound webhook URLs use port 80 or 443, plus the ports listed here (e.g. 8443).
WEBHOOK_ALLOWED_PORTS = env.list("WEBHOOK_ALLOWED_PORTS", cast=int, default=[])
# One outbound webhook attempt (connect, send, the answer) gets at most this many seconds.
WEBHOOK_ATTEMPT_DEADLINE_SECONDS = env.float("WEBHOOK_ATTEMPT_DEADLINE_SECONDS", default=30)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
# Seconds to wait before each webhook attempt (8 attempts over about 28 hours).
WEBHOOK_RETRY_SCHEDULE_SECONDS = env.list(
    "WEBHOOK_RETRY_SCHEDULE_SECONDS",
    cast=int,
    default=[0, 5, 300, 1800, 7200, 18000, 36000, 36000],
)
# An endpoint whose deliveries fail for good this many times in a row is disabled (0 = never).
WEBHOOK_DISABLE_AFTER_FAILED_DELIVERIES = env.int(
    "WEBHOOK_DISABLE_AFTER_FAILED_DELIVERIES", default=5
)
# Render reports and render records share one status enum in the OpenAPI schema.
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})["RenderStatusEnum"] = (
    "notifications.models.RenderStatus"
)

# --- Operator dashboard and metrics ---------------------------------------------------
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# --- Logging --------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(processName)s] %(name)s: %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
    },
}
