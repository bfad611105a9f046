"""Facet columns: per-document facet values as numpy arrays, loaded once per index segment and
reused across searcher refreshes, so counting a facet is a bincount over the matching doc numbers
(no per-hit Python loop over stored fields, no Whoosh `groupedby`).

`IndexView` holds one searcher's columns, live-document mask and date column; the caches it fills
(`Caches`: segment columns and term postings) belong to the backend that made it, not the process.
"""
from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping, Sequence

import numpy as np
from whoosh.util.times import datetime_to_long, long_to_datetime

from ..arrays import unique_counts
from ..fields import DATE_FACET, Fields
from ..results import Bucket
from .postings import EMPTY_IDS as _EMPTY_IDS
from .postings import EMPTY_WEIGHTS as _EMPTY_WEIGHTS
from .postings import length_bytes, term_postings
from . import story_files
from .postings_files import ABSENT, COLUMNS, SegmentPostings
from .story_files import SegmentStories, Stories
from .schema import keyword_field

_MISSING_DATE = np.iinfo(np.int64).max
_EPOCH_LONG = 62_135_596_800 * 1_000_000  # Whoosh's long datetime (microseconds since year 1) of 1970-01-01
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass
class SegmentColumns:
    """One segment's facet values, in segment-local doc numbers."""

    doc_count: int
    # facet name -> (terms, indptr, ords): doc d has term ordinals ords[indptr[d]:indptr[d+1]]
    terms: dict[str, tuple[list[str], np.ndarray, np.ndarray]]
    published: np.ndarray  # int64 microseconds (Whoosh's long datetime), _MISSING_DATE when absent


def _segment_columns(segreader, fields: Fields) -> SegmentColumns:
    n = segreader.doc_count_all()
    terms: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
    for facet in fields.facets:
        field = keyword_field(facet)
        names: list[str] = []
        doc_lists: list[np.ndarray] = []
        if field in segreader.indexed_field_names():
            for btext in segreader.lexicon(field):
                ids, _ = term_postings(segreader, field, btext)  # deleted docs too: counts use live matches
                names.append(btext.decode("utf-8"))
                doc_lists.append(ids.astype(np.int64))
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
        raw = _fixed_column(col, n)
        if raw is None:  # not the fixed-width numeric column Whoosh writes for DATETIME: read it per doc
            raw = np.fromiter((col[i] for i in range(n)), dtype=np.uint64, count=n)
        # Whoosh fills undated documents with the column type's maximum (2**64 - 1).
        published = np.where(raw >= np.uint64(_MISSING_DATE), _MISSING_DATE, raw.astype(np.int64))
    else:
        published = np.full(n, _MISSING_DATE, dtype=np.int64)
    return SegmentColumns(n, terms, published)


COLUMNS_FORMAT = 1


def write_columns(folder: Path, segreader, segid: str, fields: Fields) -> None:
    """Write the segment's facet columns to `<segment>.columns` (atomically), so that a process
    opening the index reads them instead of walking every facet term's postings: on the RSS archive
    with entities that walk took 5 s, in every worker, inside its first search's time budget."""
    cols = _segment_columns(segreader, fields)
    path = folder / f"{segid}.{COLUMNS}"
    tmp = path.with_name(path.name + ".tmp")
    header = {"format": COLUMNS_FORMAT, "doc_count": cols.doc_count, "facets": list(cols.terms)}
    with open(tmp, "wb") as f:
        np.save(f, np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8))
        for names, indptr, ords in cols.terms.values():
            encoded = [name.encode("utf-8") for name in names]
            ends = np.cumsum([len(b) for b in encoded], dtype=np.int64)
            np.save(f, np.concatenate([np.zeros(1, dtype=np.int64), ends]))
            np.save(f, np.frombuffer(b"".join(encoded), dtype=np.uint8))
            np.save(f, indptr)
            np.save(f, ords)
        np.save(f, cols.published)
    os.replace(tmp, path)


def read_columns(folder: Path | None, segid: str, fields: Fields) -> SegmentColumns | None:
    """The columns `write_columns` wrote for the segment; None when there is no such file, or it was
    written for other facets (a changed field declaration: then they are built from the postings)."""
    if folder is None:
        return None
    try:
        with open(folder / f"{segid}.{COLUMNS}", "rb") as f:
            header = json.loads(np.load(f, allow_pickle=False).tobytes())
            if header.get("format") != COLUMNS_FORMAT or header["facets"] != [f.name for f in fields.facets]:
                return None
            terms = {}
            for name in header["facets"]:
                offsets = np.load(f, allow_pickle=False)
                blob = np.load(f, allow_pickle=False).tobytes()
                names = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
                terms[name] = (names, np.load(f, allow_pickle=False), np.load(f, allow_pickle=False))
            published = np.load(f, allow_pickle=False)
    except (FileNotFoundError, ValueError, KeyError, EOFError):
        return None
    return SegmentColumns(int(header["doc_count"]), terms, published)


def _fixed_column(col, n: int) -> np.ndarray | None:
    """A Whoosh NumericColumn's values for docs 0..n-1 as uint64, read as one block of bytes (the
    column stops at its last non-default value; the rest is the default), or None for another kind."""
    typecode = getattr(col, "_typecode", None)
    if typecode is None or not hasattr(col, "_basepos") or not isinstance(getattr(col, "_default", None), int):
        return None
    out = np.full(n, col._default, dtype=np.uint64)
    count = min(col._count, n)
    if count:
        data = col._dbfile.get(col._basepos, count * col._fixedlen)
        out[:count] = np.frombuffer(data, dtype=np.dtype(">" + typecode)).astype(np.uint64)
    return out


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


class Caches:
    """What a backend keeps across searcher refreshes: segment columns by segment id (random, never
    reused), and posting lists of recently used terms, bounded by their total length."""

    def __init__(self, segments: int = 64, postings_budget: int = 20_000_000) -> None:
        self.lock = threading.Lock()
        self.segments: "OrderedDict[str, SegmentColumns]" = OrderedDict()
        self.segments_size = segments
        self.postings: "OrderedDict[tuple, np.ndarray]" = OrderedDict()
        self.postings_held = 0
        self.postings_budget = postings_budget
        self.files: "OrderedDict[str, SegmentPostings]" = OrderedDict()
        self.stories: "OrderedDict[str, SegmentStories]" = OrderedDict()

    def _kept(self, store: OrderedDict, key: str, load):
        """`store[key]`, else what `load()` gives (kept unless None), the least recently used
        entries dropped past `segments_size`."""
        with self.lock:
            found = store.get(key)
            if found is not None:
                store.move_to_end(key)
                return found
        found = load()
        if found is not None:
            with self.lock:
                store[key] = found
                while len(store) > self.segments_size:
                    store.popitem(last=False)
        return found

    def segment_stories(self, folder: Path | None, segid: str, build=None) -> "SegmentStories | None":
        """The segment's story prints (story_files.py), or None when not written (yet); `build`
        computes them when the file is missing."""
        def load():
            found = story_files.read(folder, segid) if folder is not None else None
            return build() if found is None and build is not None else found

        return self._kept(self.stories, segid, load)

    def segment_files(self, folder: Path | None, segid: str) -> SegmentPostings | None:
        """The segment's memory-mapped postings files (postings_files.py), or None when they are not
        written (yet: looked for again next time)."""
        if folder is None:
            return None
        return self._kept(self.files, segid, lambda: SegmentPostings.open(folder, segid))

    def segment(self, key: str, build) -> SegmentColumns:
        return self._kept(self.segments, key, build)

    def posting(self, key: tuple, build) -> tuple[np.ndarray, np.ndarray]:
        """A term's (ids, weights) in one segment (postings.term_postings), or a segment's field
        lengths (weights empty)."""
        with self.lock:
            found = self.postings.get(key)
            if found is not None:
                self.postings.move_to_end(key)
                return found
        found = build()
        with self.lock:
            self.postings[key] = found
            self.postings_held += len(found[0]) + 1
            while self.postings_held > self.postings_budget and self.postings:
                _, dropped = self.postings.popitem(last=False)
                self.postings_held -= len(dropped[0]) + 1
        return found


class IndexView:
    """One searcher's columns: the live-doc mask, facet columns and the date column.

    Segment columns come from the backend's `Caches`, so a commit of a few articles costs only the
    new segment's columns."""

    def __init__(self, searcher, fields: Fields, caches: Caches, folder: Path | None = None) -> None:
        self.searcher = searcher
        self.fields = fields
        self.caches = caches
        reader = searcher.reader()
        leaves = reader.leaf_readers()
        self.doc_count_all = reader.doc_count_all()
        self.live = np.ones(self.doc_count_all, dtype=bool)
        parts: list[tuple[SegmentColumns, int]] = []
        self.leaves: list[tuple[object, int, str]] = []
        self.files: dict[str, SegmentPostings] = {}  # by segment id, where written
        for segreader, offset in leaves:
            if segreader.doc_count_all() == 0 or not hasattr(segreader, "segment"):
                continue
            key = segreader.segment().segment_id()
            cols = caches.segment(key, lambda: read_columns(folder, key, fields) or _segment_columns(segreader, fields))
            parts.append((cols, offset))
            self.leaves.append((segreader, offset, key))
            files = caches.segment_files(folder, key)
            if files is not None:
                self.files[key] = files
            if segreader.has_deletions():
                deleted = np.fromiter(segreader.segment().deleted_docs(), dtype=np.int64)
                self.live[deleted + offset] = False
        self.columns = {facet.name: self._merge(facet.name, parts) for facet in fields.facets}
        self.published = (
            np.concatenate([c.published for c, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
        )
        self.has_date = self.published != _MISSING_DATE
        self.live_docs = np.flatnonzero(self.live)
        self._value_cache: dict[str, list[Bucket]] = {}
        self._completer = None
        self._months: np.ndarray | None = None
        self._folder = folder
        self._stories: Stories | None = None

    def stories(self) -> Stories:
        """The stories of this view's live documents (story_files.py): those the writer saved for
        its generation. Until it has (a searcher refreshed right after a commit): in an index of up
        to ASSIGN_IN_SEARCH documents, assigned here (a small segment without its file yet has its
        prints computed); in a larger one, the previous generation's extended, not kept, so that the
        next search looks for the file again. Each article is its own story where neither is
        possible (an index written before the story files, until its next `newsearch index`)."""
        if self._stories is not None:
            return self._stories
        segments = [(segid, segreader.doc_count_all()) for segreader, _, segid in self.leaves]
        published = np.where(self.has_date, (self.published - _EPOCH_LONG) / 1e6, np.nan)
        found, exact = story_files.read_labels(self._folder, self.searcher.reader().generation(), segments,
                                               self.live, published)
        if exact:
            self._stories = found
            return found
        if self.doc_count_all > story_files.ASSIGN_IN_SEARCH:
            return found if found is not None else Stories.each_alone(self.live)
        parts = []
        for segreader, offset, segid in self.leaves:
            part = self.caches.segment_stories(self._folder, segid)
            if part is None and segreader.doc_count_all() <= story_files.ON_THE_FLY:
                part = self.caches.segment_stories(None, segid, lambda: story_files.compute(segreader, self.fields))
            if part is None:  # a large segment whose file is being written: look again next time
                return found if found is not None else Stories.each_alone(self.live)
            parts.append((part, offset))
        self._stories = Stories.assign(parts, self.live)
        # The prints of large segments are read again from their files when needed (rarely: the
        # writer saves each generation's stories); keeping them would hold about 0.5 KB an article.
        with self.caches.lock:
            for segreader, _, segid in self.leaves:
                if segreader.doc_count_all() > story_files.ON_THE_FLY:
                    self.caches.stories.pop(segid, None)
        return self._stories

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

    # -- postings ---------------------------------------------------------------------------------
    def term_docs(self, field: str, text) -> np.ndarray:
        """The doc numbers (index-wide, deleted ones included) whose `field` holds the term `text`."""
        parts = list(self._postings(field, text))
        return np.concatenate(parts) if parts else _EMPTY

    def term_docs_parts(self, field: str, text) -> list[np.ndarray]:
        """`term_docs`, one array per segment that holds the term."""
        return list(self._postings(field, text))

    def term_mask(self, field: str, text) -> np.ndarray:
        """The documents (deleted ones included) whose `field` holds the term, as a boolean mask."""
        out = np.zeros(self.doc_count_all, dtype=bool)
        for ids in self._postings(field, text):
            out[ids] = True
        return out

    def _postings(self, field: str, text):
        """Per segment with the term: its posting list as index-wide doc numbers, cached."""
        btext = text if isinstance(text, bytes) else str(text).encode("utf-8")
        for segreader, offset, segid in self.leaves:
            ids, _ = self.term_postings(segreader, segid, field, btext)
            if len(ids):
                yield ids.astype(np.int64) + offset

    def term_postings(self, segreader, segid: str, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """One segment's (local doc ids, weights) of a term, deleted documents included: from the
        segment's postings files when written, else decoded from Whoosh's blocks and cached."""
        files = self.files.get(segid)
        if files is not None:
            row = files.row(segreader, field, btext)
            if row == ABSENT:
                return _EMPTY_IDS, _EMPTY_WEIGHTS
            if row is not None:
                return files.postings(row)
        return self.caches.posting((segid, field, btext), lambda: term_postings(segreader, field, btext))

    def length_bytes(self, segreader, segid: str, field: str) -> np.ndarray:
        """One segment's field-length bytes (postings.length_bytes); cached."""
        return self.caches.posting((segid, field, None), lambda: (length_bytes(segreader, field), _EMPTY))[0]

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
        months = self.months[docnums]
        months = months[months != _NO_MONTH]
        if len(months) == 0:
            return []
        low, high = int(months.min()), int(months.max())
        if high - low > 36:  # by year: counted over years since 1970
            units, unit = months // 12, "Y"
            low, high = low // 12, high // 12
        else:
            units, unit = months, "M"
        counts = np.bincount(units - low, minlength=high - low + 1)
        chosen = set(selected)
        buckets = []
        for offset in np.flatnonzero(counts)[::-1]:  # newest first
            value = str(np.datetime64(int(low + offset), unit))
            buckets.append(Bucket(value, int(counts[offset]), value in chosen))
        return buckets

    @property
    def months(self) -> np.ndarray:
        """Each document's month of publication, as months since 1970-01 (_NO_MONTH: undated)."""
        if self._months is None:
            unix = (np.where(self.has_date, self.published, _EPOCH_LONG) - _EPOCH_LONG).astype("datetime64[us]")
            months = unix.astype("datetime64[M]").astype(np.int64)
            self._months = np.where(self.has_date, months, _NO_MONTH)
        return self._months

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


DAY_LONG = 86_400_000_000  # a day in Whoosh's long datetimes (microseconds)
AUTO_MAX_BUCKETS = 60  # auto: the finest interval whose span of the matches is at most this many buckets


def date_histogram(view: IndexView, docnums: np.ndarray, selected: list[str], interval: str = "auto") -> tuple[str | None, list[Bucket]]:
    """The date histogram of `docnums` by `interval` (day, week, month, year; "auto": the finest whose
    span of the matching dates is at most AUTO_MAX_BUCKETS buckets, as Elasticsearch's
    auto_date_histogram), newest first, and the interval used (None for auto with no dated match).
    Bucket values: YYYY-MM-DD, YYYY-Www (ISO 8601 week), YYYY-MM, YYYY. Counted with a bincount over
    the span, as `IndexView.date_buckets` (the month/year histogram it generalises)."""
    dated = docnums[view.has_date[docnums]]
    if len(dated) == 0:
        return (None if interval == "auto" else interval), []
    if interval in ("auto", "day", "week"):
        days = (view.published[dated] - _EPOCH_LONG) // DAY_LONG  # days since 1970-01-01
    if interval == "auto":
        low, high = int(days.min()), int(days.max())
        if high - low < AUTO_MAX_BUCKETS:
            interval = "day"
        elif (high + 3) // 7 - (low + 3) // 7 < AUTO_MAX_BUCKETS:
            interval = "week"
        else:
            months = view.months[dated]
            interval = "month" if int(months.max()) - int(months.min()) < AUTO_MAX_BUCKETS else "year"
    if interval == "day":
        units = days
    elif interval == "week":
        units = (days + 3) // 7  # Monday-based weeks: 1970-01-01 was a Thursday
    else:
        months = view.months[dated]
        units = months if interval == "month" else months // 12
    low, high = int(units.min()), int(units.max())
    if high - low <= 4 * len(units) + 1024:
        counts = np.bincount(units - low, minlength=high - low + 1)
        present = np.flatnonzero(counts)
        values, counts = present + low, counts[present]
    else:  # a few dates far apart (year 1 and 9999 by day): count the distinct units only
        values, counts = unique_counts(units)
    chosen = set(selected)
    buckets = []
    for unit, count in zip(values[::-1].tolist(), counts[::-1].tolist()):  # newest first
        value = _unit_label(unit, interval)
        buckets.append(Bucket(value, int(count), value in chosen))
    return interval, buckets


def _unit_label(unit: int, interval: str) -> str:
    if interval == "day":
        return str(np.datetime64(unit, "D"))
    if interval == "week":
        year, week, _ = np.datetime64(unit * 7 - 3, "D").astype(object).isocalendar()
        return f"{year:04d}-W{week:02d}"
    return str(np.datetime64(unit, "M" if interval == "month" else "Y"))


def _to_long(value: datetime) -> int:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_long(value)


def _from_long(value: int) -> datetime:
    return long_to_datetime(value).replace(tzinfo=timezone.utc)


_EPOCH_LONG = _to_long(datetime(1970, 1, 1))
_NO_MONTH = np.iinfo(np.int64).min
