"""Hostile-input tests: a seed index of their own, built once with the real indexer (as tests/api does)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
WRITE_KEY = "hostile-write-key-5f1c2a9e77"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="session")
def hostile_seed_index(tmp_path_factory) -> Path:
    from indexer.cli import main

    path = tmp_path_factory.mktemp("hostile-seed") / "index"
    assert main(["index", "--index", str(path), "--workers", "1", str(ROOT / "seeds")]) == 0
    return path


def copy_index(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns("write.lock"))
    return dst


def config_for(index: Path, **overrides) -> Config:
    settings = dict(index=index, api_keys=(WRITE_KEY,))
    settings.update(overrides)
    return Config(**settings)


@pytest.fixture
def private_index(hostile_seed_index, tmp_path) -> Path:
    return copy_index(hostile_seed_index, tmp_path / "index")


@pytest.fixture
def auth() -> dict:
    return {"Authorization": f"Bearer {WRITE_KEY}"}


@pytest.fixture
def read_client(hostile_seed_index) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(hostile_seed_index)))


def assert_problem(response, status: int | tuple[int, ...]) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"] == PROBLEM, response.headers
    body = response.json
    assert body["status"] == response.status_code and body["title"]
    return body
