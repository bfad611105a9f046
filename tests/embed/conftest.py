"""An index of the seeds plus a small council corpus (tests/embed/fixtures), and test clients over
`create_app` with the embedding routes added as the composition root will add them."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from api.embed import add_embed_routes
from search.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SECRET = "test-key-secret-0123456789abcdef"
READ_KEY = "test-read-key-0123456789"
ALLOWED_ORIGIN = "https://partner.example.org"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="session")
def embed_index(tmp_path_factory) -> Path:
    from indexer.cli import main

    path = tmp_path_factory.mktemp("embed-index") / "index"
    assert main(["index", "--index", str(path), "--workers", "1", str(ROOT / "seeds"), str(FIXTURES)]) == 0
    return path


def make_client(index: Path, **overrides) -> testing.TestClient:
    settings = dict(index=index, cors_origins=(ALLOWED_ORIGIN,))
    settings.update(overrides)
    config = Config(**settings)
    engine = Engine(config.index)
    app = create_app(config, engine=engine)
    add_embed_routes(app, engine, config, key_secret=SECRET, clock=lambda: NOW)
    return testing.TestClient(app)


@pytest.fixture(scope="session")
def client(embed_index) -> testing.TestClient:
    """Reads open, one allowed origin."""
    return make_client(embed_index)


@pytest.fixture(scope="session")
def closed_client(embed_index) -> testing.TestClient:
    """Reads need a key."""
    return make_client(embed_index, read_keys=(READ_KEY,))
