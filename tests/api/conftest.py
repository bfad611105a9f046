"""An index of the seeds, built once with the real indexer, and Falcon test clients over it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config

ROOT = Path(__file__).resolve().parents[2]
WRITE_KEY = "test-write-key-0123456789"
READ_KEY = "test-read-key-0123456789"
ALLOWED_ORIGIN = "https://news.example.org"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    from indexer.cli import main

    path = tmp_path_factory.mktemp("seed-index") / "index"
    assert main(["index", "--index", str(path), "--workers", "1", str(ROOT / "seeds")]) == 0
    return path


def make_config(index: Path, **overrides) -> Config:
    settings = dict(index=index, api_keys=(WRITE_KEY,), cors_origins=(ALLOWED_ORIGIN,))
    settings.update(overrides)
    return Config(**settings)


@pytest.fixture(scope="session")
def client(seed_index) -> testing.TestClient:
    """Read-only: shared by every test that does not write."""
    return testing.TestClient(create_app(make_config(seed_index)))


@pytest.fixture
def index_copy(seed_index, tmp_path) -> Path:
    """A private copy of the seed index for a test that writes."""
    path = tmp_path / "index"
    shutil.copytree(seed_index, path, symlinks=True, ignore=shutil.ignore_patterns("write.lock"))
    return path


@pytest.fixture
def writer(index_copy) -> testing.TestClient:
    return testing.TestClient(create_app(make_config(index_copy)))


@pytest.fixture
def auth() -> dict:
    """Headers that carry the write key."""
    return {"Authorization": f"Bearer {WRITE_KEY}"}


@pytest.fixture
def allowed_origin() -> str:
    return ALLOWED_ORIGIN
