"""The `newsearch` command on an OpenSearch cluster, run as a user runs it: `--backend URL` (or
NEWSEARCH_BACKEND) instead of `--index DIR`, the same subcommands and the same answers. The cluster
is the test server (tests/opensearch_server.py), each test in aliases of its own."""
import json
import shutil

import pytest

from tests.backends import engines_for

from .test_main import SEEDS, newsearch


@pytest.fixture
def cluster(request, tmp_path):
    """A location on the test server no index is at yet (its indexes are dropped at the end)."""
    with engines_for("opensearch", request, tmp_path) as engines:
        yield engines.location()


def stats(location) -> dict:
    run = newsearch("stats", "--backend", location, "--format", "json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_index_stats_search_and_entities_on_a_cluster(cluster, tmp_path):
    log = tmp_path / "progress.log"
    run = newsearch("index", "--backend", cluster, "--workers", "1", "--progress-log", log, "seeds/")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "indexed: 5 (added 5, updated 0)" in run.stdout
    assert sorted(log.read_text().split()) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    again = newsearch("index", "--workers", "1", "seeds/", env={"NEWSEARCH_BACKEND": cluster})
    assert again.returncode == 0 and "unchanged: 5" in again.stdout  # incremental: nothing rewritten

    counted = stats(cluster)
    assert counted["documents"] == 5 and counted["first_published"].startswith("2020-07-02")
    assert {b["value"] for b in counted["facets"]["source"]} == {"KCTV", "KSHB", "Liberty Alliance"}
    assert "Rick Smith" in {b["value"] for b in counted["facets"]["person"]}

    found = newsearch("search", "--backend", cluster, "--format", "json", "Fraternal Order of Police")
    assert found.returncode == 0, found.stderr
    assert [hit["id"] for hit in json.loads(found.stdout)["hits"]] == ["000_cd26570f11a59a8a"]  # the one that names it

    entities = newsearch("entities", "--backend", cluster)
    assert entities.returncode == 0, entities.stderr
    assert "5 articles with mentions; 0 decided again" in entities.stdout  # the run kept the archive's knowledge


def test_prune_and_rebuild_on_a_cluster(cluster, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    assert newsearch("index", "--backend", cluster, "--no-entities", "--workers", "1", corpus).returncode == 0
    first = stats(cluster)["generation"]
    (corpus / "000_cd26570f11a59a8a.txt").unlink()
    pruned = newsearch("index", "--backend", cluster, "--prune", "--no-entities", "--workers", "1", corpus)
    assert pruned.returncode == 0 and "deleted: 1" in pruned.stdout
    rebuilt = newsearch("index", "--backend", cluster, "--rebuild", "--no-entities", "--workers", "1", corpus)
    assert rebuilt.returncode == 0, rebuilt.stderr
    after = stats(cluster)
    assert after["documents"] == 4 and after["generation"] != first


def test_a_cluster_that_is_not_there_is_said_so_without_its_password(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    location = f"opensearch+http://user:secret@127.0.0.1:{port}/news"
    for command in (["stats"], ["search", "police"], ["index", "--no-entities", "--workers", "1", "seeds/"]):
        run = newsearch(*command, "--backend", location)
        assert run.returncode == 1, (command, run.stdout, run.stderr)
        assert f"127.0.0.1:{port}/news" in run.stderr and "secret" not in run.stderr + run.stdout, command
        assert "Traceback" not in run.stderr, command
