"""The postings files (postings_files.py) against Whoosh's own postings and phrase matcher.

The corpus is generated (seeded, a small vocabulary so that words repeat and phrases recur) and
written in three commits with updates and deletions: several segments, deleted documents in the
postings."""
from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from search.article import Article
from search.engine import open_engine
from search.whoosh_backend import postings_files
from search.whoosh_backend.matching import query_mask
from search.whoosh_backend.postings import term_postings
from search.whoosh_backend.schema import analyzed_terms

WORDS = ("the flood hit the river town as the council met and the police closed the bridge over the "
         "river while the mayor said the town would rebuild the bridge").split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _articles(rng: random.Random, start: int, count: int) -> list[Article]:
    return [Article(id=f"a{i}", title=_text(rng, rng.randint(2, 6)), body=_text(rng, rng.randint(3, 300)))
            for i in range(start, start + count)]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    rng = random.Random(20261201)
    engine = open_engine(tmp_path_factory.mktemp("index"), refresh_interval=0)
    engine.add(_articles(rng, 0, 400))
    engine.add(_articles(rng, 400, 300) + _articles(rng, 0, 40))
    engine.add(_articles(rng, 700, 200))
    for i in range(50, 80):
        engine.delete(f"a{i}")
    yield engine
    engine.close()


def _view(engine):
    return engine.current()[1]


def test_every_segment_has_its_files_and_every_term_its_whoosh_postings(engine):
    view = _view(engine)
    assert len(view.leaves) >= 2 and set(view.files) == {segid for _, _, segid in view.leaves}
    checked = 0
    for segreader, _, segid in view.leaves:
        files = view.files[segid]
        for field in postings_files.fields_of(segreader.schema):
            for btext in segreader.lexicon(field):
                row = files.row(segreader, field, btext)
                assert row is not None and row != postings_files.ABSENT
                ids, weights = files.postings(row)
                want_ids, want_weights = term_postings(segreader, field, btext)
                assert np.array_equal(ids, want_ids) and np.array_equal(weights, want_weights)
                checked += 1
    assert checked > 50


def test_positions_are_whoosh_positions(engine):
    view = _view(engine)
    segreader, _, segid = view.leaves[0]
    files = view.files[segid]
    for btext in list(segreader.lexicon("body"))[:8]:
        row = files.row(segreader, "body", btext)
        ids, _ = files.postings(row)
        which = np.arange(0, len(ids), 7)
        owner, positions = files.positions_of(row, which)
        matcher = segreader.postings("body", btext)
        want = {}
        while matcher.is_active():
            want[matcher.id()] = list(matcher.value_as("positions"))
            matcher.next()
        for k, doc in enumerate(ids[which]):
            assert list(positions[owner == k]) == want[int(doc)]


@pytest.mark.parametrize("slop", [1, 2, 3])
def test_phrase_masks_are_whoosh_phrase_matches(engine, slop):
    view = _view(engine)
    searcher = view.searcher
    rng = random.Random(slop)
    phrases = [["the", "river"], ["the", "bridge"], ["river", "town"], ["the", "the"], ["bridge", "over", "the"],
               ["the", "town", "would", "rebuild"], ["mayor", "police"], ["the", "unknownword"]]
    phrases += [[rng.choice(WORDS) for _ in range(rng.randint(2, 4))] for _ in range(40)]
    phrases = [[t for w in words for t in analyzed_terms(w)] for words in phrases]
    matched = 0
    for words in phrases:
        q = wq.Phrase("body", words, slop=slop)
        got = query_mask(view, q)
        want = np.zeros(view.doc_count_all, dtype=bool)
        want[list(searcher.docs_for_query(wq.Phrase("body", words, slop=slop)))] = True
        assert np.array_equal(got, want & view.live), words
        matched += int(got.sum())
    assert matched > 100  # the phrases do match: not a comparison of empty sets


def test_without_files_the_same_postings_from_whoosh(engine, tmp_path):
    view = _view(engine)
    folder = Path(view.searcher._ix.storage.folder)
    assert list(folder.glob("*.terms"))
    segreader, _, segid = view.leaves[-1]
    assert postings_files.SegmentPostings.open(tmp_path, segid) is None  # nothing written there


def test_files_follow_the_segments(tmp_path):
    """Each commit writes its new segment's files; after a merge, the merged segment has its own and
    the merged-away segments' files are gone; a rebuild's generation has its segments' files."""
    from search.backend import WriteOptions

    rng = random.Random(3)
    engine = open_engine(tmp_path / "index", refresh_interval=0)
    try:
        engine.add(_articles(rng, 0, 50))
        engine.add(_articles(rng, 50, 50))
        ix = engine.current()[0]._ix
        folder = Path(ix.storage.folder)
        assert len(list(folder.glob("*.terms"))) == 2
        before = query_mask(_view(engine), wq.Phrase("body", ["the", "river"]))
        with engine.store.write_lock():
            ix = engine.store.open_for_write()
            ix.optimize()
            assert postings_files.write_missing(ix) == [s.segment_id() for s in ix._segments()]
        names = {p.name for p in folder.iterdir() if p.suffix.lstrip(".") in postings_files.SUFFIXES}
        assert names == {f"{ix._segments()[0].segment_id()}.{suffix}" for suffix in postings_files.SUFFIXES}
        view = _view(engine)
        assert len(view.leaves) == 1 and set(view.files) == {view.leaves[0][2]}
        assert np.array_equal(query_mask(view, wq.Phrase("body", ["the", "river"])), before) and before.sum() > 0

        with engine.writer(WriteOptions(rebuild=True)) as writer:
            for article in _articles(rng, 0, 120):
                writer.add(article)
        view = _view(engine)
        folder = Path(view.searcher._ix.storage.folder)
        assert {p.stem for p in folder.glob("*.terms")} == {segid for _, _, segid in view.leaves} == set(view.files)
    finally:
        engine.close()


def test_facet_columns_are_written_with_the_segment_and_read_back_the_same(tmp_path):
    """A process opening the index reads each segment's facet columns from `<segment>.columns`
    rather than walking every facet term's postings (5 s on the RSS archive with entities, in each
    worker's first search): the file holds what the walk would build, values with commas, accents
    and no date included; a declaration with other facets ignores it."""
    import dataclasses
    from datetime import datetime, timezone

    from search.fields import FIELDS
    from search.whoosh_backend.columns import _segment_columns, read_columns

    rng = random.Random(11)
    sources = ["Reuters", "Le Monde, Paris", "Süddeutsche Zeitung", "BBC News"]
    names = ["Gordon Brown", "Angela Merkel", "José Sócrates", "Tony Blair", "Ban Ki-moon"]

    def article(i: int) -> Article:
        return Article(id=f"f{i}", title=_text(rng, 4), body=_text(rng, 40), source=rng.choice(sources),
                       people=rng.sample(names, rng.randint(0, 3)), places=rng.sample(["Paris", "Kyiv"], rng.randint(0, 2)),
                       published=None if i % 7 == 0 else datetime(2020, 1, 1 + i % 28, tzinfo=timezone.utc))

    engine = open_engine(tmp_path / "index", refresh_interval=0)
    try:
        written = [article(i) for i in range(100)]
        engine.add(written[:60])
        engine.add(written[60:])
        engine.delete("f3")
        view = _view(engine)
        folder = Path(view.searcher._ix.storage.folder)
        assert len(view.leaves) == 2
        for segreader, _, segid in view.leaves:
            assert (folder / f"{segid}.columns").exists()
            got, want = read_columns(folder, segid, FIELDS), _segment_columns(segreader, FIELDS)
            assert got is not None and got.doc_count == want.doc_count
            assert np.array_equal(got.published, want.published)
            assert (got.published == np.iinfo(np.int64).max).any()  # undated documents kept as such
            assert got.terms.keys() == want.terms.keys()
            for name, (terms, indptr, ords) in want.terms.items():
                assert got.terms[name][0] == terms
                assert np.array_equal(got.terms[name][1], indptr) and np.array_equal(got.terms[name][2], ords)
            assert "Le Monde, Paris" in got.terms["source"][0] and "José Sócrates" in got.terms["person"][0]
            other = dataclasses.replace(FIELDS, facets=FIELDS.facets[:-1])
            assert read_columns(folder, segid, other) is None
        from collections import Counter

        from search.request import SearchRequest

        engine.caches.segments.clear()  # a new process: columns read from the files
        counts = {b.value: b.count for b in engine.search(SearchRequest(facets=("person",))).facets["person"]}
        assert counts == dict(Counter(p for a in written if a.id != "f3" for p in a.people))
    finally:
        engine.close()
