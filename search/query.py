"""From a user's query string to our query representation (no search library in it).

Syntax (Lucene-style, read by luqum): words (all required), "phrases", OR, AND, NOT / -word,
field:value (title, body, source, person, org, place, author, and the aliases in _FIELD_ALIASES),
prefix*, wild?card, word~ (fuzzy), [a TO z] ranges, word^2 boosts, and date ranges
(published:[2020-07-01 TO 2020-07-31], published:2020-07), which are taken out of the text and
become the query's date window. A string the parser cannot read falls back to its plain words; an
empty query matches everything. A field the syntax does not offer is no error: a record field
(published:"x", id:abc) is a search for its value, any other name (nofield:x) is a word like the rest.

Expansions are bounded: prefixes and wildcards need MIN_PREFIX literal characters before the first
* or ?, fuzzy terms MIN_FUZZY characters (shorter ones are read as plain words), a fuzzy term's edit
distance is at most 1, 2 from 7 characters (fuzzy_maxdist), and a backend keeps at most a fixed
number of terms per expansion (the most frequent), so no query walks the whole vocabulary. These
lengths are the analysed term's (a stem can be shorter than its word): the parser keeps expansions
as typed and the backend applies the rules after analysis. A ? or * in a word without letters is
punctuation ("what is it ?"); a query of exclusions only (-x -y) matches every document with none of them.

Two modes. A short query, or any query written with operators, is a keyword query: all words
required, as documented. A longer query of plain text (LONG_QUERY content words or more, no quotes,
fields, AND/OR/NOT, -word, * or ~) is a natural-language question: its words are OR-ed and a
document ranks by how many of them it matches and how well (the sum of their BM25 scores), since
nobody expects every word of a question in one article. Operators are only read in upper case, and
not at all in a query typed entirely in capitals, where case says nothing about intent.

A passage (PASTED_QUERY words or more: a lede or a paragraph pasted to find related coverage) is
natural language: its quotes, colons, dashes, brackets and capitalised OR are the text's punctuation,
not syntax, and its content words (stop words out, each once, in order) are OR-ed. What prose does
not hold stays syntax however long the query (_DELIBERATE: *, ~, ^, ranges, field:value with no
space, or the whole query quoted as one phrase).
Nobody types a Lucene query that long; read as syntax, a pasted paragraph required every word and
turned its quotations into phrases (bench/relevance: known items, BBC).

Analysis is the backend's business, not the parser's: a `Term` holds the text as typed, and the
backend lowercases, folds accents and stems it per field. `field=None` on a leaf means the default
free-text fields (FIELDS.query_fields, weighted by FIELDS.weights). A term that analyses into several
tokens (e-mail, U.S.) joins them like the query's words: all required in keyword mode, any in a
natural query. Stop words (search.stopwords) are query-time analysis too: the backend drops them
from free-text terms, phrases keep theirs, and a query (or a group) of only stop words keeps them.
"""
from __future__ import annotations

import dataclasses
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, timedelta, timezone
from typing import Optional, Union

from luqum import tree as lt
from luqum.parser import lexer as _luqum_lexer, parser as _luqum_parser

from .fields import FIELDS, Fields
from .stopwords import STOP_WORDS


MIN_PREFIX = 2
MIN_FUZZY = 4
MAX_CLAUSES = 64  # leaves (words, phrases, expansions) of one query a backend searches; later ones are dropped


def fuzzy_maxdist(term: str, asked: int) -> int:
    """The edit distance a fuzzy term gets: as asked, but at most 1, and 2 from 7 characters."""
    return min(asked, 2 if len(term) >= 7 else 1)

STOP = STOP_WORDS
_FIELD_ALIASES = {"people": "person", "organization": "org", "organisation": "org", "organizations": "org",
                  "places": "place", "location": "place", "publisher": "source", "headline": "title", "text": "body"}
_DATE_FIELDS = ("published", "date")
_RANGE = re.compile(
    r"\b(?:published|date):([\[{])\s*(\S*?)\s+TO\s+(\S*?)\s*([\]}])", re.IGNORECASE
)
_SINGLE_DATE = re.compile(r"\b(?:published|date):(\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?)\b", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_OPERATORS = re.compile(r'["*~:()]|\b(?:AND|OR|NOT)\b|(?:^|\s)-\w')
_WORD = re.compile(r"\w+", re.UNICODE)
LONG_QUERY = 4  # content (non-stop) words from which a plain query is read as natural language
PASTED_QUERY = 16  # words from which a query without _DELIBERATE syntax is a pasted passage
_DELIBERATE = re.compile(r'[*~^]|\[[^\]]*\bTO\b|(?<!\w)[^\W\d]\w*:[^\s:]|^"[^"]*"$')


@dataclass(frozen=True)
class _Syntax:
    """What the syntax knows of a field declaration: the fields a query may name, the record's."""

    query_fields: frozenset[str]
    record_fields: frozenset[str]  # not query fields (id, url, checksum, published...): id:abc searches abc
    explicit: re.Pattern  # what makes a query a structured one (keyword mode even when long)


@lru_cache(maxsize=8)
def _syntax(fields: Fields) -> _Syntax:
    query_fields = frozenset(fields.query_fields)
    # Parentheses and "?" are not on the list: in typed questions they are punctuation.
    explicit = re.compile(r'["*~]|\b(?:AND|OR|NOT)\b|(?:^|[\s(])-\w|\b(?:%s):' % "|".join(
        sorted(query_fields | set(_FIELD_ALIASES) | set(_DATE_FIELDS))))
    record_fields = frozenset(f.name for f in dataclasses.fields(fields.record)) | {"published"}
    return _Syntax(query_fields, record_fields - query_fields, explicit)


# -- the representation -----------------------------------------------------------------------
# Leaves hold text as typed; `field=None`: the default free-text fields. Frozen, so comparable and hashable.
@dataclass(frozen=True)
class Term:
    text: str
    field: Optional[str] = None
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: Optional[str] = None
    slop: int = 1  # 1: the words in order, next to each other
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    text: str  # without the "*"
    field: Optional[str] = None
    boost: float = 1.0


@dataclass(frozen=True)
class Wildcard:
    pattern: str  # with * (any characters) and ? (one character)
    field: Optional[str] = None
    boost: float = 1.0


@dataclass(frozen=True)
class Fuzzy:
    text: str
    maxdist: int = 1  # as asked (word~2); what a backend allows: fuzzy_maxdist()
    prefix: int = 1  # leading characters that must match exactly
    field: Optional[str] = None
    boost: float = 1.0


@dataclass(frozen=True)
class Range:
    start: Optional[str]  # None: open
    end: Optional[str]
    start_incl: bool = True
    end_incl: bool = True
    field: Optional[str] = None
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]
    boost: float = 1.0
    # A coordination bonus for matching more children (Whoosh's Or scale); None: the plain sum of the
    # children's scores, which is what natural-language questions rank by.
    scale: Optional[float] = None


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class AndNot:
    positive: "Node"
    negative: "Node"


@dataclass(frozen=True)
class MatchAll:
    pass


Leaf = Union[Term, Phrase, Prefix, Wildcard, Fuzzy, Range]
Node = Union[Leaf, And, Or, Not, AndNot, MatchAll]
LEAVES = (Term, Phrase, Prefix, Wildcard, Fuzzy, Range)


def positive_leaves(node: Node | None):
    """Leaves that can match (not under a NOT)."""
    if node is None or isinstance(node, (Not, MatchAll)):
        return
    if isinstance(node, AndNot):
        yield from positive_leaves(node.positive)
    elif isinstance(node, (And, Or)):
        for child in node.children:
            yield from positive_leaves(child)
    else:
        yield node


@dataclass
class ParsedQuery:
    text: str  # the normalised query string
    query: Node | None  # None: match every document
    date_start: datetime | None = None
    date_end: datetime | None = None
    words: list[str] = field(default_factory=list)  # the plain words, for suggestions and fallbacks
    plain: bool = True  # no operators, fields or phrases: a candidate for the any-words fallback
    fallback: bool = False  # the parser could not read it; these are its plain words
    natural: bool = False  # a natural-language question: words OR-ed, ranked by coverage (see above)

    def loose_words(self) -> list[str]:
        """The words the any-words fallback ORs: the content words (stop words out), or all of them."""
        return [w for w in self.words if w.casefold() not in STOP] or self.words

    def any_words(self) -> Node | None:
        """The same words with OR (a match on more words ranks higher): the fallback for zero hits.
        Its terms, like a natural query's, join their tokens with OR."""
        terms = self.loose_words()
        if len(terms) < 2:
            return None
        return Or(tuple(Term(w) for w in terms))


def normalize_query(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def is_natural(text: str, fields: Fields = FIELDS) -> bool:
    """A question in plain words (LONG_QUERY content words or more, no operators): read as OR, not AND."""
    words = [w for w in _WORD.findall(text) if w.casefold() not in STOP]
    return len(words) >= LONG_QUERY and not _syntax(fields).explicit.search(text)


def parse_query(text: str, fields: Fields = FIELDS) -> ParsedQuery:
    """The query `text` means, for a backend with the field declaration `fields` (the fields a
    query may name, the record's)."""
    text = normalize_query(text)
    rest, start, end = _take_dates(text)
    if _all_caps(rest):  # typed in capitals: AND/OR/NOT are words, not operators
        rest = rest.lower()
    words = _WORD.findall(_RANGE.sub(" ", rest))
    words = [w for w in words if w not in ("AND", "OR", "NOT")]
    plain = not _OPERATORS.search(rest)
    if not _WORD.search(rest):  # nothing searchable left (empty, or only punctuation): match everything
        return ParsedQuery(text, None, start, end, words, plain)
    if len(words) >= PASTED_QUERY and not _DELIBERATE.search(rest):  # a pasted passage: its content words, OR-ed
        content = list(dict.fromkeys(w for w in words if w.casefold() not in STOP)) or words
        return ParsedQuery(text, _group([Term(w) for w in content], True), start, end, words, plain, natural=True)
    natural = is_natural(rest, fields)
    try:
        tree = _parse_lucene_leniently(_prepare(rest))
        q = _Converter(natural, _syntax(fields)).convert(tree)
        if q is None:
            raise ValueError("nothing searchable")
        if _only_negative(q):  # -x -y: every document but those with x or y
            q = _everything_but(q)
        return ParsedQuery(text, q, start, end, words, plain, natural=natural)
    except Exception:  # noqa: BLE001 - any parser failure falls back to the words, never an error
        if not words:
            return ParsedQuery(text, None, start, end, words, plain, fallback=True)
        return ParsedQuery(text, _group([Term(w) for w in words], natural), start, end, words, plain,
                           fallback=True, natural=natural)


def _all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(_WORD.findall(text)) > 1 and bool(letters) and not any(c.islower() for c in letters)


def _only_negative(q: Node) -> bool:
    if isinstance(q, Not):
        return True
    if isinstance(q, And):
        return all(isinstance(s, Not) for s in q.children)
    return False


def _everything_but(q: Not | And) -> AndNot:
    if isinstance(q, Not):
        return AndNot(MatchAll(), q.child)
    excluded = tuple(dict.fromkeys(c.child for c in q.children))
    return AndNot(MatchAll(), excluded[0] if len(excluded) == 1 else Or(excluded))


def _group(children: list[Node], natural: bool) -> Node:
    return children[0] if len(children) == 1 else (Or(tuple(children)) if natural else And(tuple(children)))


# -- luqum --------------------------------------------------------------------------------------
# ply's parser keeps its state on the (module-level) parser object: one parse at a time.
_LUQUM_LOCK = threading.Lock()
_LUQUM_SPECIAL = re.compile(r'([\\+\-&|!(){}\[\]^"~*?:/ ])')
# A single-quoted span is one word ('hello world'), as Whoosh's parser read it.
_SINGLE_QUOTED = re.compile(r"(^|(?<=\W))'(?P<text>.*?)'(?=\s|\]|[)}]|$)")
# "-" or "+" that is no operator (followed by a space, the end, or punctuation): a character to ignore.
_STRAY_SIGN = re.compile(r'(^|(?<=[\s(]))([-+])(?![\w"(])')
# "-word" is "NOT word" (luqum's own reading of a minus binds it to the word before: a OR b -c
# would be a OR (b -c)); "+word" is the word.
_MINUS = re.compile(r'(^|[\s(])-(?=[\w"(])')
_PLUS = re.compile(r'(^|[\s(])\+(?=[\w"(])')
# "name:" with nothing after it is a word ("what happened: ..."), not a field.
_DANGLING_COLON = re.compile(r":(?=\s|$)")


def _prepare(text: str) -> str:
    """The query text as luqum should read it: stray signs and single-quoted spans escaped."""
    # No escapes in our syntax (there were none in Whoosh's): a backslash is a character, and so
    # are < and > (no open-ended ranges), / (no regular expressions: /slip flow/ is two words, and
    # so is and/or one) and a + inside a word.
    text = re.sub(r"([\\<>/])", r"\\\1", text)
    text = _SINGLE_QUOTED.sub(lambda m: _LUQUM_SPECIAL.sub(r"\\\1", m.group("text")) if m.group("text").strip() else " ", text)
    text = re.sub(r"(?<!\\)'", r"\\'", text)  # an apostrophe is a character (luqum rejects one starting a word)
    text = _DANGLING_COLON.sub(r"\\:", text)
    text = _MINUS.sub(lambda m: m.group(1) + "NOT ", text)
    text = _PLUS.sub(lambda m: m.group(1), text)
    text = re.sub(r"(?<=[^\s(\\])([-+])", r"\\\1", text)  # inside a word (e-mail): a character
    return _STRAY_SIGN.sub(lambda m: "\\" + m.group(2), text)


def _parse_lucene(text: str):
    with _LUQUM_LOCK:
        return _luqum_parser.parse(text, lexer=_luqum_lexer)


def _parse_lucene_leniently(text: str):
    """luqum's tree of `text`, or failing that of `text` repaired: unbalanced parentheses and
    quotes dropped, operators with nothing to join dropped (a run of them keeps its last)."""
    try:
        return _parse_lucene(text)
    except Exception:  # noqa: BLE001 - luqum raises several kinds; try the repaired text
        repaired = _repair(text)
        if repaired == text:
            raise
        return _parse_lucene(repaired)


_OPERATOR_WORDS = ("AND", "OR", "NOT")


def _repair(text: str) -> str:
    # Empty groups: nothing to search.
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"(?<!\\)\(\s*\)", " ", text)
    # Quotes: an odd one out (the last) goes.
    quotes = [m.start() for m in re.finditer(r'(?<!\\)"', text)]
    if len(quotes) % 2:
        text = text[: quotes[-1]] + " " + text[quotes[-1] + 1:]
    # Parentheses outside quotes: a ")" with no "(" goes, and so does a "(" never closed.
    chars, opened, inside = list(text), [], False
    for i, c in enumerate(chars):
        if c == '"' and (i == 0 or chars[i - 1] != "\\"):
            inside = not inside
        elif inside or (i and chars[i - 1] == "\\"):
            continue
        elif c == "(":
            opened.append(i)
        elif c == ")":
            if opened:
                opened.pop()
            else:
                chars[i] = " "
    for i in opened:
        chars[i] = " "
    tokens = "".join(chars).split()
    if len(tokens) == 1 and tokens[0] in _OPERATOR_WORDS:  # "OR" alone is the word or
        return tokens[0].lower()
    out: list[str] = []
    for token in tokens:
        if token in _OPERATOR_WORDS:
            if out and out[-1] in _OPERATOR_WORDS:
                out[-1] = token
            elif out or token == "NOT":
                out.append(token)
        else:
            out.append(token)
    while out and out[-1] in _OPERATOR_WORDS:
        out.pop()
    return " ".join(out)


_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(r"\1", text)


def _has_wildcard(raw: str) -> bool:
    """An unescaped * or ? in a luqum word."""
    return bool(re.search(r"(?<!\\)(?:\\\\)*[*?]", raw))


class _Converter:
    """A luqum tree to our nodes. Empty leaves (no word characters) vanish; so do groups left empty."""

    def __init__(self, natural: bool, syntax: _Syntax) -> None:
        self.natural = natural
        self.syntax = syntax

    def convert(self, node, fieldname: str | None = None) -> Node | None:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise ValueError(f"unsupported syntax {type(node).__name__}")
        return method(node, fieldname)

    # operations
    def _children(self, node, fieldname):
        out = [self.convert(c, fieldname) for c in node.children]
        return [c for c in out if c is not None]

    def _implicit(self, node, fieldname):
        kids = self._children(node, fieldname)
        if not kids:
            return None
        return kids[0] if len(kids) == 1 else (Or(tuple(kids)) if self.natural else And(tuple(kids)))

    _UnknownOperation = _implicit

    def _AndOperation(self, node, fieldname):
        kids = self._children(node, fieldname)
        return (kids[0] if len(kids) == 1 else And(tuple(kids))) if kids else None

    def _OrOperation(self, node, fieldname):
        kids = self._children(node, fieldname)
        return (kids[0] if len(kids) == 1 else Or(tuple(kids))) if kids else None

    def _Group(self, node, fieldname):
        inner = self.convert(node.expr, fieldname)
        # A group of one: (x) is x. Otherwise the group is its operation's node.
        return inner

    _FieldGroup = _Group

    def _Not(self, node, fieldname):
        inner = self.convert(node.a, fieldname)
        if isinstance(inner, Not):  # NOT -x is x
            return inner.child
        return Not(inner) if inner is not None else None

    _Prohibit = _Not

    def _Plus(self, node, fieldname):
        return self.convert(node.a, fieldname)

    def _Boost(self, node, fieldname):
        inner = self.convert(node.expr, fieldname)
        if inner is None or not hasattr(inner, "boost"):
            return inner
        return dataclasses.replace(inner, boost=inner.boost * float(node.force if node.force is not None else 1))

    def _SearchField(self, node, fieldname):
        name = node.name.lower()
        name = _FIELD_ALIASES.get(name, name)
        if name in self.syntax.query_fields:
            return self.convert(node.expr, name)
        if name in self.syntax.record_fields:  # id:abc, published:"x y": a search for the value's words
            words = _WORD.findall(str(node.expr))
            return _group([Term(w, fieldname) for w in words], False) if words else None
        # Any other name is a word of the text: nofield:x is the term "nofield:x".
        expr = node.expr
        if isinstance(expr, lt.Word):
            return self._word(node.name + ":" + expr.value, fieldname, raw=node.name + ":" + expr.value)
        if isinstance(expr, lt.Phrase):
            return self._phrase_text(node.name + " " + expr.value[1:-1], fieldname, 1)
        inner = self.convert(expr, fieldname)
        head = Term(node.name, fieldname)
        return head if inner is None else _join(head, inner, self.natural)

    # leaves
    def _Word(self, node, fieldname):
        return self._word(_unescape(node.value), fieldname, raw=node.value)

    def _word(self, text: str, fieldname, raw: str) -> Node | None:
        if not _WORD.search(text):
            return None
        if _has_wildcard(raw):
            # Expansions shorter than MIN_PREFIX stay what they are here: the backend reads them as
            # plain terms once analysed (a stem can be shorter than its word).
            if text.endswith("*") and len(text) > 1 and not re.search(r"[*?]", text[:-1]):
                return Prefix(text[:-1], fieldname)
            return Wildcard(text, fieldname)
        return Term(text, fieldname)

    def _Phrase(self, node, fieldname):
        return self._phrase_text(_unescape(node.value[1:-1]), fieldname, 1)

    def _phrase_text(self, text: str, fieldname, slop: int):
        words = tuple(text.split())
        if not _WORD.search(text):
            return None
        return Phrase(words, fieldname, slop)

    def _Proximity(self, node, fieldname):
        phrase = self.convert(node.term, fieldname)
        if isinstance(phrase, Phrase):
            return dataclasses.replace(phrase, slop=max(1, int(node.degree)))
        return phrase

    def _Fuzzy(self, node, fieldname):
        term = self.convert(node.term, fieldname)
        if not isinstance(term, Term):
            return term
        degree = node.degree
        asked = 1 if node._implicit_degree or degree != degree.to_integral_value() else int(degree)
        # As asked: the backend applies fuzzy_maxdist and MIN_FUZZY to the analysed term.
        return Fuzzy(term.text, asked, 1, fieldname, term.boost)

    def _Range(self, node, fieldname):
        low, high = self._bound(node.low), self._bound(node.high)
        return Range(low, high, bool(node.include_low), bool(node.include_high), fieldname)

    def _From(self, node, fieldname):
        return Range(self._bound(node.a), None, bool(node.include), True, fieldname)

    def _To(self, node, fieldname):
        return Range(None, self._bound(node.a), True, bool(node.include), fieldname)

    @staticmethod
    def _bound(node) -> str | None:
        value = getattr(node, "value", None)
        if value is None:
            return None
        if isinstance(node, lt.Phrase):
            value = value[1:-1]
        return _unescape(str(value))


def _join(a: Node, b: Node, natural: bool) -> Node:
    return Or((a, b)) if natural else And((a, b))


# -- dates --------------------------------------------------------------------------------------
def date_range_error(text: str) -> str | None:
    """Why the query's date range (published:[a TO b]) cannot be read, or None when it can (or
    there is none). A bound is YYYY, YYYY-MM, YYYY-MM-DD or a date-time, or * (or nothing) for an open end; a
    range with any other bound would otherwise be dropped and the search run over every date."""
    m = _RANGE.search(normalize_query(text))
    if not m:
        return None
    for bound in (m.group(2), m.group(3)):
        if bound not in ("", "*") and _date_bounds(bound) is None:
            return (f"Cannot read the date range {m.group(0)!r}: {bound!r} is not a date; give each end as YYYY, "
                    "YYYY-MM, YYYY-MM-DD or an ISO 8601 date-time (0001 to 9999), or * for an open end.")
    return None


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


_FIRST = datetime.min.replace(tzinfo=timezone.utc)
_LAST = datetime.max.replace(tzinfo=timezone.utc)  # the end of 9999-12-31 (10000-01-01 has no datetime)


def _date_bounds(value: str) -> tuple[datetime, datetime] | None:
    """[start, end) of a YYYY, YYYY-MM or YYYY-MM-DD value in UTC, or the instant of an ISO 8601
    date-time; None for '*' or what is no date (2020-13, year 0 or 10000). A period ending past
    9999-12-31 ends at the last instant there is."""
    text = value.strip()
    parts = text.split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            first, unit = date(int(parts[0]), 1, 1), "year"
        elif len(parts) == 2:
            first, unit = date(int(parts[0]), int(parts[1]), 1), "month"
        elif len(parts) == 3 and "T" not in parts[2] and ":" not in parts[2]:
            first, unit = date(int(parts[0]), int(parts[1]), int(parts[2])), "day"
        else:
            return _instant(text)
    except (ValueError, OverflowError):
        return None
    try:
        if unit == "year":
            following = date(first.year + 1, 1, 1)
        elif unit == "month":
            following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        else:
            following = first + timedelta(days=1)
    except (ValueError, OverflowError):  # the period ends with the calendar
        return _utc(first), _LAST
    return _utc(first), _utc(following)


def _instant(text: str) -> tuple[datetime, datetime] | None:
    """[t, t + 1 µs) for an ISO 8601 date-time t (no offset: UTC), clamped to the calendar's ends."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    try:
        utc = moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first UTC instant; 9999-12-31T23:59-01:00 after the last
        utc = _FIRST if moment.year == 1 else _LAST
    return utc, (utc + timedelta(microseconds=1) if utc < _LAST else _LAST)


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def first_clauses(node, budget: int = MAX_CLAUSES):
    """`node` with only its first `budget` leaves (in the order typed); groups left empty vanish.
    None when nothing is left. Every backend bounds a query this way before compiling it."""
    left = [budget]

    def keep(n):
        if isinstance(n, LEAVES):
            if left[0] <= 0:
                return None
            left[0] -= 1
            return n
        if isinstance(n, (And, Or)):
            kids = tuple(k for k in (keep(c) for c in n.children) if k is not None)
            if not kids:
                return None
            return kids[0] if len(kids) == 1 else dataclasses.replace(n, children=kids)
        if isinstance(n, Not):
            child = keep(n.child)
            return None if child is None else Not(child)
        if isinstance(n, AndNot):
            positive, negative = keep(n.positive), keep(n.negative)
            if positive is None:
                return None
            return positive if negative is None else AndNot(positive, negative)
        return n  # MatchAll

    return keep(node)


def date_window(request, parsed: ParsedQuery) -> tuple[datetime | None, datetime | None]:
    """The publication window a search asks for (a SearchRequest's `from`/`to`, both days
    inclusive, narrowing the query's own date range): [start, end), either None when open."""
    start, end = parsed.date_start, parsed.date_end
    if request.date_from is not None:
        lo = day_start(request.date_from)
        start = lo if start is None else max(start, lo)
    if request.date_to is not None:  # inclusive day
        try:
            hi = day_start(request.date_to) + timedelta(days=1)
        except OverflowError:  # to=9999-12-31, the last day there is: every dated article is before its end
            hi = datetime.max.replace(tzinfo=timezone.utc)
        end = hi if end is None else min(end, hi)
    return start, end


def day_start(d: date) -> datetime:
    if isinstance(d, datetime):
        return d if d.tzinfo else d.replace(tzinfo=timezone.utc)
    return datetime.combine(d, datetime.min.time(), tzinfo=timezone.utc)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how a "did you mean" correction is chosen, the nearest first."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
