"""Fixtures of the videos tests: small real clips, made once per session."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from tests.videos import clips


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("video-clips")


@pytest.fixture(scope="session")
def mp4_clip(clip_dir) -> Path:
    return clips.make_clip(clip_dir / "clip.mp4", seconds=1, size="160x120", fps=15)


@pytest.fixture(scope="session")
def text_as_mp4(clip_dir) -> Path:
    return clips.make_text_file(clip_dir / "notes.mp4")


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
