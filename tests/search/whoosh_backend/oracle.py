"""The query parser as it was before search/query.py had a representation of its own (Whoosh's
MultifieldParser): the oracle of test_compile.py, kept here only. Unchanged but for its imports (the
bounded expansions now live in search/whoosh_backend/compile.py).

From a user's query string to a Whoosh query.

Syntax (Lucene-style): words (all required), "phrases", OR, AND, NOT / -word, field:value
(title, body, source, person, org, place, author), prefix*, word~ (fuzzy), and date ranges
(published:[2020-07-01 TO 2020-07-31], published:2020-07). A string the parser cannot read falls
back to its plain words; an empty query matches everything. Expansions are bounded: prefixes need
two characters, fuzzy terms four, and any expansion keeps at most MAX_EXPANSIONS terms (the most
frequent), so no query walks the whole vocabulary.

Two modes. A short query, or any query written with operators, is a keyword query: all words
required, as documented. A longer query of plain text (LONG_QUERY content words or more, no quotes,
fields, AND/OR/NOT, -word, * or ~) is a natural-language question: its words are OR-ed and a
document ranks by how many of them it matches and how well (the sum of their BM25 scores), since
nobody expects every word of a question in one article. Operators are only read in upper case, and
not at all in a query typed entirely in capitals, where case says nothing about intent.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

from whoosh import query as wq
from whoosh.qparser import AndGroup, FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.qparser.plugins import GtLtPlugin

from search.fields import FIELDS
from search.stopwords import ALWAYS_DROPPED, STOP_WORDS
from search.whoosh_backend.compile import MAX_EXPANSIONS, SCAN_LIMIT, BoundedFuzzy, BoundedPrefix, BoundedTermRange, BoundedWildcard
from search.whoosh_backend.schema import NAME_ANALYZER, TEXT_ANALYZER, schema_for

QUERY_FIELDS, FIELD_WEIGHTS, SCHEMA = FIELDS.query_fields, FIELDS.weights, schema_for(FIELDS)

MIN_PREFIX = 2
MIN_FUZZY = 4
STOP = STOP_WORDS
_FIELD_ALIASES = {"people": "person", "organization": "org", "organisation": "org", "organizations": "org",
                  "places": "place", "location": "place", "publisher": "source", "headline": "title", "text": "body"}
_DATE_FIELDS = ("published", "date")
_RANGE = re.compile(
    r"\b(?:published|date):([\[{])\s*(\S*?)\s+TO\s+(\S*?)\s*([\]}])", re.IGNORECASE
)
_SINGLE_DATE = re.compile(r"\b(?:published|date):(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)\b", re.IGNORECASE)
_MINUS = re.compile(r'(^|[\s(])-(?=[\w"(])')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_OPERATORS = re.compile(r'["*~:()]|\b(?:AND|OR|NOT)\b|(?:^|\s)-\w')
_WORD = re.compile(r"\w+", re.UNICODE)
# What makes a query a structured one (keyword mode even when long). Parentheses and "?" are not on
# the list: in typed questions they are punctuation.
_EXPLICIT = re.compile(r'["*~]|\b(?:AND|OR|NOT)\b|(?:^|[\s(])-\w|\b(?:%s):' % "|".join(
    sorted(set(QUERY_FIELDS) | set(_FIELD_ALIASES) | set(_DATE_FIELDS))))
LONG_QUERY = 4  # content (non-stop) words from which a plain query is read as natural language


@dataclass
class ParsedQuery:
    text: str  # the normalised query string
    query: wq.Query | None  # None: match every document
    date_start: datetime | None = None
    date_end: datetime | None = None
    words: list[str] = field(default_factory=list)  # the plain words, for suggestions and fallbacks
    plain: bool = True  # no operators, fields or phrases: a candidate for the any-words fallback
    fallback: bool = False  # the parser could not read it; these are its plain words
    natural: bool = False  # a natural-language question: words OR-ed, ranked by coverage (see above)

    def any_words(self) -> wq.Query | None:
        """The same words with OR (a match on more words ranks higher): the fallback for zero hits."""
        terms = [w for w in self.words if w.casefold() not in STOP] or self.words
        if len(terms) < 2:
            return None
        return _bounded(_strip_stop(_parser(any_words=True).parse(" ".join(terms)), " ".join(terms)))


@lru_cache(maxsize=2)
def _parser(any_words: bool = False):
    group = OrGroup.factory(0.9) if any_words else AndGroup
    parser = MultifieldParser(list(QUERY_FIELDS), SCHEMA, fieldboosts=FIELD_WEIGHTS, group=group)
    parser.add_plugin(FuzzyTermPlugin())
    parser.remove_plugin_class(GtLtPlugin)
    return parser


def normalize_query(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def is_natural(text: str) -> bool:
    """A question in plain words (LONG_QUERY content words or more, no operators): read as OR, not AND."""
    words = [w for w in _WORD.findall(text) if w.casefold() not in STOP]
    return len(words) >= LONG_QUERY and not _EXPLICIT.search(text)


def parse_query(text: str) -> ParsedQuery:
    text = normalize_query(text)
    rest, start, end = _take_dates(text)
    if _all_caps(rest):  # typed in capitals: AND/OR/NOT are words, not operators
        rest = rest.lower()
    words = _WORD.findall(_RANGE.sub(" ", rest))
    words = [w for w in words if w not in ("AND", "OR", "NOT")]
    plain = not _OPERATORS.search(rest)
    if not _WORD.search(rest):  # nothing searchable left (empty, or only punctuation): match everything
        return ParsedQuery(text, None, start, end, words, plain)
    natural = is_natural(rest)
    # Field aliases and "-word" (Lucene's prohibit) become what Whoosh's parser reads.
    rest = re.sub(r"\b(\w+):", lambda m: _FIELD_ALIASES.get(m.group(1).lower(), m.group(1).lower()) + ":"
                  if m.group(1).lower() in _FIELD_ALIASES or m.group(1).lower() in QUERY_FIELDS else m.group(0), rest)
    rest = _MINUS.sub(lambda m: m.group(1) + "NOT ", rest)
    try:
        q = _parser(any_words=natural).parse(rest)
        q = _bounded(_strip_stop(_searchable_fields(q), rest))
        if q is wq.NullQuery or isinstance(q, wq.NullQuery.__class__) or _is_empty(q):
            raise ValueError("nothing searchable")
        if _only_negative(q):
            q = wq.AndNot(wq.Every(), q.query if isinstance(q, wq.Not) else q)
        return ParsedQuery(text, q, start, end, words, plain, natural=natural)
    except Exception:  # noqa: BLE001 - any parser failure falls back to the words, never an error
        if not words:
            return ParsedQuery(text, None, start, end, words, plain, fallback=True)
        q = _bounded(_strip_stop(_parser(any_words=natural).parse(" ".join(words)), " ".join(words)))
        return ParsedQuery(text, None if _is_empty(q) else q, start, end, words, plain, fallback=True,
                           natural=natural)


def _all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(_WORD.findall(text)) > 1 and bool(letters) and not any(c.islower() for c in letters)


def _is_empty(q) -> bool:
    return q is None or q is wq.NullQuery or (isinstance(q, wq.CompoundQuery) and not q.subqueries)


def _only_negative(q) -> bool:
    if isinstance(q, wq.Not):
        return True
    if isinstance(q, wq.And):
        return all(isinstance(s, wq.Not) for s in q.subqueries)
    return False


def _strip_stop(q, text: str = ""):
    """Drop stop words from free-text terms (phrases keep theirs; a query of only stop words keeps them).
    A stop word is a word as typed: a stemmed term is one when every word of `text` with that stem is
    ("useful" stems to "us", which is no stop word then; "was" to "wa", a stop word)."""
    stemmed_stop: dict[str, bool] = {}
    stemmed_weak: dict[str, bool] = {}
    for word in NAME_ANALYZER(text):
        stem = TEXT_ANALYZER(word.text, mode="query")
        for token in stem:
            stemmed_stop[token.text] = stemmed_stop.get(token.text, True) and word.text in STOP
            stemmed_weak[token.text] = stemmed_weak.get(token.text, True) and word.text not in ALWAYS_DROPPED

    def is_stop(node) -> bool:
        if isinstance(node, wq.Term):
            if node.fieldname not in QUERY_FIELDS:
                return False
            if node.fieldname in ("title", "body"):
                return stemmed_stop.get(str(node.text), str(node.text) in STOP)
            return str(node.text) in STOP
        if isinstance(node, (wq.Or, wq.DisjunctionMax)):  # one word across fields
            return bool(node.subqueries) and all(is_stop(s) for s in node.subqueries)
        return False

    def is_weak(node) -> bool:
        """A stop word outside Lucene's set: not required in a query of keywords, but counted."""
        if isinstance(node, wq.Term):
            if node.fieldname in ("title", "body"):
                return stemmed_weak.get(str(node.text), False)
            return str(node.text) not in ALWAYS_DROPPED
        return bool(node.subqueries) and all(is_weak(s) for s in node.subqueries)

    def walk(node):
        if isinstance(node, wq.And):
            kept = [walk(s) for s in node.subqueries if not is_stop(s)]
            if not kept:
                return node
            required = wq.And(kept, boost=node.boost) if len(kept) > 1 else kept[0]
            optional = [s for s in node.subqueries if is_stop(s) and is_weak(s)]
            if optional:
                return wq.AndMaybe(required, wq.Or(optional) if len(optional) > 1 else optional[0])
            return required
        if isinstance(node, wq.Or) and not is_stop(node):
            kept = [walk(s) for s in node.subqueries if not is_stop(s)] or node.subqueries
            return node.__class__(kept, boost=node.boost, **({"scale": node.scale} if hasattr(node, "scale") and node.scale else {}))
        return _apply(node, walk) if hasattr(node, "apply") else node

    return walk(q).normalize()


def _searchable_fields(q):
    """A term on a field the syntax does not offer (published, id, checksum...) becomes its words
    across the default fields: `published:"x"` is a search for x, never a Whoosh error."""
    if isinstance(q, (wq.Term, wq.Phrase, wq.MultiTerm)) and q.fieldname not in QUERY_FIELDS:
        if isinstance(q, wq.Phrase):
            text = " ".join(str(w) for w in q.words)
        else:
            text = str(getattr(q, "text", "") or " ".join(str(v) for v in (getattr(q, "start", ""), getattr(q, "end", "")) if v))
        words = _WORD.findall(text)
        return _parser().parse(" ".join(words)) if words else wq.NullQuery
    return _apply(q, _searchable_fields) if isinstance(q, wq.Query) else q


def _apply(node, fn):
    """`node.apply(fn)`, keeping what Whoosh's apply forgets (a DisjunctionMax's tiebreak)."""
    out = node.apply(fn)
    if isinstance(node, wq.DisjunctionMax) and isinstance(out, wq.DisjunctionMax):
        out.tiebreak = node.tiebreak
    return out


def _bounded(q):
    """Replace expansions with bounded ones; expansions too short to be useful become plain terms."""
    if isinstance(q, wq.Prefix):
        if len(q.text) < MIN_PREFIX:
            return wq.Term(q.fieldname, q.text, boost=q.boost)
        return BoundedPrefix(q.fieldname, q.text, boost=q.boost)
    if isinstance(q, wq.Wildcard):
        literal = re.split(r"[*?]", q.text, maxsplit=1)[0]
        if len(literal) < MIN_PREFIX:
            stripped = re.sub(r"[*?]", "", q.text)
            return wq.Term(q.fieldname, stripped, boost=q.boost) if stripped else wq.NullQuery
        return BoundedWildcard(q.fieldname, q.text, boost=q.boost)
    if isinstance(q, wq.FuzzyTerm):
        if len(q.text) < MIN_FUZZY:
            return wq.Term(q.fieldname, q.text, boost=q.boost)
        return BoundedFuzzy(q.fieldname, q.text, boost=q.boost, maxdist=min(q.maxdist, 2 if len(q.text) >= 7 else 1),
                            prefixlength=max(q.prefixlength, 1))
    if isinstance(q, wq.TermRange) and not isinstance(q, BoundedTermRange):
        # `[a TO z]` would otherwise walk the field's whole vocabulary.
        return BoundedTermRange(q.fieldname, q.start, q.end, q.startexcl, q.endexcl, boost=q.boost)
    return _apply(q, _bounded) if isinstance(q, wq.Query) else q


# -- dates --------------------------------------------------------------------------------------
def _take_dates(text: str) -> tuple[str, datetime | None, datetime | None]:
    start = end = None
    m = _RANGE.search(text)
    if m:
        lo, hi = _date_bounds(m.group(2)), _date_bounds(m.group(3))
        start = lo[0] if lo and m.group(1) == "[" else (lo[1] if lo else None)
        end = hi[1] if hi and m.group(4) == "]" else (hi[0] if hi else None)
        text = (text[: m.start()] + " " + text[m.end():]).strip()
    else:
        m = _SINGLE_DATE.search(text)
        if m:
            bounds = _date_bounds(m.group(1))
            if bounds:
                start, end = bounds
                text = (text[: m.start()] + " " + text[m.end():]).strip()
    return text, start, end


def _date_bounds(value: str) -> tuple[datetime, datetime] | None:
    """[start, end) of a YYYY, YYYY-MM or YYYY-MM-DD value, in UTC; None for '*' or junk."""
    parts = value.strip().split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            y = int(parts[0])
            return _utc(date(y, 1, 1)), _utc(date(y + 1, 1, 1))
        if len(parts) == 2:
            y, mth = int(parts[0]), int(parts[1])
            nxt = date(y + (mth == 12), mth % 12 + 1, 1)
            return _utc(date(y, mth, 1)), _utc(nxt)
        if len(parts) == 3:
            d = date(int(parts[0]), int(parts[1]), int(parts[2]))
            return _utc(d), _utc(d + timedelta(days=1))
    except (ValueError, OverflowError):
        return None
    return None


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def analyzed_terms(text: str) -> list[str]:
    """The index terms a text produces in title/body (lowercased, accent-folded, stemmed)."""
    return [t.text for t in TEXT_ANALYZER(text)]
