"""Writes through the engine, seen by readers without a restart: on every backend (tests/backends.py),
but for the Whoosh store's own lock, journal and generation directories (marked whoosh_only)."""
import dataclasses
import time

import pytest

from search.article import Article
from search.backend import WriteOptions
from search.engine import open_engine
from search.errors import ArticleNotFound, WriteLockTimeout
from search.request import SearchRequest

from .conftest import load_articles


def test_add_update_delete(fresh_engine):
    report = fresh_engine.add(Article(id="new", title="Quorum board meets", body="The quorum board met on Monday."))
    assert report.added == ["new"] and report.committed
    assert [h.id for h in fresh_engine.search(SearchRequest(q="quorum")).hits] == ["new"]
    report = fresh_engine.add(Article(id="new", title="Quorum board adjourns", body="The quorum board adjourned."))
    assert report.updated == ["new"]
    assert fresh_engine.get("new").title == "Quorum board adjourns"
    assert fresh_engine.search(SearchRequest(q="quorum")).total == 1
    fresh_engine.delete("new")
    with pytest.raises(ArticleNotFound):
        fresh_engine.get("new")
    with pytest.raises(ArticleNotFound):
        fresh_engine.delete("new")


def test_unchanged_articles_are_skipped(fresh_engine):
    report = fresh_engine.add(load_articles())
    assert len(report.unchanged) == 5 and not report.added and not report.updated


def test_get_returns_the_stored_article(fresh_engine):
    original = load_articles()[3]
    stored = fresh_engine.get(original.id)
    assert stored == original


def test_a_second_engine_sees_commits_from_another(engines):
    writer_side = engines.open(location := engines.location())
    writer_side.add(load_articles()[:2])
    reader_side = engines.open(location)
    assert reader_side.search(SearchRequest()).total == 2
    generation = reader_side.generation()
    writer_side.add(load_articles()[2:])
    assert reader_side.search(SearchRequest()).total == 5
    assert reader_side.generation() != generation


def read_from(folder, articles: list[Article]) -> list[Article]:
    """The articles as `newsearch index` would have read them: each from a file under `folder`."""
    return [dataclasses.replace(a, origin=f"{folder}/{a.id}.txt", checksum="") for a in articles]


def index_files(engine, articles: list[Article]) -> None:
    with engine.writer() as w:
        for article in articles:
            w.add(article)


def test_rebuild_switches_atomically_and_readers_follow(engines, backend, tmp_path):
    engine = engines.open(location := engines.location())
    index_files(engine, read_from(tmp_path / "corpus", load_articles()))
    generation = engine.generation()
    old_dir = engine.store.current_dir() if backend == "whoosh" else None
    assert engine.search(SearchRequest()).total == 5
    with engine.writer(WriteOptions(rebuild=True)) as w:
        for article in read_from(tmp_path / "corpus", load_articles()[:3]):
            w.add(article)
        w.commit()
        # mid-rebuild, readers (this engine and another) still see the whole live index
        assert engine.search(SearchRequest()).total == 5
        assert engines.open(location).search(SearchRequest()).total == 5
    assert engine.generation() != generation
    assert engine.search(SearchRequest()).total == 3
    assert engines.open(location).search(SearchRequest()).total == 3
    if backend == "whoosh":  # Whoosh's generations are directories: the old one is gone
        assert engine.store.current_dir() != old_dir and not old_dir.exists()


def test_failed_rebuild_leaves_live_index(engines, backend):
    engine = engines.open(location := engines.location())
    engine.add(load_articles())
    generation = engine.generation()
    with pytest.raises(RuntimeError):
        with engine.writer(WriteOptions(rebuild=True)) as w:
            w.add(load_articles()[0])
            w.commit()
            raise RuntimeError("crash mid-rebuild")
    assert engine.generation() == generation
    assert engine.search(SearchRequest()).total == 5
    assert engine.get(load_articles()[4].id) == load_articles()[4]
    if backend == "whoosh":  # and the half-built generation directory is gone
        live = engine.store.current_dir()
        assert [p.name for p in location.iterdir() if p.name.startswith("gen-")] == [live.name]


def test_rebuild_keeps_what_the_api_wrote(engines, tmp_path):
    engine = engines.open()
    files = read_from(tmp_path / "corpus", load_articles()[:3])
    index_files(engine, files)
    api = load_articles()[3:]  # written through the API: origin a URL or relative, not a file
    engine.add(api)
    with engine.writer(WriteOptions(rebuild=True)) as w:
        w.add(files[0])
    assert sorted(w.report.carried) == sorted(a.id for a in api)
    assert {h.id for h in engine.search(SearchRequest()).hits} == {files[0].id, *(a.id for a in api)}
    assert engine.get(api[0].id) == api[0]


def test_prune_deletes_only_what_came_from_the_pruned_paths(engines, tmp_path):
    engine = engines.open()
    seeds = load_articles()
    here, elsewhere = read_from(tmp_path / "here", seeds[:3]), read_from(tmp_path / "elsewhere", seeds[3:4])
    index_files(engine, here + elsewhere)
    engine.add(seeds[4])  # through the API
    with engine.writer() as w:
        w.add(here[0])
        gone = w.prune([str(tmp_path / "here")])
    assert sorted(gone) == sorted(a.id for a in here[1:])
    assert {h.id for h in engine.search(SearchRequest()).hits} == {here[0].id, elsewhere[0].id, seeds[4].id}
    with engine.writer() as w:  # a path that is a prefix of another's name is not its parent
        assert w.prune([str(tmp_path / "her")]) == []


def test_writers_are_serialised(engines):
    engine = engines.open(lock_timeout=0.2)
    with engine.writer():
        with pytest.raises(WriteLockTimeout):
            with engine.writer():
                pass


@pytest.mark.whoosh_only("the Whoosh backend's write journal and lock")
def test_an_api_write_never_waits_for_the_lock_and_lands_when_it_is_free(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0, lock_timeout=0.2)
    with engine.writer():
        report = engine.add(Article(id="x", title="Journaled", body="b"))
        assert report.committed and not report.visible and report.added == ["x"]
        with pytest.raises(ArticleNotFound):
            engine.get("x")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            assert engine.get("x").title == "Journaled"
            break
        except ArticleNotFound:
            time.sleep(0.05)
    else:
        raise AssertionError("the journaled write was not applied once the lock was free")
    assert engine.journal.names() == []


@pytest.mark.whoosh_only("the Whoosh backend's journal, applied to the live generation every LIVE_EVERY seconds")
def test_a_write_acknowledged_during_a_rebuild_is_searchable_before_the_switch_and_after_it(tmp_path):
    from search.whoosh_backend.writer import LIVE_EVERY

    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    files = read_from(tmp_path / "corpus", load_articles())
    index_files(engine, files[:1])
    with engine.writer(WriteOptions(rebuild=True)) as w:
        w.add(files[1])
        report = engine.add(Article(id="during", title="Acknowledged mid-rebuild", body="Kept."))
        assert report.committed and not report.visible
        time.sleep(LIVE_EVERY + 0.1)
        w.add(files[2])  # the rebuild applies the journal to the live generation as it goes
        assert engine.get("during").title == "Acknowledged mid-rebuild"
        assert engine.journal.names() != []  # still journaled: the new generation has yet to take it
    assert engine.journal.names() == []
    assert {h.id for h in engine.search(SearchRequest()).hits} == {files[1].id, files[2].id, "during"}


@pytest.mark.whoosh_only("the writes waiting for the Whoosh store's lock, in its journal")
def test_status_counts_documents_commits_and_the_writes_waiting_for_the_lock(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0, lock_timeout=0.2)
    engine.add(load_articles())
    before = engine.status()
    assert (before.documents, before.pending_writes, before.generation) == (5, 0, engine.generation())
    assert before.last_commit is not None and abs(time.time() - before.last_commit.timestamp()) < 60
    with engine.writer():  # another writer holds the index: the API's write waits in the journal
        engine.add(Article(id="x", title="Journaled", body="b"))
        waiting = engine.status()
        assert (waiting.documents, waiting.pending_writes, waiting.commits) == (5, 1, before.commits)
    deadline = time.monotonic() + 30
    while engine.status().pending_writes and time.monotonic() < deadline:
        time.sleep(0.05)
    after = engine.status()
    assert (after.documents, after.pending_writes) == (6, 0)
    assert after.commits > before.commits and after.generation != before.generation
    assert after.last_commit >= before.last_commit


def test_a_write_acknowledged_while_a_rebuild_runs_is_kept_by_the_switch(engines, tmp_path):
    engine = engines.open()
    files = read_from(tmp_path / "corpus", load_articles())
    index_files(engine, files[:1])
    with engine.writer(WriteOptions(rebuild=True)) as w:
        w.add(files[1])
        report = engine.add(Article(id="during", title="Acknowledged mid-rebuild", body="Kept."))
        assert report.committed and report.added == ["during"]
        w.add(files[2])
    assert {h.id for h in engine.search(SearchRequest()).hits} == {files[1].id, files[2].id, "during"}
    assert engine.get("during").title == "Acknowledged mid-rebuild"


def test_status_counts_documents_and_the_generation_follows_every_write(engines):
    engine = engines.open()
    engine.add(load_articles())
    before = engine.status()
    assert (before.documents, before.pending_writes, before.generation) == (5, 0, engine.generation())
    assert before.last_commit is not None and abs(time.time() - before.last_commit.timestamp()) < 60
    assert engine.add(Article(id="x", title="Status", body="b"), wait=30).visible
    after = engine.status()
    assert (after.documents, after.pending_writes) == (6, 0)
    assert after.generation == engine.generation() != before.generation
    assert engine.delete("x", wait=30).visible
    assert engine.status().documents == 5 and engine.generation() != after.generation
