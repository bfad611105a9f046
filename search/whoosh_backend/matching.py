"""Match sets as boolean masks over a searcher's documents.

Boolean structure (And, Or, Not, AndNot, expansions) is evaluated with numpy over posting arrays
cached per segment and term (columns.Caches), so a repeated term costs nothing and no per-document
Python loop runs; phrases and other positional queries are left to Whoosh's own matchers.

With a deadline (budget.py) the evaluation checks it between clauses and between an expansion's
terms, and Whoosh's matchers check it as they move: past it, Whoosh's TimeLimit is raised."""
from __future__ import annotations

import numpy as np
from whoosh import query as wq
from whoosh.collectors import TimeLimit

from .budget import NO_DEADLINE, Deadline, timed
from .columns import IndexView
from .compile import expand, is_expansion


def query_mask(view: IndexView, q, deadline: Deadline = NO_DEADLINE) -> np.ndarray:
    """The live documents a (compiled) Whoosh query matches; every live document for None.
    Raises whoosh.collectors.TimeLimit when `deadline` passes first."""
    if q is None:
        return view.live
    return _eval(view, q, deadline) & view.live


def partial_query_mask(view: IndexView, q, deadline: Deadline) -> tuple[np.ndarray, bool]:
    """`query_mask` and True; but when `q` is a disjunction whose clauses do not all finish in time,
    the documents matched by those that did, and False (a subset of the match set, as meaningful as
    partial hits are). TimeLimit when not even one clause finishes."""
    if not isinstance(q, (wq.Or, wq.DisjunctionMax)) or deadline.at is None:
        return query_mask(view, q, deadline), True
    out = np.zeros(view.doc_count_all, dtype=bool)
    for done, sub in enumerate(q.subqueries):
        try:
            out |= _eval(view, sub, deadline)
        except TimeLimit:
            if done == 0:
                raise
            return out & view.live, False
    return out & view.live, True


def _eval(view: IndexView, q, deadline: Deadline = NO_DEADLINE) -> np.ndarray:
    deadline.check()
    n = view.doc_count_all
    if isinstance(q, wq.Term):
        return view.term_mask(q.fieldname, q.text)
    if isinstance(q, (wq.Or, wq.DisjunctionMax)):
        out = np.zeros(n, dtype=bool)
        for sub in q.subqueries:
            out |= _eval(view, sub, deadline)
        return out
    if isinstance(q, wq.And):
        out = np.ones(n, dtype=bool)
        for sub in q.subqueries:
            out &= _eval(view, sub, deadline)
        return out
    if isinstance(q, wq.AndNot):
        return _eval(view, q.a, deadline) & ~_eval(view, q.b, deadline)
    if isinstance(q, wq.AndMaybe):
        return _eval(view, q.a, deadline)
    if isinstance(q, wq.Require):
        return _eval(view, q.a, deadline) & _eval(view, q.b, deadline)
    if isinstance(q, wq.Not):
        return ~_eval(view, q.query, deadline)
    if isinstance(q, wq.Every):
        return np.ones(n, dtype=bool)
    if isinstance(q, wq.NullQuery.__class__):
        return np.zeros(n, dtype=bool)
    if is_expansion(q):
        out = np.zeros(n, dtype=bool)
        reader = view.searcher.reader()
        for text in expand(q, reader):
            deadline.check()
            out |= view.term_mask(q.fieldname, text)
        return out
    out = np.zeros(n, dtype=bool)  # phrases, ranges: Whoosh's own matcher
    docs = np.fromiter(view.searcher.docs_for_query(timed(q, deadline)), dtype=np.int64)
    out[docs] = True
    return out
