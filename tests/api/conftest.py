"""Falcon test clients over the seed index (tests/conftest.py), and private copies for writes."""
from __future__ import annotations

from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from tests.indexes import copy_index

WRITE_KEY = "test-write-key-0123456789"
READ_KEY = "test-read-key-0123456789"
ALLOWED_ORIGIN = "https://news.example.org"


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
    return copy_index(seed_index, tmp_path / "index")


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
