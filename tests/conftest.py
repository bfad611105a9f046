from pathlib import Path

import os

import pytest
from hypothesis import settings

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


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def seeds_dir() -> Path:
    return SEEDS
