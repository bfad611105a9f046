"""A segment's postings and field lengths as numpy arrays, read from Whoosh's own files a block at a
time (each block's ids and weights decoded by numpy), never a Python step per posting.

Whoosh stays the store of record: these read its W3 codec (postings blocks, inlined postings, the
per-document length bytes) without writing anything. Deleted documents are included; the caller
masks them with the view's live documents, as Whoosh's own matchers do with their FilterMatcher.
"""
from __future__ import annotations

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.matching import ListMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

EMPTY_IDS = np.zeros(0, dtype=np.int32)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)

# Whoosh stores a document's field length as one byte (length_to_byte); scoring reads it back through
# byte_to_length. The same table, as floats: a length byte indexes it.
LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


def term_postings(segreader, field: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(segment-local doc ids ascending as int32, term weights (frequencies) as float32) of one term;
    empty arrays when the segment lacks it."""
    try:
        terms = segreader._terms  # the codec's terms reader: raw postings, deletions not filtered
        matcher = terms.matcher(field, btext, segreader.schema[field].format, scorer=None)
    except (TermNotFound, KeyError):
        return EMPTY_IDS, EMPTY_WEIGHTS
    if isinstance(matcher, ListMatcher):  # postings inlined in the term info
        ids = np.asarray(matcher._ids, dtype=np.int32)
        weights = matcher._weights
        if weights is None:
            fill = matcher._all_weights if matcher._all_weights is not None else 1.0
            return ids, np.full(len(ids), fill, dtype=np.float32)
        return ids, np.asarray(weights, dtype=np.float32)
    id_parts, weight_parts = [], []
    while True:
        matcher._read_data()
        raw_ids, raw_weights = matcher._data[0], matcher._data[1]
        count = matcher._blocklength
        if matcher._byteids:
            id_parts.append(np.asarray(raw_ids, dtype=np.int32))
        else:  # delta-coded from zero within each block (whoosh.util.numlists.delta_decode)
            id_parts.append(np.cumsum(np.asarray(raw_ids, dtype=np.int64)).astype(np.int32))
        if raw_weights is None:
            weight_parts.append(np.ones(count, dtype=np.float32))
        elif isinstance(raw_weights, (int, float)):
            weight_parts.append(np.full(count, raw_weights, dtype=np.float32))
        else:  # a tuple of floats (W3PostingsWriter._mini_weights)
            weight_parts.append(np.asarray(raw_weights, dtype=np.float32))
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return np.concatenate(id_parts), np.concatenate(weight_parts)


def length_bytes(segreader, field: str) -> np.ndarray:
    """The segment's per-document length bytes of `field` (0: no terms in it)."""
    n = segreader.doc_count_all()
    reader = segreader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if reader is None:
        return np.zeros(n, dtype=np.uint8)
    stored = min(reader._count, n)  # the column stops at the last document with a length
    out = np.zeros(n, dtype=np.uint8)
    if stored:
        out[:stored] = np.frombuffer(reader._dbfile.get(reader._basepos, stored), dtype=np.uint8)
    return out
