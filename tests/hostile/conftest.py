"""Hostile-input tests: clients over the seed index (tests/conftest.py), private copies for writes."""
from __future__ import annotations

from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.engine import is_cluster
from tests.indexes import copy_index

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
WRITE_KEY = "hostile-write-key-5f1c2a9e77"
PROBLEM = "application/problem+json"


def config_for(index: Path | str, **overrides) -> Config:
    """The app's settings over an index directory or an OpenSearch URL."""
    settings = dict(backend=index) if is_cluster(index) else dict(index=index)
    settings.update(api_keys=(WRITE_KEY,))
    settings.update(overrides)
    return Config(**settings)


@pytest.fixture
def private_index(seed_index, tmp_path) -> Path:
    return copy_index(seed_index, tmp_path / "index")


@pytest.fixture
def auth() -> dict:
    return {"Authorization": f"Bearer {WRITE_KEY}"}


@pytest.fixture
def read_client(seed_index) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(seed_index)))


def assert_problem(response, status: int | tuple[int, ...]) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == PROBLEM, response.headers
    body = response.json
    assert body["status"] == response.status_code and body["title"]
    return body
