"""Running a search: match set, filters, disjunctive facets, ranking, paging, highlights.

A search runs within a time budget (budget.py) and says `timed_out` when it ran out: ranking cut
short keeps the hits collected so far (and when it had collected none, the page is the newest
matches); a disjunction whose clauses did not all finish keeps the matches of those that did, a
phrase cut short the documents it found (`total` is then a lower bound, the page the newest of them). A match set with not even one clause
finished is a `SearchTimeout`."""
from __future__ import annotations

import bisect
import math
import time
from collections import Counter

import numpy as np
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TimeLimit, TimeLimitCollector
from whoosh.lang.porter import stem
from whoosh.matching import ListMatcher, NullMatcher, ReadTooFar

from ..errors import SearchTimeout
from ..fields import DATE_FACET
from ..highlight import Highlighter
from ..query import Term, date_window, parse_query
from ..request import SearchRequest
from ..results import MAX_OTHER_VERSIONS, Hit, SearchResults, Version
from ..stopwords import STOP_WORDS
from . import evaluate
from .budget import HIGHLIGHT_CHARS, NO_DEADLINE, SIMILAR_CHARS, Deadline, timed
from .columns import IndexView, date_histogram
from .compile import compile_node, compile_query, matched_keys
from .matching import partial_query_mask, query_mask
from .ranking import BM25
from .schema import analyzed_terms, from_stored, text_field, text_key
from .suggest import did_you_mean

# BM25 per field with Lucene's idf (search/ranking.py); titles are short, so normalise them less.
# B=0.45: news bodies vary in length for reasons other than verbosity (bench/relevance: NPL, Cranfield).
WEIGHTING = BM25(B=0.45, K1=1.2, title_B=0.5)
RESCORE_WINDOW = 200  # top documents re-ranked by the recency boost
FEW_HITS = 3  # fewer hits than this: look for a "did you mean"
STOP_STEMS = frozenset(stem(w) for w in STOP_WORDS) | STOP_WORDS


def run_search(searcher, view: IndexView, request: SearchRequest, now: float,
               deadline: Deadline = NO_DEADLINE, arrays: bool = True) -> SearchResults:
    """One search, within `deadline` (budget.py). `arrays`: rank over arrays (evaluate.py) where the
    query allows; False: always by Whoosh's matchers (the reference the array ranking is held to)."""
    started = time.perf_counter()
    try:
        return _run(searcher, view, request, now, deadline, started, arrays)
    except TimeLimit:  # the match set (not the ranking, which keeps what it has) ran out of time
        raise SearchTimeout(deadline.seconds) from None


def _run(searcher, view: IndexView, request: SearchRequest, now: float, deadline: Deadline, started: float,
         arrays: bool = True) -> SearchResults:
    parsed = parse_query(request.q, view.fields)
    query = compile_query(parsed, view.fields)  # compiled once: None matches every document
    start, end = date_window(request, parsed)
    date_mask = view.date_mask(start, end) if (start or end) else None
    filter_masks = {
        name: view.facet_mask(name, values) for name, values in request.filters.items() if values
    }
    # Base filters (a scoped key's) narrow everything: the query's own match set, so every count,
    # the disjunctive ones included, stays within them.
    base = view.filter_mask(request.base_filters) if request.base_filters else None

    qmask, complete = _query_mask(view, query, base, deadline)
    strict_matches = int(qmask.sum())  # the query's own matches, before any relaxing, within the base filters
    within = _combine(view.live if base is None else base, date_mask, filter_masks)  # what the filters let through
    relaxed, dropped = False, []
    if complete and query is not None and parsed.plain and not _combine(qmask, date_mask, filter_masks).any():
        # No article has every word: rather than nothing, the articles with any of them, and the
        # response says so (`relaxed`, and the words no article has in `dropped`).
        loose = compile_node(parsed.any_words(), natural=True, fields=view.fields)
        if loose is not None:
            query = loose
            relaxed = True
            qmask, complete = _query_mask(view, loose, base, deadline)
            dropped = _unmatched_words(view, parsed.loose_words(), within, deadline)
    final = _combine(qmask, date_mask, filter_masks)
    matches = np.flatnonzero(final)
    articles = int(len(matches))
    stories = view.stories() if request.collapse == "story" else None
    # Folded: each story's earliest matching version stands for it (its representative when that
    # one matches); the ranking and the page are over those, the facets over every match.
    shown = matches if stories is None else stories.fold(matches)
    if stories is not None and len(shown) != len(matches):
        final = np.zeros_like(final)
        final[shown] = True
    total = int(len(shown))

    first = (request.page - 1) * request.per_page
    wanted = first + request.per_page
    timed_out = not complete
    if total == 0:
        ranked = []
    elif not complete:  # no time left to rank a partial match set: its newest
        ranked = _by_date(view, shown, newest=(request.sort != "oldest"), limit=wanted)
    elif request.sort == "relevance" and query is not None:
        window = max(wanted, RESCORE_WINDOW) if request.recency_days else wanted
        if arrays and evaluate.supported(query):  # scores of the final matches only
            ranked, timed_out = evaluate.top(searcher, view, query, shown, window, deadline)
        else:
            # Whoosh ranks the query's own matches: what the filters (base ones included) remove is
            # taken from those, not from the already narrowed mask.
            raw = qmask if base is None else query_mask(view, query, deadline)
            ranked, timed_out = _by_relevance(searcher, query, raw, final, window, deadline)
        if request.recency_days:
            ranked = _recency(view, ranked, request.recency_days, now)
        if timed_out and not ranked:  # nothing scored in time: the newest matches rather than none
            ranked = _by_date(view, shown, newest=True, limit=wanted)
    else:
        ranked = _by_date(view, shown, newest=(request.sort != "oldest"), limit=wanted)
    page = ranked[first:wanted]

    highlighter = None
    if request.highlight:
        keys = matched_keys(query, searcher.reader(), deadline.expired) if query is not None else frozenset()
        highlighter = Highlighter(keys, term_key=text_key)
    hits = [_hit(searcher, view, docnum, score, highlighter) for docnum, score in page]
    if stories is not None:
        visible = view.live if base is None else base  # a scoped key sees only its own versions
        for hit, (docnum, _) in zip(hits, page):
            others = [d for d in stories.versions(docnum) if d != docnum and visible[d]]
            hit.versions = 1 + len(others)
            hit.other_versions = [story_version(searcher, view, d) for d in others[:MAX_OTHER_VERSIONS]]

    facets = {}
    date_interval = None
    for name in request.facets:
        # Disjunctive: a facet's counts ignore that facet's own selections.
        others = {k: v for k, v in filter_masks.items() if k != name}
        docs = matches if name not in filter_masks else np.flatnonzero(_combine(qmask, date_mask, others))
        if name == DATE_FACET:
            date_interval, buckets = date_histogram(view, docs, request.filters.get(name, []), request.date_interval)
        else:
            buckets = view.buckets(name, docs, request.filters.get(name, []), request.facet_size)
        allowed = request.base_filters.get(name)
        facets[name] = buckets if allowed is None else [b for b in buckets if b.value in allowed]

    suggestion = None
    # Only the words can be misspelt: when filters alone narrow a query to nothing, there is no
    # suggestion. A correction must find more within the filters (a scoped key's among them) than the
    # query did: one that finds nothing there does not help, and would show words from outside them.
    # A relaxed query is judged by what it found with every word required: nothing.
    strict_total = 0 if relaxed else total
    if strict_total < FEW_HITS and parsed.words and strict_matches < FEW_HITS and not deadline.expired():
        suggestion = did_you_mean(searcher, view, parsed, strict_total, within)

    return SearchResults(
        total=total,
        page=request.page,
        per_page=request.per_page,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        hits=hits,
        facets=facets,
        suggestion=suggestion,
        query=parsed.text,
        timed_out=timed_out,
        relaxed=relaxed,
        dropped=dropped,
        date_interval=date_interval,
        articles=articles,
    )


def _query_mask(view: IndexView, q, base: np.ndarray | None, deadline: Deadline) -> tuple[np.ndarray, bool]:
    """The query's matches within the base filters, and whether they are all of them (see
    matching.partial_query_mask)."""
    mask, complete = partial_query_mask(view, q, deadline) if q is not None else (view.live, True)
    return (mask if base is None else mask & base), complete


def _unmatched_words(view: IndexView, words: list[str], allowed: np.ndarray, deadline: Deadline) -> list[str]:
    """The words no `allowed` article matches (each as the query would search it); past the
    deadline, those found so far."""
    out = []
    for word in dict.fromkeys(words):
        if deadline.expired():
            break
        q = compile_node(Term(word), natural=True, fields=view.fields)
        if q is None:  # a stop word or nothing searchable: not a word the search dropped
            continue
        try:
            mask = query_mask(view, q, deadline)
        except TimeLimit:
            break
        if not (mask & allowed).any():
            out.append(word)
    return out


def _combine(qmask, date_mask, filter_masks) -> np.ndarray:
    out = qmask.copy()
    if date_mask is not None:
        out &= date_mask
    for mask in filter_masks.values():
        out &= mask
    return out


def _by_relevance(searcher, query, qmask, final, window, deadline: Deadline = NO_DEADLINE):
    """Whoosh's top `window` of the `final` matches as (docnum, score) best first, and whether the
    deadline cut the ranking short (the hits then are the best of the documents scored in time)."""
    # Whoosh takes filters as Python sets: hand it the smaller side, or nothing when the filters
    # remove none of the query's matches.
    options = {}
    excluded = qmask & ~final
    n_excluded = int(excluded.sum())
    if n_excluded:
        n_kept = int(final.sum())
        if n_kept == 0:
            return [], False
        if n_kept * 4 < n_excluded:
            # Few documents pass the filters: intersect the query with them, so Whoosh scores only
            # those (a set filter would still score every match of the query).
            query = wq.And([query, DocSet(np.flatnonzero(final))])
        elif n_excluded < n_kept:
            options["mask"] = set(np.flatnonzero(excluded).tolist())
        else:
            options["filter"] = set(np.flatnonzero(final).tolist())
    results, timed_out = _ranked(searcher, query, window, deadline, **options)
    return [(hit.docnum, float(hit.score)) for hit in results], timed_out


def _ranked(searcher, query, limit: int, deadline: Deadline, **options):
    """Whoosh's top `limit` for `query`, within the deadline: (results, timed out)."""
    remaining = deadline.remaining()
    if remaining is None:
        return searcher.search(query, limit=limit, terms=False, **options), False
    # No SIGALRM (use_alarm=False): a signal would reach whatever the process runs, and only the main
    # thread can take it. The collector checks between hits, the leaf matchers as they move. The
    # filter goes outside the time limit: Whoosh's FilterCollector filters in collect_matches, which
    # a wrapping collector would bypass.
    collector = TimeLimitCollector(searcher.collector(limit=limit, terms=False), timelimit=remaining, use_alarm=False)
    if options:
        collector = FilterCollector(collector, options.get("filter"), options.get("mask"))
    try:
        searcher.search_with_collector(timed(query, deadline), collector)
    except TimeLimit:
        return collector.results(), True
    return collector.results(), False


class DocSet(wq.Query):
    """Matches exactly the given (global, sorted) document numbers and adds nothing to scores:
    a filter that Whoosh's intersection can skip through."""

    def __init__(self, docnums: np.ndarray) -> None:
        self.docnums = docnums
        self.boost = 1.0

    def __eq__(self, other) -> bool:
        return isinstance(other, DocSet) and np.array_equal(self.docnums, other.docnums)

    def __hash__(self) -> int:
        return hash(self.docnums.tobytes())

    def __repr__(self) -> str:
        return f"DocSet({len(self.docnums)} docs)"

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader) -> int:
        return len(self.docnums)

    def matcher(self, searcher, context=None):
        parent = searcher.get_parent() if searcher.has_parent() else None
        offset = parent._offset_for_subsearcher(searcher) if parent is not None else 0
        n = searcher.reader().doc_count_all()
        lo, hi = np.searchsorted(self.docnums, [offset, offset + n])
        local = (self.docnums[lo:hi] - offset).tolist()
        return _SortedIdsMatcher(local, all_weights=0.0) if local else NullMatcher()


class _SortedIdsMatcher(ListMatcher):
    def score(self) -> float:
        return 0.0  # (ListMatcher's all_weights=0.0 falls back to a weight of 1)

    def skip_to(self, id):
        if not self.is_active():
            raise ReadTooFar
        self._i = bisect.bisect_left(self._ids, id, self._i)


def _recency(view, ranked, scale_days: float, now: float, decay: float = 0.5, floor: float = 0.3):
    """Elasticsearch's gauss decay on age: at `scale_days` old a document keeps `decay` of its boost."""
    # exp(-age²/2σ²) with σ² = -scale²/(2 ln decay), written as (age/scale)² so that no scale the API
    # accepts (1e-300 days included) divides by an underflowed zero: a huge ratio decays to 0.
    rate = -math.log(decay)
    now_long = int((now + 62135596800) * 1_000_000)  # seconds since the Unix epoch -> Whoosh's long
    out = []
    for docnum, score in ranked:
        stamp = view.published[docnum]
        if view.has_date[docnum]:
            age_days = max(0.0, (now_long - int(stamp)) / 86_400_000_000)
            ratio = min(age_days / scale_days, 1e150)  # squared below: stays finite
            factor = math.exp(-rate * ratio * ratio)
        else:
            factor = 0.0
        out.append((docnum, score * (floor + (1 - floor) * factor)))
    out.sort(key=lambda x: -x[1])
    return out


def _by_date(view, matches, newest: bool, limit: int):
    stamps = view.published[matches]
    # Undated articles sort last either way.
    key = np.where(view.has_date[matches], -stamps if newest else stamps, np.iinfo(np.int64).max)
    if limit < len(matches):
        part = np.argpartition(key, limit)[:limit]
        order = part[np.argsort(key[part], kind="stable")]
    else:
        order = np.argsort(key, kind="stable")
    return [(int(d), 0.0) for d in matches[order][:limit]]


def story_version(searcher, view: IndexView, docnum: int) -> Version:
    """One version of a story, in compact form."""
    article = from_stored(searcher.stored_fields(docnum), view.fields)
    return Version(id=article.id, source=article.source, published=article.published, url=article.url,
                   title=article.title)


def _hit(searcher, view: IndexView, docnum: int, score: float, highlighter: Highlighter | None) -> Hit:
    article = from_stored(searcher.stored_fields(docnum), view.fields)
    hit = Hit(
        id=article.id,
        title=article.title,
        url=article.url,
        published=article.published,
        score=round(score, 4),
        summary=article.summary,
        dateline=article.dateline,
        values={f.attribute: getattr(article, f.attribute) for f in view.fields.facets},
    )
    if highlighter is not None:
        hit.title_highlight, in_title = highlighter.title(article.title)
        # A long body is searched for fragments in its first HIGHLIGHT_CHARS characters only.
        hit.snippets, in_body = highlighter.fragments(article.body[:HIGHLIGHT_CHARS])
        hit.matched_terms = sorted(in_title | in_body)
    return hit


def similar_articles(searcher, view, docnum: int, limit: int, deadline: Deadline = NO_DEADLINE) -> list[Hit]:
    """Articles sharing this one's key terms (tf-idf over title and the first SIMILAR_CHARS
    characters of the body, stop words out) and its entities; past `deadline`, the best found in time."""
    stored = searcher.stored_fields(docnum)
    reader = searcher.reader()
    n = max(reader.doc_count(), 1)
    text = f"{stored.get('title', '')}\n{stored.get('body', '')}"[:SIMILAR_CHARS]
    tf = Counter(
        t for t in analyzed_terms(text)
        if t not in STOP_STEMS and len(t) > 2 and not t.isdigit()
    )
    weighted = []
    for term, freq in tf.items():
        df = reader.doc_frequency("body", term)
        if df > 1:  # a term only this article has cannot find another
            weighted.append(((1 + math.log(freq)) * math.log(1 + (n - df + 0.5) / (df + 0.5)), term))
    weighted.sort(reverse=True)
    # BM25 weighs each term by its idf already; the boost adds how much this article is about it.
    clauses = [wq.Term("body", t, boost=1 + math.log(tf[t])) for _, t in weighted[:25]]
    article = from_stored(stored, view.fields)
    for facet in view.fields.facets:
        if not facet.multi:  # entities, not the source or the byline
            continue
        for name in view.fields.values(article, facet):
            field = text_field(facet)
            words = [w for w in name.lower().split() if w]
            if words:
                clauses.append(wq.Phrase(field, words) if len(words) > 1 else wq.Term(field, words[0]))
    if not clauses:
        return []
    # Not the article's own story (its copies are the most similar of all), and one hit per story.
    stories = view.stories()
    own = {int(d) for d in stories.versions(docnum)} | {docnum}
    results, _ = _ranked(searcher, wq.Or(clauses), limit * 3, deadline, mask=own)
    chosen, seen = [], set()
    for hit in results:
        label = int(stories.labels[hit.docnum])
        if label not in seen:
            seen.add(label)
            chosen.append(hit)
    # No query terms to mark: the escaped title, and the body's lead as the snippet.
    lead = Highlighter(frozenset(), term_key=text_key)
    return [_hit(searcher, view, hit.docnum, float(hit.score), lead) for hit in chosen[:limit]]
