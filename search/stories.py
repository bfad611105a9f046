"""Stories, not copies: which articles are versions of one story (a wire story in ten papers, an
aggregator's copy, an update of the same page, the same file twice), whatever their source or id.

Backend-neutral. `StoryPrint.of` computes what the decision needs of one article, from the article
alone; `Prints` holds many as arrays; `story_keys` are the keys through which an article's candidate
versions are found (a candidate shares one); `decide` says, for arrays of candidate pairs at once,
which are versions of one story. `same_story` is `decide` for one pair.

The signals, each measured on the labelled pairs of bench/stories and read on the whole RSS
archive (docs/stories/groundwork.md, `python -m bench.stories.archive`):

- **The page.** An id in the URL (`ar-AA19cgyw`, `article-11606831`, `?id=96051816`, a number of
  seven digits or more; a live page's post id in the fragment) on the same site; else, for a URL
  without an id whose path ends with a slug of four words or more, its whole path (query and view
  segments such as `webview` or `amp` left out; a site's dated paths are a page a day). Within a
  week; a path the archive carries on three days or more is a recurring page, not a signal. A page
  retitled, or its toll updated within hours, is the same page; a title otherwise alike whose
  number changed half a day or more later ("day 312" / "day 313", a puzzle's answers) is the next
  edition of a page the site reuses. A live page (a `live` or `live-news` segment, a
  `...-live-updates` slug) holds many stories: its posts and snapshots fold only while their
  headlines agree.
- **The original title.** A slug spells the title an article was first published under, which an
  aggregator's copy keeps when the origin retitles (MSN's copy of Al Jazeera's story): a slug equal
  to another article's title counts as that title.
- **The text.** MinHash over the body's word 3-shingles (64 hashes; 16 bands of 4 as keys, so that
  pairs above about 0.5 Jaccard share a band), HTML entities decoded. From 10 words; under 20 words
  the texts must be nearly the same (0.8). One source's texts count only when long, or when nearly
  the same under a title alike within a week and not a series' (outlets reuse a photo caption, a
  list of links, a weekly roundup's blurb under other titles).
- **The lede.** Two outlets' texts opening with the same 14 words within half a day: a wire story
  edited further on (a day later, a follow-up reusing the lede is another story).
- **The title.** The same title (four words or more; or an original title, above) within two days,
  unless the archive carries it on three days or more (a daily column); a title edited by a word or
  two (word-set Jaccard 0.8, five words or more) within two days, unless two full texts differ or a
  number in it changed.
- Whatever the signals, a gallery or a video (a `video`, `gallery`, `pictures` segment) is another
  report than an article.

MinHash is written here with numpy (multiply-shift hashing) rather than taken from datasketch:
datasketch requires scipy (about 40 MB) for what this needs of it, and its LSH keeps its own
tables, where the keys here are plain sortable integers a backend stores with its index.
"""
from __future__ import annotations

import html
import re
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable
from urllib.parse import parse_qsl, urlsplit

import numpy as np

from .arrays import unique, unique_counts

PERMUTATIONS = 64
BANDS, ROWS = 16, 4  # bands of the body's MinHash used as keys (BANDS * ROWS == PERMUTATIONS)
TITLE_BANDS, TITLE_ROWS = 8, 4  # of the title's word set: titles at 0.8 share one with p = 0.986
SHINGLE = 3
MIN_TEXT_WORDS = 10  # fewer body words: the text signal says nothing (a sentence says something)
MAX_BODY_CHARS = 1_000  # the text compared: a story's first 165 words or so (its lede and nut graf)
# Body words from which a text is a story's own, not a description an outlet may reuse (a photo
# caption, a list of links): then the same source under another title is still the same story.
FULL_TEXT_WORDS = 80
TEXT_SAME = 0.5  # estimated Jaccard of the bodies' shingles from which texts agree
# A text under this many words has few shingles: it agrees only when nearly the same.
SHORT_TEXT_WORDS, SHORT_TEXT_SAME = 20, 0.8
TEXT_DIFFER = 0.1  # below this, two full texts are different stories
# Titles agreeing this much are one headline reworded: a source's short text reused under them
# counts (with texts agreeing SAME_SOURCE_TEXT), a live page's posts under them are one.
TITLES_AGREE = 0.5
SAME_SOURCE_TEXT = 0.8
EDITION_TITLES = 0.3  # titles agreeing this much, a number changed: the next edition of a page,
EDITION_GAP = 12 * 3_600.0  # when published this long after (within it: the toll or the score updated)
TITLE_MIN_WORDS = 4
TITLE_NEAR = 0.8  # estimated word-set Jaccard from which two titles are one, edited
TITLE_NEAR_WORDS = 5
RECURRING_DAYS = 3  # a title carried on this many different days is a recurring one
DAY = 86_400.0
TITLE_WINDOW = 2 * DAY
PAGE_WINDOW = 7 * DAY
SLUG_MIN_WORDS = 4  # a URL's last segments name a page by a slug of this many words or more
# Two outlets' texts opening with the same run of this many words, within half a day, copy one
# source text (a wire story's lede, edited further on), however much the rest differs.
LEDE_WORDS = 14
# Key kinds: the high bits of a key, so that one sorted array holds every kind. An article's slug
# read as a title is a TITLE key, so that it meets the other articles' titles.
PAGE, TITLE, URL, LEDE, TEXT_BAND, TITLE_BAND = 1, 2, 3, 4, 16, 32
KEYS = 5 + BANDS + TITLE_BANDS

_rng = np.random.default_rng(16_2026)
_A = _rng.integers(1, 2**63, PERMUTATIONS, dtype=np.uint64) | np.uint64(1)  # odd multipliers
_B = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+", re.UNICODE)
_TAG = re.compile(r"<[^>]+>")
_FRAGMENT_ID = re.compile(r"[a-z_]{0,6}(?=[a-z0-9_]*\d)[a-z0-9_]{6,}", re.IGNORECASE)
_QUERY_ID = {"id", "p", "story", "articleid", "story_id", "storyid"}
_HOST_PREFIXES = ("www.", "edition.", "m.", "amp.")
# Path segments that name how a page is shown, not which page it is (CNN's app view, AMP copies).
_VIEW_SEGMENTS = {"webview", "amp", "index.html", "index.htm", "index.php", "index.shtml"}
_LIVE_SEGMENT = re.compile(r"live|live-?news|live-?blogs?|live-?updates?|live-?coverage", re.IGNORECASE)
_MEDIA_SEGMENT = re.compile(r"videos?|galler(?:y|ies)|pictures|photos?|in-pictures|watch|podcasts?", re.IGNORECASE)
_LIVE_SLUG = re.compile(r"(?:^|-)live-?(?:updates?|blog|news|coverage)(?:-|$)", re.IGNORECASE)
_SLUG_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_EMPTY_HASH = np.zeros(PERMUTATIONS, dtype=np.uint32)


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", html.unescape(_TAG.sub(" ", text or ""))).casefold()
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


@dataclass(frozen=True)
class UrlFacts:
    """What an article's URL says of its page (one parse for all of it)."""

    page_id: str | None = None  # `site/id` when the URL carries an article id
    url_page: str | None = None  # `site/path` for a URL without an id whose path ends with a slug
    slug: str | None = None  # the slug's words joined by spaces (the title first published under)
    live: bool = False  # a live page's
    media: bool = False  # a gallery's, a video's, a podcast's (a `video` or `gallery` segment)


@lru_cache(maxsize=4_096)
def url_facts(url: str | None) -> UrlFacts:
    """The site is the host without `www.`, `edition.`, `m.` or `amp.`; the path leaves out the
    segments naming a view of the page (`webview`, `amp`, `index.html`) and the query.

    - `page_id`: an id in the query (`?id=`) or the path's last two segments (`_segment_id`); an
      id-like fragment (a live page's post) is kept with it.
    - `slug`: the last of the last two segments made of SLUG_MIN_WORDS words or more
      (`michigan-state-university-shots-fired`).
    - `url_page`: the whole path, for a URL without an id but with a slug: a site's dated paths
      (`/2023/03/21/boris-johnson-partygate-parliament/`) name a new page each day under one slug.
    - `live`: a `live` or `live-news` segment, a `...-live-updates` slug: its posts fold only while
      their headlines agree, and its slug is no story's title.
    - `media`: a `video`, `gallery`, `pictures` segment: another report than an article."""
    if not url:
        return UrlFacts()
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return UrlFacts()
    for prefix in _HOST_PREFIXES:
        host = host.removeprefix(prefix)
    if not host:
        return UrlFacts()
    segments = [s for s in parts.path.split("/") if s and s.lower() not in _VIEW_SEGMENTS]
    names = [s.rsplit(".", 1)[0] if "." in s else s for s in segments[-2:]]
    live = bool(segments) and (any(_LIVE_SEGMENT.fullmatch(s) for s in segments[:-1])
                               or any(_LIVE_SLUG.search(s) for s in names))
    media = any(_MEDIA_SEGMENT.fullmatch(s) for s in segments[:-1])
    slug = None
    for name in reversed(names):
        if sum(bool(_SLUG_WORD.fullmatch(p)) for p in re.split(r"[-_]+", name)) >= SLUG_MIN_WORDS:
            slug = " ".join(words(name))
            break
    fragment = f"#{parts.fragment}" if parts.fragment and _FRAGMENT_ID.fullmatch(parts.fragment) else ""
    found = None
    for name, value in parse_qsl(parts.query):
        if name.lower() in _QUERY_ID and value.isalnum() and any(c.isdigit() for c in value) and len(value) >= 5:
            found = value
            break
    if found is None:
        for name in reversed(names):
            found = _segment_id(name)
            if found:
                break
    path = "/".join(segments)
    if found:
        return UrlFacts(page_id=f"{host}/{found.lower()}{fragment}", slug=slug, live=live, media=media)
    if fragment:  # a live page's post: the page's path and the post's id
        return UrlFacts(page_id=f"{host}/{path}{fragment}", slug=slug, live=live, media=media)
    return UrlFacts(url_page=f"{host}/{path}" if slug else None, slug=slug, live=live, media=media)


def page_id(url: str | None) -> str | None:
    """`site/id` when the URL carries an article id, else None (`url_facts`)."""
    return url_facts(url).page_id


def url_page(url: str | None) -> str | None:
    """`site/path` for a URL without an article id that ends with a slug, else None (`url_facts`)."""
    return url_facts(url).url_page


def slug_of(url: str | None) -> str | None:
    """The URL's slug, its words joined by spaces, or None (`url_facts`)."""
    return url_facts(url).slug


def is_live(url: str | None) -> bool:
    """Whether the URL is a live page's (`url_facts`)."""
    return url_facts(url).live


def _segment_id(segment: str) -> str | None:
    """The article id a path segment carries: its last dash- or underscore-separated part, six
    characters or more with a digit and a letter, or seven digits or more (six are as often a sum
    in a slug, `...-worth-230000`, or a date, `intl-covid-011523`); its first part when that is
    seven digits or more (`3886861-border-patrol-transfers-...`); with its prefix when the segment
    is only a short prefix and the id (`article-11606831`, `ar-AA19cgyw`), an id of mixed case
    too. Slugs are lower case, or title case: `...-Tomb-Unknown-Soldier-Poland` ends with a word,
    not an id. A segment of one part is an id of mixed case too (`AAZThVb`, not `Poland`)."""
    parts = re.split(r"[-_]", segment)
    last = parts[-1]
    prefixed = len(parts) == 2 and parts[0].isalpha() and len(parts[0]) <= 10
    if len(parts) > 2 and parts[0].isdigit() and len(parts[0]) >= 7:
        return parts[0]
    if len(last) < 6 or not last.isalnum() or not last.isascii():
        return None
    mixed_case = any(c.isupper() for c in last[1:]) and any(c.islower() for c in last)
    digits = any(c.isdigit() for c in last)
    if not ((digits and (len(last) >= 7 or not last.isdigit())) or (mixed_case and (prefixed or len(parts) == 1))):
        return None
    if prefixed:
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
    url: int  # hash of url_page (a URL without an id, by its slug), -1 when none
    slug: int  # hash of the slug read as a title (title_key), -1 when none
    live: bool  # a live page's (is_live)
    media: bool  # a gallery's or a video's (UrlFacts.media)
    text: np.ndarray  # the body's MinHash (zeros when under MIN_TEXT_WORDS words)
    text_words: int
    lede: int  # hash of the body's first LEDE_WORDS words, -1 when shorter

    @classmethod
    def of(cls, title: str, body: str, url: str | None, source: str | None,
           published: datetime | None) -> "StoryPrint":
        body_words = words(body[:MAX_BODY_CHARS])
        title_words = sorted(set(words(title)))
        numbers = [w for w in title_words if any(c.isdigit() for c in w)]
        facts = url_facts(url)
        when = float("nan")
        if published is not None:
            when = (published if published.tzinfo else published.replace(tzinfo=timezone.utc)).timestamp()
        return cls(source=_hash((source or "").casefold()), published=when, title=_hash(title_key(title)),
                   title_words=len(title_words), title_set=minhash(title_words, k=1),
                   title_numbers=_hash(" ".join(numbers)), page=_hash(facts.page_id),
                   url=_hash(facts.url_page), slug=-1 if facts.live else _hash(title_key(facts.slug or "")),
                   live=facts.live, media=facts.media,
                   text=minhash(body_words) if len(body_words) >= MIN_TEXT_WORDS else _EMPTY_HASH,
                   text_words=len(body_words),
                   lede=_hash(" ".join(body_words[:LEDE_WORDS])) if len(body_words) >= LEDE_WORDS else -1)


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
    url: np.ndarray  # int64
    slug: np.ndarray  # int64
    live: np.ndarray  # bool
    media: np.ndarray  # bool
    text: np.ndarray  # uint32 [n, PERMUTATIONS]
    text_words: np.ndarray  # int32
    lede: np.ndarray  # int64

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
            url=np.array([p.url for p in prints], dtype=np.int64),
            slug=np.array([p.slug for p in prints], dtype=np.int64),
            live=np.array([p.live for p in prints], dtype=bool),
            media=np.array([p.media for p in prints], dtype=bool),
            text=np.stack([p.text for p in prints]) if n else np.zeros((0, PERMUTATIONS), np.uint32),
            text_words=np.array([p.text_words for p in prints], dtype=np.int32),
            lede=np.array([p.lede for p in prints], dtype=np.int64),
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
        out[:, 2] = np.where((self.slug >= 0) & (self.slug != self.title), (TITLE << 32) | self.slug, -1)
        out[:, 3] = np.where(self.url >= 0, (URL << 32) | self.url, -1)
        out[:, 4] = np.where(self.lede >= 0, (LEDE << 32) | self.lede, -1)
        has_text = self.text_words >= MIN_TEXT_WORDS
        for band in range(BANDS):
            h = _band_hash(self.text[:, band * ROWS:(band + 1) * ROWS])
            out[:, 5 + band] = np.where(has_text, ((TEXT_BAND + band) << 32) | h, -1)
        has_title = self.title_words >= TITLE_NEAR_WORDS
        for band in range(TITLE_BANDS):
            h = _band_hash(self.title_set[:, band * TITLE_ROWS:(band + 1) * TITLE_ROWS])
            out[:, 5 + BANDS + band] = np.where(has_title, ((TITLE_BAND + band) << 32) | h, -1)
        return out


def _band_hash(rows: np.ndarray) -> np.ndarray:
    """A 32-bit hash of each row of uint32 values (FNV-1a over the values), as int64."""
    h = np.full(len(rows), 2166136261, dtype=np.uint64)
    for j in range(rows.shape[1]):
        h = ((h ^ rows[:, j].astype(np.uint64)) * np.uint64(16777619)) & np.uint64(0xFFFFFFFF)
    return h.astype(np.int64)


def decide(a: Prints, b: Prints, days: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """For candidate pairs (row i of `a` with row i of `b`): whether they are versions of one story.
    `days`: on how many different days the archive carries each of an array of title, slug or URL
    hashes (a recurring title, a daily column's, says nothing; nor does a page reused daily);
    None: once."""
    n = len(a)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if days is None:
        days = _once
    gap = np.abs(a.published - b.published)
    undated = np.isnan(gap)
    within_title = undated | (gap <= TITLE_WINDOW)
    within_page = undated | (gap <= PAGE_WINDOW)
    texts = (a.text_words >= MIN_TEXT_WORDS) & (b.text_words >= MIN_TEXT_WORDS)
    similarity = np.where(texts, (a.text == b.text).mean(axis=1), np.nan)
    full = (a.text_words >= FULL_TEXT_WORDS) & (b.text_words >= FULL_TEXT_WORDS)
    titles_alike = (a.title_set == b.title_set).mean(axis=1)

    # A number changed in the title ("day 312" / "day 313", a toll, a score, a date) is new
    # information: not an edit of the same title; nor, in a title otherwise alike and half a day or
    # more later, the same page (a site reusing a page for each day's edition). A page retitled in
    # other words, or its toll updated within hours, is the same page updated.
    new_numbers = (a.title_numbers >= 0) & (b.title_numbers >= 0) & (a.title_numbers != b.title_numbers)
    next_edition = new_numbers & (titles_alike >= EDITION_TITLES) & (undated | (gap >= EDITION_GAP))
    # A live page's posts, or its snapshots, are one story while their headlines agree.
    one_post = ~(a.live & b.live) | (titles_alike >= TITLES_AGREE)
    same_page = (a.page >= 0) & (a.page == b.page) & within_page & ~next_edition & one_post
    same_url = ((a.url >= 0) & (a.url == b.url) & within_page & ~next_edition & one_post
                & (days(a.url) < RECURRING_DAYS))

    other_source = (a.source != b.source) | (a.source < 0)
    # One source's short texts agree when it republishes or updates an article: the text hardly
    # changed, under a title alike, within a week. A series reuses its template text under titles
    # alike too (a weekly roundup's, a chart's "... Dethroned In Netflix's Top 10", a puzzle's
    # daily answers): it changes its words or its numbers, or carries the same title on many days.
    recurring = (days(a.title) >= RECURRING_DAYS) | (days(b.title) >= RECURRING_DAYS)
    republished = ((similarity >= SAME_SOURCE_TEXT) & (titles_alike >= TITLES_AGREE) & within_page
                   & ~recurring & ~next_edition)
    short = np.minimum(a.text_words, b.text_words) < SHORT_TEXT_WORDS
    agree = similarity >= np.where(short, SHORT_TEXT_SAME, TEXT_SAME)
    same_text = texts & agree & (other_source | full | republished)
    # The same lede within half a day; a day on, a report reusing yesterday's lede is a follow-up.
    same_lede = (a.lede >= 0) & (a.lede == b.lede) & other_source & (undated | (gap < EDITION_GAP))

    # The same title, or an article's original title (its slug) another's title. (Two equal slugs
    # are one page when the site is the same, `same_url`; a site's dated paths are not.)
    named = np.zeros(n, dtype=bool)
    for x, y in ((a.title, b.title), (a.slug, b.title), (a.title, b.slug)):
        named |= (x >= 0) & (x == y) & (days(x) < RECURRING_DAYS)
    same_title = named & within_title
    differ = full & (similarity < TEXT_DIFFER)
    near_title = ((a.title != b.title) & (np.minimum(a.title_words, b.title_words) >= TITLE_NEAR_WORDS)
                  & (titles_alike >= TITLE_NEAR) & within_title & ~differ & ~new_numbers)
    # A gallery or a video is another report than an article on the same event, whatever its title.
    return (same_page | same_url | same_text | same_lede | same_title | near_title) & (a.media == b.media)


def _once(hashes: np.ndarray) -> np.ndarray:
    return np.ones(len(hashes), dtype=np.int64)


def same_story(a: StoryPrint, b: StoryPrint, title_days: int | Callable[[np.ndarray], np.ndarray] = 1) -> bool:
    """Whether `b` is a version of `a`'s story (`decide` for one pair); `title_days`: on how many
    days the archive carries each of their titles, slugs and URLs (a number for all, or `decide`'s
    lookup)."""
    days = title_days if callable(title_days) else (lambda h: np.full(len(h), title_days))
    return bool(decide(Prints.of([a]), Prints.of([b]), days)[0])


def shares_key(a: StoryPrint, b: StoryPrint) -> bool:
    """Whether `b` would be found as a candidate of `a`: they share a key."""
    ka, kb = Prints.of([a]).keys()[0], Prints.of([b]).keys()[0]
    return bool(np.intersect1d(ka[ka >= 0], kb[kb >= 0]).size)


def days_lookup(prints: Prints, live: np.ndarray | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """hash -> on how many different days `prints` (their `live` ones) carry it as a title, a slug
    or a URL: `decide`'s `days`."""
    live = np.ones(len(prints), dtype=bool) if live is None else live
    dated = live & ~np.isnan(prints.published)
    day = np.clip(np.floor(prints.published[dated] / DAY), 0, 2**20 - 1).astype(np.int64)
    hashes = np.concatenate([prints.title[dated], prints.slug[dated], prints.url[dated]])
    days = np.tile(day, 3)
    keep = hashes >= 0
    pairs = unique((hashes[keep] << 20) | days[keep])
    found, counts = unique_counts(pairs >> 20)

    def lookup(h: np.ndarray) -> np.ndarray:
        if len(found) == 0:
            return np.ones(len(h), dtype=np.int64)
        i = np.clip(np.searchsorted(found, h), 0, len(found) - 1)
        return np.where(found[i] == h, counts[i], 1)

    return lookup


def print_to_dict(p: StoryPrint) -> dict:
    """A print as JSON (stored with an article where the backend keeps no side files: OpenSearch)."""
    return {"s": p.source, "p": None if p.published != p.published else p.published, "t": p.title,
            "tw": p.title_words, "ts": p.title_set.tolist(), "tn": p.title_numbers, "pg": p.page,
            "u": p.url, "sl": p.slug, "lv": p.live, "md": p.media,
            "x": p.text.tolist(), "xw": p.text_words, "ld": p.lede}


def print_from_dict(d: dict) -> StoryPrint:
    return StoryPrint(source=int(d["s"]), published=float("nan") if d.get("p") is None else float(d["p"]),
                      title=int(d["t"]), title_words=int(d["tw"]), title_set=np.array(d["ts"], dtype=np.uint32),
                      title_numbers=int(d["tn"]), page=int(d["pg"]), url=int(d.get("u", -1)),
                      slug=int(d.get("sl", -1)), live=bool(d.get("lv", False)),
                      media=bool(d.get("md", False)), text=np.array(d["x"], dtype=np.uint32),
                      text_words=int(d["xw"]), lede=int(d.get("ld", -1)))


def key_strings(p: StoryPrint) -> list[str]:
    """The print's keys (Prints.keys) as strings, for a keyword field."""
    keys = Prints.of([p]).keys()[0]
    return [format(int(k), "x") for k in keys if k >= 0]
