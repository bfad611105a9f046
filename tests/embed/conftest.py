"""An index of the seeds plus a small council corpus (tests/embed/fixtures), and test clients over
`create_app` (which adds the embedding routes), with a key secret for scoped keys and a fixed clock.
The clients run on each backend (tests/backends.py): the same `newsearch index` into a directory or
an OpenSearch alias."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.engine import is_cluster, open_engine
from tests.backends import engines_for

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SECRET = "test-key-secret-0123456789abcdef"
READ_KEY = "test-read-key-0123456789"
ALLOWED_ORIGIN = "https://partner.example.org"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def index_embed_corpus(location: Path | str) -> Path | str:
    """`newsearch index` over seeds/ and the council corpus into `location` (a directory or an OpenSearch URL)."""
    from cli.main import main

    where = ["--backend", location] if is_cluster(location) else ["--index", str(location)]
    assert main(["index", *where, "--workers", "1", str(ROOT / "seeds"), str(FIXTURES)]) == 0
    return location


@pytest.fixture(scope="session")
def embed_index(tmp_path_factory) -> Path:
    """The Whoosh index (a directory)."""
    return index_embed_corpus(tmp_path_factory.mktemp("embed-index") / "index")


@pytest.fixture(scope="session")
def embed_location(backend, request, tmp_path_factory) -> Path | str:
    """The same corpus on the test's backend."""
    if backend == "whoosh":
        yield request.getfixturevalue("embed_index")
        return
    with engines_for(backend, request, tmp_path_factory.mktemp("cluster-embed")) as engines:
        yield index_embed_corpus(engines.location())


def make_client(location: Path | str, **overrides) -> testing.TestClient:
    where = dict(backend=location) if is_cluster(location) else dict(index=location)
    settings = dict(where, cors_origins=(ALLOWED_ORIGIN,), key_secret=SECRET)
    settings.update(overrides)
    config = Config(**settings)
    return testing.TestClient(create_app(config, engine=open_engine(config.location), clock=lambda: NOW))


@pytest.fixture(scope="session")
def client(embed_location) -> testing.TestClient:
    """Reads open, one allowed origin."""
    return make_client(embed_location)


PUBLIC_URL = "https://search.example.org/news"


@pytest.fixture(scope="session")
def public_client(embed_location) -> testing.TestClient:
    """Reads open, with NEWSEARCH_PUBLIC_URL: absolute URLs never come from the Host header."""
    return make_client(embed_location, public_url=PUBLIC_URL + "/")


@pytest.fixture(scope="session")
def closed_client(embed_location) -> testing.TestClient:
    """Reads need a key."""
    return make_client(embed_location, read_keys=(READ_KEY,))
