"""Facet columns: per-document facet values as numpy arrays, loaded once per index segment and
reused across searcher refreshes, so counting a facet is a bincount over the matching doc numbers
(no per-hit Python loop over stored fields, no Whoosh `groupedby`).

Counts are disjunctive: a facet's counts ignore that facet's own selections (see `FacetCounter`).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence

import numpy as np
from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from .results import Bucket
from .schema import DATE_FACET, FACETS

_MISSING_DATE = np.iinfo(np.int64).max
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class SegmentColumns:
    """One segment's facet values, in segment-local doc numbers."""

    doc_count: int
    # facet name -> (terms, indptr, ords): doc d has term ordinals ords[indptr[d]:indptr[d+1]]
    terms: dict[str, tuple[list[str], np.ndarray, np.ndarray]]
    published: np.ndarray  # int64 microseconds (Whoosh's long datetime), _MISSING_DATE when absent


def _segment_columns(segreader) -> SegmentColumns:
    n = segreader.doc_count_all()
    terms: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
    for facet in FACETS:
        field = facet.keyword_field
        names: list[str] = []
        doc_lists: list[np.ndarray] = []
        if field in segreader.indexed_field_names():
            for btext in segreader.lexicon(field):
                ids = np.fromiter(segreader.postings(field, btext).all_ids(), dtype=np.int64)
                names.append(btext.decode("utf-8"))
                doc_lists.append(ids)
        if doc_lists:
            docs = np.concatenate(doc_lists)
            ords = np.concatenate([np.full(len(a), i, dtype=np.int32) for i, a in enumerate(doc_lists)])
            order = np.argsort(docs, kind="stable")
            docs, ords = docs[order], ords[order]
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.add.at(indptr, docs + 1, 1)
            indptr = np.cumsum(indptr)
        else:
            ords = np.zeros(0, dtype=np.int32)
            indptr = np.zeros(n + 1, dtype=np.int64)
        terms[facet.name] = (names, indptr, ords)
    if segreader.has_column("published"):
        col = segreader.column_reader("published", translate=False)
        raw = np.fromiter((col[i] for i in range(n)), dtype=np.uint64, count=n)
        # Whoosh fills undated documents with the column type's maximum (2**64 - 1).
        published = np.where(raw >= np.uint64(_MISSING_DATE), _MISSING_DATE, raw.astype(np.int64))
    else:
        published = np.full(n, _MISSING_DATE, dtype=np.int64)
    return SegmentColumns(n, terms, published)


class FacetColumn:
    """One facet over the whole index: a global vocabulary and doc -> ordinal CSR arrays."""

    def __init__(self, terms: list[str], indptr: np.ndarray, ords: np.ndarray) -> None:
        self.terms = terms
        self.index = {t: i for i, t in enumerate(terms)}
        self.indptr = indptr
        self.ords = ords
        # The doc numbers that carry each value: for filters (a mask per selected value).
        order = np.argsort(ords, kind="stable")
        doc_of_slot = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        self._docs_sorted = doc_of_slot[order]
        self._bounds = np.searchsorted(ords[order], np.arange(len(terms) + 1))

    def docs_with(self, value: str) -> np.ndarray:
        i = self.index.get(value)
        if i is None:
            return np.zeros(0, dtype=np.int64)
        return self._docs_sorted[self._bounds[i] : self._bounds[i + 1]]

    def counts(self, docnums: np.ndarray) -> np.ndarray:
        starts = self.indptr[docnums]
        lens = self.indptr[docnums + 1] - starts
        total = int(lens.sum())
        if total == 0:
            return np.zeros(len(self.terms), dtype=np.int64)
        # Gather the ordinal slots of every matching doc without a Python loop.
        offsets = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
        return np.bincount(self.ords[offsets], minlength=len(self.terms))


class IndexView:
    """Per-searcher caches: the live-doc mask, facet columns and the date column.

    Segment columns are cached by segment id across refreshes, so a commit of a few articles
    costs only the new segment's columns."""

    # Segment ids are random and never reused, so one process-wide cache serves every engine.
    _segment_cache: "OrderedDict[str, SegmentColumns]" = OrderedDict()
    _cache_lock = threading.Lock()
    _cache_size = 64
    # Posting lists of recently used terms (segment-local doc numbers), bounded by total postings.
    _postings_cache: "OrderedDict[tuple, np.ndarray]" = OrderedDict()
    _postings_size = 0
    _postings_budget = 20_000_000

    def __init__(self, searcher) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        leaves = reader.leaf_readers()
        self.doc_count_all = reader.doc_count_all()
        self.live = np.ones(self.doc_count_all, dtype=bool)
        parts: list[tuple[SegmentColumns, int]] = []
        self.leaves: list[tuple[object, int, str]] = []
        for segreader, offset in leaves:
            if segreader.doc_count_all() == 0 or not hasattr(segreader, "segment"):
                continue
            key = segreader.segment().segment_id()
            with self._cache_lock:
                cols = self._segment_cache.get(key)
                if cols is not None:
                    self._segment_cache.move_to_end(key)
            if cols is None:
                cols = _segment_columns(segreader)
                with self._cache_lock:
                    self._segment_cache[key] = cols
                    while len(self._segment_cache) > self._cache_size:
                        self._segment_cache.popitem(last=False)
            parts.append((cols, offset))
            self.leaves.append((segreader, offset, key))
            if segreader.has_deletions():
                deleted = np.fromiter(segreader.segment().deleted_docs(), dtype=np.int64)
                self.live[deleted + offset] = False
        self.columns = {facet.name: self._merge(facet.name, parts) for facet in FACETS}
        self.published = (
            np.concatenate([c.published for c, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
        )
        self.has_date = self.published != _MISSING_DATE
        self.live_docs = np.flatnonzero(self.live)
        self._value_cache: dict[str, list[Bucket]] = {}
        self._completer = None

    def completer(self):
        """Completion data, built on first use for this searcher."""
        if self._completer is None:
            from .suggest import Completer

            self._completer = Completer(self)
        return self._completer

    def _merge(self, name: str, parts: list[tuple[SegmentColumns, int]]) -> FacetColumn:
        vocab: dict[str, int] = {}
        for cols, _ in parts:
            for t in cols.terms[name][0]:
                vocab.setdefault(t, len(vocab))
        terms = list(vocab)
        indptrs, ords_list, base = [np.zeros(1, dtype=np.int64)], [], 0
        for cols, _ in parts:
            seg_terms, indptr, ords = cols.terms[name]
            remap = np.array([vocab[t] for t in seg_terms], dtype=np.int32)
            ords_list.append(remap[ords] if len(ords) else ords.astype(np.int32))
            indptrs.append(indptr[1:] + base)
            base += len(ords)
        indptr = np.concatenate(indptrs)
        ords = np.concatenate(ords_list) if ords_list else np.zeros(0, dtype=np.int32)
        return FacetColumn(terms, indptr, ords)

    # -- matching ----------------------------------------------------------------------------------
    def query_mask(self, q) -> np.ndarray:
        """The live documents a Whoosh query matches, as a boolean mask.

        Boolean structure (And, Or, Not, AndNot, expansions) is evaluated with numpy over posting
        arrays cached per segment and term, so a repeated term costs nothing and no per-document
        Python loop runs; phrases and other positional queries are left to Whoosh."""
        return self._eval(q) & self.live

    def _eval(self, q) -> np.ndarray:
        if isinstance(q, wq.Term):
            return self._term_mask(q.fieldname, q.text)
        if isinstance(q, (wq.Or, wq.DisjunctionMax)):
            out = np.zeros(self.doc_count_all, dtype=bool)
            for sub in q.subqueries:
                out |= self._eval(sub)
            return out
        if isinstance(q, wq.And):
            out = np.ones(self.doc_count_all, dtype=bool)
            for sub in q.subqueries:
                out &= self._eval(sub)
            return out
        if isinstance(q, wq.AndNot):
            return self._eval(q.a) & ~self._eval(q.b)
        if isinstance(q, wq.AndMaybe):
            return self._eval(q.a)
        if isinstance(q, wq.Require):
            return self._eval(q.a) & self._eval(q.b)
        if isinstance(q, wq.Not):
            return ~self._eval(q.query)
        if isinstance(q, wq.Every):
            return np.ones(self.doc_count_all, dtype=bool)
        if isinstance(q, wq.NullQuery.__class__):
            return np.zeros(self.doc_count_all, dtype=bool)
        if isinstance(q, wq.MultiTerm) and not isinstance(q, wq.Phrase):
            out = np.zeros(self.doc_count_all, dtype=bool)
            reader = self.searcher.reader()
            for btext in q._btexts(reader):
                out |= self._term_mask(q.fieldname, btext)
            return out
        out = np.zeros(self.doc_count_all, dtype=bool)  # phrases, ranges: Whoosh's own matcher
        docs = np.fromiter(self.searcher.docs_for_query(q), dtype=np.int64)
        out[docs] = True
        return out

    def _term_mask(self, field: str, text) -> np.ndarray:
        out = np.zeros(self.doc_count_all, dtype=bool)
        for ids in self._postings(field, text):
            out[ids] = True
        return out

    def term_docs(self, field: str, text) -> np.ndarray:
        """The doc numbers (index-wide, deleted ones included) whose `field` holds the term `text`."""
        parts = list(self._postings(field, text))
        return np.concatenate(parts) if parts else _EMPTY

    def _postings(self, field: str, text):
        """Per segment with the term: its posting list as index-wide doc numbers, cached."""
        btext = text if isinstance(text, bytes) else str(text).encode("utf-8")
        for segreader, offset, segid in self.leaves:
            key = (segid, field, btext)
            cls = IndexView
            with cls._cache_lock:
                ids = cls._postings_cache.get(key)
                if ids is not None:
                    cls._postings_cache.move_to_end(key)
            if ids is None:
                if (field, btext) in segreader:
                    ids = np.fromiter(segreader.postings(field, btext).all_ids(), dtype=np.int64)
                else:
                    ids = _EMPTY
                with cls._cache_lock:
                    cls._postings_cache[key] = ids
                    cls._postings_size += len(ids) + 1
                    while cls._postings_size > cls._postings_budget and cls._postings_cache:
                        _, dropped = cls._postings_cache.popitem(last=False)
                        cls._postings_size -= len(dropped) + 1
            if len(ids):
                yield ids + offset

    # -- filters ---------------------------------------------------------------------------------
    def filter_mask(self, filters: Mapping[str, Sequence[str]]) -> np.ndarray:
        """Live docs that pass every filter (values of one facet OR-ed, facets AND-ed; empty lists ignored)."""
        mask = self.live.copy()
        for name, values in filters.items():
            if values:
                mask &= self.facet_mask(name, list(values))
        return mask

    def facet_mask(self, name: str, values: list[str]) -> np.ndarray:
        """Docs carrying any of `values` for facet `name` (values of one facet are OR-ed)."""
        mask = np.zeros(self.doc_count_all, dtype=bool)
        column = self.columns[name]
        for value in values:
            mask[column.docs_with(value)] = True
        return mask

    def date_mask(self, start: datetime | None, end: datetime | None) -> np.ndarray:
        """Docs published in [start, end); documents without a date never match a date filter."""
        mask = self.has_date.copy()
        if start is not None:
            mask &= self.published >= _to_long(start)
        if end is not None:
            mask &= self.published < _to_long(end)
        return mask

    # -- counting --------------------------------------------------------------------------------
    def buckets(self, name: str, docnums: np.ndarray, selected: list[str], size: int) -> list[Bucket]:
        if name == DATE_FACET:
            return self.date_buckets(docnums, selected)
        column = self.columns[name]
        counts = column.counts(docnums)
        top = np.argsort(-counts, kind="stable")
        out: list[Bucket] = []
        chosen = set(selected)
        for i in top[:size]:
            if counts[i] == 0:
                break
            out.append(Bucket(column.terms[i], int(counts[i]), column.terms[i] in chosen))
        # A selected value always shows, even with a zero count or outside the top `size`.
        shown = {b.value for b in out}
        for value in selected:
            if value not in shown:
                i = column.index.get(value)
                out.append(Bucket(value, int(counts[i]) if i is not None else 0, True))
        return out

    def date_buckets(self, docnums: np.ndarray, selected: list[str]) -> list[Bucket]:
        """A histogram by month, or by year when the matches span more than three years."""
        stamps = self.published[docnums]
        stamps = stamps[stamps != _MISSING_DATE]
        if len(stamps) == 0:
            return []
        # Whoosh's long datetimes are microseconds since year 1; numpy datetime64 needs the Unix epoch.
        unix = (stamps - _EPOCH_LONG).astype("datetime64[us]")
        months = unix.astype("datetime64[M]")
        by_year = (months.max() - months.min()).astype(int) > 36
        units = unix.astype("datetime64[Y]") if by_year else months
        values, counts = np.unique(units, return_counts=True)
        chosen = set(selected)
        buckets = [Bucket(str(v), int(c), str(v) in chosen) for v, c in zip(values, counts)]
        return buckets[::-1]  # newest first

    def values(self, name: str, prefix: str = "", limit: int = 20) -> list[Bucket]:
        """Values of a facet over the whole index (case-insensitive prefix match), by count."""
        if name == DATE_FACET:
            return self.date_buckets(self.live_docs, [])[:limit]
        key = name
        if key not in self._value_cache:
            self._value_cache[key] = self.buckets(name, self.live_docs, [], size=len(self.columns[name].terms))
        wanted = prefix.casefold()
        out = []
        for bucket in self._value_cache[key]:
            if not wanted or any(w.startswith(wanted) for w in [bucket.value.casefold(), *bucket.value.casefold().split()]):
                out.append(bucket)
                if len(out) >= limit:
                    break
        return out

    def date_range(self) -> tuple[datetime | None, datetime | None]:
        stamps = self.published[self.live & self.has_date]
        if len(stamps) == 0:
            return None, None
        return _from_long(int(stamps.min())), _from_long(int(stamps.max()))


def _to_long(value: datetime) -> int:
    from whoosh.util.times import datetime_to_long

    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_long(value)


def _from_long(value: int) -> datetime:
    return long_to_datetime(value).replace(tzinfo=timezone.utc)


_EPOCH_LONG = _to_long(datetime(1970, 1, 1))
