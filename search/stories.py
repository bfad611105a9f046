"""Stories, not copies: which articles are versions of one story (a wire story in ten papers, an
aggregator's copy, an update of the same page, the same file twice), whatever their source or id.

Backend-neutral. `StoryPrint.of` computes what the decision needs of one article, from the article
alone; `Prints` holds many as arrays; `story_keys` are the keys through which an article's candidate
versions are found (a candidate shares one); `decide` says, for arrays of candidate pairs at once,
which are versions of one story. `same_story` is `decide` for one pair.

Three signals, each measured on the labelled pairs of bench/stories (docs/stories/groundwork.md):

- **The page**: an id in the article's URL (`ar-AA19cgyw`, `article-11606831`, `?id=96051816`, a
  trailing number of six digits or more; a live page's post id in the fragment) on the same site,
  within a week. A page updated or retitled keeps it; a slug does not (MSN and Bloomberg change it
  with the title), so slugs are not keys.
- **The text**: MinHash over the body's word 3-shingles (64 hashes; 16 bands of 4 as keys, so that
  pairs above about 0.5 Jaccard share a band). Texts that agree but are published by the same
  source under different titles are not folded when short: outlets reuse a photo caption or a list
  of links as the description of unrelated stories.
- **The title**: the same title (four words or more) within two days, unless the archive carries it
  on three days or more (a daily column); a title edited by a word or two (word-set Jaccard 0.8,
  five words or more) within two days, unless two full texts differ or a number in it changed.

MinHash is written here with numpy (multiply-shift hashing) rather than taken from datasketch:
datasketch requires scipy (about 40 MB) for what this needs of it, and its LSH keeps its own
tables, where the keys here are plain sortable integers a backend stores with its index.
"""
from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import numpy as np

PERMUTATIONS = 64
BANDS, ROWS = 16, 4  # bands of the body's MinHash used as keys (BANDS * ROWS == PERMUTATIONS)
TITLE_BANDS, TITLE_ROWS = 8, 4  # of the title's word set: titles at 0.8 share one with p = 0.986
SHINGLE = 3
MIN_TEXT_WORDS = 20  # fewer body words: the text signal says nothing
MAX_BODY_CHARS = 2_000  # the text compared: a story's first 330 words or so (its lede and more)
# Body words from which a text is a story's own, not a description an outlet may reuse (a photo
# caption, a list of links): then the same source under another title is still the same story.
FULL_TEXT_WORDS = 80
TEXT_SAME = 0.5  # estimated Jaccard of the bodies' shingles from which texts agree
TEXT_DIFFER = 0.1  # below this, two full texts are different stories
SAME_SOURCE_TITLES = 0.5  # a short text reused by its source counts when the titles agree this much
TITLE_MIN_WORDS = 4
TITLE_NEAR = 0.8  # estimated word-set Jaccard from which two titles are one, edited
TITLE_NEAR_WORDS = 5
RECURRING_DAYS = 3  # a title carried on this many different days is a recurring one
DAY = 86_400.0
TITLE_WINDOW = 2 * DAY
PAGE_WINDOW = 7 * DAY
# Key kinds: the high bits of a key, so that one sorted array holds every kind.
PAGE, TITLE, TEXT_BAND, TITLE_BAND = 1, 2, 16, 32
KEYS = 2 + BANDS + TITLE_BANDS

_rng = np.random.default_rng(16_2026)
_A = _rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd multipliers
_B = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+", re.UNICODE)
_TAG = re.compile(r"<[^>]+>")
_FRAGMENT_ID = re.compile(r"[a-z_]{0,6}(?=[a-z0-9_]*\d)[a-z0-9_]{6,}", re.IGNORECASE)
_QUERY_ID = {"id", "p", "story", "articleid", "story_id", "storyid"}
_EMPTY_HASH = np.zeros(PERMUTATIONS, dtype=np.uint32)


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", _TAG.sub(" ", text or "")).casefold()
    return _WORD.findall(text)


@lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


def minhash(tokens: list[str], k: int = SHINGLE) -> np.ndarray:
    """The MinHash (PERMUTATIONS uint32 values) of the word k-shingles; zeros for no tokens. A
    shingle's hash combines its words' (each word hashed once), so no Python step per shingle."""
    if not tokens:
        return _EMPTY_HASH
    h = np.array(list(map(_word_hash, tokens)), dtype=np.uint64)
    if len(h) >= k > 1:
        x = h[: len(h) - k + 1].copy()
        for j in range(1, k):  # FNV-style mixing of the k words, mod 2**32
            x = ((x * np.uint64(16777619)) ^ h[j: len(h) - k + 1 + j]) & np.uint64(0xFFFFFFFF)
    else:
        x = h
    # (Repeated shingles need no removal: a minimum is the same over a multiset.)
    hashed = (_A[:, None] * x[None, :] + _B[:, None]) >> np.uint64(32)  # multiply-shift, mod 2**64
    return hashed.min(axis=1).astype(np.uint32)


def page_id(url: str | None) -> str | None:
    """`site/id` when the URL carries an article id, else None. The site is the host without
    `www.`, `edition.`, `m.` or `amp.`; the id is found in the query (`?id=`) or the path's last
    segments; an id-like fragment (a live page's post) is kept with it."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    for prefix in ("www.", "edition.", "m.", "amp."):
        host = host.removeprefix(prefix)
    if not host:
        return None
    fragment = f"#{parts.fragment}" if _FRAGMENT_ID.fullmatch(parts.fragment or "") else ""
    for name, value in parse_qsl(parts.query):
        if name.lower() in _QUERY_ID and value.isalnum() and any(c.isdigit() for c in value) and len(value) >= 5:
            return f"{host}/{value.lower()}{fragment}"
    for segment in reversed([s for s in parts.path.split("/") if s][-2:]):
        found = _segment_id(segment.rsplit(".", 1)[0] if "." in segment else segment)
        if found:
            return f"{host}/{found.lower()}{fragment}"
    if fragment:  # a live page's post: the page's path and the post's id
        return f"{host}{parts.path.removesuffix('/index.html').rstrip('/')}{fragment}"
    return None


def _segment_id(segment: str) -> str | None:
    """The article id a path segment ends with: its last dash- or underscore-separated part, six
    characters or more with a digit, or mixed case (slugs are lower case: `ar-AAZThVb`); with its
    prefix when the segment is only a short prefix and the id (`article-11606831`, `ar-AA19cgyw`)."""
    parts = re.split(r"[-_]", segment)
    last = parts[-1]
    if len(last) < 6 or not last.isalnum() or not last.isascii():
        return None
    if not (any(c.isdigit() for c in last) or (any(c.isupper() for c in last) and any(c.islower() for c in last))):
        return None
    if len(parts) == 2 and parts[0].isalpha() and len(parts[0]) <= 10:
        return f"{parts[0]}-{last}"
    return last


def title_key(title: str) -> str | None:
    tokens = words(title)
    return " ".join(tokens) if len(tokens) >= TITLE_MIN_WORDS else None


def _hash(text: str | None) -> int:
    return -1 if not text else zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True)
class StoryPrint:
    """What the decision needs of one article, computed from it alone."""

    source: int  # hash of the casefolded source, -1 when none
    published: float  # seconds since the epoch, NaN when undated
    title: int  # hash of the title key, -1 when the title is too short
    title_words: int
    title_set: np.ndarray  # MinHash of the title's word set
    title_numbers: int  # hash of the numbers in the title, -1 when none
    page: int  # hash of page_id, -1 when the URL carries no id
    text: np.ndarray  # the body's MinHash (zeros when under MIN_TEXT_WORDS words)
    text_words: int

    @classmethod
    def of(cls, title: str, body: str, url: str | None, source: str | None,
           published: datetime | None) -> "StoryPrint":
        body_words = words(body[:MAX_BODY_CHARS])
        title_words = sorted(set(words(title)))
        numbers = [w for w in title_words if any(c.isdigit() for c in w)]
        when = float("nan")
        if published is not None:
            when = (published if published.tzinfo else published.replace(tzinfo=timezone.utc)).timestamp()
        return cls(source=_hash((source or "").casefold()), published=when, title=_hash(title_key(title)),
                   title_words=len(title_words), title_set=minhash(title_words, k=1),
                   title_numbers=_hash(" ".join(numbers)), page=_hash(page_id(url)),
                   text=minhash(body_words) if len(body_words) >= MIN_TEXT_WORDS else _EMPTY_HASH,
                   text_words=len(body_words))


@dataclass
class Prints:
    """Many StoryPrints as arrays, one row per article."""

    source: np.ndarray  # int64
    published: np.ndarray  # float64
    title: np.ndarray  # int64
    title_words: np.ndarray  # int32
    title_set: np.ndarray  # uint32 [n, PERMUTATIONS]
    title_numbers: np.ndarray  # int64
    page: np.ndarray  # int64
    text: np.ndarray  # uint32 [n, PERMUTATIONS]
    text_words: np.ndarray  # int32

    @classmethod
    def of(cls, prints: list[StoryPrint]) -> "Prints":
        n = len(prints)
        return cls(
            source=np.array([p.source for p in prints], dtype=np.int64),
            published=np.array([p.published for p in prints], dtype=np.float64),
            title=np.array([p.title for p in prints], dtype=np.int64),
            title_words=np.array([p.title_words for p in prints], dtype=np.int32),
            title_set=np.stack([p.title_set for p in prints]) if n else np.zeros((0, PERMUTATIONS), np.uint32),
            title_numbers=np.array([p.title_numbers for p in prints], dtype=np.int64),
            page=np.array([p.page for p in prints], dtype=np.int64),
            text=np.stack([p.text for p in prints]) if n else np.zeros((0, PERMUTATIONS), np.uint32),
            text_words=np.array([p.text_words for p in prints], dtype=np.int32),
        )

    def __len__(self) -> int:
        return len(self.source)

    def take(self, rows: np.ndarray) -> "Prints":
        return Prints(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})

    @classmethod
    def concat(cls, parts: list["Prints"]) -> "Prints":
        if not parts:
            return cls.of([])
        return cls(**{name: np.concatenate([getattr(p, name) for p in parts]) for name in cls.__dataclass_fields__})

    def keys(self) -> np.ndarray:
        """int64 [n, KEYS]: each article's keys (kind << 32 | hash), -1 where it has none of a kind."""
        n = len(self)
        out = np.full((n, KEYS), -1, dtype=np.int64)
        out[:, 0] = np.where(self.page >= 0, (PAGE << 32) | self.page, -1)
        out[:, 1] = np.where(self.title >= 0, (TITLE << 32) | self.title, -1)
        has_text = self.text_words >= MIN_TEXT_WORDS
        for band in range(BANDS):
            h = _band_hash(self.text[:, band * ROWS:(band + 1) * ROWS])
            out[:, 2 + band] = np.where(has_text, ((TEXT_BAND + band) << 32) | h, -1)
        has_title = self.title_words >= TITLE_NEAR_WORDS
        for band in range(TITLE_BANDS):
            h = _band_hash(self.title_set[:, band * TITLE_ROWS:(band + 1) * TITLE_ROWS])
            out[:, 2 + BANDS + band] = np.where(has_title, ((TITLE_BAND + band) << 32) | h, -1)
        return out


def _band_hash(rows: np.ndarray) -> np.ndarray:
    """A 32-bit hash of each row of uint32 values (FNV-1a over the values), as int64."""
    h = np.full(len(rows), 2166136261, dtype=np.uint64)
    for j in range(rows.shape[1]):
        h = ((h ^ rows[:, j].astype(np.uint64)) * np.uint64(16777619)) & np.uint64(0xFFFFFFFF)
    return h.astype(np.int64)


def decide(a: Prints, b: Prints, title_days: np.ndarray | None = None) -> np.ndarray:
    """For candidate pairs (row i of `a` with row i of `b`): whether they are versions of one story.
    `title_days`: on how many different days the archive carries each pair's title (a recurring
    title, a daily column's, says nothing); None: once."""
    n = len(a)
    if n == 0:
        return np.zeros(0, dtype=bool)
    gap = np.abs(a.published - b.published)
    undated = np.isnan(gap)
    within_title = undated | (gap <= TITLE_WINDOW)
    # A number changed in the title ("day 312" / "day 313", a toll, a score, a date) is new
    # information: not an edit of the same title, nor the same page (a site reusing a page daily).
    new_numbers = (a.title_numbers >= 0) & (b.title_numbers >= 0) & (a.title_numbers != b.title_numbers)
    same_page = (a.page >= 0) & (a.page == b.page) & (undated | (gap <= PAGE_WINDOW)) & ~new_numbers

    texts = (a.text_words >= MIN_TEXT_WORDS) & (b.text_words >= MIN_TEXT_WORDS)
    similarity = np.where(texts, (a.text == b.text).mean(axis=1), np.nan)
    full = (a.text_words >= FULL_TEXT_WORDS) & (b.text_words >= FULL_TEXT_WORDS)
    titles_alike = (a.title_set == b.title_set).mean(axis=1)
    other_source = (a.source != b.source) | (a.source < 0)
    same_text = texts & (similarity >= TEXT_SAME) & (other_source | full | (titles_alike >= SAME_SOURCE_TITLES))

    days = np.ones(n, dtype=np.int64) if title_days is None else title_days
    same_title = (a.title >= 0) & (a.title == b.title) & (days < RECURRING_DAYS) & within_title
    differ = full & (similarity < TEXT_DIFFER)
    near_title = ((a.title != b.title) & (np.minimum(a.title_words, b.title_words) >= TITLE_NEAR_WORDS)
                  & (titles_alike >= TITLE_NEAR) & within_title & ~differ & ~new_numbers)
    return same_page | same_text | same_title | near_title


def same_story(a: StoryPrint, b: StoryPrint, title_days: int = 1) -> bool:
    """Whether `b` is a version of `a`'s story (`decide` for one pair)."""
    return bool(decide(Prints.of([a]), Prints.of([b]), np.array([title_days]))[0])


def shares_key(a: StoryPrint, b: StoryPrint) -> bool:
    """Whether `b` would be found as a candidate of `a`: they share a key."""
    ka, kb = Prints.of([a]).keys()[0], Prints.of([b]).keys()[0]
    return bool(np.intersect1d(ka[ka >= 0], kb[kb >= 0]).size)


def print_to_dict(p: StoryPrint) -> dict:
    """A print as JSON (stored with an article where the backend keeps no side files: OpenSearch)."""
    return {"s": p.source, "p": None if p.published != p.published else p.published, "t": p.title,
            "tw": p.title_words, "ts": p.title_set.tolist(), "tn": p.title_numbers, "pg": p.page,
            "x": p.text.tolist(), "xw": p.text_words}


def print_from_dict(d: dict) -> StoryPrint:
    return StoryPrint(source=int(d["s"]), published=float("nan") if d.get("p") is None else float(d["p"]),
                      title=int(d["t"]), title_words=int(d["tw"]), title_set=np.array(d["ts"], dtype=np.uint32),
                      title_numbers=int(d["tn"]), page=int(d["pg"]), text=np.array(d["x"], dtype=np.uint32),
                      text_words=int(d["xw"]))


def key_strings(p: StoryPrint) -> list[str]:
    """The print's keys (Prints.keys) as strings, for a keyword field."""
    keys = Prints.of([p]).keys()[0]
    return [format(int(k), "x") for k in keys if k >= 0]
