"""Falcon test clients over the seed index (tests/conftest.py), and private copies for writes.

`client` and `writer` run on each backend (tests/backends.py): on Whoosh the seed directory that
`newsearch index` built, on OpenSearch the same command into an alias of the test server
(`seed_location`, tests/conftest.py).
`index_copy` stays a Whoosh directory (the tests of the store, the journal and gunicorn's workers)."""
from __future__ import annotations

from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.engine import is_cluster, open_engine
from tests.indexes import copy_index

WRITE_KEY = "test-write-key-0123456789"
READ_KEY = "test-read-key-0123456789"
ALLOWED_ORIGIN = "https://news.example.org"


def make_config(location: Path | str, **overrides) -> Config:
    """The app's settings over `location`: an index directory, or an OpenSearch URL (NEWSEARCH_BACKEND)."""
    where = dict(backend=location) if is_cluster(location) else dict(index=location)
    settings = dict(where, api_keys=(WRITE_KEY,), cors_origins=(ALLOWED_ORIGIN,))
    settings.update(overrides)
    return Config(**settings)


@pytest.fixture(scope="session")
def client(seed_location) -> testing.TestClient:
    """Read-only: shared by every test that does not write."""
    return testing.TestClient(create_app(make_config(seed_location)))


@pytest.fixture
def seed_copy(backend, engines, seed_index, tmp_path) -> Path | str:
    """A private copy of the seed index on the test's backend, for a test that writes: its location."""
    if backend == "whoosh":
        return copy_index(seed_index, tmp_path / "index")
    source, location = open_engine(seed_index), engines.location()
    try:
        engines.copy(source, location)
    finally:
        source.close()
    return location


@pytest.fixture
def index_copy(seed_index, tmp_path) -> Path:
    """A private copy of the Whoosh seed index."""
    return copy_index(seed_index, tmp_path / "whoosh-index")


@pytest.fixture
def writer(seed_copy) -> testing.TestClient:
    return testing.TestClient(create_app(make_config(seed_copy)))


@pytest.fixture
def auth() -> dict:
    """Headers that carry the write key."""
    return {"Authorization": f"Bearer {WRITE_KEY}"}


@pytest.fixture
def allowed_origin() -> str:
    return ALLOWED_ORIGIN
