"""Writes through the engine, seen by readers without a restart."""
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
    report = fresh_engine.update(Article(id="new", title="Quorum board adjourns", body="The quorum board adjourned."))
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


def test_a_second_engine_sees_commits_from_another(tmp_path):
    writer_side = open_engine(tmp_path / "ix", refresh_interval=0)
    writer_side.add(load_articles()[:2])
    reader_side = open_engine(tmp_path / "ix", refresh_interval=0)
    assert reader_side.search(SearchRequest()).total == 2
    generation = reader_side.generation()
    writer_side.add(load_articles()[2:])
    assert reader_side.search(SearchRequest()).total == 5
    assert reader_side.generation() != generation


def test_rebuild_switches_atomically_and_readers_follow(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    engine.add(load_articles())
    old_dir = engine.store.current_dir()
    assert engine.search(SearchRequest()).total == 5
    with engine.writer(WriteOptions(rebuild=True)) as w:
        for article in load_articles()[:3]:
            w.add(article)
        # mid-rebuild, readers still see the whole live index
        assert open_engine(tmp_path / "ix").search(SearchRequest()).total == 5
    assert engine.store.current_dir() != old_dir and not old_dir.exists()
    assert engine.search(SearchRequest()).total == 3


def test_failed_rebuild_leaves_live_index(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    engine.add(load_articles())
    live = engine.store.current_dir()
    with pytest.raises(RuntimeError):
        with engine.writer(WriteOptions(rebuild=True)) as w:
            w.add(load_articles()[0])
            raise RuntimeError("crash mid-rebuild")
    assert engine.store.current_dir() == live
    assert engine.search(SearchRequest()).total == 5
    assert [p.name for p in (tmp_path / "ix").iterdir() if p.name.startswith("gen-")] == [live.name]


def test_prune_deletes_what_was_not_seen(fresh_engine):
    with fresh_engine.writer() as w:
        for article in load_articles()[:2]:
            w.add(article)
        gone = w.prune()
    assert len(gone) == 3
    assert fresh_engine.search(SearchRequest()).total == 2


def test_writers_are_serialised(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0, lock_timeout=0.2)
    with engine.writer():
        with pytest.raises(WriteLockTimeout):
            engine.add(Article(id="x", title="t", body="b"))
    assert engine.add(Article(id="x", title="t", body="b")).added == ["x"]
