"""Ranking over arrays: the BM25F scores Whoosh's matchers would give, computed with numpy over the
query's candidates (its final matches: filters, base filters and deletions already applied), and the
top k by `argpartition`. No Python step per posting or per document.

The same ranking as Whoosh's `searcher.search` (tests/search/whoosh_backend/test_evaluate.py holds
Whoosh as the oracle): per term and field, `bm25(idf, tf, fl, avgfl, B, K1)` with the top-level
searcher's idf (ranking.BM25) and average field length, the segment's one-byte field length, a term's
boost as a factor (WrappingMatcher); an And adds its children's scores, an Or those of the children
that match, AndNot keeps its left side's, AndMaybe adds its right side's where it matches, Require
keeps its left side's; a compound query's boost multiplies. Ties go to the lower document number, as
in Whoosh's collector. Scores agree with Whoosh's to the last few bits (sums are taken in another
order).

A phrase scores as the sum of its words' terms where it matches (Whoosh's SpanNear2); whether it
matches comes from the match set's positional check (matching.py), never walked again. An expansion
(prefix, wildcard, fuzzy, range) scores as the Or of the terms it expands to in the whole index
(compile.expand). Whoosh expands per segment and, in a segment of 5,000 documents or fewer, may give
its terms a constant score (PreloadedOr): the index-wide expansion is the one the match set and the
highlights already use, so the ranking now agrees with them (a change on purpose).

A Not (`-word` in an And) adds 1 where it matches, as Whoosh's InverseMatcher does. What this does
not evaluate (an Or with a coordination scale or a minimum match, DisjunctionMax) is left to Whoosh:
`supported` says which. What a NOT excludes may be anything: it is a mask (matching.py), never a
score."""
from __future__ import annotations

import numpy as np
from whoosh import query as wq

from ..arrays import unique_inverse
from .budget import NO_DEADLINE, Deadline
from .columns import IndexView
from .compile import BOUNDED, expand
from .matching import query_mask
from .postings import LENGTH_OF_BYTE


def supported(query) -> bool:
    """Whether `query`'s scores can be computed here (its positive side is terms, phrases, bounded
    expansions and boolean nodes)."""
    if type(query) in (wq.Term, wq.Phrase, wq.Every, wq.Not) or isinstance(query, BOUNDED):
        return True
    if type(query) is wq.And:
        return bool(query.subqueries) and all(supported(s) for s in query.subqueries)
    if type(query) is wq.Or:
        return (bool(query.subqueries) and not getattr(query, "scale", None) and not query.minmatch
                and all(supported(s) for s in query.subqueries))
    if type(query) is wq.AndNot:
        return supported(query.a)
    if type(query) in (wq.AndMaybe, wq.Require):
        return supported(query.a) and supported(query.b)
    return False


def top(searcher, view: IndexView, query, candidates: np.ndarray, k: int,
        deadline: Deadline = NO_DEADLINE) -> tuple[list[tuple[int, float]], bool]:
    """The best `k` of `candidates` (sorted global doc numbers, each a match of `query`) as
    (docnum, score), best first; and whether the deadline cut the scoring short (the scores are then
    those of the clauses scored in time)."""
    if k <= 0 or len(candidates) == 0:
        return [], False
    scorer = _Scorer(searcher, view, candidates, deadline)
    try:
        scores = scorer.scores(query)
    except _OutOfTime:
        scores, timed_out = scorer.partial(), True
    else:
        timed_out = False
    return best(candidates, scores, k), timed_out


def best(docnums: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The top `k` by score, ties to the lower doc number (`docnums` ascending)."""
    n = len(scores)
    if k < n:
        threshold = scores[np.argpartition(-scores, k - 1)[k - 1]]
        above = np.flatnonzero(scores > threshold)
        ties = np.flatnonzero(scores == threshold)[: k - len(above)]  # the lowest doc numbers
        chosen = np.concatenate([above, ties])
    else:
        chosen = np.arange(n)
    order = chosen[np.lexsort((docnums[chosen], -scores[chosen]))]
    return [(int(d), float(s)) for d, s in zip(docnums[order], scores[order])]


class _OutOfTime(Exception):
    pass


class _Result:
    """A node's matches and scores over the candidates: sparse (`idx`, the sorted candidate positions it
    matches, and their scores) or dense (a mask and a score per candidate, zero where it does not
    match). Terms are sparse, so that an Or of many adds only what its terms hold."""

    __slots__ = ("idx", "scores", "mask")

    def __init__(self, idx=None, scores=None, mask=None) -> None:
        self.idx, self.scores, self.mask = idx, scores, mask

    def dense(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if self.mask is not None:
            return self.mask, self.scores
        mask = np.zeros(n, dtype=bool)
        mask[self.idx] = True
        scores = np.zeros(n)
        scores[self.idx] = self.scores
        return mask, scores


def _dense(mask: np.ndarray, scores: np.ndarray) -> _Result:
    return _Result(mask=mask, scores=scores)


class _Scorer:
    """Scores one query over a fixed candidate list: each node gives a _Result aligned with the
    candidates."""

    def __init__(self, searcher, view: IndexView, candidates: np.ndarray, deadline: Deadline) -> None:
        self.searcher = searcher
        self.view = view
        self.candidates = candidates
        self.n = len(candidates)
        self.deadline = deadline
        self.weighting = searcher.weighting
        # The candidates of each segment: (segment reader, segment id, doc count, first candidate
        # position, local ids); and, built on first use, a map from local doc id to candidate position.
        self.segments = []
        for segreader, offset, segid in view.leaves:
            n = segreader.doc_count_all()
            lo, hi = np.searchsorted(candidates, [offset, offset + n])
            if hi > lo:
                self.segments.append((segreader, segid, n, int(lo), (candidates[lo:hi] - offset).astype(np.int64)))
        self._where: dict[str, np.ndarray] = {}
        self._scored: list[_Result] = []  # the terms scored so far: the ranking if time runs out

    def partial(self) -> np.ndarray:
        """The sum of the terms scored so far, per candidate."""
        if not self._scored:
            return np.zeros(self.n)
        idx = np.concatenate([r.idx for r in self._scored])
        return np.bincount(idx, weights=np.concatenate([r.scores for r in self._scored]), minlength=self.n)

    def scores(self, q) -> np.ndarray:
        return self.node(q).dense(self.n)[1]

    def node(self, q) -> _Result:
        kind = type(q)
        n = self.n
        if kind is wq.Term:
            if self.deadline.expired():
                raise _OutOfTime
            result = self.term(q)
            self._scored.append(result)
            return result
        if kind is wq.Phrase:
            return self.phrase(q)
        if isinstance(q, BOUNDED):
            return self.expansion(q)
        if kind is wq.Not:  # Whoosh's InverseMatcher: a weight of 1 where the inner query does not match
            matches = ~query_mask(self.view, q.query, self.deadline)[self.candidates]
            return _dense(matches, matches.astype(np.float64))
        if kind is wq.Every:  # every document, one constant score
            return _dense(np.ones(n, dtype=bool), np.full(n, float(q.boost)))
        if kind is wq.And or kind is wq.Or:
            if len(q.subqueries) == 1:  # Whoosh's matcher is the child's own: no boost applied
                return self.node(q.subqueries[0])
            result = self._all(q.subqueries) if kind is wq.And else self._any(q.subqueries)
            if q.boost != 1.0:
                result.scores = result.scores * q.boost
            return result
        if kind is wq.AndNot:
            matches, scores = self.node(q.a).dense(n)
            matches = matches & ~query_mask(self.view, q.b, self.deadline)[self.candidates]
            return _dense(matches, np.where(matches, scores, 0.0))
        if kind is wq.AndMaybe:
            matches, scores = self.node(q.a).dense(n)
            _, maybe = self.node(q.b).dense(n)
            return _dense(matches, np.where(matches, scores + maybe, 0.0))
        if kind is wq.Require:
            matches, scores = self.node(q.a).dense(n)
            other, _ = self.node(q.b).dense(n)
            matches = matches & other
            return _dense(matches, np.where(matches, scores, 0.0))
        raise TypeError(f"not evaluated over arrays: {q!r}")

    def _all(self, subqueries) -> _Result:
        matches, scores = self.node(subqueries[0]).dense(self.n)
        matches, scores = matches.copy(), scores.copy()
        for sub in subqueries[1:]:
            m, s = self.node(sub).dense(self.n)
            matches &= m
            scores += s  # zero where the child does not match
        return _dense(matches, np.where(matches, scores, 0.0))

    def _any(self, subqueries) -> _Result:
        results = [self.node(sub) for sub in subqueries]
        if all(r.mask is None for r in results):  # all sparse: add what the children hold
            idx = np.concatenate([r.idx for r in results])
            scores = np.concatenate([r.scores for r in results])
            if len(idx) * 8 < self.n:  # few: stay sparse
                values, inverse = unique_inverse(idx)
                return _Result(values, np.bincount(inverse, weights=scores, minlength=len(values)))
            total = np.bincount(idx, weights=scores, minlength=self.n)
            return _dense(np.bincount(idx, minlength=self.n) > 0, total)
        matches = np.zeros(self.n, dtype=bool)
        total = np.zeros(self.n)
        for r in results:
            m, s = r.dense(self.n)
            matches |= m
            total += s
        return _dense(matches, total)

    def phrase(self, q: wq.Phrase) -> _Result:
        """Whoosh scores a phrase as the intersection of its words' terms (SpanNear2): the sum of
        their scores, where the words stand in order (the positional check is matching.py's, on
        Whoosh's matchers, remembered from the match set)."""
        matches = query_mask(self.view, q, self.deadline)[self.candidates]
        scores = np.zeros(self.n)
        for word in q.words:
            term = self.node(wq.Term(q.fieldname, word))
            scores[term.idx] += term.scores
        if q.boost != 1.0:
            scores = scores * q.boost
        return _dense(matches, np.where(matches, scores, 0.0))

    def expansion(self, q) -> _Result:
        """A prefix, wildcard, fuzzy term or range: the Or of the terms it expands to in this index
        (compile.expand, as the match set has them), with its boost; one term is scored as that term
        alone, as Whoosh's MultiTerm does."""
        texts = expand(q, self.view.searcher.reader())
        terms = [wq.Term(q.fieldname, text) for text in texts]
        if not terms:
            return _Result(_NO_IDX, _NO_SCORES)
        if len(terms) == 1:
            return self.node(terms[0])
        return self.node(wq.Or(terms, boost=q.boost))

    def _positions(self, segid: str, n: int, first: int, local: np.ndarray) -> np.ndarray:
        """Segment-local doc id -> candidate position (-1: not a candidate), built once a search."""
        where = self._where.get(segid)
        if where is None:
            where = self._where[segid] = np.full(n, -1, dtype=np.int64)
            where[local] = np.arange(first, first + len(local))
        return where

    def term(self, q: wq.Term) -> _Result:
        field = q.fieldname
        searcher = self.searcher
        if field not in searcher.schema:
            return _Result(_NO_IDX, _NO_SCORES)
        try:
            btext = searcher.schema[field].to_bytes(q.text)
        except ValueError:
            return _Result(_NO_IDX, _NO_SCORES)
        scorable = searcher.schema[field].scorable
        if scorable:
            weighting = self.weighting
            idf = searcher.idf(field, btext)
            avgfl = searcher.avg_field_length(field) or 1
            B = weighting._field_B.get(field, weighting.B)
            K1 = weighting.K1
        idx_parts, score_parts = [], []
        for segreader, segid, n, first, local in self.segments:
            ids, weights = self.view.term_postings(segreader, segid, field, btext)
            if not len(ids):
                continue
            if len(local) * 16 < len(ids):  # few candidates: look each up in the postings
                pos = np.minimum(np.searchsorted(ids, local), len(ids) - 1)
                hit = ids[pos] == local
                pos, docs, idx = pos[hit], local[hit], first + np.flatnonzero(hit)
            else:  # many: each posting's candidate position
                cand = self._positions(segid, n, first, local)[ids]
                pos = np.flatnonzero(cand >= 0)
                docs, idx = ids[pos], cand[pos]
            if not len(pos):
                continue
            tf = weights[pos].astype(np.float64)
            if scorable:
                fl = LENGTH_OF_BYTE[self.view.length_bytes(segreader, segid, field)[docs]]
                # whoosh.scoring.bm25, operation for operation
                s = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
            else:  # WeightScorer: the term's weight
                s = tf
            if q.boost != 1.0:
                s = s * q.boost
            idx_parts.append(idx)
            score_parts.append(s)
        if not idx_parts:
            return _Result(_NO_IDX, _NO_SCORES)
        return _Result(np.concatenate(idx_parts), np.concatenate(score_parts))


_NO_IDX = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0)
