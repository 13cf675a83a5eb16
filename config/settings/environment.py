"""Where Reelhouse runs: the project folder, the environment reader, the test and debug modes
and VAR_DIR. Every other settings module reads the environment through `env` from here.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

# pytest (>= 8.2) exports PYTEST_VERSION for the whole session, including the Celery
# workers that integration tests start as subprocesses: they all share one test area.
TESTING = "PYTEST_VERSION" in os.environ

# Files this process creates (the SQLite database, uploads, media, logs) are readable by
# its own user only; set before this or any later settings module creates one.
os.umask(0o077)
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var" / ("test" if TESTING else ""))))
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=True)
