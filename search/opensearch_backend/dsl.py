"""Our query representation (search/query.py) to OpenSearch's query DSL, and the rest of a search
body: filters, disjunctive facets, the date histogram, highlights, sort and the recency boost.

The tree follows search/whoosh_backend/compile.py: an unfielded leaf is a `bool.should` of one
query per free-text field (FIELDS.query_fields) with that field's weight (FIELDS.weights), the
node's boost on the whole; a term's tokens are all required (`operator: and`), or any of them in a
natural query; stop words are dropped from free-text terms (phrases keep theirs; a query of only
stop words keeps them); a query keeps its first MAX_CLAUSES leaves, a phrase its first
MAX_PHRASE_WORDS words; prefixes and wildcards need MIN_PREFIX literal characters, fuzzy terms
MIN_FUZZY (shorter ones are plain terms), with fuzzy_maxdist's edit distance. The analysis itself
is the cluster's (the mapping's analyzers), so no stemmer runs here.

Disjunctive facets: the facet selections go in `post_filter` (they narrow the hits), and each
facet's counts come from a `filter` aggregation holding the *other* facets' selections. The query,
the date window and the base filters (a scoped key's) are in the query itself, so every count is
within them."""
from __future__ import annotations

import dataclasses
import math
import re
from datetime import datetime, timedelta, timezone

from .. import query as q
from ..fields import DATE_FACET, Fields
from ..query import MIN_FUZZY, MIN_PREFIX, STOP, ParsedQuery, first_clauses, fuzzy_maxdist
from ..stopwords import ALWAYS_DROPPED
from ..request import SearchRequest
from .mapping import TEXT_FIELDS, text_field_of

MAX_PHRASE_WORDS = 12
MAX_EXPANSIONS = 64  # terms a fuzzy match expands to
AUTO_MAX_BUCKETS = 60  # auto: the finest interval whose span of the matches is at most this many buckets
_WORD = re.compile(r"\w+", re.UNICODE)
MATCH_ALL = {"match_all": {}}
MATCH_NONE = {"match_none": {}}


# -- the query --------------------------------------------------------------------------------------
def compile_query(parsed: ParsedQuery, fields: Fields) -> dict | None:
    """The DSL of a parsed query (None: every document)."""
    if parsed.query is None:
        return None
    out = compile_node(parsed.query, fields, natural=parsed.natural)
    if out is None and parsed.words:
        words = [q.Term(w) for w in parsed.words]
        node = words[0] if len(words) == 1 else (q.Or(tuple(words)) if parsed.natural else q.And(tuple(words)))
        out = compile_node(node, fields, natural=parsed.natural)
    return out


def compile_node(node, fields: Fields, *, natural: bool = False) -> dict | None:
    if node is None:
        return None
    node = first_clauses(node)
    if node is None:
        return None
    node = strip_stop(node, fields)
    if node is None:
        return None
    return _Compiler(fields, natural).build(node)


def _is_stop(node, fields: Fields) -> bool:
    if not isinstance(node, q.Term):
        return False
    if node.field is not None and node.field not in fields.query_fields:
        return False
    return _only_stop_words(node.text)


def _only_stop_words(text: str) -> bool:
    words = _WORD.findall(text)
    return bool(words) and all(w.casefold() in STOP for w in words)


@dataclasses.dataclass(frozen=True)
class Optional:
    """Function words of a keyword query outside Lucene's stop set (what, could, own...): not
    required, counted where a document has them (search/stopwords.py)."""

    required: object
    optional: tuple


def _is_weak(node, fields: Fields) -> bool:
    return _is_stop(node, fields) and not all(w.casefold() in ALWAYS_DROPPED for w in _WORD.findall(node.text))


def strip_stop(node, fields: Fields):
    """Stop words out of And/Or groups (a group of only stop words keeps them); an And keeps its
    weak ones as optional clauses."""
    if isinstance(node, (q.And, q.Or)):
        kept = tuple(strip_stop(c, fields) for c in node.children if not _is_stop(c, fields))
        kept = tuple(k for k in kept if k is not None)
        if not kept:
            return node
        required = kept[0] if len(kept) == 1 and node.boost == 1.0 else dataclasses.replace(node, children=kept)
        weak = tuple(c for c in node.children if _is_weak(c, fields)) if isinstance(node, q.And) else ()
        return Optional(required, weak) if weak else required
    if isinstance(node, q.Not):
        child = strip_stop(node.child, fields)
        return None if child is None else q.Not(child)
    if isinstance(node, q.AndNot):
        positive, negative = strip_stop(node.positive, fields), strip_stop(node.negative, fields)
        if positive is None:
            return None
        return positive if negative is None else q.AndNot(positive, negative)
    return node


def _boosted(body: dict, boost: float) -> dict:
    if boost != 1.0 and "bool" in body:
        body["bool"]["boost"] = boost
    elif boost != 1.0:
        body = {"bool": {"must": [body], "boost": boost}}
    return body


class _Compiler:
    def __init__(self, fields: Fields, natural: bool) -> None:
        self.fields = fields
        self.natural = natural
        self.weights = fields.weights

    def build(self, node) -> dict | None:
        if isinstance(node, q.And):
            must, must_not = [], []
            for child in node.children:
                if isinstance(child, q.Not):
                    inner = self.build(child.child)
                    if inner is not None:
                        must_not.append(inner)
                else:
                    inner = self.build(child)
                    if inner is not None:
                        must.append(inner)
            if not must and not must_not:
                return None
            body = {"bool": {"must": must or [MATCH_ALL], **({"must_not": must_not} if must_not else {})}}
            return _boosted(body, node.boost)
        if isinstance(node, q.Or):
            should = [b for b in (self.build(c) for c in node.children) if b is not None]
            if not should:
                return None
            return _boosted({"bool": {"should": should, "minimum_should_match": 1}}, node.boost)
        if isinstance(node, q.Not):
            inner = self.build(node.child)
            return None if inner is None else {"bool": {"must": [MATCH_ALL], "must_not": [inner]}}
        if isinstance(node, q.AndNot):
            positive, negative = self.build(node.positive), self.build(node.negative)
            if positive is None:
                return None
            return positive if negative is None else {"bool": {"must": [positive], "must_not": [negative]}}
        if isinstance(node, q.MatchAll):
            return dict(MATCH_ALL)
        if isinstance(node, Optional):
            required = self.build(node.required)
            optional = [b for b in (self.build(c) for c in node.optional) if b is not None]
            if required is None or not optional:
                return required
            return {"bool": {"must": [required], "should": optional}}
        if isinstance(node, q.LEAVES):
            if node.field is not None:
                return self.leaf(node, node.field, node.boost)
            should = [b for b in (self.leaf(node, name, self.weights.get(name, 1.0))
                                  for name in self.fields.query_fields) if b is not None]
            if not should:
                return None
            return _boosted({"bool": {"should": should, "minimum_should_match": 1}}, node.boost)
        raise TypeError(f"not a query node: {node!r}")

    def leaf(self, node, name: str, boost: float) -> dict | None:
        field = text_field_of(name)
        if isinstance(node, q.Term):
            if name == "title" and _only_stop_words(node.text):
                field = "title.plain"  # the english analyzer drops them; a query of only stop words keeps them
            return {"match": {field: {"query": node.text, "operator": "or" if self.natural else "and", "boost": boost}}}
        if isinstance(node, q.Phrase):
            words = " ".join(node.words[:MAX_PHRASE_WORDS])
            return {"match_phrase": {field: {"query": words, "slop": max(0, node.slop - 1), "boost": boost}}}
        if isinstance(node, q.Prefix):
            text = node.text.lower()
            if len(text) < MIN_PREFIX:
                return self.leaf(q.Term(node.text, node.field), name, boost)
            return {"prefix": {field: {"value": text, "boost": boost}}}
        if isinstance(node, q.Wildcard):
            pattern = node.pattern.lower()
            literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
            if len(literal) < MIN_PREFIX:
                stripped = re.sub(r"[*?]", "", node.pattern)
                return self.leaf(q.Term(stripped, node.field), name, boost) if _WORD.search(stripped) else None
            return {"wildcard": {field: {"value": pattern, "boost": boost}}}
        if isinstance(node, q.Fuzzy):
            if len(node.text) < MIN_FUZZY:
                return self.leaf(q.Term(node.text, node.field), name, boost)
            return {"match": {field: {"query": node.text, "operator": "or" if self.natural else "and",
                                      "fuzziness": fuzzy_maxdist(node.text, node.maxdist),
                                      "prefix_length": max(node.prefix, 1), "max_expansions": MAX_EXPANSIONS,
                                      "boost": boost}}}
        if isinstance(node, q.Range):
            target = field if name in TEXT_FIELDS else name  # a facet's range: over its exact values
            bounds: dict = {}
            if node.start is not None:
                bounds["gte" if node.start_incl else "gt"] = node.start.lower() if name in TEXT_FIELDS else node.start
            if node.end is not None:
                bounds["lte" if node.end_incl else "lt"] = node.end.lower() if name in TEXT_FIELDS else node.end
            return {"range": {target: {**bounds, "boost": boost}}} if bounds else {"exists": {"field": target}}
        raise TypeError(f"not a leaf: {node!r}")


# -- filters ----------------------------------------------------------------------------------------
def terms_filter(name: str, values) -> dict:
    return {"terms": {name: list(values)}}


def base_filter_clauses(base_filters) -> list[dict]:
    """A scoped key's restrictions: within each facet, only these values (none allowed: nothing)."""
    return [terms_filter(name, values) if values else MATCH_NONE for name, values in base_filters.items()]


def date_clause(start: datetime | None, end: datetime | None) -> dict | None:
    if start is None and end is None:
        return None
    bounds = {}  # dates are held to the millisecond: a bound between two is rounded up
    if start is not None:
        bounds["gte"] = _millis(start, up=True)
    if end is not None:
        bounds["lt"] = _millis(end, up=True)
    return {"range": {"published": {**bounds, "format": "epoch_millis"}}}


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _millis(moment: datetime, up: bool = False) -> int:
    delta = moment - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return -(-micros // 1000) if up else micros // 1000


# -- sort, recency, highlights ------------------------------------------------------------------------
def sort_clause(sort: str, relevance: bool) -> list:
    """Newest/oldest by date (undated last) with the id as tiebreak; relevance: score, then newest."""
    newest = {"published": {"order": "desc", "missing": "_last"}}
    oldest = {"published": {"order": "asc", "missing": "_last"}}
    tiebreak = {"id": {"order": "asc"}}
    if sort == "oldest":
        return [oldest, tiebreak]
    if sort == "newest" or not relevance:
        return [newest, tiebreak]
    return ["_score", newest, tiebreak]


def recency(query: dict, days: float, now: datetime, decay: float = 0.5, floor: float = 0.3) -> dict:
    """The Elasticsearch gauss decay on age the Whoosh backend applies: at `days` old a document
    keeps `decay` of the boost; the score is multiplied by floor + (1 - floor) x decay (undated: floor)."""
    scale_ms = max(1, int(days * 86_400_000)) if days < 1e12 else 10 ** 17
    return {"function_score": {
        "query": query,
        "functions": [
            {"filter": {"exists": {"field": "published"}},
             "gauss": {"published": {"origin": _millis(now), "scale": f"{scale_ms}ms", "decay": decay}},
             "weight": 1 - floor},
            {"weight": floor},
        ],
        "score_mode": "sum",
        "boost_mode": "multiply",
    }}


FRAGMENT_CHARS = 180
HIGHLIGHT_CHARS = 100_000


def highlight_clause() -> dict:
    return {
        "pre_tags": ["<mark>"], "post_tags": ["</mark>"], "encoder": "html", "type": "plain",
        "max_analyzer_offset": HIGHLIGHT_CHARS,
        "fields": {
            "title": {"number_of_fragments": 0},
            "body": {"fragment_size": FRAGMENT_CHARS, "number_of_fragments": 3},
        },
    }


# -- facets -----------------------------------------------------------------------------------------
def facet_aggregations(request: SearchRequest, fields: Fields) -> dict:
    """One filter aggregation per facet asked for: the other facets' selections, then its terms."""
    selections = {name: values for name, values in request.filters.items() if values}
    aggs = {}
    for name in request.facets:
        others = [terms_filter(n, v) for n, v in selections.items() if n != name]
        flt = {"bool": {"filter": others}} if others else MATCH_ALL
        if name == DATE_FACET:
            inner = {"first": {"min": {"field": "published"}}, "last": {"max": {"field": "published"}}}
            if request.date_interval != "auto":
                inner["histogram"] = histogram_agg(request.date_interval)
        else:
            terms: dict = {"field": name, "size": max(1, request.facet_size), "shard_size": max(100, request.facet_size * 5)}
            allowed = request.base_filters.get(name)
            if allowed is not None:
                terms["include"] = list(allowed) or ["\x00"]
            inner = {"values": {"terms": terms}}
            chosen = selections.get(name)
            if chosen:  # the selected values are counted even when not in the top
                inner["selected"] = {"filter": terms_filter(name, chosen), "aggs": {"values": {"terms": {
                    "field": name, "include": list(chosen), "size": len(chosen)}}}}
        aggs[f"f_{name}"] = {"filter": flt, "aggs": inner}
    return aggs


def histogram_agg(interval: str) -> dict:
    return {"date_histogram": {"field": "published", "calendar_interval": interval, "min_doc_count": 1,
                               "time_zone": "UTC", "order": {"_key": "desc"}}}


def _months(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


def auto_interval(first: datetime, last: datetime) -> str:
    """The Whoosh backend's auto rule (columns.date_histogram): the finest of day, week (Monday-based),
    month, year whose span of the matching dates is under AUTO_MAX_BUCKETS buckets."""
    low, high = _days(first), _days(last)
    if high - low < AUTO_MAX_BUCKETS:
        return "day"
    if (high + 3) // 7 - (low + 3) // 7 < AUTO_MAX_BUCKETS:
        return "week"
    return "month" if _months(last) - _months(first) < AUTO_MAX_BUCKETS else "year"


def _days(moment: datetime) -> int:
    return math.floor(_millis(moment) / 86_400_000)


def bucket_label(key_ms: int, interval: str) -> str:
    """A histogram bucket's value: YYYY-MM-DD, YYYY-Www (ISO week), YYYY-MM or YYYY."""
    day = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=key_ms)
    if interval == "day":
        return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
    if interval == "week":
        year, week, _ = day.date().isocalendar()
        return f"{year:04d}-W{week:02d}"
    if interval == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}"
