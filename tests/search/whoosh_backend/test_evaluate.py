"""Ranking over arrays (evaluate.py) against Whoosh's own scoring as the oracle.

The oracle is Whoosh scoring every match (`searcher.search(query, limit=None)`), sorted by score and
then document number. Not Whoosh's top-10 collector: on segments of 5,000 documents or fewer it ORs
through PreloadedOr, which under an And drops matches (see test_whoosh_top10_collector_drops_a_match).

The corpus is generated (a Zipf-like vocabulary, seeded) so that terms repeat, lengths vary and ties
occur; it is written in three commits, with updates and deletions, so that scores cross segments and
deleted documents sit in the postings."""
from __future__ import annotations

import random

import numpy as np
import pytest
from whoosh import query as wq

from search.article import Article
from search.engine import open_engine
from search.query import parse_query
from search.request import SearchRequest
from search.whoosh_backend import evaluate
from search.whoosh_backend.compile import compile_query
from search.whoosh_backend.matching import query_mask

WORDS = ("river bridge flood council police court election minister budget bank market school "
         "hospital storm fire train airport strike union price energy water housing tax vote party "
         "mayor judge crime museum festival football cricket rugby league match season coach player "
         "report plan inquiry funding project company shares profit loss growth jobs workers "
         "wildlife forest coast harbour road traffic weather summer winter north south city village").split()


def _text(rng: random.Random, n: int) -> str:
    # Zipf-like: early words far more frequent than late ones.
    return " ".join(WORDS[min(int(rng.paretovariate(0.9)) - 1, len(WORDS) - 1)] if rng.random() < 0.7
                    else rng.choice(WORDS) for _ in range(n))


def _articles(rng: random.Random, start: int, count: int) -> list[Article]:
    out = []
    for i in range(start, start + count):
        out.append(Article(id=f"a{i}", title=_text(rng, rng.randint(2, 8)).capitalize(),
                           body=_text(rng, rng.randint(5, 400)), source=rng.choice(["KCTV", "KSHB", "WDAF"]),
                           people=[rng.choice(["Ann Lee", "Bo Park", "Cy Moss"])] if rng.random() < 0.3 else []))
    return out


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    rng = random.Random(20261130)
    engine = open_engine(tmp_path_factory.mktemp("index"), refresh_interval=0)
    engine.add(_articles(rng, 0, 700))
    engine.add(_articles(rng, 700, 500) + _articles(rng, 0, 60))  # new articles, and 60 updated
    engine.add(_articles(rng, 1200, 300))
    for i in range(100, 140):
        engine.delete(f"a{i}")
    yield engine
    engine.close()


def _queries() -> list[str]:
    rng = random.Random(7)
    out = []
    for _ in range(120):
        words = [rng.choice(WORDS) for _ in range(3)]
        out += [words[0], f"{words[0]} {words[1]}", " ".join(words), f'"{words[0]} {words[1]}"',
                f"{words[0]} -{words[1]}", f"{words[0]} OR {words[1]}", f"{words[0][:3]}*", f"{words[1]}~",
                f"title:{words[2]} {words[0]}", _text(rng, rng.randint(8, 60))]
    return out + ["person:lee", "ann lee", "source:kctv flood", "-river", "(river OR bridge) -flood"]


def _oracle(searcher, view, query, k: int = 10) -> list[tuple[int, float]]:
    """Whoosh's scores of the match set (matching.py's, tested on its own): Whoosh's InverseMatcher,
    right after deleted documents, lets a document through that a NOT should exclude."""
    matches = query_mask(view, query)
    scored = ((hit.docnum, hit.score) for hit in searcher.search(query, limit=None) if matches[hit.docnum])
    return sorted(scored, key=lambda x: (-x[1], x[0]))[:k]


def _same(got: list[tuple[int, float]], want: list[tuple[int, float]], rel: float = 1e-6) -> bool:
    """Same documents, same order, scores within `rel` relative. Documents whose scores differ by less
    than 1e-9 relative are a tie: the order within one is Whoosh's summing order, not the ranking."""
    if len(got) != len(want):
        return False
    if any(abs(g - w) > rel * abs(w) for (_, g), (_, w) in zip(got, want)):
        return False
    groups_got, groups_want = _ties(got), _ties(want)
    return groups_got[:-1] == groups_want[:-1] and len(groups_got) == len(groups_want)


def _ties(ranked):
    out: list[set] = []
    last = None
    for doc, score in ranked:
        if last is not None and abs(last - score) <= 1e-9 * abs(score):
            out[-1].add(doc)
        else:
            out.append({doc})
        last = score
    return out


def test_every_query_kind_is_ranked_over_arrays():
    from search.whoosh_backend.compile import compile_query as compile_

    for text in _queries():
        query = compile_(parse_query(text))
        assert query is None or evaluate.supported(query), text


def test_top_10_is_whoosh_full_scoring(engine):
    searcher, view = engine.current()
    assert len(view.leaves) == 3 and not view.live.all()
    compared = 0
    for text in _queries():
        query = compile_query(parse_query(text), view.fields)
        if query is None:
            continue
        candidates = np.flatnonzero(query_mask(view, query))
        got, timed_out = evaluate.top(searcher, view, query, candidates, 10)
        assert not timed_out
        assert _same(got, _oracle(searcher, view, query)), text
        compared += bool(got)
    assert compared > 1000


def test_engine_search_pages_and_filters_follow_the_oracle(engine):
    searcher, view = engine.current()
    kctv = view.facet_mask("source", ["KCTV"])
    for text in _queries()[::8]:
        query = compile_query(parse_query(text), view.fields)
        if query is None:
            continue
        ranked = _oracle(searcher, view, query, k=10**6)
        for request, want in (
            (SearchRequest(q=text, facets=()), ranked[:10]),
            (SearchRequest(q=text, page=2, per_page=7, facets=()), ranked[7:14]),
            (SearchRequest(q=text, filters={"source": ["KCTV"]}, facets=()), [r for r in ranked if kctv[r[0]]][:10]),
        ):
            got = engine.search(request)
            assert got.total >= len(want)
            assert _same([(h.id, h.score) for h in got.hits],
                         [(searcher.stored_fields(d)["id"], round(s, 4)) for d, s in want], rel=1e-4), (text, request)


def test_best_breaks_ties_by_document_number():
    docnums = np.array([3, 5, 8, 9, 12])
    scores = np.array([1.0, 2.0, 2.0, 0.5, 2.0])
    assert evaluate.best(docnums, scores, 2) == [(5, 2.0), (8, 2.0)]
    assert evaluate.best(docnums, scores, 10) == [(5, 2.0), (8, 2.0), (12, 2.0), (3, 1.0), (9, 0.5)]


def test_whoosh_top10_collector_drops_a_match(engine):
    """Why the oracle is Whoosh's full scoring: its top-10 collector gives another top 10 for some
    queries (on segments of 5,000 documents or fewer, PreloadedOr under an And drops matches); the
    array ranking gives the full scoring's."""
    searcher, view = engine.current()
    dropped = 0
    for text in _queries():
        query = compile_query(parse_query(text), view.fields)
        if query is None:
            continue
        top10 = [(h.docnum, h.score) for h in searcher.search(query, limit=10)]
        want = _oracle(searcher, view, query)
        if not _same(top10, want):
            dropped += 1
            got, _ = evaluate.top(searcher, view, query, np.flatnonzero(query_mask(view, query)), 10)
            assert _same(got, want)
            break
    assert dropped > 0


def test_out_of_time_ranks_by_the_terms_scored_in_time(engine):
    from search.whoosh_backend.budget import Deadline

    searcher, view = engine.current()
    query = compile_query(parse_query("river bridge"), view.fields)  # title/body/... terms of two words
    candidates = np.flatnonzero(query_mask(view, query))
    ticks = iter(range(10**6))
    clock = lambda: next(ticks) * 0.001  # noqa: E731 - a millisecond per look at the clock
    deadline = Deadline(0.0025, clock=clock)  # time for the first two terms, not the rest
    got, timed_out = evaluate.top(searcher, view, query, candidates, 10, deadline)
    assert timed_out and len(got) == 10
    # The ranking is the sum of the terms scored before the deadline: river's title and body terms.
    first = wq.Or([wq.Term("title", "river", boost=0.3), wq.Term("body", "river")])
    want, _ = evaluate.top(searcher, view, first, candidates, 10)
    assert [d for d, _ in got] == [d for d, _ in want]
    assert all(abs(a - b) <= 1e-9 * b for (_, a), (_, b) in zip(got, want))
