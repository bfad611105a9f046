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
        _, scores = scorer.node(query)
    except _OutOfTime:
        scores, timed_out = scorer.partial, True
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


class _Scorer:
    """Scores one query over a fixed candidate list: each node gives (matches, scores), aligned with
    the candidates."""

    def __init__(self, searcher, view: IndexView, candidates: np.ndarray, deadline: Deadline) -> None:
        self.searcher = searcher
        self.view = view
        self.candidates = candidates
        self.deadline = deadline
        self.weighting = searcher.weighting
        # The candidates of each segment: (segment reader, segment id, doc count, slice, local ids).
        self.segments = []
        for segreader, offset, segid in view.leaves:
            n = segreader.doc_count_all()
            lo, hi = np.searchsorted(candidates, [offset, offset + n])
            if hi > lo:
                self.segments.append((segreader, segid, n, slice(lo, hi), (candidates[lo:hi] - offset).astype(np.int64)))
        self.partial = np.zeros(len(candidates))  # the leaves scored so far: the ranking if time runs out

    def node(self, q) -> tuple[np.ndarray, np.ndarray]:
        kind = type(q)
        if kind is wq.Term:
            if self.deadline.expired():
                raise _OutOfTime
            matches, scores = self.term(q)
            self.partial += scores
            return matches, scores
        if kind is wq.Phrase:
            return self.phrase(q)
        if isinstance(q, BOUNDED):
            return self.expansion(q)
        if kind is wq.Not:  # Whoosh's InverseMatcher: a weight of 1 where the inner query does not match
            matches = ~query_mask(self.view, q.query, self.deadline)[self.candidates]
            return matches, matches.astype(np.float64)
        if kind is wq.Every:  # every document, one constant score
            return np.ones(len(self.candidates), dtype=bool), np.full(len(self.candidates), float(q.boost))
        if kind is wq.And or kind is wq.Or:
            if len(q.subqueries) == 1:  # Whoosh's matcher is the child's own: no boost applied
                return self.node(q.subqueries[0])
            matches, scores = self._children(q.subqueries, all_of=kind is wq.And)
            return matches, _boosted(scores, q.boost)
        if kind is wq.AndNot:
            matches, scores = self.node(q.a)
            excluded = query_mask(self.view, q.b, self.deadline)[self.candidates]
            matches = matches & ~excluded
            return matches, np.where(matches, scores, 0.0)
        if kind is wq.AndMaybe:
            matches, scores = self.node(q.a)
            maybe_matches, maybe_scores = self.node(q.b)
            return matches, np.where(matches, scores + np.where(maybe_matches, maybe_scores, 0.0), 0.0)
        if kind is wq.Require:
            matches, scores = self.node(q.a)
            other, _ = self.node(q.b)
            matches = matches & other
            return matches, np.where(matches, scores, 0.0)
        raise TypeError(f"not evaluated over arrays: {q!r}")

    def _children(self, subqueries, all_of: bool) -> tuple[np.ndarray, np.ndarray]:
        matches = None
        scores = np.zeros(len(self.candidates))
        for sub in subqueries:
            m, s = self.node(sub)
            scores += s  # zero where the child does not match
            matches = m if matches is None else (matches & m if all_of else matches | m)
        if all_of:
            scores = np.where(matches, scores, 0.0)
        return matches, scores

    def phrase(self, q: wq.Phrase) -> tuple[np.ndarray, np.ndarray]:
        """Whoosh scores a phrase as the intersection of its words' terms (SpanNear2): the sum of
        their scores, where the words stand in order (the positional check is matching.py's, on
        Whoosh's matchers, remembered from the match set)."""
        matches = query_mask(self.view, q, self.deadline)[self.candidates]
        scores = np.zeros(len(self.candidates))
        for word in q.words:
            _, s = self.node(wq.Term(q.fieldname, word))
            scores += s
        return matches, np.where(matches, _boosted(scores, q.boost), 0.0)

    def expansion(self, q) -> tuple[np.ndarray, np.ndarray]:
        """A prefix, wildcard, fuzzy term or range: the Or of the terms it expands to in this index
        (compile.expand, as the match set has them), with its boost; one term is scored as that term
        alone, as Whoosh's MultiTerm does."""
        texts = expand(q, self.view.searcher.reader())
        terms = [wq.Term(q.fieldname, text) for text in texts]
        if not terms:
            return np.zeros(len(self.candidates), dtype=bool), np.zeros(len(self.candidates))
        if len(terms) == 1:
            return self.node(terms[0])
        return self.node(wq.Or(terms, boost=q.boost))

    def term(self, q: wq.Term) -> tuple[np.ndarray, np.ndarray]:
        matches = np.zeros(len(self.candidates), dtype=bool)
        scores = np.zeros(len(self.candidates))
        field = q.fieldname
        searcher = self.searcher
        if field not in searcher.schema:
            return matches, scores
        try:
            btext = searcher.schema[field].to_bytes(q.text)
        except ValueError:
            return matches, scores
        scorable = searcher.schema[field].scorable
        if scorable:
            weighting = self.weighting
            idf = searcher.idf(field, btext)
            avgfl = searcher.avg_field_length(field) or 1
            B = weighting._field_B.get(field, weighting.B)
            K1 = weighting.K1
        for segreader, segid, n, part, local in self.segments:
            ids, weights = self.view.term_postings(segreader, segid, field, btext)
            if not len(ids):
                continue
            if len(local) * 16 < len(ids):  # few candidates: look each up
                pos = np.minimum(np.searchsorted(ids, local), len(ids) - 1)
                hit = ids[pos] == local
                pos = pos[hit]
            else:  # many: a position per document of the segment
                where = np.full(n, -1, dtype=np.int64)
                where[ids] = np.arange(len(ids))
                pos = where[local]
                hit = pos >= 0
                pos = pos[hit]
            if not len(pos):
                continue
            tf = weights[pos].astype(np.float64)
            if scorable:
                fl = LENGTH_OF_BYTE[self.view.length_bytes(segreader, segid, field)[local[hit]]]
                # whoosh.scoring.bm25, operation for operation
                s = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
            else:  # WeightScorer: the term's weight
                s = tf
            if q.boost != 1.0:
                s = s * q.boost
            seg_matches = matches[part]
            seg_matches[hit] = True
            seg_scores = scores[part]
            seg_scores[hit] = s
        return matches, scores


def _boosted(scores: np.ndarray, boost: float) -> np.ndarray:
    return scores if boost == 1.0 else scores * boost
