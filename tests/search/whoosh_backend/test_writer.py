"""The Whoosh backend's bulk writer: what it tells on_commit, and its posting buffer."""
from __future__ import annotations

from search.engine import open_engine
from search.request import SearchRequest
from search.whoosh_backend.store import IndexStore
from search.whoosh_backend.writer import BUFFER_MB, BulkWriter

from ..conftest import load_articles


def test_on_commit_names_written_and_unchanged_articles_once_durable(tmp_path):
    """A run killed after a commit and before it could report it leaves articles in the index that
    nobody acknowledged; the next run finds them unchanged and must report them as durable too."""
    articles = load_articles()
    store = IndexStore(tmp_path / "ix")
    with BulkWriter(store, commit_every=100) as w:  # the "killed" run: committed, nothing reported
        for article in articles[:3]:
            w.add(article)
    told: list[list[str]] = []
    with BulkWriter(store, commit_every=1, on_commit=lambda ids: told.append(list(ids))) as w:
        for article in articles:
            w.add(article)
    ids = [a.id for a in articles]
    assert told == [ids[:4], ids[4:]]  # the unchanged three ride along with the first commit


def test_the_posting_buffer_is_shared_by_the_writer_processes(tmp_path):
    store = IndexStore(tmp_path / "ix")
    with BulkWriter(store) as w:  # one process: all of it
        assert w._w().pool.limit == BUFFER_MB * 1024 * 1024
        w.add(load_articles()[0])
    with BulkWriter(store, rebuild=True, procs=2, buffer_mb=96) as w:  # two: half each
        assert w._w().subargs["limitmb"] == 48
        for article in load_articles():
            w.add(article)
    assert open_engine(tmp_path / "ix").search(SearchRequest()).total == 5


def test_raw_checksums_name_their_articles_and_kept_ones_survive_prune(tmp_path):
    articles = load_articles()
    for i, article in enumerate(articles):
        article.raw_checksum = f"raw-{i}"
    articles[-1].raw_checksum = ""  # written through the API's ready fields: no raw input
    store = IndexStore(tmp_path / "ix")
    with BulkWriter(store) as w:
        for article in articles:
            w.add(article)
    with BulkWriter(store) as w:
        assert w.raw_checksums() == {f"raw-{i}": a.id for i, a in enumerate(articles[:-1])}
        assert w.keep(articles[0].id) and not w.keep("no-such-article")
        assert w.add(articles[1]) == "unchanged"
        assert sorted(w.prune()) == sorted(a.id for a in articles[2:])
        assert w.report.unchanged == [articles[0].id, articles[1].id]
    assert open_engine(tmp_path / "ix").search(SearchRequest()).total == 2


def test_same_content_from_a_new_input_stores_the_new_raw_checksum(tmp_path):
    article = load_articles()[0]
    store = IndexStore(tmp_path / "ix")
    with BulkWriter(store) as w:
        assert w.add(article) == "added"  # as an index from before raw checksums holds it
    article.raw_checksum = "raw-new"
    with BulkWriter(store) as w:
        assert w.add(article) == "updated"  # same content, but now the next run can skip its input
    with BulkWriter(store) as w:
        assert w.raw_checksums() == {"raw-new": article.id}
        assert w.add(article) == "unchanged"
