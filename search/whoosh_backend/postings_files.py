"""A segment's postings as flat arrays in files beside it, memory-mapped by every reader.

Whoosh keeps a term's postings as pickled blocks of 128, which a search must unpickle: at a million
articles a query's terms hold millions of postings, and no per-process cache holds them all. So
each segment of the Whoosh index gets, at commit, its text fields' postings decoded once into four
files named after the segment (so `IndexStore.clean_orphans` removes them with it):

- `<segment>.ids`: every term's document numbers, ascending within a term (int32, segment-local,
  deleted documents included, as Whoosh's own postings);
- `<segment>.weights`: their weights (float32: the term's frequency in the document);
- `<segment>.positions`: for fields with positions, each posting's word positions (uint32),
  posting after posting;
- `<segment>.terms`, written last (its presence says the others are complete): one row per term
  whose postings are in blocks, sorted by where those blocks start in Whoosh's postings file (which
  is how a term is found: Whoosh's own term dictionary gives that offset), with the term's first
  posting and first position (-1: no positions, or a posting whose frequency is not its weight).

Memory-mapped, the files are shared by every gunicorn worker through the page cache: a worker's own
memory does not grow with the archive. Terms whose postings Whoosh inlines in the term dictionary
(rare, short) are not in the files; the caller decodes those from Whoosh as before.
"""
from __future__ import annotations

import logging
import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
from whoosh.compat import loads
from whoosh.reading import SegmentReader, TermNotFound

SUFFIXES = ("ids", "weights", "positions", "terms")
# A segment's facet columns (columns.write_columns) and story prints (story_files.write), kept with
# its postings files.
COLUMNS = "columns"
EXTRA_SUFFIXES = (COLUMNS, "stories")
log = logging.getLogger(__name__)
ABSENT = -1  # SegmentPostings.row: the segment does not hold the term
MAX_REMEMBERED_ROWS = 1_000_000  # term lookups a segment remembers (about 100 MB at most)


def _path(folder: Path, segid: str, suffix: str) -> Path:
    return folder / f"{segid}.{suffix}"


def fields_of(schema) -> list[str]:
    """The fields whose postings go in the files: those that score (text, with frequencies)."""
    return sorted(name for name, spec in schema.items() if spec.scorable and spec.format is not None
                  and spec.format.supports("frequency"))


def write(folder: Path, segreader, segid: str) -> None:
    """Write the segment's postings files (atomically: `.terms` appears last)."""
    terms_reader = segreader._terms
    schema = segreader.schema
    fields = set(fields_of(schema))
    tmp = {s: _path(folder, segid, s + ".tmp") for s in SUFFIXES}
    rows: list[tuple[int, int, int]] = []
    n_postings = n_positions = 0
    with open(tmp["ids"], "wb") as f_ids, open(tmp["weights"], "wb") as f_weights, \
            open(tmp["positions"], "wb") as f_pos:
        for (fieldname, btext), info in terms_reader.items():
            if fieldname not in fields or info.is_inlined():
                continue
            fmt = schema[fieldname].format
            positional = fmt.supports("positions")
            matcher = terms_reader.matcher(fieldname, btext, fmt, scorer=None)
            ids, weights, positions, consistent = _decode(matcher, positional)
            rows.append((info.extent()[0], n_postings, n_positions if positional and consistent else -1))
            f_ids.write(ids.tobytes())
            f_weights.write(weights.tobytes())
            n_postings += len(ids)
            if positional and consistent:
                f_pos.write(positions.tobytes())
                n_positions += len(positions)
    table = np.array(sorted(rows), dtype=np.int64).reshape(-1, 3)
    # A last row closes the last term's range: (no key, total postings, total positions).
    table = np.vstack([table, np.array([[np.iinfo(np.int64).max, n_postings, n_positions]], dtype=np.int64)])
    with open(tmp["terms"], "wb") as f:
        np.save(f, table)
    for suffix in SUFFIXES:  # .terms last: readers open a segment's files only once it exists
        os.replace(tmp[suffix], _path(folder, segid, suffix))


def _decode(matcher, positional: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """A block matcher's postings: ids, weights, positions; whether every posting's frequency is its
    weight (then a posting's positions are found from the weights)."""
    id_parts, weight_parts, deltas, counts = [], [], [], []
    while True:
        matcher._read_data()
        raw_ids, raw_weights, values = matcher._data
        count = matcher._blocklength
        if matcher._byteids:
            id_parts.append(np.asarray(raw_ids, dtype=np.int32))
        else:
            id_parts.append(np.cumsum(np.asarray(raw_ids, dtype=np.int64)).astype(np.int32))
        if raw_weights is None:
            weight_parts.append(np.ones(count, dtype=np.float32))
        elif isinstance(raw_weights, (int, float)):
            weight_parts.append(np.full(count, raw_weights, dtype=np.float32))
        else:
            weight_parts.append(np.asarray(raw_weights, dtype=np.float32))
        if positional:
            for value in values:  # Positions.encode: a 4-byte count, then a pickled list of deltas
                codes = loads(value[4:] if value.endswith(b".") else value[4:] + b".")
                counts.append(len(codes))
                deltas.extend(codes)
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    ids = np.concatenate(id_parts)
    weights = np.concatenate(weight_parts)
    if not positional:
        return ids, weights, np.zeros(0, dtype=np.uint32), False
    counts_a = np.asarray(counts, dtype=np.int64)
    positions = np.cumsum(np.asarray(deltas, dtype=np.int64))
    # Deltas restart at each posting: subtract the running sum before its first position.
    firsts = np.cumsum(counts_a) - counts_a
    base = np.concatenate([[0], positions])[firsts]
    positions -= np.repeat(base, counts_a)
    consistent = bool(np.array_equal(counts_a, weights.astype(np.int64))) and \
        (len(positions) == 0 or positions.max() < 2**32)
    return ids, weights, positions.astype(np.uint32), consistent


def _missing(path: Path, writer) -> bool:
    if not path.exists():
        return True
    stale = getattr(writer, "stale", None)
    return bool(stale and stale(path))


def write_missing(ix, extra: Mapping[str, Callable[[Path, object, str], None]] | None = None) -> list[str]:
    """Write the files of every segment of the Whoosh index `ix` that lacks them, and remove those
    of segments no longer in it; the segment ids whose postings files were written. `extra`: by
    suffix, a writer (folder, segment reader, segment id) of another per-segment file (the facet
    columns, the story prints), run where `<segment>.<suffix>` is missing, or stale by the writer's
    own `stale(path)` when it has one (a file of an earlier format). Call with the write lock held."""
    folder = Path(ix.storage.folder)
    extra = dict(extra or {})
    written = []
    live = set()
    for segment in ix._segments():
        segid = segment.segment_id()
        live.add(segid)
        need_postings = not _path(folder, segid, "terms").exists()
        needed = [(suffix, fn) for suffix, fn in extra.items() if _missing(_path(folder, segid, suffix), fn)]
        if segment.doc_count_all() and (need_postings or needed):
            segreader = SegmentReader(ix.storage, ix.schema, segment)
            try:
                if need_postings:
                    write(folder, segreader, segid)
                    written.append(segid)
                for _, fn in needed:
                    fn(folder, segreader, segid)
            except OSError as exc:  # a full disk: searches read Whoosh's blocks; next commit retries
                log.warning("postings files of %s not written: %s", segid, exc)
                for suffix in (*SUFFIXES, *EXTRA_SUFFIXES):
                    _path(folder, segid, suffix + ".tmp").unlink(missing_ok=True)
            finally:
                segreader.close()
    for child in folder.iterdir():
        stem, _, suffix = child.name.partition(".")
        if suffix.removesuffix(".tmp") in (*SUFFIXES, *EXTRA_SUFFIXES) and stem not in live:
            child.unlink(missing_ok=True)
    return written


@dataclass
class SegmentPostings:
    """One segment's postings files, memory-mapped (read-only)."""

    keys: np.ndarray  # Whoosh postings-file offset of each term, ascending
    starts: np.ndarray  # first posting of each term, and the total last
    pstarts: np.ndarray  # first position of each term (-1: none), and the total last
    ids: np.ndarray
    weights: np.ndarray
    positions: np.ndarray

    @classmethod
    def open(cls, folder: Path, segid: str) -> "SegmentPostings | None":
        """The segment's files, or None when they are not (yet) written."""
        try:
            table = np.asarray(np.load(_path(folder, segid, "terms")))
            total, total_pos = int(table[-1, 1]), int(table[-1, 2])
            ids = _map(_path(folder, segid, "ids"), np.int32, total)
            weights = _map(_path(folder, segid, "weights"), np.float32, total)
            positions = _map(_path(folder, segid, "positions"), np.uint32, total_pos)
        except (FileNotFoundError, ValueError):
            return None
        return cls(np.ascontiguousarray(table[:-1, 0]), table[:, 1], table[:, 2], ids, weights, positions)

    rows: dict = field(default_factory=dict)  # (field, term) -> row: Whoosh's lookup reads its hash file

    def row(self, segreader, fieldname: str, btext: bytes) -> int | None:
        """The term's row; ABSENT when the segment does not hold the term; None when its postings
        are not in the files (inlined in the term dictionary, or a field left out: ask Whoosh)."""
        key = (fieldname, btext)
        found = self.rows.get(key, self)
        if found is not self:
            return found
        if len(self.rows) >= MAX_REMEMBERED_ROWS:
            self.rows.clear()
        found = self.rows[key] = self._row(segreader, fieldname, btext)
        return found

    def _row(self, segreader, fieldname: str, btext: bytes) -> int | None:
        try:
            info = segreader._terms.term_info(fieldname, btext)
        except (TermNotFound, KeyError):
            return ABSENT
        if info.is_inlined():
            return None
        offset = info.extent()[0]
        i = int(np.searchsorted(self.keys, offset))
        if i < len(self.keys) and self.keys[i] == offset:
            return i
        return None

    def postings(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = int(self.starts[row]), int(self.starts[row + 1])
        return self.ids[start:end], self.weights[start:end]

    def positions_of(self, row: int, which: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """For the term's postings at indexes `which`: (the index into `which` of each position, the
        positions), posting after posting; None when the term has no positions here."""
        pstart = int(self.pstarts[row])
        if pstart < 0:
            return None
        start, end = int(self.starts[row]), int(self.starts[row + 1])
        counts = self.weights[start:end].astype(np.int64)
        firsts = np.cumsum(counts) - counts + pstart
        lengths = counts[which]
        owner = np.repeat(np.arange(len(which)), lengths)
        steps = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        return owner, self.positions[np.repeat(firsts[which], lengths) + steps].astype(np.int64)


def _map(path: Path, dtype, count: int) -> np.ndarray:
    """The file as a read-only array over a shared memory map: a plain ndarray, not np.memmap, whose
    subclass hooks cost on every slice and operation."""
    with open(path, "rb") as f:
        if count == 0:
            return np.zeros(0, dtype=dtype)
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    return np.frombuffer(mapped, dtype=dtype, count=count)
