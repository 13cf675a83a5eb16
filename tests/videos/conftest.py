"""Fixtures of the videos tests: small real clips (made once per session), storage
folders, and S3 storage on moto's server (with a worker of its own where jobs must run)."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from jobs import registry
from tests.s3_buckets import S3Bucket
from tests.videos import clips
from tests.workers import WorkerProcess

MiB = 1024 * 1024
# The session worker consumes video_processing with local storage; jobs of tests on S3
# (s3_bucket) go to a queue only the S3-configured worker reads.
S3_QUEUE = "video_processing_s3_test"


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("video-clips")


@pytest.fixture(scope="session")
def mp4_clip(clip_dir) -> Path:
    return clips.make_clip(clip_dir / "clip.mp4", seconds=1, size="160x120", fps=15)


@pytest.fixture(scope="session")
def text_as_mp4(clip_dir) -> Path:
    return clips.make_text_file(clip_dir / "notes.mp4")


@pytest.fixture(scope="session")
def mp4_6_mib(clip_dir, mp4_clip) -> Path:
    """A valid MP4 just over 6 MiB (a real clip plus a `free` box): a 5 MiB part and a rest."""
    return clips.pad_to(mp4_clip, clip_dir / "6-mib.mp4", size=6 * MiB + 4096)


@pytest.fixture(scope="session")
def mp4_11_mib(clip_dir, mp4_clip) -> Path:
    """A valid MP4 of about 11 MiB (a real clip plus a `free` box): two 5 MiB parts and a rest."""
    return clips.pad_to(mp4_clip, clip_dir / "11-mib.mp4", size=11 * MiB + 12345)


@pytest.fixture
def stored_files():
    """Return the keys present under originals/ and processed/ in the default storage."""

    def keys() -> set[str]:
        found: set[str] = set()
        for prefix in ("originals", "processed"):
            if not default_storage.exists(prefix):
                continue
            _dirs, files = default_storage.listdir(prefix)
            found.update(f"{prefix}/{name}" for name in files)
            for folder in _dirs:
                _sub, names = default_storage.listdir(f"{prefix}/{folder}")
                found.update(f"{prefix}/{folder}/{name}" for name in names)
        return found

    return keys


@pytest.fixture
def isolated_media(settings, tmp_path) -> Path:
    """Give the test its own MEDIA_ROOT (not for worker tests: the worker uses the shared one)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def tus_dir(settings, tmp_path) -> Path:
    """Give the test its own TUS_UPLOAD_DIR (tus uploads on local storage)."""
    settings.TUS_UPLOAD_DIR = tmp_path / "tus"
    return settings.TUS_UPLOAD_DIR


# --- S3 (moto's S3 HTTP server: moto_s3 and s3_storage in tests/conftest.py) -----------


@pytest.fixture
def small_parts(settings) -> int:
    """Multipart uploads to S3 in parts of 5 MiB (S3's smallest)."""
    settings.S3_MULTIPART_PART_SIZE = 5 * MiB
    return 5 * MiB


@pytest.fixture(scope="module")
def s3_worker(django_db_setup, moto_s3) -> Iterator[tuple[S3Bucket, dict[str, str]]]:
    """The moto bucket, and a worker whose default storage is that bucket."""
    _bucket, env = moto_s3
    worker = WorkerProcess(queues=(S3_QUEUE,), env=env).wait_ready()
    yield moto_s3
    worker.stop()


@pytest.fixture
def s3_bucket(s3_worker, s3_storage, transactional_db, monkeypatch) -> S3Bucket:
    """This process's default storage is the bucket, and video jobs go to its worker."""
    spec = registry.get_job_type("video_process")
    monkeypatch.setitem(registry._registry, spec.name, dataclasses.replace(spec, queue=S3_QUEUE))
    return s3_storage
