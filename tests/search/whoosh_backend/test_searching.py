"""The Whoosh backend's search internals: the DocSet filter, the expansion bound on the seed index."""
import numpy as np
import pytest
from whoosh import query as wq

from search.query import parse_query
from search.whoosh_backend.compile import MAX_EXPANSIONS, compile_query, expand
from search.whoosh_backend.searching import DocSet

pytestmark = pytest.mark.whoosh_only("the Whoosh backend's own query compilation and matching")


def test_one_letter_prefix_is_bounded_not_expanded(seed_engine):
    # "po*" expands, to at most MAX_EXPANSIONS terms per field
    q = compile_query(parse_query("po*"))
    s, _ = seed_engine.current()
    assert all(len(expand(leaf, s.reader())) <= MAX_EXPANSIONS for leaf in q.leaves())


def test_docset_filter_keeps_scores_and_restricts(seed_engine):
    searcher, _ = seed_engine.current()
    q = compile_query(parse_query("police officers"))
    plain = {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
    allowed = np.array(sorted(plain)[::2], dtype=np.int64)
    filtered = {hit.docnum: hit.score for hit in searcher.search(wq.And([q, DocSet(allowed)]), limit=None)}
    assert set(filtered) == set(allowed.tolist())
    assert all(filtered[d] == pytest.approx(plain[d]) for d in filtered)
