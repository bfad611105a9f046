"""Writes into OpenSearch: the API's add/delete, the bulk writer (added, updated, unchanged, stale,
deleted, refused items), prune, and a rebuild's atomic alias swap carrying the API's writes."""
import dataclasses
import threading

import pytest

from search.article import Article
from search.backend import SearchBackend, Writer, WriteOptions
from search.engine import open_engine
from search.errors import ArticleNotFound
from search.request import SearchRequest
from tests.search.opensearch_backend.corpus import CORPUS


def read_from(folder, articles):
    """The articles as `newsearch index` reads them: each from a file under `folder`."""
    return [dataclasses.replace(a, origin=f"{folder}/{a.id}.txt", checksum="") for a in articles]


def all_ids(engine):
    return {h.id for h in engine.search(SearchRequest(per_page=100, facets=(), highlight=False)).hits}


def test_it_implements_the_protocols(empty_os):
    assert isinstance(empty_os, SearchBackend)
    with empty_os.writer() as w:
        assert isinstance(w, Writer)


def test_add_update_unchanged_delete_through_the_api_methods(empty_os):
    report = empty_os.add(CORPUS, wait=1)
    assert sorted(report.added) == sorted(a.id for a in CORPUS) and report.committed and report.visible
    assert all_ids(empty_os) == {a.id for a in CORPUS}
    again = empty_os.add(CORPUS)
    assert sorted(again.unchanged) == sorted(a.id for a in CORPUS) and not again.added and not again.updated
    changed = dataclasses.replace(CORPUS[0], title="Railway strike called off", checksum="")
    report = empty_os.add(changed, wait=1)
    assert report.updated == ["rail-1"]
    assert empty_os.get("rail-1") == changed
    assert empty_os.search(SearchRequest(q="called off")).total == 1
    report = empty_os.delete("rail-1", wait=1)
    assert report.deleted == ["rail-1"] and report.committed and report.visible
    with pytest.raises(ArticleNotFound):
        empty_os.get("rail-1")
    with pytest.raises(ArticleNotFound):
        empty_os.delete("rail-1")
    assert "rail-1" not in all_ids(empty_os)


def test_the_generation_changes_with_every_write(empty_os):
    empty_os.add(CORPUS[:2], wait=1)
    seen = [empty_os.generation()]
    empty_os.add(CORPUS[2:3])
    seen.append(empty_os.generation())
    empty_os.delete(CORPUS[2].id)
    seen.append(empty_os.generation())
    with empty_os.writer() as w:
        w.add(CORPUS[3])
    seen.append(empty_os.generation())
    assert len(set(seen)) == 4 and all(g.startswith(empty_os.alias + "_v1.") for g in seen)
    empty_os.add(CORPUS[:2])  # unchanged: nothing written
    assert empty_os.generation() == seen[-1]
    status = empty_os.status()
    assert (status.documents, status.generation, status.pending_writes) == (3, seen[-1], 0)
    assert status.commits == 4 and status.last_commit is not None


def test_the_bulk_writer_reports_each_article(empty_os):
    empty_os.add(CORPUS[:2], wait=1)
    committed = []
    with empty_os.writer(WriteOptions(on_commit=committed.extend)) as w:
        assert w.add(CORPUS[0]) == "unchanged"
        assert w.add(dataclasses.replace(CORPUS[1], body="Talks resumed.", checksum="")) == "updated"
        assert w.add(CORPUS[2]) == "added"
        assert w.delete(CORPUS[0].id) is True
        assert w.delete("no-such-id") is False
        assert w.keep("no-such-id") is False
    assert (w.report.unchanged, w.report.updated, w.report.added, w.report.deleted) == (
        ["rail-1"], ["rail-2"], ["rail-3"], ["rail-1"])
    assert w.report.committed and set(committed) == {"rail-1", "rail-2", "rail-3"}
    assert all_ids(empty_os) == {"rail-2", "rail-3"}


def test_expect_never_overwrites_a_newer_write(empty_os):
    first = CORPUS[0]
    empty_os.add(first, wait=1)
    newer = dataclasses.replace(first, title="Newer, from the API", checksum="")
    empty_os.add(newer, wait=1)
    stale = dataclasses.replace(first, title="Made from the first version", checksum="")
    with empty_os.writer() as w:
        assert w.add(stale, expect=first.checksum) == "stale"
        assert w.add(stale, expect="no-such-checksum") == "stale"
        fresh = dataclasses.replace(newer, places=["Leeds", "York"], checksum="")
        assert w.add(fresh, expect=newer.checksum) == "updated"
    assert empty_os.get(first.id) == fresh


def test_chunks_and_commits_along_the_way(empty_os, monkeypatch):
    from search.opensearch_backend import writer as writer_module

    monkeypatch.setattr(writer_module, "CHUNK", 7)
    articles = [Article(id=f"a{i:03d}", title=f"Story {i}", body=f"Body {i} of the run.") for i in range(40)]
    committed = []
    with empty_os.writer(WriteOptions(commit_every=15, on_commit=committed.extend)) as w:
        for article in articles:
            w.add(article)
            if article.id == "a020":  # two commits made: searchable before the writer closes
                assert empty_os.search(SearchRequest(per_page=0, facets=())).total >= 15
    assert sorted(committed) == [a.id for a in articles]
    assert empty_os.search(SearchRequest(per_page=0, facets=())).total == 40


def test_an_id_longer_than_a_cluster_takes_is_still_an_id(empty_os):
    long_id = "é" * 300  # 600 bytes: past the 512 a document _id may have
    article = Article(id=long_id, title="Long id", body="Kept all the same.")
    assert empty_os.add(article, wait=1).added == [long_id]
    assert empty_os.get(long_id) == article
    assert [h.id for h in empty_os.search(SearchRequest(q="long id")).hits] == [long_id]
    assert empty_os.add(article).unchanged == [long_id]
    assert empty_os.delete(long_id, wait=1).deleted == [long_id]
    assert empty_os.search(SearchRequest(q="long id")).total == 0


def test_a_refused_item_is_reported_not_raised_and_the_others_kept(empty_os, monkeypatch):
    from search.opensearch_backend import writer as writer_module

    monkeypatch.setattr(writer_module, "CHUNK", 2)
    first, second, third = CORPUS[:3]
    with empty_os.writer() as w:
        w.add(first)
        w.add(second)  # a chunk: sent
        empty_os.client.indices.put_settings(index=w.index, body={"index.blocks.write": True})
        w.add(third)  # refused by the cluster when sent (403 cluster_block_exception), per item
    empty_os.client.indices.put_settings(index=w.index, body={"index.blocks.write": False})
    assert [i for i, _ in w.errors] == [third.id] and "403" in w.errors[0][1]
    assert w.report.added == [first.id, second.id] and w.report.committed
    assert all_ids(empty_os) == {first.id, second.id}


def test_raw_checksums_are_looked_up_one_at_a_time(empty_os):
    articles = [dataclasses.replace(a, raw_checksum=f"raw-{a.id}", checksum="") for a in CORPUS]
    empty_os.add(articles, wait=1)
    with empty_os.writer() as w:
        known = w.raw_checksums()
        assert known["raw-rail-1"] == "rail-1" and "raw-port-1" in known and "raw-nothing" not in known
        assert len(known) == len(CORPUS) and set(known) == {f"raw-{a.id}" for a in CORPUS}
        with pytest.raises(KeyError):
            known["raw-nothing"]
        assert w.keep("rail-1") and w.report.unchanged == ["rail-1"]


def test_prune_deletes_only_what_came_from_the_pruned_paths(empty_os, tmp_path):
    here, elsewhere = read_from(tmp_path / "here", CORPUS[:3]), read_from(tmp_path / "elsewhere", CORPUS[3:4])
    with empty_os.writer() as w:
        for article in here + elsewhere:
            w.add(article)
    empty_os.add(CORPUS[4], wait=1)  # through the API
    with empty_os.writer() as w:
        w.add(here[0])
        gone = w.prune([str(tmp_path / "here")])
    assert sorted(gone) == sorted(a.id for a in here[1:])
    assert all_ids(empty_os) == {here[0].id, elsewhere[0].id, CORPUS[4].id}
    with empty_os.writer() as w:  # a path that is a prefix of another's name is not its parent
        assert w.prune([str(tmp_path / "her")]) == []


def test_rebuild_swaps_the_alias_atomically_and_keeps_what_the_api_wrote(empty_os, tmp_path):
    files = read_from(tmp_path / "corpus", CORPUS[:4])
    with empty_os.writer() as w:
        for article in files:
            w.add(article)
    api = CORPUS[4:]  # written through the API (an origin that is no file)
    empty_os.add(api, wait=1)
    empty_os.write_meta("registry", {"names": 3})
    old = empty_os.concrete()
    committed = []
    with empty_os.writer(WriteOptions(rebuild=True, on_commit=committed.extend)) as w:
        w.add(files[0])
        w.add(files[1])
        assert empty_os.concrete() == old and len(all_ids(empty_os)) == 6  # readers still see the live index
        during = empty_os.add(Article(id="during", title="Acknowledged mid-rebuild", body="Kept."), wait=1)
        assert during.visible and "during" in all_ids(empty_os)
        assert committed == []  # nothing of a rebuild is durable before the switch
    new = empty_os.concrete()
    assert new == f"{empty_os.alias}_v2" and new != old
    assert not empty_os.client.indices.exists(index=old)
    assert sorted(w.report.carried) == sorted([*(a.id for a in api), "during"])
    assert all_ids(empty_os) == {files[0].id, files[1].id, *(a.id for a in api), "during"}
    assert empty_os.get(api[0].id) == api[0]
    assert sorted(committed) == sorted([files[0].id, files[1].id, *(a.id for a in api), "during"])
    assert empty_os.read_meta("registry") == {"names": 3}  # it outlives the switch
    assert empty_os.generation() == f"{new}.1" and empty_os.status().commits == 1  # counted again
    assert empty_os.get_doc(empty_os.meta_index, f"writes.{old}") is None


def test_a_rebuild_updates_an_article_written_meanwhile_to_its_newer_version(empty_os, tmp_path):
    files = read_from(tmp_path / "corpus", CORPUS[:2])
    with empty_os.writer() as w:
        for article in files:
            w.add(article)
    with empty_os.writer(WriteOptions(rebuild=True)) as w:
        w.add(files[0])
        w.add(files[1])
        newer = dataclasses.replace(files[0], title="Edited through the API", checksum="")
        empty_os.add(newer, wait=1)
    assert empty_os.get(files[0].id).title == "Edited through the API"


def test_a_failed_rebuild_leaves_the_live_index(empty_os):
    empty_os.add(CORPUS, wait=1)
    live = empty_os.concrete()
    with pytest.raises(RuntimeError):
        with empty_os.writer(WriteOptions(rebuild=True)) as w:
            w.add(CORPUS[0])
            raise RuntimeError("crash mid-rebuild")
    assert empty_os.concrete() == live
    assert len(all_ids(empty_os)) == len(CORPUS)
    assert list(empty_os.client.indices.get(index=f"{empty_os.alias}_v*")) == [live]


def test_searches_during_a_swap_never_find_nothing(empty_os, tmp_path):
    files = read_from(tmp_path / "corpus", CORPUS)
    with empty_os.writer() as w:
        for article in files:
            w.add(article)
    totals, stop = [], threading.Event()

    def search_on():
        while not stop.is_set():
            totals.append(empty_os.search(SearchRequest(q="strike", per_page=0, facets=())).total)

    reader = threading.Thread(target=search_on)
    reader.start()
    try:
        for _ in range(3):
            with empty_os.writer(WriteOptions(rebuild=True)) as w:
                for article in files:
                    w.add(article)
    finally:
        stop.set()
        reader.join()
    assert totals and set(totals) == {4}


def test_a_first_write_creates_the_index_and_the_alias(empty_os):
    assert not empty_os.is_ready()
    with empty_os.writer(WriteOptions(rebuild=True)) as w:
        w.add(CORPUS[0])
    assert empty_os.is_ready() and empty_os.concrete() == f"{empty_os.alias}_v1"
    assert all_ids(empty_os) == {"rail-1"}


def test_bulk_writers_take_turns(empty_os, os_location):
    from search.errors import WriteLockTimeout
    from search.opensearch_backend import writer as writer_module

    other = open_engine(os_location, refresh_interval=0, replicas=0, lock_timeout=0.3)
    with empty_os.writer() as w:
        w.add(CORPUS[0])
        with pytest.raises(WriteLockTimeout):
            other.writer()
        assert empty_os.add(CORPUS[1], wait=1).added == ["rail-2"]  # API writes never wait for it
    with other.writer() as w:  # released when the first closed
        w.add(CORPUS[2])
    with pytest.raises(RuntimeError):
        with other.writer() as w:
            raise RuntimeError("crash")
    with other.writer():  # and when it aborted
        pass
    # A writer that died without releasing it: its lock expires and is taken over.
    stale = writer_module.WriteLock(empty_os, 0)
    stale.acquire()
    with pytest.raises(WriteLockTimeout):
        other.writer()
    empty_os.client.index(index=empty_os.meta_index, id=stale.doc_id, body={"expires": 0}, refresh="true")
    with other.writer() as w:
        w.add(CORPUS[3])
    assert all_ids(empty_os) == {"rail-1", "rail-2", "rail-3", "port-1"}
    other.close()


@pytest.mark.parametrize("article_id", ["a,b", "x*y", "p/q?r#s", "../etc", "100% sure", "_underscore", "ünï code", "a b+c"])
def test_any_id_round_trips(empty_os, article_id):
    article = Article(id=article_id, title="Odd id", body="An article with an odd id.")
    assert empty_os.add(article, wait=1).added == [article_id]
    assert empty_os.get(article_id) == article
    assert [h.id for h in empty_os.search(SearchRequest(q="odd")).hits] == [article_id]
    assert [h.id for h in empty_os.similar(article_id)] == []
    assert empty_os.delete(article_id, wait=1).deleted == [article_id]
    with pytest.raises(ArticleNotFound):
        empty_os.get(article_id)
