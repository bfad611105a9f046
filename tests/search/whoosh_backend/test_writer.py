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


def many_segments(engine, segments: int, per_segment: int, prefix: str = "s") -> None:
    """An index of `segments` committed segments, as a run that committed every `per_segment` leaves."""
    from search.article import Article
    from search.backend import WriteOptions

    with engine.writer(WriteOptions(commit_every=per_segment)) as w:
        for n in range(segments * per_segment):
            w.add(Article(id=f"{prefix}{n}", title=f"Segment article {n}", body=f"Body {n} of a segmented index.",
                          origin=f"/corpus/{prefix}{n}.txt"))


def segment_count(engine) -> int:
    ix = engine.store.open()
    try:
        return len(ix._segments())
    finally:
        ix.close()


def test_an_api_write_never_merges_the_index_and_the_indexer_does(tmp_path):
    """A full merge of a large index outlasted the request (an HTML 500 after the commit): an API
    write commits its own small segment and nothing more; the indexer's run merges at its end."""
    from search.article import Article
    from search.backend import WriteOptions

    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    many_segments(engine, 5, 100)
    assert segment_count(engine) == 5
    report = engine.add(Article(id="api", title="One more", body="Through the API."))
    assert report.visible and segment_count(engine) == 6
    with engine.writer(WriteOptions(merge=True)) as w:  # what `newsearch index` asks for
        w.add(Article(id="cli", title="From a file", body="Indexed.", origin="/corpus/cli.txt"))
    assert segment_count(engine) == 1
    assert engine.search(SearchRequest()).total == 502


def test_the_background_drainer_merges_only_the_small_segments(tmp_path):
    from search.article import Article
    from search.whoosh_backend.writer import MAX_SEGMENTS

    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    many_segments(engine, 1, 3000, prefix="big")
    many_segments(engine, MAX_SEGMENTS + 2, 20)
    before = segment_count(engine)
    engine.journal.append([("add", Article(id="api", title="Journaled", body="Applied by the drainer."))])
    engine.drain(merge="small")
    ix = engine.store.open()
    try:
        sizes = sorted(s.doc_count_all() for s in ix._segments())
    finally:
        ix.close()
    assert len(sizes) < before and sizes[-1] == 3000  # the large segment was left alone
    assert engine.get("api").title == "Journaled" and engine.search(SearchRequest()).total == 3000 + 20 * (MAX_SEGMENTS + 2) + 1


MERGE_FOREVER = """
import sys
from whoosh import index
ix = index.open_dir(sys.argv[1])
while True:
    w = ix.writer()
    w.add_document(id="again", title="again", body="again " * 2000)
    w.commit(optimize=True)
"""


def test_a_killed_merge_leaves_files_that_the_next_writer_removes(tmp_path):
    """A merge killed half-way leaves segment files and posting spills that no table of contents
    names (330 MB on the 135k index); the next writer removes them, and the index still opens."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from whoosh import index as whoosh_index

    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    many_segments(engine, 4, 500)
    folder = engine.store.current_dir()

    def orphans() -> set[str]:
        try:
            ix = whoosh_index.open_dir(str(folder))
            live = {s.segment_id() for s in ix._segments()}
            generation = ix.latest_generation()
            ix.close()
        except Exception:
            return set()
        return {n for n in os.listdir(folder)
                if (n.endswith(".seg") or n.endswith(".tmp")) and n.split(".")[0] not in live} | \
               {n for n in os.listdir(folder) if n.endswith(".toc") and n != f"_MAIN_{generation}.toc"}

    for attempt in range(20):
        merging = subprocess.Popen([sys.executable, "-c", MERGE_FOREVER, str(folder)])
        deadline = time.monotonic() + 20
        while not orphans() and time.monotonic() < deadline:
            time.sleep(0.002)
        merging.send_signal(signal.SIGKILL)
        merging.wait()
        left = orphans()
        if left:
            break
    assert left, "the merge was never caught half-way"
    with BulkWriter(engine.store):  # the next writer, before it writes anything
        pass
    assert not (orphans() & left)
    assert engine.search(SearchRequest()).total >= 2000


def test_raw_checksums_name_their_articles_and_kept_ones_survive_prune(tmp_path):
    articles = load_articles()
    for i, article in enumerate(articles):
        article.raw_checksum = f"raw-{i}"
        article.origin = f"/corpus/{article.id}.txt"
    articles[-1].raw_checksum = ""  # written through the API's ready fields: no raw input, no file
    articles[-1].origin = None
    store = IndexStore(tmp_path / "ix")
    with BulkWriter(store) as w:
        for article in articles:
            w.add(article)
    with BulkWriter(store) as w:
        assert w.raw_checksums() == {f"raw-{i}": a.id for i, a in enumerate(articles[:-1])}
        assert w.keep(articles[0].id) and not w.keep("no-such-article")
        assert w.add(articles[1]) == "unchanged"
        assert sorted(w.prune(["/corpus"])) == sorted(a.id for a in articles[2:-1])  # never what the API wrote
        assert w.report.unchanged == [articles[0].id, articles[1].id]
    assert open_engine(tmp_path / "ix").search(SearchRequest()).total == 3


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


def test_add_with_expect_writes_only_over_the_version_it_was_made_from(tmp_path):
    from dataclasses import replace

    from search.article import content_checksum

    first = load_articles()[0]
    store = IndexStore(tmp_path / "ix")
    with BulkWriter(store) as w:
        w.add(first)
    newer = replace(first, title="A newer title", checksum="")  # another writer's update
    newer.checksum = content_checksum(newer)
    with BulkWriter(store) as w:
        w.add(newer)
    stale = replace(first, people=["Someone Else"], checksum="")  # made from the first version
    stale.checksum = content_checksum(stale)
    with BulkWriter(store) as w:
        assert w.add(stale, expect=first.checksum) == "stale"
        assert w.add(stale, expect="no-such-checksum") == "stale"
    assert open_engine(tmp_path / "ix").get(first.id).title == "A newer title"
    fresh = replace(newer, people=["Someone Else"], checksum="")
    fresh.checksum = content_checksum(fresh)
    with BulkWriter(store) as w:
        assert w.add(fresh, expect=newer.checksum) == "updated"
    assert open_engine(tmp_path / "ix").get(first.id).people == ["Someone Else"]
