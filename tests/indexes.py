"""Indexes for tests: built with the real indexer, copied for tests that write, read back by id."""
from __future__ import annotations

import shutil
from pathlib import Path

from search.whoosh_backend.store import IndexStore

ROOT = Path(__file__).resolve().parent.parent


def build_seed_index(location: Path | str) -> Path | str:
    """`newsearch index` over seeds/ (entities on, one worker) into `location`: a directory, or an
    OpenSearch URL (`--backend`)."""
    from cli.main import main
    from search.engine import is_cluster

    where = ["--backend", location] if is_cluster(location) else ["--index", str(location)]
    assert main(["index", *where, "--workers", "1", str(ROOT / "seeds")]) == 0
    return location


def copy_index(src: Path, dst: Path) -> Path:
    """A private copy of an index (its generations and `current` link), for a test that writes."""
    shutil.copytree(src, dst, symlinks=True, ignore=shutil.ignore_patterns("write.lock"))
    return dst


def indexed_ids(index: Path) -> set[str]:
    """The ids of every live article in the index at `index`."""
    ix = IndexStore(index).open()
    try:
        with ix.searcher() as searcher:
            return {fields["id"] for fields in searcher.all_stored_fields()}
    finally:
        ix.close()
