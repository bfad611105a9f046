"""Spelling suggestions ("did you mean") and completion over titles and entity names."""
from __future__ import annotations

import bisect
import re

import numpy as np

from ..query import ParsedQuery, edit_distance, parse_query
from ..results import Completion
from ..stopwords import STOP_WORDS
from .compile import compile_query
from .matching import query_mask

SPELL_FIELD = "spell"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_SCAN = 20_000  # name keys looked at for one completion: bounds a short prefix with a narrow mask


def did_you_mean(searcher, view, parsed: ParsedQuery, total: int, allowed) -> str | None:
    """A corrected query string with more hits than the original's `total` among the documents
    `allowed` (a mask: the search's filters), or None."""
    reader = searcher.reader()
    if SPELL_FIELD not in reader.indexed_field_names():
        return None
    text = parsed.text
    changed = False
    for word in dict.fromkeys(w for w in parsed.words if len(w) > 2 and not w.isdigit()):
        low = word.lower()
        if low in STOP_WORDS:
            continue
        df = reader.doc_frequency(SPELL_FIELD, low)
        # Every term within two edits, not Whoosh's Corrector.suggest: it keeps the `limit` most
        # frequent of them whatever their distance (its score uses maxdist, not the distance), so
        # "brwn" lost "brown" (one edit) to "ban", "bin", "born"... (two) on a real archive.
        candidates = [c for c in reader.terms_within(SPELL_FIELD, low, 2, prefix=1) if c != low]
        if not candidates:
            continue
        best = max(candidates, key=lambda c: (-edit_distance(low, c), reader.doc_frequency(SPELL_FIELD, c)))
        if reader.doc_frequency(SPELL_FIELD, best) <= df * 2:
            continue  # the word is real and no likelier than its neighbour
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", best, text, count=1)
        changed = True
    if not changed:
        return None
    corrected = compile_query(parse_query(text, view.fields), view.fields)
    if corrected is None or int((query_mask(view, corrected) & allowed).sum()) <= total:
        return None
    return text


class Completer:
    """Completion candidates: entity and source names (by document count) and title words (by
    document frequency), looked up by the start of any word in them.

    Given `within`, a mask of the documents a caller may see (a scoped key's filters), only
    candidates that occur in at least one of them are offered, weighted by their count there: a
    name or word found only outside the mask never shows, not even in the order of the others."""

    def __init__(self, view) -> None:
        weights: dict[str, tuple[str, int, str]] = {}  # casefolded name -> (spelling, count, facet)
        members: dict[str, list[tuple[str, str]]] = {}  # casefolded name -> its (facet, value) pairs
        for name, column in view.columns.items():
            for bucket in view.values(name, "", len(column.terms)):
                key = bucket.value.casefold()
                members.setdefault(key, []).append((name, bucket.value))
                if bucket.count > weights.get(key, ("", 0, ""))[1]:
                    weights[key] = (bucket.value, bucket.count, name)
        keys: list[tuple[str, str]] = []
        for key in weights:
            positions = [0] + [m.start() for m in re.finditer(r"(?<=\s)\S", key)]
            for p in positions:
                keys.append((key[p:], key))
        keys.sort()
        self._view = view
        self._weights = weights
        self._members = members
        self._keys = keys
        self._prefixes = [k[0] for k in keys]
        self._reader = view.searcher.reader()

    def names(self, prefix: str, limit: int, within: np.ndarray | None = None) -> list[tuple[str, int, str]]:
        """(name, weight, facet) of the names with a word starting with `prefix`, heaviest first."""
        counts = None
        if within is not None:
            docs = np.flatnonzero(within)
            counts = {name: column.counts(docs) for name, column in self._view.columns.items()}
        prefix = prefix.casefold()
        i = bisect.bisect_left(self._prefixes, prefix)
        found: dict[str, tuple[int, str]] = {}
        scanned = 0
        while i < len(self._keys) and self._prefixes[i].startswith(prefix) and len(found) < 500 and scanned < MAX_SCAN:
            key = self._keys[i][1]
            i += 1
            scanned += 1
            display, weight, facet = self._weights[key] if counts is None else self._within(key, counts)
            if weight and weight > found.get(display, (0, ""))[0]:
                found[display] = (weight, facet)
        ranked = sorted(found.items(), key=lambda kv: -kv[1][0])[:limit]
        return [(display, weight, facet) for display, (weight, facet) in ranked]

    def _within(self, key: str, counts: dict[str, np.ndarray]) -> tuple[str, int, str]:
        """The spelling of a name with the most documents in the mask, that count (0: none) and its facet."""
        best = ("", 0, "")
        for name, value in self._members[key]:
            count = int(counts[name][self._view.columns[name].index[value]])
            if count > best[1]:
                best = (value, count, name)
        return best

    def words(self, prefix: str, limit: int, within: np.ndarray | None = None) -> list[tuple[str, int]]:
        if SPELL_FIELD not in self._reader.indexed_field_names() or not prefix:
            return []
        out = []
        for i, btext in enumerate(self._reader.expand_prefix(SPELL_FIELD, prefix.lower())):
            if i >= 2000:
                break
            word = btext.decode("utf-8") if isinstance(btext, bytes) else btext
            if word.isdigit():
                continue
            if within is None:
                df = self._reader.doc_frequency(SPELL_FIELD, word)
            else:
                df = int(within[self._view.term_docs(SPELL_FIELD, word)].sum())
            if df:
                out.append((word, df))
        out.sort(key=lambda kv: -kv[1])
        return out[:limit]


def complete(view, text: str, limit: int = 8, within: np.ndarray | None = None) -> list[Completion]:
    """Completions of `text`, each a name with its facet or a word; with `within` (a mask of
    documents), only from those documents."""
    text = " ".join(text.split())
    if not text:
        return []
    completer = view.completer()
    out: dict[str, int] = {}
    facets: dict[str, str] = {}
    for name, weight, facet in completer.names(text, limit, within):
        out.setdefault(name, weight * 3)  # a whole name beats a word of the same frequency
        facets.setdefault(name, facet)
    head, _, last = text.rpartition(" ")
    # Single words complete from the vocabulary; a phrase completes to names, or failing that its last word.
    if last and (not head or not out):
        for word, df in completer.words(last, limit, within):
            if word == last.lower() and not head:
                continue
            out.setdefault((head + " " + word).strip(), df)
    ranked = sorted(out.items(), key=lambda kv: -kv[1])
    return [Completion(value, facets.get(value)) for value, _ in ranked[:limit]]
