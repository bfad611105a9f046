"""The OpenSearch backend: search.backend.SearchBackend over an index alias on a cluster.

    >>> from search.opensearch_backend import OpenSearchBackend
    >>> backend = OpenSearchBackend("opensearch+https://user:pw@os.example:9200/news")

The alias names the live concrete index (`news_v1`, `news_v2`... : a rebuild writes a new one and
swaps the alias in one `_aliases` call, writer.py). Next to it, a small index `<alias>_meta` holds
what `write_meta` stores and a document per concrete index whose `_version` counts the writes to
it: the generation is `<concrete index>.<writes>`, so an ETag changes after every write, whichever
process made it. Nothing is opened until first use; every client error is mapped to
search/errors.py (connection.py), so a down cluster is BackendUnavailable (the API's 503), never a 500.
"""
from __future__ import annotations

import html
import json
import logging
import re
import threading
import time
from datetime import datetime, timezone
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from ..article import Article
from ..backend import WriteOptions
from ..errors import ArticleNotFound, BackendUnavailable, IndexMissing, UnknownFacet
from ..fields import DATE_FACET, FIELDS, Fields
from ..highlight import ELLIPSIS, Highlighter, render_marks
from ..query import Term, date_window, edit_distance, parse_query
from ..request import SearchRequest, check_facets
from ..results import MAX_OTHER_VERSIONS, Bucket, Completion, Hit, IndexStatus, SearchResults, Stats, Version, WriteReport
from ..stopwords import STOP_WORDS
from . import dsl
from .connection import ClientOptions, Target, make_client, mapped_errors, parse_url
from .mapping import META_BODY, doc_id, from_source, index_body, parse_date

log = logging.getLogger(__name__)

FEW_HITS = 3  # fewer hits than this: look for a "did you mean"
SIMILAR_TERMS = 25
MAX_WINDOW = 10_000  # index.max_result_window: from + size never goes past it
MAX_VERSIONS = 1_000  # versions of one story listed by GET /v1/articles/{id}/versions
VERSION_SOURCE = ["id", "title", "source", "published", "url"]
_MARK = re.compile(r"</?mark>")
_WORD = re.compile(r"\w+", re.UNICODE)
# The Whoosh backend's tuning knobs, which callers (the API, the CLI, the indexer) pass whichever
# backend they open: accepted and not used here.
WHOOSH_KNOBS = frozenset({"buffer_mb", "procs", "share_lock", "timer", "long_searches", "drain_interval"})


class OpenSearchBackend:
    def __init__(
        self,
        url: str,
        *,
        fields: Fields = FIELDS,
        shards: int = 1,
        replicas: int = 1,
        request_timeout: float = 5.0,
        retries: int = 1,
        verify: bool = True,
        ca_bundle: str | None = None,
        refresh_interval: float = 0.25,
        clock: Callable[[], float] = time.time,
        lock_timeout: float = 10.0,
        search_timeout: float | None = 2.0,
        **whoosh_knobs,
    ) -> None:
        unknown = set(whoosh_knobs) - WHOOSH_KNOBS
        if unknown:
            raise TypeError(f"unknown backend options: {sorted(unknown)}")
        self.target: Target = parse_url(url)
        self.fields = fields
        self.alias = self.target.alias
        self.meta_index = f"{self.alias}_meta"
        self.shards, self.replicas = shards, replicas
        self.options = ClientOptions(request_timeout, retries, verify, ca_bundle)
        self.refresh_interval = refresh_interval  # seconds the generation is remembered
        self.clock = clock
        self.lock_timeout = lock_timeout  # seconds a bulk writer waits for another (writer.WriteLock)
        self.search_timeout = search_timeout  # the cluster's time budget of one search (None: none)
        self._client = None
        self._lock = threading.Lock()
        self._generation: tuple[float, str] | None = None
        self._meta_ready = False

    # -- the connection --------------------------------------------------------------------------
    @property
    def client(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = make_client(self.target, self.options)
        return self._client

    def errors(self, article_id: str | None = None):
        return mapped_errors(self.target.shown, article_id)

    def get_doc(self, index: str, doc_id: str, **params) -> dict | None:
        """A document by id (a realtime GET), or None when there is none; IndexMissing when the index is."""
        with self.errors():
            doc = self.client.get(index=index, id=doc_id, ignore=404, **params)
        if not isinstance(doc, dict) or doc.get("found") is False:
            return None
        error = doc.get("error")
        if error is not None:
            if isinstance(error, dict) and error.get("type") == "index_not_found_exception":
                raise IndexMissing(f"no index {index!r} at {self.target.shown}")
            return None
        return doc

    def concrete(self) -> str:
        """The concrete index behind the alias; IndexMissing when there is none."""
        with self.errors():
            found = self.client.indices.get_alias(name=self.alias, ignore=404)
        if not found or "error" in found or "status" in found:
            raise IndexMissing(f"no index at {self.target.shown}")
        return sorted(found)[-1]

    def ensure_index(self) -> str:
        """The concrete index behind the alias, created (`<alias>_v1` + the alias) when there is none."""
        try:
            return self.concrete()
        except IndexMissing:
            pass
        from opensearchpy.exceptions import RequestError

        name = f"{self.alias}_v1"
        with self.errors():
            try:
                self.client.indices.create(index=name, body=index_body(self.fields, self.shards, self.replicas))
            except RequestError as error:
                if "resource_already_exists" not in str(error):
                    raise
            self.client.indices.update_aliases(body={"actions": [{"add": {"index": name, "alias": self.alias}}]})
        return self.concrete()

    def ensure_meta(self) -> None:
        """The meta index, created when there is none (looked for once per process)."""
        from opensearchpy.exceptions import RequestError

        if self._meta_ready:
            return
        with self.errors():
            if not self.client.indices.exists(index=self.meta_index):
                body = {**META_BODY, "settings": {**META_BODY["settings"], "number_of_replicas": self.replicas}}
                try:
                    self.client.indices.create(index=self.meta_index, body=body)
                except RequestError as error:
                    if "resource_already_exists" not in str(error):
                        raise
        self._meta_ready = True

    def is_ready(self) -> bool:
        """The alias names an index whose primary shards are all assigned (cluster health not red);
        False when the cluster cannot be reached."""
        try:
            name = self.concrete()
            with self.errors():
                health = self.client.cluster.health(index=name)
        except (IndexMissing, BackendUnavailable):
            return False
        return health.get("status") != "red"

    # -- the generation: the concrete index and the writes made to it -----------------------------
    def generation(self) -> str:
        now = time.monotonic()
        cached = self._generation
        if cached is not None and now - cached[0] < self.refresh_interval:
            return cached[1]
        name = self.concrete()
        writes, _ = self._writes(name)
        generation = f"{name}.{writes}"
        self._generation = (now, generation)
        return generation

    def _writes(self, concrete: str) -> tuple[int, datetime | None]:
        """Writes counted to this concrete index, and when the last was made."""
        try:
            doc = self.get_doc(self.meta_index, f"writes.{concrete}")
        except IndexMissing:
            doc = None
        if doc is None:
            return 0, None
        stamp = (doc.get("_source") or {}).get("at")
        return int(doc.get("_version", 0)), (datetime.fromtimestamp(stamp / 1000, timezone.utc) if stamp else None)

    def count_write(self, concrete: str | None = None) -> None:
        """One more write to the live index (or to `concrete`): the generation changes."""
        self.ensure_meta()
        concrete = concrete or self.concrete()
        with self.errors():
            self.client.index(index=self.meta_index, id=f"writes.{concrete}",
                              body={"at": int(self.clock() * 1000)}, refresh="true")
        self._generation = None

    # -- reads -----------------------------------------------------------------------------------
    def _search(self, body: dict, index: str | None = None, **params) -> dict:
        with self.errors():
            return self.client.search(index=index or self.alias, body=body, **params)

    def get(self, article_id: str) -> Article:
        return from_source(self._source(article_id), self.fields)

    def _source(self, article_id: str) -> dict:
        """The article's stored document (its story's fields with it); ArticleNotFound if none."""
        doc = self.get_doc(self.alias, doc_id(article_id))
        if doc is None:
            raise ArticleNotFound(article_id)
        return doc.get("_source") or {}

    def search(self, request: SearchRequest) -> SearchResults:
        check_facets(request, self.fields)
        started = time.perf_counter()
        parsed = parse_query(request.q, self.fields)
        query = dsl.compile_query(parsed, self.fields)
        start, end = date_window(request, parsed)
        within: list[dict] = dsl.base_filter_clauses(request.base_filters)  # the query's own frame
        date_clause = dsl.date_clause(start, end)
        if date_clause is not None:
            within.append(date_clause)
        selections = [dsl.terms_filter(n, v) for n, v in request.filters.items() if v]

        response = self._run(request, query, within, selections)
        total = response["hits"]["total"]["value"]
        relaxed, dropped = False, []
        if total == 0 and query is not None and parsed.plain:
            loose = dsl.compile_node(parsed.any_words(), self.fields, natural=True)
            if loose is not None:
                relaxed, query = True, loose
                response = self._run(request, query, within, selections)
                total = response["hits"]["total"]["value"]
                dropped = self._unmatched_words(parsed.loose_words(), within + selections)

        hits = [self._hit(h, request.highlight) for h in response["hits"]["hits"]]
        articles = total
        if request.collapse == "story":
            total = int(((response.get("aggregations") or {}).get("stories") or {}).get("n", {}).get("value", total))
            self._add_versions(hits, [h["_source"].get("story") or h["_source"].get("id") for h in response["hits"]["hits"]],
                               dsl.base_filter_clauses(request.base_filters))
        facets, date_interval = self._facets(request, response.get("aggregations") or {}, query, within)
        suggestion = None
        strict_total = 0 if relaxed else total
        if strict_total < FEW_HITS and parsed.words:
            suggestion = self._did_you_mean(parsed, strict_total, within + selections)
        return SearchResults(
            total=total, page=request.page, per_page=request.per_page,
            took_ms=round((time.perf_counter() - started) * 1000, 2), hits=hits, facets=facets,
            suggestion=suggestion, query=parsed.text, timed_out=bool(response.get("timed_out")),
            relaxed=relaxed, dropped=dropped, date_interval=date_interval, articles=articles)

    def _body(self, request: SearchRequest, query: dict | None, within: list[dict]) -> dict:
        scored = query is not None and request.sort == "relevance"
        main: dict = {"bool": {"must": [query or dsl.MATCH_ALL], "filter": within}}
        if scored and request.recency_days:
            main = dsl.recency(main, request.recency_days, datetime.fromtimestamp(self.clock(), timezone.utc))
        body = {"query": main, "sort": dsl.sort_clause(request.sort, scored),
                "_source": {"excludes": ["story_print", "story_keys"]}}
        if self.search_timeout:  # past it, the shards answer with what they found (`timed_out`)
            body["timeout"] = f"{max(1, int(self.search_timeout * 1000))}ms"
        return body

    def _run(self, request: SearchRequest, query: dict | None, within: list[dict], selections: list[dict]) -> dict:
        body = self._body(request, query, within)
        first = (request.page - 1) * request.per_page
        size = max(0, min(request.per_page, MAX_WINDOW - first))  # past the cluster's window: no hits, still counted
        body.update({
            "from": first if size else 0,
            "size": size,
            "track_total_hits": True,
            "aggs": dsl.facet_aggregations(request, self.fields),
        })
        if selections:
            body["post_filter"] = {"bool": {"filter": selections}}
        if request.collapse == "story":
            # One hit per story (the best-scoring version, OpenSearch's collapse), and the stories
            # counted within the facet selections (aggregations do not see the post_filter).
            body["collapse"] = {"field": "story"}
            body["aggs"]["stories"] = {"filter": {"bool": {"filter": selections}} if selections else dsl.MATCH_ALL,
                                       "aggs": {"n": {"cardinality": {"field": "story", "precision_threshold": 40000}}}}
        if request.highlight and query is not None:
            body["highlight"] = dsl.highlight_clause()
        return self._search(body)

    def _count(self, query: dict, filters: list[dict]) -> int:
        with self.errors():
            return self.client.count(index=self.alias, body={"query": {"bool": {"must": [query], "filter": filters}}})["count"]

    def _unmatched_words(self, words: list[str], filters: list[dict]) -> list[str]:
        out = []
        for word in dict.fromkeys(words):
            query = dsl.compile_node(Term(word), self.fields, natural=True)
            if query is not None and self._count(query, filters) == 0:
                out.append(word)
        return out

    def _hit(self, doc: dict, highlight: bool) -> Hit:
        article = from_source(doc["_source"], self.fields)
        score = doc.get("_score")
        hit = Hit(id=article.id, title=article.title, url=article.url, published=article.published,
                  score=round(float(score), 4) if isinstance(score, (int, float)) else 0.0,
                  summary=article.summary, dateline=article.dateline,
                  values={f.attribute: getattr(article, f.attribute) for f in self.fields.facets})
        if highlight:
            marked = doc.get("highlight") or {}
            plain = Highlighter(frozenset())
            titles = marked.get("title")
            titles = [_marked(t) for t in titles or []]
            hit.title_highlight = titles[0] if titles else plain.title(article.title)[0]
            fragments = [_marked(f) for f in _joined(marked.get("body") or [], article.body)]
            hit.snippets = ([_with_ellipses(f, article.body) for f in fragments] if fragments
                            else plain.fragments(article.body)[0])
            words = set()
            for text in [*titles, *fragments]:
                for run in re.findall(r"<mark>(.*?)</mark>", text):
                    words.update(html.unescape(run).lower().split())
            hit.matched_terms = sorted(words)
        return hit

    def _facets(self, request: SearchRequest, aggs: dict, query, within) -> tuple[dict, str | None]:
        facets: dict[str, list[Bucket]] = {}
        date_interval = None
        for name in request.facets:
            agg = aggs.get(f"f_{name}") or {}
            chosen = request.filters.get(name) or []
            if name == DATE_FACET:
                date_interval, facets[name] = self._date_buckets(request, agg, query, within, chosen)
                continue
            buckets = [Bucket(b["key"], b["doc_count"], b["key"] in chosen) for b in agg.get("values", {}).get("buckets", [])]
            shown = {b.value for b in buckets}
            counted = {b["key"]: b["doc_count"] for b in agg.get("selected", {}).get("values", {}).get("buckets", [])}
            for value in chosen:
                if value not in shown:
                    buckets.append(Bucket(value, counted.get(value, 0), True))
            allowed = request.base_filters.get(name)
            facets[name] = buckets if allowed is None else [b for b in buckets if b.value in allowed]
        return facets, date_interval

    def _date_buckets(self, request, agg: dict, query, within, chosen) -> tuple[str | None, list[Bucket]]:
        interval = request.date_interval
        if interval == "auto":
            first, last = agg.get("first", {}).get("value"), agg.get("last", {}).get("value")
            if first is None or last is None:
                return None, []
            interval = dsl.auto_interval(parse_date(first), parse_date(last))
            selections = [dsl.terms_filter(n, v) for n, v in request.filters.items() if v and n != DATE_FACET]
            body = self._body(request, query, within + selections)
            body.update({"size": 0, "track_total_hits": False, "aggs": {"histogram": dsl.histogram_agg(interval)}})
            body.pop("sort", None)
            agg = self._search(body).get("aggregations") or {}
        buckets = agg.get("histogram", {}).get("buckets", [])
        out = [Bucket(label, b["doc_count"], label in chosen)
               for b in buckets if b["doc_count"] for label in [dsl.bucket_label(int(b["key"]), interval)]]
        return interval, out

    def _did_you_mean(self, parsed, total: int, filters: list[dict]) -> str | None:
        """The query with each word replaced by a likelier one within two edits (the term suggester
        over unstemmed title words), when that finds more within the filters than the query did."""
        words = [w for w in dict.fromkeys(parsed.words) if len(w) > 2 and not w.isdigit() and w.lower() not in STOP_WORDS]
        if not words:
            return None
        suggest = {f"w{i}": {"text": w.lower(), "term": {"field": "title.plain", "suggest_mode": "popular",
                                                          "max_edits": 2, "prefix_length": 1, "size": 5,
                                                          "sort": "score", "min_word_length": 3}}
                   for i, w in enumerate(words)}
        response = self._search({"size": 0, "suggest": suggest})
        text, changed = parsed.text, False
        for i, word in enumerate(words):
            options = [o for entry in response.get("suggest", {}).get(f"w{i}", []) for o in entry.get("options", [])]
            options = [o for o in options if o["text"] != word.lower()]
            if not options:
                continue
            best = min(options, key=lambda o: (edit_distance(word.lower(), o["text"]), -o.get("freq", 0)))
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", best["text"], text, count=1)
            changed = True
        if not changed:
            return None
        corrected = dsl.compile_query(parse_query(text, self.fields), self.fields)
        if corrected is None or self._count(corrected, filters) <= total:
            return None
        return text

    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles like this one, one hit per story (OpenSearch's collapse), never this article's
        own story: its copies are its versions, not similar articles."""
        source = self._source(article_id)
        article, story = from_source(source, self.fields), source.get("story")
        should: list[dict] = [{"more_like_this": {
            "fields": ["title", "body"], "like": [{"_index": self.alias, "_id": doc_id(article_id)}],
            "min_term_freq": 1, "min_doc_freq": 2, "max_query_terms": SIMILAR_TERMS,
            "include": False, "minimum_should_match": "1"}}]
        for facet in self.fields.facets:
            if facet.multi:  # entities, not the source or the byline
                for name in self.fields.values(article, facet):
                    should.append({"match_phrase": {f"{facet.name}.text": name}})
        must_not: list[dict] = [{"ids": {"values": [doc_id(article_id)]}}]
        if story:
            must_not.append({"term": {"story": story}})
        body = {"size": limit, "query": {"bool": {"should": should, "minimum_should_match": 1, "must_not": must_not}},
                "collapse": {"field": "story"}}
        response = self._search(body)
        return [self._hit(h, True) for h in response["hits"]["hits"]]

    def versions(self, article_id: str) -> list[Version]:
        """The versions of the article's story (the writer's `story` field), newest first."""
        source = self._source(article_id)
        story = source.get("story")
        if not story:
            return [self._version(source)]
        found = self._search({"size": MAX_VERSIONS, "query": {"term": {"story": story}},
                              "sort": [{"published": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
                              "_source": VERSION_SOURCE})
        return [self._version(h["_source"]) for h in found["hits"]["hits"]]

    def _version(self, source: dict) -> Version:
        article = from_source(source, self.fields)
        return Version(id=article.id, source=article.source, published=article.published, url=article.url,
                       title=article.title)

    def _add_versions(self, hits: list[Hit], stories: list[str], base: list[dict]) -> None:
        """Each folded hit's story: how many versions it has within the caller's base filters, and
        the others' compact forms (newest first, MAX_OTHER_VERSIONS), with one request for the page."""
        ids = [s for s in dict.fromkeys(stories) if s]
        if not ids:
            return
        found = self._search({"size": 0, "query": {"bool": {"filter": [{"terms": {"story": ids}}, *base]}},
                              "aggs": {"by": {"terms": {"field": "story", "size": len(ids)}, "aggs": {"top": {"top_hits": {
                                  "size": MAX_OTHER_VERSIONS + 1, "_source": VERSION_SOURCE,
                                  "sort": [{"published": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]}}}}}})
        by_story = {b["key"]: b for b in found.get("aggregations", {}).get("by", {}).get("buckets", [])}
        for hit, story in zip(hits, stories):
            bucket = by_story.get(story)
            if bucket is None:
                continue
            hit.versions = max(1, int(bucket["doc_count"]))
            others = [h["_source"] for h in bucket["top"]["hits"]["hits"] if h["_source"].get("id") != hit.id]
            hit.other_versions = [self._version(src) for src in others[:MAX_OTHER_VERSIONS]]

    def suggest(self, prefix: str, limit: int = 8, base_filters: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        return [c.text for c in self.completions(prefix, limit, base_filters)]

    def completions(self, prefix: str, limit: int = 8,
                    base_filters: Mapping[str, Sequence[str]] | None = None) -> list[Completion]:
        """Names (facet values with a word starting with the text, by articles) and title words (by
        articles), counted within the base filters: terms aggregations with an `include` pattern,
        so nothing outside a scoped key's filters is ever offered."""
        for name in base_filters or ():
            if not self.fields.has_facet(name):
                raise UnknownFacet(name)
        text = " ".join(prefix.split())
        if not text:
            return []
        filters = dsl.base_filter_clauses(base_filters or {})
        head, _, last = text.rpartition(" ")
        aggs = {f"n_{f.name}": {"terms": {"field": f.name, "size": limit, "include": _name_pattern(text)}}
                for f in self.fields.facets}
        if last:
            aggs["words"] = {"terms": {"field": "words", "size": limit + 1, "include": _regex_escape(last.lower()) + ".*"}}
        response = self._search({"size": 0, "query": {"bool": {"filter": filters}}, "aggs": aggs})
        found = response.get("aggregations") or {}
        names: dict[str, tuple[int, str]] = {}
        for facet in self.fields.facets:
            for b in found.get(f"n_{facet.name}", {}).get("buckets", []):
                if b["doc_count"] > names.get(b["key"], (0, ""))[0]:
                    names[b["key"]] = (b["doc_count"], facet.name)
        out: dict[str, int] = {}
        facets: dict[str, str] = {}
        for name, (count, facet) in sorted(names.items(), key=lambda kv: -kv[1][0])[:limit]:
            out.setdefault(name, count * 3)  # a whole name beats a word of the same frequency
            facets.setdefault(name, facet)
        if last and (not head or not out):
            for b in found.get("words", {}).get("buckets", []):
                word = b["key"]
                if word.isdigit() or (word == last.lower() and not head):
                    continue
                out.setdefault((head + " " + word).strip(), b["doc_count"])
        ranked = sorted(out.items(), key=lambda kv: -kv[1])
        return [Completion(value, facets.get(value)) for value, _ in ranked[:limit]]

    def facet_values(self, name: str, prefix: str = "", limit: int = 20) -> list[Bucket]:
        if not self.fields.has_facet(name) and name != DATE_FACET:
            raise UnknownFacet(name)
        if name == DATE_FACET:
            wanted = prefix.strip()
            request = SearchRequest(facets=(DATE_FACET,), per_page=0, highlight=False)
            _, buckets = self._date_buckets(request, self._search({"size": 0, "aggs": {
                "first": {"min": {"field": "published"}}, "last": {"max": {"field": "published"}}}}).get(
                "aggregations") or {}, None, [], [])
            return [b for b in buckets if b.value.startswith(wanted)][:limit]
        terms: dict = {"field": name, "size": max(1, limit)}
        if prefix.strip():
            terms["include"] = _name_pattern(prefix.strip())
        response = self._search({"size": 0, "aggs": {"values": {"terms": terms}}})
        return [Bucket(b["key"], b["doc_count"]) for b in response["aggregations"]["values"]["buckets"]]

    def stats(self) -> Stats:
        aggs = {"first": {"min": {"field": "published"}}, "last": {"max": {"field": "published"}}}
        for facet in self.fields.facets:
            if facet.top:
                aggs[f"f_{facet.name}"] = {"terms": {"field": facet.name, "size": facet.top}}
        generation = self.generation()
        response = self._search({"size": 0, "track_total_hits": True, "aggs": aggs})
        found = response["aggregations"]
        return Stats(
            documents=response["hits"]["total"]["value"],
            generation=generation,
            first_published=parse_date(found["first"].get("value")),
            last_published=parse_date(found["last"].get("value")),
            facets={f.name: [Bucket(b["key"], b["doc_count"]) for b in found[f"f_{f.name}"]["buckets"]]
                    for f in self.fields.facets if f.top},
        )

    def status(self) -> IndexStatus:
        name = self.concrete()
        writes, at = self._writes(name)
        with self.errors():
            documents = self.client.count(index=self.alias)["count"]
        return IndexStatus(documents=documents, generation=f"{name}.{writes}", commits=writes,
                           last_commit=at, pending_writes=0)

    def scan(self, attributes: Sequence[str]) -> Iterator[dict[str, object]]:
        return self.scan_index(attributes)

    def scan_index(self, attributes: Sequence[str], index: str | None = None,
                   query: dict | None = None) -> Iterator[dict[str, object]]:
        """Every article's values (search_after by id, one page of 1000 at a time), in `index` (the
        alias by default) and matching `query` (every article by default)."""
        facets = {f.attribute: f for f in self.fields.facets}
        after = None
        while True:
            body: dict = {"size": 1000, "sort": [{"id": "asc"}], "query": query or dsl.MATCH_ALL,
                          "_source": ["id", *[facets[a].name if a in facets else a for a in attributes]]}
            if after is not None:
                body["search_after"] = after
            hits = self._search(body, index=index)["hits"]["hits"]
            for doc in hits:
                source = doc["_source"]
                row: dict[str, object] = {"id": source.get("id", doc["_id"])}
                for name in attributes:
                    facet = facets.get(name)
                    if facet is not None:
                        value = source.get(facet.name)
                        values = value if isinstance(value, list) else ([] if value is None else [value])
                        row[name] = values if facet.multi else (values[0] if values else None)
                    elif name == "published":
                        row[name] = parse_date(source.get(name))
                    else:
                        row[name] = source.get(name)
                yield row
            if len(hits) < 1000:
                return
            after = hits[-1]["sort"]

    # -- knowledge kept with the index -------------------------------------------------------------
    @staticmethod
    def _meta_id(name: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,40}", name):
            raise ValueError(f"bad meta name {name!r}")
        return f"meta.{name}"

    def read_meta(self, name: str) -> dict | None:
        doc_id = self._meta_id(name)
        try:
            doc = self.get_doc(self.meta_index, doc_id)
        except IndexMissing:
            return None
        if doc is None:
            return None
        try:
            return json.loads(doc["_source"]["value"])
        except (KeyError, TypeError, ValueError):
            return None

    def write_meta(self, name: str, value: dict) -> None:
        doc_id = self._meta_id(name)
        self.ensure_meta()
        body = {"value": json.dumps(value, ensure_ascii=False, separators=(",", ":"))}
        with self.errors():
            self.client.index(index=self.meta_index, id=doc_id, body=body, refresh="true")

    # -- writes ----------------------------------------------------------------------------------
    def writer(self, options: WriteOptions = WriteOptions()):
        from .writer import BulkWriter, WriteLock

        lock = WriteLock(self, self.lock_timeout)
        lock.acquire()
        try:
            return BulkWriter(self, options, lock=lock)
        except BaseException:
            lock.release()
            raise

    def add(self, articles: Iterable[Article] | Article, *, wait: float = 0.0) -> WriteReport:
        """Index the articles that changed (by checksum) in one `_bulk` and refresh: acknowledged by
        the cluster (durable) and searchable when this returns, whatever `wait` (as the Whoosh
        backend's lone write; an API write is one article or one batch, so one refresh each)."""
        from .writer import BulkWriter

        if isinstance(articles, Article):
            articles = [articles]
        writer = BulkWriter(self, WriteOptions())
        for article in articles:
            writer.add(article)
        report = writer.close()
        report.visible = True
        return report

    def update(self, article: Article) -> WriteReport:
        return self.add([article])

    def delete(self, article_id: str, *, wait: float = 0.0) -> WriteReport:
        from opensearchpy.exceptions import NotFoundError

        concrete = self.concrete()
        with self.errors(article_id):
            try:
                self.client.delete(index=self.alias, id=doc_id(article_id), refresh="true")
            except NotFoundError as error:
                if "index_not_found" in str(error):
                    raise IndexMissing(f"no index at {self.target.shown}") from None
                raise ArticleNotFound(article_id) from None
        self.count_write(concrete)
        return WriteReport(deleted=[article_id], committed=True, visible=True)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a pool that is already gone
                pass


def _joined(fragments: list[str], body: str) -> list[str]:
    """Fragments (in the body's order) with those that continue one another made one: a
    fragmenter may cut between the words of a phrase ("... <mark>Van</mark>" | " <mark>Brunt</mark> ...")."""
    out: list[str] = []
    end = -1
    for fragment in fragments:
        text = html.unescape(_MARK.sub("", fragment))
        at = body.find(text, max(end, 0)) if text else -1
        if out and at != -1 and at == end:
            out[-1] += fragment
        else:
            out.append(fragment)
        end = at + len(text) if at != -1 else -1
    return out


def _marked(fragment: str) -> str:
    """OpenSearch's highlighted fragment (html encoder: every character of the text escaped, our
    <mark> tags not) in search/highlight.py's markup: escaped as html.escape(quote=False) escapes,
    a run of marked words with only spaces between them in one <mark>, whitespace collapsed."""
    parts = re.split(r"(<mark>.*?</mark>)", fragment, flags=re.DOTALL)
    text, spans = "", []
    for part in parts:
        if part.startswith("<mark>") and part.endswith("</mark>"):
            word = html.unescape(part[6:-7])
            spans.append((len(text), len(text) + len(word)))
            text += word
        else:
            text += html.unescape(part)
    return render_marks(text, spans)


def _with_ellipses(fragment: str, body: str) -> str:
    """A fragment marked as cut where it does not start or end the body (as search/highlight.py does)."""
    text = " ".join(html.unescape(_MARK.sub("", fragment)).split())
    out = fragment.strip()
    flat = " ".join(body.split())
    if text and not flat.startswith(text):
        out = f"{ELLIPSIS} {out}"
    if text and not flat.endswith(text):
        out = f"{out} {ELLIPSIS}"
    return out


_REGEX_SPECIAL = re.compile(r'([.?+*|{}\[\]()"\\#@&<>~^$])')


def _regex_escape(text: str) -> str:
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def _name_pattern(prefix: str) -> str:
    """A Lucene regular expression for values with a word starting with `prefix`, any case."""
    out = []
    for c in prefix:
        if c.lower() != c.upper() and len(c.lower()) == 1 and len(c.upper()) == 1:
            out.append(f"[{c.lower()}{c.upper()}]")
        else:
            out.append(_regex_escape(c))
    return "(.* )?" + "".join(out) + ".*"

