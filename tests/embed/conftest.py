"""An index of the seeds plus a small council corpus (tests/embed/fixtures), and test clients over
`create_app` (which adds the embedding routes), with a key secret for scoped keys and a fixed clock."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.engine import open_engine

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SECRET = "test-key-secret-0123456789abcdef"
READ_KEY = "test-read-key-0123456789"
ALLOWED_ORIGIN = "https://partner.example.org"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def embed_index(tmp_path_factory) -> Path:
    from cli.main import main

    path = tmp_path_factory.mktemp("embed-index") / "index"
    assert main(["index", "--index", str(path), "--workers", "1", str(ROOT / "seeds"), str(FIXTURES)]) == 0
    return path


def make_client(index: Path, **overrides) -> testing.TestClient:
    settings = dict(index=index, cors_origins=(ALLOWED_ORIGIN,), key_secret=SECRET)
    settings.update(overrides)
    config = Config(**settings)
    return testing.TestClient(create_app(config, engine=open_engine(config.index), clock=lambda: NOW))


@pytest.fixture(scope="session")
def client(embed_index) -> testing.TestClient:
    """Reads open, one allowed origin."""
    return make_client(embed_index)


PUBLIC_URL = "https://search.example.org/news"


@pytest.fixture(scope="session")
def public_client(embed_index) -> testing.TestClient:
    """Reads open, with NEWSEARCH_PUBLIC_URL: absolute URLs never come from the Host header."""
    return make_client(embed_index, public_url=PUBLIC_URL + "/")


@pytest.fixture(scope="session")
def closed_client(embed_index) -> testing.TestClient:
    """Reads need a key."""
    return make_client(embed_index, read_keys=(READ_KEY,))
