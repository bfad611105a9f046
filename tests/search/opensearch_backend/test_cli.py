"""`newsearch index` and `newsearch stats` with `--backend` naming a cluster: the indexer's whole
path (incremental runs, the entity registry, prune, --rebuild's alias swap) on OpenSearch."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from search.engine import open_engine
from search.request import SearchRequest
from tests.opensearch_server import drop_alias, unique_location

ROOT = Path(__file__).resolve().parents[3]


def newsearch(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_index_again_prune_and_rebuild(opensearch_url, tmp_path):
    location = unique_location(opensearch_url)
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "seeds", corpus)
    engine = open_engine(location, refresh_interval=0)
    try:
        run = newsearch("index", "--backend", location, "--workers", "1", corpus)
        assert run.returncode == 0, run.stderr
        assert "indexed: 5 (added 5, updated 0)" in run.stdout
        assert engine.search(SearchRequest(q="police", per_page=0, facets=())).total == 5
        assert engine.read_meta("entities")  # the archive's entity registry, kept with the index

        again = newsearch("index", "--backend", location, "--workers", "1", corpus)
        assert again.returncode == 0 and "unchanged: 5" in again.stdout, again.stdout + again.stderr

        (corpus / "004_a8b559b7e96d520f.txt").unlink()
        pruned = newsearch("index", "--backend", location, "--workers", "1", "--prune", corpus)
        assert pruned.returncode == 0 and "deleted: 1" in pruned.stdout, pruned.stdout + pruned.stderr
        assert engine.search(SearchRequest(per_page=0, facets=())).total == 4

        before = engine.concrete()
        rebuilt = newsearch("index", "--backend", location, "--workers", "1", "--rebuild", corpus)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert engine.concrete() != before and engine.search(SearchRequest(per_page=0, facets=())).total == 4
        assert engine.read_meta("entities")  # it outlives the switch

        stats = newsearch("stats", "--backend", location)
        assert stats.returncode == 0 and "documents: 4" in stats.stdout and engine.concrete() in stats.stdout
        assert "Traceback" not in stats.stderr
    finally:
        drop_alias(engine)
