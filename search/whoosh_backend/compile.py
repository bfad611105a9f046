"""Our query representation (search/query.py) to Whoosh queries.

The tree is the one Whoosh's MultifieldParser built for the same text before the engine had a
representation of its own (tests/search/whoosh_backend/test_compile.py holds that parser as the
oracle): an unfielded leaf is an Or of one query per free-text field, each with its field's weight
(FIELDS.weights) and the node's boost on the Or; each field's analyzer (schema.py) turns the text
into terms; a term that analyses into several tokens joins them with And (Or in a natural query);
the tree is normalized as Whoosh normalizes; stop words are dropped as the query module describes;
expansions become the bounded classes below.

Expansions are bounded: each expands to at most MAX_EXPANSIONS terms, the most frequent of the first
SCAN_LIMIT terms it matches, so no query walks the whole vocabulary; and the whole query is bounded
(budget.py): the expansions on one field share QUERY_EXPANSIONS terms and QUERY_SCAN vocabulary
entries, a query keeps its first MAX_CLAUSES leaves, a phrase its first MAX_PHRASE_WORDS words.
`expand` is the one way to the terms an expansion stands for (masks, highlights)."""
from __future__ import annotations

import heapq
import re
from functools import lru_cache

from whoosh import query as wq
from whoosh.qparser.common import get_single_text

from .. import query as q
from ..fields import FIELDS
from ..query import MIN_FUZZY, MIN_PREFIX, STOP, ParsedQuery, first_clauses, fuzzy_maxdist
from ..stopwords import ALWAYS_DROPPED
from .budget import MAX_EXPANSIONS, MAX_PHRASE_WORDS, QUERY_EXPANSIONS, QUERY_SCAN, SCAN_LIMIT
from .schema import NAME_ANALYZER, schema_for, text_key


# -- bounded expansions -------------------------------------------------------------------------
class _Bounded:
    """An expansion to at most `limit` terms, the most frequent of the first `scan` it matches:
    MAX_EXPANSIONS and SCAN_LIMIT alone, less when other expansions of the query share the budget."""

    limit = MAX_EXPANSIONS
    scan = SCAN_LIMIT

    def expanded_in(self, ixreader) -> bool:
        """Whether the terms for `ixreader` are known already (asking for them costs nothing)."""
        return (id(ixreader), self.scan, self.limit) in self.__dict__.get("_expanded", {})

    def _btexts(self, ixreader):
        # Remembered per reader: the match set, the ranking and the highlights ask for the same terms.
        expanded = self.__dict__.setdefault("_expanded", {})
        key = (id(ixreader), self.scan, self.limit)
        found = expanded.get(key)
        if found is None:
            found = expanded[key] = _most_frequent(ixreader, self.fieldname, super()._btexts(ixreader), self.scan, self.limit)
        return found


class BoundedPrefix(_Bounded, wq.Prefix):
    pass


class BoundedWildcard(_Bounded, wq.Wildcard):
    pass


class BoundedFuzzy(_Bounded, wq.FuzzyTerm):
    pass


class BoundedTermRange(_Bounded, wq.TermRange):
    pass


BOUNDED = (BoundedPrefix, BoundedWildcard, BoundedFuzzy, BoundedTermRange)


def _most_frequent(ixreader, fieldname, btexts, scan_limit: int = SCAN_LIMIT, limit: int = MAX_EXPANSIONS):
    candidates = []
    for i, btext in enumerate(btexts):
        if i >= scan_limit:
            break
        candidates.append((ixreader.doc_frequency(fieldname, btext), btext))
    return [b for _, b in heapq.nlargest(limit, candidates)]


def share_budget(query) -> None:
    """Split QUERY_EXPANSIONS and QUERY_SCAN among the expansions of `query` on each field."""
    by_field: dict[str, list] = {}
    for leaf in _all_leaves(query):
        if isinstance(leaf, BOUNDED):
            by_field.setdefault(leaf.fieldname, []).append(leaf)
    for leaves in by_field.values():
        n = len(leaves)
        for leaf in leaves:
            leaf.limit = max(1, min(MAX_EXPANSIONS, QUERY_EXPANSIONS // n))
            leaf.scan = max(leaf.limit, min(SCAN_LIMIT, QUERY_SCAN // n))


def _all_leaves(query):
    if query is None:
        return
    if isinstance(query, wq.Query) and not query.is_leaf():
        for child in query.children():
            yield from _all_leaves(child)
    else:
        yield query


def is_expansion(leaf) -> bool:
    return isinstance(leaf, wq.MultiTerm) and not isinstance(leaf, wq.Phrase)


def expand(leaf, reader) -> list[str]:
    """The terms (text) a compiled leaf stands for in `reader`: an expansion's bounded terms, a
    phrase's words, a term's text; [] for anything else or a field this index lacks."""
    if isinstance(leaf, wq.Phrase):
        return [str(w) for w in leaf.words]
    if is_expansion(leaf):
        try:
            return [b.decode("utf-8") if isinstance(b, bytes) else b for b in leaf._btexts(reader)]
        except Exception:  # noqa: BLE001 - a field missing from this index expands to nothing
            return []
    if isinstance(leaf, wq.Term):
        return [str(leaf.text)]
    return []


def positive_leaves(query):
    """Leaf queries of a compiled query that can match (not under a NOT)."""
    if query is None or isinstance(query, wq.Not):
        return
    if isinstance(query, wq.AndNot):
        yield from positive_leaves(query.a)
        return
    if isinstance(query, (wq.AndMaybe, wq.Require)):
        yield from positive_leaves(query.a)
        yield from positive_leaves(query.b)
        return
    if isinstance(query, wq.CompoundQuery):
        for sub in query.subqueries:
            yield from positive_leaves(sub)
        return
    if isinstance(query, wq.WrappingQuery):
        yield from positive_leaves(query.child)
        return
    yield query


def matched_keys(query, reader, expired=lambda: False) -> frozenset[str]:
    """The term keys (schema.text_key: what a word of text is in the title/body terms) that count
    as a match for highlighting: the positive leaves' terms, expansions resolved in `reader`. Once
    `expired()` (the search's deadline), only expansions already resolved count: resolving the rest
    can take longer than the search had."""
    keys: set[str] = set()
    for leaf in positive_leaves(query):
        fieldname = getattr(leaf, "fieldname", None)
        if isinstance(leaf, _Bounded) and not leaf.expanded_in(reader) and expired():
            continue
        for text in expand(leaf, reader):
            # Name fields hold unstemmed words; title/body hold stems. Key everything as a stem.
            keys.add(text if fieldname in ("title", "body") else text_key(text))
    return frozenset(keys)


# -- compiling --------------------------------------------------------------------------------
class Compiler:
    """Compiles our nodes against one field declaration and its Whoosh schema."""

    def __init__(self, fields=FIELDS) -> None:
        self.fields = fields
        self.schema = schema_for(fields)
        self.query_fields = fields.query_fields
        self.weights = fields.weights

    def compile(self, parsed: ParsedQuery):
        """The Whoosh query of a parsed query (None: every document)."""
        if parsed.query is None:
            return None
        out = self.compile_node(parsed.query, natural=parsed.natural)
        if out is None and parsed.words:
            # Nothing searchable once analysed: the plain words, as a query the parser could not read.
            words = [q.Term(w) for w in parsed.words]
            node = words[0] if len(words) == 1 else (q.Or(tuple(words)) if parsed.natural else q.And(tuple(words)))
            out = self.compile_node(node, natural=parsed.natural)
        return out

    def compile_node(self, node, *, natural: bool = False):
        """Whoosh's query for one of our nodes; None when nothing in it is searchable. `natural`:
        the tokens of a term that analyses into several are OR-ed (else AND-ed)."""
        if node is None:
            return None
        node = first_clauses(node)
        if node is None:
            return None
        built = self._build(node, natural)
        if built is None:
            return None
        out = _bounded(self._strip_stop(built.normalize()))
        if _is_empty(out):
            return None
        if _only_negative(out):  # stop words gone, only exclusions left: every document but those
            out = wq.AndNot(wq.Every(), out.query if isinstance(out, wq.Not) else wq.Or([s.query for s in out.subqueries]))
        share_budget(out)
        return out

    # -- building: the parser's tree, before normalizing
    def _build(self, node, natural):
        if isinstance(node, q.And):
            return wq.And(self._subs(node.children, natural), boost=node.boost)
        if isinstance(node, q.Or):
            return wq.Or(_flat_or(self._subs(node.children, natural)), boost=node.boost, scale=node.scale)
        if isinstance(node, q.Not):
            inner = self._build(node.child, natural)
            return wq.Not(inner) if inner is not None else None
        if isinstance(node, q.AndNot):
            a, b = self._build(node.positive, natural), self._build(node.negative, natural)
            if a is None:
                return None
            return a if b is None else wq.AndNot(a, b)
        if isinstance(node, q.MatchAll):
            return wq.Every()
        if isinstance(node, q.LEAVES):
            if node.field is not None:
                return self._leaf(node, node.field, node.boost, natural)
            subs = [self._leaf(node, name, self.weights.get(name, 1.0), natural) for name in self.query_fields]
            return wq.Or([s for s in subs if s is not None], boost=node.boost)
        raise TypeError(f"not a query node: {node!r}")

    def _subs(self, children, natural):
        subs = [self._build(c, natural) for c in children]
        return [s for s in subs if s is not None]

    def _leaf(self, node, fieldname: str, boost: float, natural: bool):
        if isinstance(node, q.Term):
            return self._term(fieldname, node.text, wq.Term, boost, natural, tokenize=True)
        if isinstance(node, q.Prefix):
            return self._term(fieldname, node.text, wq.Prefix, boost, natural)
        if isinstance(node, q.Wildcard):
            return self._term(fieldname, node.pattern, wq.Wildcard, boost, natural)
        if isinstance(node, q.Fuzzy):
            out = self._term(fieldname, node.text, wq.FuzzyTerm, boost, natural)
            if out is not None:
                out.maxdist, out.prefixlength = node.maxdist, node.prefix
            return out
        if isinstance(node, q.Phrase):
            field = self.schema[fieldname]
            words = [t.text for t in field.tokenize(" ".join(node.words), mode="query")][:MAX_PHRASE_WORDS]
            return wq.Phrase(fieldname, words, slop=node.slop, boost=boost)
        if isinstance(node, q.Range):
            field = self.schema[fieldname]
            start = get_single_text(field, node.start, tokenize=False, removestops=False) if node.start else node.start
            end = get_single_text(field, node.end, tokenize=False, removestops=False) if node.end else node.end
            return wq.TermRange(fieldname, start, end, not node.start_incl, not node.end_incl, boost=boost)
        raise TypeError(f"not a leaf: {node!r}")

    def _term(self, fieldname, text, termclass, boost, natural, tokenize=False):
        """Whoosh's QueryParser.term_query: the field's analyzer, several tokens joined."""
        field = self.schema[fieldname]
        texts = list(field.process_text(text, mode="query", tokenize=tokenize, removestops=tokenize))
        terms = [termclass(fieldname, t, boost=boost) for t in texts]
        if tokenize and termclass is wq.Term:
            # A stop word is a word as typed, not its stem: "used" and "useful" stem to "us", a stop
            # word, and "was" to "wa", not one. The surface tokens are the same tokens unstemmed.
            surface = [t.text for t in NAME_ANALYZER(text)]
            if len(surface) == len(terms):
                for term, word in zip(terms, surface):
                    term.stop = word in STOP
                    term.weak = word not in ALWAYS_DROPPED  # a stop word that still counts, optionally
        if len(terms) > 1:
            qclass = wq.Or if natural else wq.And
            return qclass(terms)
        if not terms:
            return None
        return terms[0]

    # -- stop words
    def _strip_stop(self, query):
        """Drop stop words from free-text terms (phrases keep theirs; a query of only stop words keeps them)."""
        query_fields = self.query_fields

        def is_stop(node) -> bool:
            if isinstance(node, wq.Term):
                return node.fieldname in query_fields and getattr(node, "stop", str(node.text) in STOP)
            if isinstance(node, (wq.Or, wq.DisjunctionMax)):  # one word across fields
                return bool(node.subqueries) and all(is_stop(s) for s in node.subqueries)
            return False

        def is_weak(node) -> bool:
            if isinstance(node, wq.Term):
                return getattr(node, "weak", False)
            return bool(node.subqueries) and all(is_weak(s) for s in node.subqueries)

        def walk(node):
            if isinstance(node, wq.And):
                kept = [walk(s) for s in node.subqueries if not is_stop(s)]
                if not kept:
                    return node
                required = wq.And(kept, boost=node.boost) if len(kept) > 1 else kept[0]
                # Function words other than Lucene's stop set: not required, counted where present.
                optional = [s for s in node.subqueries if is_stop(s) and is_weak(s)]
                if optional:
                    return wq.AndMaybe(required, wq.Or(optional) if len(optional) > 1 else optional[0])
                return required
            if isinstance(node, wq.Or) and not is_stop(node):
                kept = [walk(s) for s in node.subqueries if not is_stop(s)] or node.subqueries
                return node.__class__(kept, boost=node.boost, **({"scale": node.scale} if getattr(node, "scale", None) else {}))
            return _apply(node, walk) if hasattr(node, "apply") else node

        return walk(query).normalize()


def _flat_or(subs: list) -> list:
    """The clauses of an Or as Whoosh's normalize flattens them, built directly for the common case:
    a word's Or of terms over the query fields is merged into its parent, each term's boost times
    the word's. normalize would do the same through a deep copy of every term (with_boost): for a
    pasted passage, hundreds of copies, 40% of the search. Other clauses are left to normalize."""
    out = []
    for sub in subs:
        if type(sub) is wq.Or and all(type(t) is wq.Term for t in sub.subqueries):
            for t in sub.subqueries:
                flat = wq.Term(t.fieldname, t.text, boost=t.boost * sub.boost)
                flat.__dict__.update((k, v) for k, v in t.__dict__.items() if k in ("stop", "weak"))
                out.append(flat)
        else:
            out.append(sub)
    return out


def _apply(node, fn):
    """`node.apply(fn)`, keeping what Whoosh's apply forgets (an Or's scale, a DisjunctionMax's tiebreak)."""
    out = node.apply(fn)
    if isinstance(node, wq.DisjunctionMax) and isinstance(out, wq.DisjunctionMax):
        out.tiebreak = node.tiebreak
    elif isinstance(node, wq.Or) and isinstance(out, wq.Or) and getattr(node, "scale", None):
        out.scale = node.scale
    return out


def _bounded(query):
    """Replace expansions with bounded ones; expansions too short to be useful become plain terms."""
    if isinstance(query, wq.Prefix):
        if len(query.text) < MIN_PREFIX:
            return wq.Term(query.fieldname, query.text, boost=query.boost)
        return BoundedPrefix(query.fieldname, query.text, boost=query.boost)
    if isinstance(query, wq.Wildcard):
        literal = re.split(r"[*?]", query.text, maxsplit=1)[0]
        if len(literal) < MIN_PREFIX:
            stripped = re.sub(r"[*?]", "", query.text)
            return wq.Term(query.fieldname, stripped, boost=query.boost) if stripped else wq.NullQuery
        return BoundedWildcard(query.fieldname, query.text, boost=query.boost)
    if isinstance(query, wq.FuzzyTerm):
        if len(query.text) < MIN_FUZZY:
            return wq.Term(query.fieldname, query.text, boost=query.boost)
        return BoundedFuzzy(query.fieldname, query.text, boost=query.boost,
                            maxdist=fuzzy_maxdist(query.text, query.maxdist),
                            prefixlength=max(query.prefixlength, 1))
    if isinstance(query, wq.TermRange) and not isinstance(query, BoundedTermRange):
        # `[a TO z]` would otherwise walk the field's whole vocabulary.
        return BoundedTermRange(query.fieldname, query.start, query.end, query.startexcl, query.endexcl, boost=query.boost)
    return _apply(query, _bounded) if isinstance(query, wq.Query) else query


def _is_empty(query) -> bool:
    return query is None or query is wq.NullQuery or (isinstance(query, wq.CompoundQuery) and not query.subqueries)


def _only_negative(query) -> bool:
    if isinstance(query, wq.Not):
        return True
    if isinstance(query, wq.And):
        return all(isinstance(s, wq.Not) for s in query.subqueries)
    return False


@lru_cache(maxsize=8)
def compiler_for(fields=FIELDS) -> Compiler:
    return Compiler(fields)


def compile_query(parsed: ParsedQuery, fields=FIELDS):
    """The Whoosh query for a parsed query (None: every document)."""
    return compiler_for(fields).compile(parsed)


def compile_node(node, *, natural: bool = False, fields=FIELDS):
    return compiler_for(fields).compile_node(node, natural=natural)
