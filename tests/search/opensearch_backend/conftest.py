import pytest

from search.engine import open_engine
from tests.opensearch_server import drop_alias, opensearch_url, unique_location  # noqa: F401
from tests.search.conftest import load_articles


@pytest.fixture
def os_location(opensearch_url):
    return unique_location(opensearch_url)


@pytest.fixture
def empty_os(os_location):
    """A backend on an alias of its own, nothing indexed (its indexes deleted at the end)."""
    engine = open_engine(os_location, refresh_interval=0, replicas=0)
    yield engine
    drop_alias(engine)


@pytest.fixture(scope="module")
def seed_os(opensearch_url):
    """The seed articles (tests/fixtures/search/seed_articles.jsonl) on an alias of this module's; read only."""
    engine = open_engine(unique_location(opensearch_url), refresh_interval=0, replicas=0)
    engine.add(load_articles(), wait=1)
    yield engine
    drop_alias(engine)
