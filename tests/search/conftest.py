import json
from pathlib import Path

import pytest

from search.article import Article
from search.backend import SearchBackend
from search.engine import open_engine

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "search"


def load_articles(name: str = "seed_articles.jsonl") -> list[Article]:
    with open(FIXTURES / name, encoding="utf-8") as fh:
        return [Article.from_dict(json.loads(line)) for line in fh if line.strip()]


@pytest.fixture(scope="module")
def seed_engine(tmp_path_factory) -> SearchBackend:
    engine = open_engine(tmp_path_factory.mktemp("index"), refresh_interval=0)
    engine.add(load_articles())
    yield engine
    engine.close()


@pytest.fixture
def fresh_engine(tmp_path) -> SearchBackend:
    engine = open_engine(tmp_path / "index", refresh_interval=0)
    engine.add(load_articles())
    yield engine
    engine.close()
