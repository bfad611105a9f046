from pathlib import Path

import os

import pytest
from hypothesis import settings

from tests.backends import BACKENDS, engines_for

from tests.opensearch_server import opensearch_url  # noqa: F401  (osmem on 127.0.0.1, or NEWSEARCH_TEST_OPENSEARCH_URL)

# In CI (CI=true) the property and fuzz tests explore a fixed set of examples, so a run is
# repeatable; on a developer's machine they explore new ones every time.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """An index of seeds/ built once with the real indexer; read-only (copy it with
    tests.indexes.copy_index to write)."""
    from tests.indexes import build_seed_index

    return build_seed_index(tmp_path_factory.mktemp("seed-index") / "index")


@pytest.fixture(scope="session")
def seed_location(backend, request, tmp_path_factory) -> Path | str:
    """The seed index on the test's backend, read-only: on Whoosh `seed_index`, on OpenSearch the same
    `newsearch index` into an alias of the test server."""
    if backend == "whoosh":
        yield request.getfixturevalue("seed_index")
        return
    from tests.indexes import build_seed_index

    with engines_for(backend, request, tmp_path_factory.mktemp("cluster-seed")) as engines:
        yield build_seed_index(engines.location())


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS


# -- the contract suite: one test, every backend ------------------------------------------------------
def pytest_generate_tests(metafunc):
    """A test that uses `backend` (directly or through seed_engine, fresh_engine, engines, the API's
    client, writer or index_copy) runs on each backend; one marked `whoosh_only(reason)` on Whoosh only."""
    if "backend" in metafunc.fixturenames:
        only_whoosh = metafunc.definition.get_closest_marker("whoosh_only") is not None
        metafunc.parametrize("backend", ["whoosh"] if only_whoosh else list(BACKENDS), indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = item.get_closest_marker("whoosh_only")
        if marker is not None and not (marker.args or marker.kwargs.get("reason")):
            raise pytest.UsageError(f"{item.nodeid}: whoosh_only needs a reason (why not on OpenSearch)")


@pytest.fixture(scope="session")
def backend(request) -> str:
    """Which backend the test runs on: "whoosh" or "opensearch"."""
    return getattr(request, "param", "whoosh")


@pytest.fixture
def engines(backend, request, tmp_path):
    """Opens engines of the test's backend on fresh indexes (tests.backends.Engines)."""
    with engines_for(backend, request, tmp_path) as made:
        yield made
