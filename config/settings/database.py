"""The database (SQLite by default, PostgreSQL with a pool) and the cache."""

from .environment import DEBUG, VAR_DIR, env

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
