import json
from pathlib import Path

import pytest

from search.article import Article
from search.backend import SearchBackend
from tests.backends import engines_for

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "search"


def load_articles(name: str = "seed_articles.jsonl") -> list[Article]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return [Article.from_dict(json.loads(line)) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def seed_engine(backend, request, tmp_path_factory) -> SearchBackend:
    """The five seed articles, on the test's backend; read-only (shared by a module's tests)."""
    with engines_for(backend, request, tmp_path_factory.mktemp("index")) as engines:
        engine = engines.open()
        engine.add(load_articles())
        yield engine


@pytest.fixture
def fresh_engine(engines) -> SearchBackend:
    """The five seed articles on an index of the test's own, for a test that writes."""
    engine = engines.open()
    engine.add(load_articles())
    return engine
