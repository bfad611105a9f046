"""Stories, not copies: which articles are versions of one story (a wire story in ten papers, an
aggregator's copy, an update of the same page, the same file twice), whatever their source or id.

Backend-neutral: a `StoryPrint` is computed from an article alone; `story_keys` are the terms a
backend indexes so that a new article finds its candidate versions with one term lookup, the
index's own inverted lists serving as the LSH table (no structure beside the index, incremental by
construction, the same on Whoosh and OpenSearch); `same_story` decides on a candidate.

Three signals, each measured on the labelled pairs of bench/stories (docs/stories/groundwork.md):

- **The page**: an id in the article's URL (`ar-AA19cgyw`, `article-11606831`, `?id=96051816`, a
  trailing number of six digits or more) on the same site. A page updated or retitled keeps it; a
  slug does not (MSN and Bloomberg change it with the title), so slugs are not keys.
- **The text**: MinHash over the body's word 3-shingles (64 hashes; 16 bands of 4 as keys, so that
  pairs above about 0.5 Jaccard share a band). Texts that agree but are published by the same
  source under different titles are not folded: outlets reuse a photo caption or a list of links
  as the description of unrelated stories.
- **The title**: the same title (four words or more) within two days, unless both bodies are long
  enough to compare and clearly differ.

MinHash is written here with numpy (multiply-shift hashing, 20 lines) rather than taken from
datasketch: datasketch requires scipy (about 40 MB) for what this needs of it, and its LSH keeps
its own tables, where the bands here are plain index terms.
"""
from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import numpy as np

PERMUTATIONS = 64
BANDS, ROWS = 16, 4  # BANDS * ROWS == PERMUTATIONS
SHINGLE = 3
MIN_TEXT_WORDS = 20  # fewer body words: the text signal says nothing
TEXT_SAME = 0.5  # estimated Jaccard of the bodies' shingles from which texts agree
TEXT_DIFFER = 0.1  # below this, two long enough bodies are different texts
# Body words from which a text is a story's own, not a description an outlet may reuse (a photo
# caption, a list of links): then the same source under another title is still the same story.
FULL_TEXT_WORDS = 80
TITLE_NEAR = 0.8  # word-set Jaccard from which two titles (TITLE_NEAR_WORDS words or more) are one, edited
TITLE_NEAR_WORDS = 5
TITLE_BANDS, TITLE_ROWS = 8, 3  # keys of the title's word set: titles at 0.8 share one with p > 0.99
RECURRING_DAYS = 3  # a title carried on this many different days is a recurring one (a daily column)
TITLE_MIN_WORDS = 4
TITLE_WINDOW = timedelta(days=2)
PAGE_WINDOW = timedelta(days=7)

_rng = np.random.default_rng(16_2026)
_A = _rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd multipliers
_B = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+", re.UNICODE)
_TAG = re.compile(r"<[^>]+>")
# An article id in a URL path segment: letters and a dash before an id with digits (ar-AA19cgyw,
# article-11606831), or a number of six digits or more at the end of a segment (slug-12778181).
_PATH_ID = re.compile(r"(?:^|[-_/])((?:[a-z]{1,10}-)?(?=[a-z0-9]*\d)[a-z0-9]{6,})$", re.IGNORECASE)
_FRAGMENT_ID = re.compile(r"[a-z_]{0,6}(?=[a-z0-9_]*\d)[a-z0-9_]{6,}", re.IGNORECASE)
_QUERY_ID = {"id", "p", "story", "articleid", "story_id", "storyid"}


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", _TAG.sub(" ", text or ""))
    return [w.casefold() for w in _WORD.findall(text)]


def minhash(tokens: list[str], k: int = SHINGLE) -> np.ndarray | None:
    """The MinHash (PERMUTATIONS uint32 values) of the word k-shingles; None for no tokens."""
    if not tokens:
        return None
    grams = {" ".join(tokens[i:i + k]) for i in range(max(1, len(tokens) - k + 1))}
    x = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))
    hashed = (_A[:, None] * x[None, :] + _B[:, None]) >> np.uint64(32)  # multiply-shift, mod 2**64
    return hashed.min(axis=1).astype(np.uint32)


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def page_id(url: str | None) -> str | None:
    """`site/id` when the URL carries an article id, else None. The site is the host without
    `www.`, `edition.` or `m.`; the id is found in the query (`?id=`) or the path's segments."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "edition.", "m.", "amp."):
        host = host.removeprefix(prefix)
    if not host:
        return None
    # A fragment that is an id names one post of a live page (#h_4420789271bf..., #rcrd11825).
    fragment = parts.fragment if _FRAGMENT_ID.fullmatch(parts.fragment or "") else ""
    for name, value in parse_qsl(parts.query):
        if name.lower() in _QUERY_ID and value.isalnum() and any(c.isdigit() for c in value) and len(value) >= 5:
            return f"{host}/{value.lower()}" + (f"#{fragment}" if fragment else "")
    segments = [s for s in parts.path.split("/") if s]
    for segment in reversed(segments[-2:]):
        stem = segment.rsplit(".", 1)[0] if "." in segment else segment
        m = _PATH_ID.search(stem)
        if m:
            return f"{host}/{m.group(1).lower()}" + (f"#{fragment}" if fragment else "")
    if fragment:  # a live page's post: the page's path and the post's id
        return f"{host}{parts.path.removesuffix('/index.html').rstrip('/')}#{fragment}"
    return None


def title_key(title: str) -> str | None:
    tokens = words(title)
    return " ".join(tokens) if len(tokens) >= TITLE_MIN_WORDS else None


@dataclass(frozen=True)
class StoryPrint:
    """What the decision needs of one article, computed from it alone."""

    source: str | None
    published: datetime | None
    title: str | None  # the title key (title_key), None when too short
    title_words: frozenset[str]
    page: str | None
    text: np.ndarray | None  # the body's MinHash, None when the body is too short to compare
    full_text: bool = False  # the body is a story's own text (FULL_TEXT_WORDS or more)

    @classmethod
    def of(cls, title: str, body: str, url: str | None, source: str | None,
           published: datetime | None) -> "StoryPrint":
        body_words = words(body)
        return cls(source=(source or "").casefold() or None, published=published, title=title_key(title),
                   title_words=frozenset(words(title)), page=page_id(url),
                   text=minhash(body_words) if len(body_words) >= MIN_TEXT_WORDS else None,
                   full_text=len(body_words) >= FULL_TEXT_WORDS)

    def keys(self) -> list[str]:
        """The index terms through which its candidate versions are found."""
        out = []
        if self.page:
            out.append("p:" + self.page)
        if self.title:
            out.append(f"t:{zlib.crc32(self.title.encode('utf-8')):08x}")
        if len(self.title_words) >= TITLE_NEAR_WORDS:
            hashed = minhash(sorted(self.title_words), k=1)
            for band in range(TITLE_BANDS):
                rows = hashed[band * TITLE_ROWS:(band + 1) * TITLE_ROWS]
                out.append(f"n{band}:{zlib.crc32(rows.tobytes()):08x}")
        if self.text is not None:
            for band in range(BANDS):
                rows = self.text[band * ROWS:(band + 1) * ROWS]
                out.append(f"b{band}:{zlib.crc32(rows.tobytes()):08x}")
        return out

    def to_text(self) -> str:
        """A compact form to store with the article (the MinHash in hex), read by `from_text`."""
        return self.text.tobytes().hex() if self.text is not None else ""


def text_from(stored: str) -> np.ndarray | None:
    return np.frombuffer(bytes.fromhex(stored), dtype=np.uint32).copy() if stored else None


def same_story(a: StoryPrint, b: StoryPrint, title_days: int = 1) -> bool:
    """Whether `b` is a version of `a`'s story. `title_days`: on how many different days the archive
    carries their title (a recurring title, a daily column's, says nothing)."""
    if a.page and a.page == b.page and _within(a.published, b.published, PAGE_WINDOW):
        return True  # a page updated, retitled (weeks later, a site may reuse the page for another story)
    texts = a.text is not None and b.text is not None
    similarity = estimated_jaccard(a.text, b.text) if texts else None
    if similarity is not None and similarity >= TEXT_SAME:
        if a.source != b.source or (a.full_text and b.full_text) or _overlap(a.title_words, b.title_words) >= 0.5:
            return True
    if a.title and a.title == b.title and title_days < RECURRING_DAYS and _within(a.published, b.published, TITLE_WINDOW):
        return True
    # A title edited by a word or two ("dies" / "dies at 80", "Spy" / "Spying"), unless the two
    # stories' own texts say they differ.
    if (a.title != b.title and min(len(a.title_words), len(b.title_words)) >= TITLE_NEAR_WORDS
            and _overlap(a.title_words, b.title_words) >= TITLE_NEAR
            and _within(a.published, b.published, TITLE_WINDOW)
            and not (a.full_text and b.full_text and similarity is not None and similarity < TEXT_DIFFER)):
        return True
    return False


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _within(a: datetime | None, b: datetime | None, window: timedelta) -> bool:
    if a is None or b is None:
        return True  # undated (a corpus with no dates): the title alone decides
    try:
        return abs(a - b) <= window
    except TypeError:  # one aware, one naive
        return abs(a.replace(tzinfo=None) - b.replace(tzinfo=None)) <= window
