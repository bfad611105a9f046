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

from ..arrays import unique
from .budget import NO_DEADLINE, Deadline, timed
from .columns import IndexView
from .postings_files import ABSENT
from .compile import expand, is_expansion


def query_mask(view: IndexView, q, deadline: Deadline = NO_DEADLINE) -> np.ndarray:
    """The live documents a (compiled) Whoosh query matches; every live document for None.
    Raises whoosh.collectors.TimeLimit when `deadline` passes first."""
    if q is None:
        return view.live
    return _eval(view, q, deadline) & view.live


def partial_query_mask(view: IndexView, q, deadline: Deadline) -> tuple[np.ndarray, bool]:
    """`query_mask` and True; but when the deadline cuts the query short, a subset of its match set
    and False (as meaningful as partial hits are):

    - a disjunction whose clauses do not all finish keeps the matches of those that did;
    - a phrase (or another query Whoosh's own matcher walks) cut short keeps the documents it found
      before the deadline, wherever a subset of its matches gives a subset of the query's: not
      under a negation. In a conjunction such clauses run last, after the cheap ones.

    TimeLimit when not even one clause finishes."""
    if deadline.at is None:
        return query_mask(view, q, deadline), True
    cut: list = []
    return _eval(view, q, deadline, cut) & view.live, not cut


def _eval(view: IndexView, q, deadline: Deadline = NO_DEADLINE, cut: list | None = None) -> np.ndarray:
    """The documents `q` matches (deleted ones included). With `cut` (a list), a Whoosh-matched
    clause cut by the deadline gives the documents found so far and is appended to `cut`; without
    it (or under a negation), the deadline raises TimeLimit."""
    deadline.check()
    n = view.doc_count_all
    if isinstance(q, wq.Term):
        return view.term_mask(q.fieldname, q.text)
    if isinstance(q, (wq.Or, wq.DisjunctionMax)):
        out = np.zeros(n, dtype=bool)
        terms = [sub for sub in q.subqueries if isinstance(sub, wq.Term)]
        found: list[np.ndarray] = []
        for sub in terms:  # one scatter for all of them (a long question ORs hundreds)
            try:
                deadline.check()  # reading a term's postings the first time is the costly part
            except TimeLimit:
                if cut is None or not found:
                    raise
                cut.append(sub)  # the terms read in time: a subset of the matches
                out[np.concatenate(found)] = True
                return out
            found.extend(view.term_docs_parts(sub.fieldname, sub.text))
        if found:
            out[np.concatenate(found)] = True
        for done, sub in enumerate(s for s in q.subqueries if not isinstance(s, wq.Term)):
            try:
                out |= _eval(view, sub, deadline, cut)
            except TimeLimit:
                # With cut: keep what the finished clauses (or a cut one) matched, once there is any.
                if cut is None or (done == 0 and not terms and not cut):
                    raise
                cut.append(sub)
                return out
        return out
    if isinstance(q, wq.And):
        out = np.ones(n, dtype=bool)
        for sub in sorted(q.subqueries, key=_walked):  # cheap clauses first: a cut one is the last
            out &= _eval(view, sub, deadline, cut)
        return out
    if isinstance(q, wq.AndNot):
        return _eval(view, q.a, deadline, cut) & ~_eval(view, q.b, deadline)
    if isinstance(q, wq.AndMaybe):
        return _eval(view, q.a, deadline, cut)
    if isinstance(q, wq.Require):
        first, second = sorted((q.a, q.b), key=_walked)
        return _eval(view, first, deadline, cut) & _eval(view, second, deadline, cut)
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
    memo = q.__dict__.get("_mask")  # a compiled query lives for one search: ranking asks again
    if memo is not None and memo[0] is view:
        return memo[1]
    if isinstance(q, wq.Phrase):
        out = _phrase(view, q, deadline, cut)
        if out is not None:
            if not (cut and cut[-1] is q):
                q.__dict__["_mask"] = (view, out)
            return out
    out = np.zeros(n, dtype=bool)  # phrases without postings files, ranges: Whoosh's own matcher
    found: list[int] = []
    try:
        for docnum in view.searcher.docs_for_query(timed(q, deadline)):
            found.append(docnum)
    except TimeLimit:
        if cut is None:
            raise
        cut.append(q)  # what it found so far: a subset of its matches
    out[np.array(found, dtype=np.int64)] = True
    if not (cut and cut[-1] is q):  # only a finished walk is worth remembering
        q.__dict__["_mask"] = (view, out)
    return out


MAX_SLOP = 8  # a looser proximity query is left to Whoosh's matcher
PHRASE_CHUNK = 32_768  # candidate documents whose positions are matched between deadline checks


def _phrase(view: IndexView, q, deadline: Deadline, cut: list | None = None) -> np.ndarray | None:
    """The documents (deleted ones included) where the phrase's words occur in order, each within
    `slop` positions after the previous one, as Whoosh's SpanNear2(ordered, mindist=1) finds them,
    from the segments' postings files: the words' positions are read for the documents holding every
    word only, and matched with numpy. None when a segment has no files or a word's postings are not
    in them (Whoosh's matcher then walks the phrase).

    The deadline is checked before each PHRASE_CHUNK candidates; past it, with `cut`, the documents
    found so far are the answer (as for Whoosh's walk), else TimeLimit."""
    if len(q.words) < 2 or not 1 <= q.slop <= MAX_SLOP or q.fieldname not in view.searcher.schema:
        return None
    field = view.searcher.schema[q.fieldname]
    if not field.format or not field.format.supports("positions"):
        return None
    try:
        words = [field.to_bytes(word) for word in q.words]
    except ValueError:
        return np.zeros(view.doc_count_all, dtype=bool)
    plans = []
    for segreader, offset, segid in view.leaves:
        files = view.files.get(segid)
        if files is None:
            return None
        rows = [files.row(segreader, q.fieldname, word) for word in words]
        if any(row is None or (row != ABSENT and files.pstarts[row] < 0) for row in rows):
            return None
        plans.append((files, offset, rows))
    out = np.zeros(view.doc_count_all, dtype=bool)
    for files, offset, rows in plans:
        if ABSENT in rows:
            continue
        postings = [files.postings(row)[0] for row in rows]
        candidates = min(postings, key=len)
        for ids in postings:
            candidates = np.intersect1d(candidates, ids, assume_unique=True)
        for start in range(0, len(candidates), PHRASE_CHUNK):
            try:
                deadline.check()
            except TimeLimit:
                if cut is None:
                    raise
                cut.append(q)  # what it found so far: a subset of its matches
                return out
            out[_phrase_docs(files, rows, postings, candidates[start:start + PHRASE_CHUNK], q.slop) + offset] = True
    return out


def _phrase_docs(files, rows: list[int], postings: list[np.ndarray], candidates: np.ndarray,
                 slop: int) -> np.ndarray:
    """Which of one segment's `candidates` (documents holding every word) match the phrase whose
    words are the terms at `rows`, with those `postings` (every term has positions: _phrase checked)."""
    spans = None  # (candidate index, span start, span end), ascending
    for ids, row in zip(postings, rows):
        owner, positions = files.positions_of(row, np.searchsorted(ids, candidates))
        if spans is None:
            spans = (owner, positions, positions)
            continue
        keys = (owner << 32) | positions  # ascending: by candidate, then position
        owners, starts, ends = spans
        parts = []
        for gap in range(1, slop + 1):  # the next word `gap` positions after the span's end
            target = (owners << 32) | (ends + gap)
            at = np.minimum(np.searchsorted(keys, target), len(keys) - 1)
            hit = keys[at] == target
            parts.append((owners[hit], starts[hit], ends[hit] + gap))
        owners, starts, ends = (np.concatenate(p) for p in zip(*parts))
        if slop > 1 and len(owners):  # the same span reached through different gaps: once
            spans_once = np.unique(np.stack([owners, starts, ends]), axis=1)
            owners, starts, ends = spans_once[0], spans_once[1], spans_once[2]
        if not len(owners):
            return np.zeros(0, dtype=np.int64)
        spans = (owners, starts, ends)
    return candidates[unique(spans[0])].astype(np.int64)


def _walked(q) -> bool:
    """Whether `q` has a clause Whoosh's matcher walks (a phrase, a range): the costly kind, which
    the deadline may cut short."""
    if isinstance(q, wq.Term) or is_expansion(q):
        return False
    if isinstance(q, (wq.Or, wq.DisjunctionMax, wq.And)):
        return any(_walked(sub) for sub in q.subqueries)
    if isinstance(q, (wq.AndNot, wq.AndMaybe, wq.Require)):
        return _walked(q.a) or _walked(q.b)
    if isinstance(q, wq.Not):
        return _walked(q.query)
    return not isinstance(q, (wq.Every, wq.NullQuery.__class__))
