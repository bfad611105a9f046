"""The write journal: durable before the index holds a write, applied in order, exactly once in
effect, and what readers see after the commits that apply it."""
from __future__ import annotations

import dataclasses
import os

from search.article import Article
from search.engine import open_engine
from search.request import SearchRequest
from search.whoosh_backend.journal import Journal
from search.whoosh_backend.store import IndexStore

from ..conftest import load_articles


def test_entries_round_trip_and_come_back_in_the_order_accepted(tmp_path):
    journal = Journal(tmp_path)
    first, second = load_articles()[:2]
    names = [journal.append([("add", first)]), journal.append([("delete", "gone"), ("add", second)])]
    assert journal.names() == names == sorted(names)
    entries = journal.pending()
    assert [e.name for e in entries] == names
    assert entries[0].ops == (("add", first),)  # every field, the checksum and `published` included
    assert entries[1].ops == (("delete", "gone"), ("add", second))
    # An append killed before its rename leaves a hidden .tmp that is never read as an entry.
    (journal.dir / ".00000000000000000000001-00000001-000001.json.tmp").write_text('{"ops": [')
    assert journal.names() == names
    journal.remove(names[:1])
    assert journal.names() == names[1:]


def test_an_entry_applied_twice_changes_nothing(tmp_path):
    """A writer killed after its commit and before it removed the entries applies them again."""
    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    article = load_articles()[0]
    engine.add(article)
    engine.delete(article.id)
    engine.add(dataclasses.replace(article, title="Final version", checksum=""))
    journal = Journal(tmp_path / "ix")
    # Replay all three, as if their removal had been lost.
    journal.append([("add", article)])
    journal.append([("delete", article.id)])
    journal.append([("add", dataclasses.replace(article, title="Final version", checksum=""))])
    assert engine.drain() is not None and journal.names() == []
    assert engine.get(article.id).title == "Final version"
    assert engine.search(SearchRequest()).total == 1


def test_updates_of_one_id_in_one_drain_leave_one_document(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    article = load_articles()[0]
    journal = Journal(tmp_path / "ix")
    for title in ("One", "Two", "Three"):
        journal.append([("add", dataclasses.replace(article, title=title, checksum=""))])
    reports = engine.drain()
    assert [r.added or r.updated for r in reports.values()] == [[article.id]] * 3
    assert engine.get(article.id).title == "Three"
    ix = IndexStore(tmp_path / "ix").open()
    with ix.reader() as reader:
        assert reader.doc_count() == 1
    ix.close()


def test_a_reader_refreshed_after_an_update_reuses_segments_and_sees_the_deletion(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    articles = load_articles()
    engine.add(articles)
    searcher, _ = engine.current()
    (big, _), = searcher.ixreader.leaf_readers()
    engine.add(dataclasses.replace(articles[0], title="Renamed quorum", checksum=""))
    refreshed, _ = engine.current()
    leaves = [r for r, _ in refreshed.ixreader.leaf_readers()]
    reused = [r for r in leaves if r.segment().segment_id() == big.segment().segment_id()]
    assert reused and reused[0]._terms is big._terms  # the segment's files were not opened again
    assert engine.search(SearchRequest(q="quorum")).total == 1
    assert engine.search(SearchRequest()).total == len(articles)  # the old version is deleted
    assert engine.get(articles[0].id).title == "Renamed quorum"


def test_a_journal_left_behind_is_applied_by_the_next_reader_of_the_index(tmp_path):
    """Entries acknowledged by a server killed before applying them are applied after a restart,
    with no new write needed: the backend's first reads start its drainer."""
    import time

    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    engine.add(load_articles()[0])
    Journal(tmp_path / "ix").append([("add", load_articles()[1])])
    restarted = open_engine(tmp_path / "ix", refresh_interval=0)
    deadline = time.monotonic() + 30
    while restarted.search(SearchRequest()).total < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert restarted.search(SearchRequest()).total == 2
    assert not os.listdir(tmp_path / "ix" / "journal") or Journal(tmp_path / "ix").names() == []


def test_an_unreadable_entry_is_set_aside_and_does_not_block_the_rest(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    journal = Journal(tmp_path / "ix")
    journal.dir.mkdir(parents=True)
    (journal.dir / "00000000000000000000001-00000001-000001.json").write_text('{"ops": [{"op": "add", "article": {}}]}')
    good = journal.append([("add", load_articles()[0])])
    assert list(engine.drain()) == [good] and journal.names() == []  # the good entry applied, the bad one set aside
    assert os.listdir(journal.dir / "rejected") == ["00000000000000000000001-00000001-000001.json"]
    assert engine.get(load_articles()[0].id) == load_articles()[0]
