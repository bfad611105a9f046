"""A segment's story prints (search/stories.py) in a file beside it, and the stories of a searcher's
view assigned from them with numpy.

At commit, each segment gets `<segment>.stories` (written with its postings files and facet
columns, removed with them): per document the prints the decision needs (the body's and the
title's MinHash, the title, page and source hashes, word counts, the date) and the document's keys,
sorted. Deleted documents are included; a view leaves them out.

A view's stories (`Stories.assign`): the live documents' keys sorted together; documents sharing a
key are candidates, each compared with the LAG candidates before it (by date) under that key, with
`stories.decide` on the pair arrays; the accepted pairs' connected components are the stories; a
story's representative is its earliest published live version (the lowest document number among
undated ones), so deleting a representative promotes the next version with nothing rewritten.
"""
from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..arrays import unique
from ..fields import Fields
from ..stories import Prints, StoryPrint, days_lookup, decide
from .schema import keyword_field, stored_values

SUFFIX = "stories"
ENABLED = True  # False: writers write no story files (bench/stories/cost.py's reference run)
FORMAT = 5
# A segment whose file is not written yet (a searcher refreshed between a commit and its files) has
# its prints computed by the reader when it is this small (a write's own segment: milliseconds).
ON_THE_FLY = 5_000
# Documents up to which a searcher assigns the stories itself while the writer has not saved its
# generation's (0.3 s at 135,608): past it, a search uses the previous generation's, extended.
ASSIGN_IN_SEARCH = 200_000
LAG = 2  # a candidate is compared with this many candidates before it (in time) under each key
TIME_BITS = 25  # minutes since 2000, 63 years (keys take the 38 bits above)
_EPOCH_2000 = 946_684_800.0
CHUNK = 65_536  # candidate pairs decided at a time
_FIELDS = tuple(Prints.__dataclass_fields__)


def _path(folder: Path, segid: str) -> Path:
    return folder / f"{segid}.{SUFFIX}"


def prints_of(segreader, fields: Fields) -> Prints:
    """The prints of every document of a segment, deleted ones included, from their stored fields."""
    source_field = keyword_field(fields.facet("source")) if fields.has_facet("source") else None
    out = []
    for docnum in range(segreader.doc_count_all()):
        stored = segreader.stored_fields(docnum)  # read directly: from_stored would build the whole record
        sources = stored_values(stored.get(source_field)) if source_field else []
        published = stored.get("published")
        if isinstance(published, datetime):
            published = published.replace(tzinfo=timezone.utc)
        else:
            published = None
        out.append(StoryPrint.of(stored.get("title") or "", stored.get("body") or "", stored.get("url"),
                                 sources[0] if sources else None, published))
    return Prints.of(out)


def compute(segreader, fields: Fields) -> "SegmentStories":
    """A segment's prints and its documents' keys, sorted by key then date."""
    return keyed(prints_of(segreader, fields))


def keyed(prints: Prints) -> "SegmentStories":
    """Prints with their documents' keys, sorted by key then date (documents numbered in order)."""
    keys = prints.keys()
    doc = np.repeat(np.arange(len(prints), dtype=np.int32), keys.shape[1])
    flat = keys.ravel()
    valid = flat >= 0
    # Sorted by key, then date: the key in the high bits, the minute of publication below them.
    minute = np.repeat(_minutes(prints.published), keys.shape[1])
    combined = (flat[valid] << TIME_BITS) | minute[valid]
    order = np.argsort(combined, kind="stable")
    return SegmentStories(prints, combined[order], doc[valid][order])


def write(folder: Path, segreader, segid: str, fields: Fields) -> None:
    """Write the segment's `<segment>.stories` (atomically)."""
    found = compute(segreader, fields)
    path = _path(folder, segid)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.save(f, np.array([FORMAT, len(found.prints)], dtype=np.int64))
        for name in _FIELDS:
            np.save(f, getattr(found.prints, name))
        np.save(f, found.keys)
        np.save(f, found.key_docs)
    os.replace(tmp, path)


class SegmentWriter:
    """`write` for postings_files.write_missing, which also rewrites a file of an earlier format."""

    def __init__(self, fields: Fields) -> None:
        self.fields = fields

    def __call__(self, folder: Path, segreader, segid: str) -> None:
        write(folder, segreader, segid, self.fields)

    @staticmethod
    def stale(path: Path) -> bool:
        try:
            with open(path, "rb") as f:
                return not _current(f)
        except OSError:
            return True


def _current(f) -> bool:
    """Whether the story file open in `f` is of this FORMAT (its header read)."""
    try:
        return int(np.load(f, allow_pickle=False)[0]) == FORMAT
    except (ValueError, EOFError, IndexError):
        return False


@dataclass
class SegmentStories:
    prints: Prints
    keys: np.ndarray  # sorted key values (int64)
    key_docs: np.ndarray  # the segment-local document of each key


def read(folder: Path | None, segid: str) -> SegmentStories | None:
    """The segment's file, or None when it is not (yet) written."""
    if folder is None:
        return None
    try:
        with open(_path(folder, segid), "rb") as f:
            if not _current(f):
                return None
            prints = Prints(**{name: np.load(f, allow_pickle=False) for name in _FIELDS})
            keys = np.load(f, allow_pickle=False)
            key_docs = np.load(f, allow_pickle=False)
    except (FileNotFoundError, ValueError, EOFError):
        return None
    return SegmentStories(prints, keys, key_docs)


class Stories:
    """The stories of one view: each live document's story, named by its representative."""

    def __init__(self, labels: np.ndarray, published: np.ndarray) -> None:
        self.labels = labels  # global docnum -> its story's representative (-1: deleted or unknown)
        self.published = published  # seconds since the epoch, NaN when undated
        known = np.flatnonzero(labels >= 0)
        order = np.lexsort((-np.nan_to_num(published[known], nan=-np.inf), labels[known]))
        self._members = known[order]  # by story, newest first within each
        self._story_of_member = labels[self._members]
        # Documents of stories with more than one version, and each one's place in its story by
        # date (earliest first, then the lower number): what `fold` sorts, only for those.
        sizes = np.bincount(labels[known], minlength=len(labels)) if len(known) else np.zeros(len(labels), np.int64)
        self.multi = np.zeros(len(labels), dtype=bool)
        self.multi[known] = sizes[labels[known]] > 1
        folded = np.flatnonzero(self.multi)
        by_date = np.lexsort((folded, np.nan_to_num(published[folded], nan=np.inf), labels[folded]))
        self.rank = np.zeros(len(labels), dtype=np.int64)
        self.rank[folded[by_date]] = np.arange(len(folded))

    @classmethod
    def each_alone(cls, live: np.ndarray) -> "Stories":
        n = len(live)
        return cls(np.where(live, np.arange(n), -1), np.full(n, np.nan))

    @classmethod
    def assign(cls, parts: list[tuple[SegmentStories, int]], live: np.ndarray) -> "Stories":
        """`parts`: each segment's stories with its first global document number."""
        n = len(live)
        prints = Prints.concat([p.prints for p, _ in parts])
        if len(prints) != n:
            return cls.each_alone(live)
        keys = np.concatenate([p.keys for p, _ in parts]) if parts else np.zeros(0, np.int64)
        docs = np.concatenate([p.key_docs.astype(np.int64) + offset for p, offset in parts]) if parts else np.zeros(0, np.int64)
        alive = live[docs]
        keys, docs = keys[alive], docs[alive]
        published = prints.published
        # Each segment's keys are sorted (by key, then date): merging the runs is a stable sort.
        order = np.argsort(keys, kind="stable")
        keys, docs = keys[order] >> TIME_BITS, docs[order]
        codes = []
        for lag in range(1, LAG + 1):
            same = np.flatnonzero(keys[lag:] == keys[:-lag]) if len(keys) > lag else np.zeros(0, np.int64)
            a, b = docs[same], docs[same + lag]
            codes.append(np.minimum(a, b) * n + np.maximum(a, b))
        code = unique(np.concatenate(codes))
        a, b = code // n, code % n
        days = days_lookup(prints, live)
        accepted = np.zeros(len(a), dtype=bool)
        for lo in range(0, len(a), CHUNK):  # the pairs' prints, a chunk at a time
            ca, cb = a[lo:lo + CHUNK], b[lo:lo + CHUNK]
            accepted[lo:lo + CHUNK] = decide(prints.take(ca), prints.take(cb), days)
        a, b = a[accepted], b[accepted]
        # Connected components: every document takes the smallest number in its component.
        comp = np.arange(n)
        while len(a):
            low = np.minimum(comp[a], comp[b])
            before = comp.copy()
            np.minimum.at(comp, a, low)
            np.minimum.at(comp, b, low)
            while True:  # pointer jumping
                jumped = comp[comp]
                if np.array_equal(jumped, comp):
                    break
                comp = jumped
            if np.array_equal(comp, before):
                break
        # The representative: the earliest published live version (undated last), then the lowest number.
        live_docs = np.flatnonzero(live)
        order = np.lexsort((live_docs, np.nan_to_num(published[live_docs], nan=np.inf), comp[live_docs]))
        ranked = live_docs[order]
        first = np.ones(len(ranked), dtype=bool)
        first[1:] = comp[ranked[1:]] != comp[ranked[:-1]]
        representative = np.full(n, -1, dtype=np.int64)
        representative[comp[ranked[first]]] = ranked[first]
        labels = np.where(live, representative[comp], -1)
        return cls(labels, published)

    def fold(self, matches: np.ndarray) -> np.ndarray:
        """One of `matches` (ascending doc numbers) per story: its earliest published match (the
        lowest number among undated ones), so the representative when it matches; ascending.
        Articles alone in their story (most) pass as they are; only the others are sorted."""
        if len(matches) == 0:
            return matches
        inside = np.flatnonzero(self.multi[matches])
        if len(inside) == 0:
            return matches
        ranked = inside[np.argsort(self.rank[matches[inside]])]
        labels = self.labels[matches[ranked]]
        later = np.ones(len(ranked), dtype=bool)
        later[0] = False
        later[1:] = labels[1:] == labels[:-1]
        keep = np.ones(len(matches), dtype=bool)
        keep[ranked[later]] = False
        return matches[keep]

    def versions(self, docnum: int) -> np.ndarray:
        """Every live version of `docnum`'s story, newest first (undated last)."""
        label = self.labels[docnum]
        if label < 0:
            return np.zeros(0, dtype=np.int64)
        lo = np.searchsorted(self._story_of_member, label, side="left")
        hi = np.searchsorted(self._story_of_member, label, side="right")
        return self._members[lo:hi]

    def count(self, docnum: int) -> int:
        label = self.labels[docnum]
        if label < 0:
            return 0
        return int(np.searchsorted(self._story_of_member, label, side="right")
                   - np.searchsorted(self._story_of_member, label, side="left"))


LABELS_PREFIX = "_stories_"


def _labels_path(folder: Path, generation: int) -> Path:
    return folder / f"{LABELS_PREFIX}{generation}.npy"


def parts_of(reader, folder: Path, read_segment) -> list[tuple[SegmentStories, int]] | None:
    """Each segment's stories with its first global document number, in the reader's order; None
    when a segment has no story file."""
    parts = []
    for segreader, offset in reader.leaf_readers():
        if segreader.doc_count_all() == 0 or not hasattr(segreader, "segment"):
            continue
        found = read_segment(folder, segreader.segment().segment_id())
        if found is None:
            return None
        parts.append((found, offset))
    return parts


def live_mask(reader) -> np.ndarray:
    live = np.ones(reader.doc_count_all(), dtype=bool)
    for segreader, offset in reader.leaf_readers():
        if segreader.doc_count_all() and hasattr(segreader, "segment") and segreader.has_deletions():
            live[np.fromiter(segreader.segment().deleted_docs(), dtype=np.int64) + offset] = False
    return live


def segments_of(reader) -> list[tuple[str, int]]:
    """(segment id, documents) of each leaf of a reader, in its order: what global numbers mean."""
    return [(segreader.segment().segment_id(), segreader.doc_count_all()) for segreader, _ in reader.leaf_readers()
            if segreader.doc_count_all() and hasattr(segreader, "segment")]


# A process's last save of an index's stories, by folder: (when it ended, how many seconds it took).
_SAVED: dict[str, tuple[float, float]] = {}
_DEFERRED: set[str] = set()  # folders whose newest generation's stories wait for the budget
SAVE_SHARE = 0.1  # with a budget, saving the stories takes at most this share of a process's time
CHEAP_SAVE = 1.0  # seconds: a save that took less is always made (under 500,000 articles or so)


def _key(folder) -> str:
    return os.path.realpath(folder)


def _budget_allows(folder: Path) -> bool:
    last = _SAVED.get(_key(folder))
    return last is None or last[1] < CHEAP_SAVE or time.monotonic() - last[0] >= last[1] / SAVE_SHARE


def is_deferred(folder: Path) -> bool:
    """Whether a budgeted save of these stories was deferred and not made since."""
    return _key(folder) in _DEFERRED


def save_is_due(folder: Path) -> bool:
    """Whether a save deferred by the budget (write_labels) may be made now."""
    return _key(folder) in _DEFERRED and _budget_allows(folder)


def write_labels(ix, *, budget: bool = False) -> bool:
    """After a commit (the write lock held): the stories of the index as committed, saved for its
    generation with the segments they number, so that a searcher opening it reads them rather than
    assigning them inside a search's time budget (0.3 s on the 135,608 RSS items, 0.6 s on 100,000
    full-length articles, 12 s on 1,000,000); older generations' files go once the new one is in
    place. True when saved.

    With `budget` (the API's writes, applied about every second), the save is deferred while the
    last one this process made took a second or more and ended less than 1/SAVE_SHARE times as
    long ago as it took: on a million articles, about every two minutes rather than at every
    commit. Meanwhile a searcher of an index that large folds the earlier articles as saved and the
    newer ones each alone (a smaller one assigns the stories itself); `save_is_due` says when the
    deferred save may come (the applier, or a worker's background drainer, makes it when idle)."""
    folder = Path(ix.storage.folder)
    if budget and not _budget_allows(folder):
        _DEFERRED.add(_key(folder))
        return False
    started = time.monotonic()
    generation = ix.latest_generation()
    with ix.reader() as reader:
        parts = parts_of(reader, folder, read)
        if parts is None:  # a segment without its story file: nothing to save (searchers assign)
            _DEFERRED.discard(_key(folder))
            return False
        stories = Stories.assign(parts, live_mask(reader))
        segments = segments_of(reader)
    path = _labels_path(folder, generation)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.save(f, np.frombuffer(json.dumps(segments).encode("utf-8"), dtype=np.uint8))
        np.save(f, stories.labels)
        np.save(f, stories.published)
    os.replace(tmp, path)
    for child in folder.glob(f"{LABELS_PREFIX}*.npy"):
        if child != path:
            child.unlink(missing_ok=True)
    _SAVED[_key(folder)] = (time.monotonic(), time.monotonic() - started)
    _DEFERRED.discard(_key(folder))
    return True


def _load_labels(path: Path) -> tuple[list, np.ndarray, np.ndarray] | None:
    try:
        with open(path, "rb") as f:
            segments = [tuple(s) for s in json.loads(np.load(f, allow_pickle=False).tobytes())]
            return segments, np.load(f, allow_pickle=False), np.load(f, allow_pickle=False)
    except (FileNotFoundError, ValueError, EOFError, TypeError):
        return None


def read_labels(folder: Path | None, generation: int, segments: list[tuple[str, int]], live: np.ndarray,
                published: np.ndarray) -> tuple["Stories | None", bool]:
    """The stories `write_labels` saved for this generation, and True. Else, while the writer has not
    saved this generation's yet (a searcher refreshed right after a commit), those of the newest
    saved generation whose segments this one starts with, extended, and False: the new documents
    each their own story until the file comes, the deleted ones out, a story whose first version was
    deleted represented by its next. None when there is neither."""
    if folder is None:
        return None, False
    found = _load_labels(_labels_path(folder, generation))
    if found is not None and found[0] == segments and len(found[1]) == len(live):
        return Stories(found[1], found[2]), True
    saved = sorted(folder.glob(f"{LABELS_PREFIX}*.npy"), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in saved[:2]:
        found = _load_labels(path)
        if found is None or found[0] != segments[: len(found[0])]:
            continue
        old, n = found[1], len(live)
        labels = np.arange(n, dtype=np.int64)
        labels[: len(old)] = old
        return Stories(_promoted(labels, live, published), published), False
    return None, False


def _promoted(labels: np.ndarray, live: np.ndarray, published: np.ndarray) -> np.ndarray:
    """`labels` with the deleted documents out (-1) and each story whose representative is deleted
    represented by its earliest live version."""
    labels = np.where(live, labels, -1)
    known = labels >= 0
    dead = known & ~live[np.where(known, labels, 0)]
    if dead.any():
        docs = np.flatnonzero(dead)
        order = np.lexsort((docs, np.nan_to_num(published[docs], nan=np.inf), labels[docs]))
        ranked = docs[order]
        first = np.ones(len(ranked), dtype=bool)
        first[1:] = labels[ranked[1:]] != labels[ranked[:-1]]
        heads = ranked[first]
        new_label = dict(zip(labels[heads].tolist(), heads.tolist()))
        labels[docs] = [new_label[label] for label in labels[docs].tolist()]
    return labels


def _minutes(published: np.ndarray) -> np.ndarray:
    """Minutes since 2000 in TIME_BITS bits (undated: the last value, so undated come last)."""
    top = (1 << TIME_BITS) - 1
    minutes = np.nan_to_num((published - _EPOCH_2000) / 60.0, nan=top, posinf=top, neginf=0)
    return np.clip(minutes, 0, top).astype(np.int64)
