"""Highlights: fragments of text around the matched terms, each match in <mark>, everything else
HTML-escaped. Article text is never trusted: `<script>` in a body comes back as `&lt;script&gt;`.

The backend says what counts as a match: the set of term keys its query matched (expansions
resolved) and `term_key`, what a word of text is as a key (for Whoosh: the schema's title/body
analyzer, lowercased, accent-folded, stemmed)."""
from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from typing import Callable


_TOKEN = re.compile(r"\w+", re.UNICODE)
FRAGMENT_CHARS = 180  # characters in a fragment, around its matches
MAX_WINDOWS = 200  # candidate fragments considered per body


@dataclass
class Highlighter:
    keys: frozenset[str]  # term keys that count as a match
    term_key: Callable[[str], str] = str.lower  # a word of text -> its key (the backend's analyzer)

    def _matches(self, text: str) -> list[tuple[int, int, str]]:
        keys, term_key = self.keys, self.term_key
        if not keys:
            return []
        if text.isascii():
            # Porter stems are prefixes of their words (but for a final y -> i): scan only for
            # words starting with a stem's prefix, and key just those.
            pattern = self._prefix_pattern()
            return [(m.start(), m.end(), k) for m in pattern.finditer(text) if (k := term_key(m.group())) in keys]
        return [(m.start(), m.end(), k) for m in _TOKEN.finditer(text) if (k := term_key(m.group())) in keys]

    def _prefix_pattern(self) -> re.Pattern:
        pattern = self.__dict__.get("_pattern")
        if pattern is None:
            prefixes = sorted({(k[:-1] if k.endswith("i") and len(k) > 1 else k) for k in self.keys}, key=len, reverse=True)
            alternation = "|".join(re.escape(p) for p in prefixes if p)
            pattern = re.compile(rf"\b(?:{alternation})\w*", re.IGNORECASE) if alternation else re.compile(r"(?!x)x")
            object.__setattr__(self, "_pattern", pattern)
        return pattern

    def title(self, title: str) -> tuple[str, set[str]]:
        matches = self._matches(title) if self.keys else []
        return _render(title, 0, len(title), matches), {title[s:e].lower() for s, e, _ in matches}

    def fragments(self, body: str, limit: int = 3) -> tuple[list[str], set[str]]:
        """Up to `limit` fragments of `body`, best first by distinct terms matched, in text order."""
        if not body:
            return [], set()
        matches = self._matches(body) if self.keys else []
        if not matches:
            return [_lead(body)], set()
        windows = []
        starts = [m[0] for m in matches]
        # Candidate windows start at the first MAX_WINDOWS matches: a body matching thousands of
        # times still costs a bounded amount (its best fragments are near its first matches anyway).
        for s, _, _ in matches[:MAX_WINDOWS]:
            a, b = _window(body, s)
            inside = [m for m in matches[bisect.bisect_left(starts, a):bisect.bisect_left(starts, b)] if m[1] <= b]
            windows.append((len({m[2] for m in inside}), len(inside), -s, a, b, inside))
        windows.sort(reverse=True)
        chosen: list[tuple[int, int, list]] = []
        for _, _, _, a, b, inside in windows:
            if all(b <= ca or a >= cb for ca, cb, _ in chosen):
                chosen.append((a, b, inside))
            if len(chosen) == limit:
                break
        chosen.sort()
        frags = []
        for a, b, inside in chosen:
            frag = _render(body, a, b, inside)
            frags.append(("… " if a > 0 else "") + frag + (" …" if b < len(body) else ""))
        return frags, {body[s:e].lower() for s, e, _ in matches}


ELLIPSIS = "…"


def join_fragments(fragments: list[str]) -> str:
    """Fragments as one snippet: each already marks the text cut before and after it with an
    ellipsis, so between two of them one ellipsis stands for both cuts ("… a … b …", not "… a … … b …")."""
    out = ""
    for frag in fragments:
        if not out:
            out = frag
            continue
        out = out.removesuffix(ELLIPSIS).rstrip()
        out += f" {ELLIPSIS} " + frag.removeprefix(ELLIPSIS).lstrip()
    return out


def _window(text: str, at: int, before: int = FRAGMENT_CHARS // 3, size: int = FRAGMENT_CHARS) -> tuple[int, int]:
    """A fragment's [start, end) around offset `at`, snapped to whitespace."""
    a = max(0, at - before)
    if a > 0:
        space = text.find(" ", a, at)
        a = space + 1 if space != -1 else a
    b = min(len(text), a + size)
    if b < len(text):
        space = text.rfind(" ", at, b)
        b = space if space > at else b
    return a, b


def _render(text: str, a: int, b: int, matches: list[tuple[int, int, str]]) -> str:
    """text[a:b], escaped, with each run of adjacent matches (only spaces between) in one <mark>."""
    return render_marks(text, [(s, e) for s, e, _ in matches if a <= s and e <= b], a, b)


def render_marks(text: str, spans: list[tuple[int, int]], a: int = 0, b: int | None = None) -> str:
    """text[a:b] (the whole text by default) HTML-escaped, the `spans` (ascending, within it) in
    <mark>, a run of them with only spaces between in one, whitespace collapsed: the markup of
    every highlight, whichever backend found the matches."""
    b = len(text) if b is None else b
    out: list[str] = []
    pos = a
    i = 0
    while i < len(spans):
        s, e = spans[i]
        while i + 1 < len(spans) and text[e : spans[i + 1][0]].strip() == "" and spans[i + 1][0] - e <= 2:
            i += 1
            e = spans[i][1]
        out.append(html.escape(text[pos:s], quote=False))
        out.append("<mark>" + html.escape(text[s:e], quote=False) + "</mark>")
        pos = e
        i += 1
    out.append(html.escape(text[pos:b], quote=False))
    return " ".join("".join(out).split())


def _lead(body: str, chars: int = 240) -> str:
    if len(body) <= chars:
        return html.escape(" ".join(body.split()), quote=False)
    cut = body.rfind(" ", 0, chars)
    return html.escape(" ".join(body[: cut if cut > 0 else chars].split()), quote=False) + " …"
