"""Expansions (prefix, wildcard, fuzzy, term ranges) compiled for Whoosh are bounded: over a
vocabulary of thousands of terms each stays within a fixed amount of work (MAX_EXPANSIONS terms, the
most frequent of at most SCAN_LIMIT looked at). Moved from tests/hostile/test_query_properties.py:
these reach into the backend's compiled queries and its searcher."""
from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from search.article import Article
from search.backend import WriteOptions
from search.engine import open_engine
from search.query import parse_query
from search.request import SearchRequest
from search.whoosh_backend.compile import (MAX_EXPANSIONS, SCAN_LIMIT, BoundedFuzzy, BoundedPrefix, BoundedTermRange,
                                           BoundedWildcard, compile_query, expand)
from tests.query_strategies import structured_queries

pytestmark = pytest.mark.whoosh_only("the Whoosh backend's own query compilation and matching")

VOCABULARY = 6000
WALL_CLOCK = 3.0  # seconds: generous, for a shared 2-core machine; the work bound is the real check


def _index(path, articles):
    engine = open_engine(path, refresh_interval=0)
    with engine.writer(WriteOptions(commit_every=10_000)) as w:
        for article in articles:
            w.add(article)
    return engine


@pytest.fixture(scope="module")
def vocabulary_index(tmp_path_factory):
    """1,500 articles over a vocabulary of 6,000 made-up words, all starting with a, b or c."""
    rng = random.Random(6)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = sorted({rng.choice("abc") + "".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(VOCABULARY * 2)})[:VOCABULARY]
    articles = [
        Article(id=f"v{n}", title=" ".join(rng.sample(vocab, 4)), body=" ".join(rng.sample(vocab, 60)), source="Vocab")
        for n in range(1500)
    ]
    engine = _index(tmp_path_factory.mktemp("vocab") / "index", articles)
    yield engine, vocab
    engine.close()


@pytest.fixture(scope="module")
def crowded_prefix_index(tmp_path_factory):
    """20,000 distinct words that all start with "ab": more than SCAN_LIMIT behind one prefix."""
    words = [f"ab{n:05d}x" for n in range(20_000)]
    articles = [Article(id=f"c{n}", title=words[n * 100], body=" ".join(words[n * 100:(n + 1) * 100]), source="Crowd")
                for n in range(200)]
    engine = _index(tmp_path_factory.mktemp("crowded") / "index", articles)
    yield engine
    engine.close()


def search(engine, q: str, **kwargs):
    started = time.perf_counter()
    results = engine.search(SearchRequest(q=q, per_page=10, **kwargs))
    elapsed = time.perf_counter() - started
    assert elapsed < WALL_CLOCK, (q, elapsed)
    return results


def compiled(q: str):
    return compile_query(parse_query(q))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=300), structured_queries()))
def test_any_query_compiles_to_a_bounded_whoosh_query(text):
    q = compiled(text)
    assert q is None or isinstance(q, wq.Query)
    _assert_bounded_tree(q)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=200), structured_queries()), st.sampled_from(["relevance", "newest", "oldest"]))
def test_any_query_searches(seed_engine, text, sort):
    results = search(seed_engine, text, sort=sort)
    assert results.total >= len(results.hits)


def _expansions(q):
    if q is None:
        return []
    if isinstance(q, wq.MultiTerm) and not isinstance(q, wq.Phrase):
        return [q]
    return [leaf for child in (q.children() if hasattr(q, "children") else []) for leaf in _expansions(child)]


def _assert_bounded_tree(q) -> None:
    for leaf in _expansions(q):
        assert isinstance(leaf, (BoundedPrefix, BoundedWildcard, BoundedFuzzy, BoundedTermRange)), f"unbounded expansion {leaf!r}"


class CountingReader:
    """A reader that counts the vocabulary entries an expansion looks at."""

    def __init__(self, reader) -> None:
        self._reader = reader
        self.lookups = 0

    def doc_frequency(self, *args, **kwargs):
        self.lookups += 1
        return self._reader.doc_frequency(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._reader, name)


@pytest.mark.parametrize("q", ["a*", "*", "a*b*c*", "ab*", "b*", "c?*", "abcd~", "abcdefgh~2", "title:a*", "a* OR b* OR c*",
                               "(a* b*) OR (c* -ab*)", '"a* b*"', "a~ b~ c~", "*a", "?b*"])
def test_expansions_are_bounded_over_a_large_vocabulary(vocabulary_index, q):
    engine, vocab = vocabulary_index
    query = compiled(q)
    _assert_bounded_tree(query)
    searcher = engine.current()[0]
    for leaf in _expansions(query):
        reader = CountingReader(searcher.reader())
        expanded = expand(leaf, reader)
        assert len(expanded) <= MAX_EXPANSIONS, (q, leaf, len(expanded))
        assert reader.lookups <= SCAN_LIMIT, (q, leaf, reader.lookups)
    search(engine, q)
    search(engine, q, facets=("source", "date"))


def test_one_character_prefix_and_bare_star_do_not_expand(vocabulary_index):
    engine, vocab = vocabulary_index
    for q in ("a*", "*", "a*b*c*", "?*"):
        assert not _expansions(compiled(q)), q
    assert len([w for w in vocab if w.startswith("a")]) > MAX_EXPANSIONS * 10  # the bound matters here


def test_term_ranges_are_bounded(vocabulary_index):
    # `[a TO z]` or `body:[a TO z]` would expand to every term of the field (~4 s a query on
    # 3,000 articles with 40,000 terms) from one anonymous GET: ranges are bounded like prefixes.
    engine, vocab = vocabulary_index
    for q in ("[a TO z]", "body:[a TO z]", "title:{a TO zzzz}"):
        _assert_bounded_tree(compiled(q))


@pytest.mark.parametrize("q, most", [("ab*", SCAN_LIMIT), ("ab*x", SCAN_LIMIT), ("body:[ab TO ac]", SCAN_LIMIT),
                                     ("ab?0*", 2_000), ("ab000*", 100)])
def test_the_scan_limit_holds_when_a_prefix_has_more_terms_than_it(crowded_prefix_index, q, most):
    leaves = _expansions(compiled(q))  # one per field the query searches
    searcher = crowded_prefix_index.current()[0]
    lookups = []
    for leaf in leaves:
        reader = CountingReader(searcher.reader())
        expanded = expand(leaf, reader)
        assert len(expanded) <= MAX_EXPANSIONS, (q, leaf, len(expanded))
        assert reader.lookups <= SCAN_LIMIT, (q, leaf, reader.lookups)
        lookups.append(reader.lookups)
    # In the body field the limit, not the vocabulary, ends the scan; below it, every match is looked at.
    assert max(lookups) == most, (q, lookups)
    assert search(crowded_prefix_index, q).total > 0
