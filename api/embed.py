"""Embedding the search in other sites: the widget script, the iframe page, OpenSearch and Atom.

`add_embed_routes(app, engine, config)`, called by `create_app`, adds:

==========================  =======================================================================
GET /widget.js              The widget (api/static/widget.js). `Cache-Control: max-age=3600` and a
                            strong ETag (304 on If-None-Match): the URL is not versioned, so a
                            year-long `immutable` would pin old copies in browsers. `?v=<tag>` with
                            the current tag (what /embed uses) is immutable for a year. Gzipped
                            when the client accepts it.
GET /embed                  The same experience as a whole page for an <iframe>. Its CSP allows
                            framing (`frame-ancestors`) from NEWSEARCH_CORS_ORIGINS only, and from
                            nowhere (`'none'`, plus `X-Frame-Options: DENY`) when none are set: a
                            site that may call the API from a browser may also frame the page, and
                            no other site may (clickjacking).
GET /opensearch.xml         OpenSearch 1.1 description: HTML results (/embed), suggestions
                            (application/x-suggestions+json) and Atom results.
GET /v1/suggest/opensearch  Completions in the OpenSearch suggestions form `[query, [completions]]`.
GET /v1/search.atom         Results as an Atom feed (RFC 4287) with OpenSearch response elements
                            and first/previous/next/last links; parameters as /v1/search.
==========================  =======================================================================

Keys. The two data routes are checked by the app's KeyAuth (api/auth.py) like /v1/search: they
declare `scoped_reads` (a scoped search key may read, within its filters) and `key_in_query` (for
feed readers and browsers that cannot send headers, the key may come as `?key=`). They read the
verified scope from `req.context.scope`. ETag and Cache-Control come from ConditionalGet
(`cacheable`), as on every other read.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlencode

import falcon
from lxml import etree

from search.backend import SearchBackend as Engine
from search.fields import FIELDS, Fields
from search.request import DATE_INTERVALS
from search.results import Hit, SearchResults

from . import schemas
from .auth import QUERY_KEY
from .config import Config
from .middleware import add_vary, etag_matches
from .resources import OPTIONAL_KEY, Operation, apply_scope, load_query, public_base

STATIC = Path(__file__).resolve().parent / "static"
ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ATOM = "application/atom+xml"
OPENSEARCH_DESCRIPTION = "application/opensearchdescription+xml"
SUGGESTIONS_JSON = "application/x-suggestions+json"
WIDGET_MAX_AGE = 3600
EMBED_LANGS = ("en", "es", "fr", "de")
# Characters XML 1.0 cannot carry: stripped from article text before it enters a feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MARK = re.compile(r"</?mark>")

Clock = Callable[[], datetime]


def add_embed_routes(app: falcon.App, engine: Engine, config: Config, clock: Clock | None = None) -> list[tuple[str, object]]:
    """Add /widget.js, /embed, /opensearch.xml, /v1/suggest/opensearch and /v1/search.atom.

    Returns the (path, resource) pairs added, for /openapi.json. `clock` gives the feed's "now"
    (the date of undated entries and of an empty feed)."""
    widget = WidgetResource(engine.fields)
    routes: list[tuple[str, object]] = [
        ("/widget.js", widget),
        ("/embed", EmbedPage(config, widget.tag, engine.fields.filter_names)),
        ("/opensearch.xml", OpenSearchDescription(config)),
        ("/v1/suggest/opensearch", OpenSearchSuggestions(engine, config)),
        ("/v1/search.atom", AtomSearch(engine, config, clock)),
    ]
    for path, resource in routes:
        app.add_route(path, resource)
    return routes


def _text_param(name: str, description: str) -> dict:
    return {"in": "query", "name": name, "required": False, "description": description, "schema": {"type": "string"}}


QUERY_KEY_PARAM = _text_param(
    QUERY_KEY,
    "A read key or a scoped search key, for clients that cannot send `Authorization: Bearer` "
    "(feed readers, browsers); the header wins when both are sent. Needed only when the server asks for one.",
)


# -- static-like documents ---------------------------------------------------------------------------
def _strong_tag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


_FIELDS_BLOCK = re.compile(r"/\*fields\*/.*?/\*fields\*/", re.S)


def widget_fields(declaration: Fields) -> str:
    """The facets and their labels in every widget language, as the widget reads them (JSON)."""
    payload = {"filters": list(declaration.filter_names), "labels": {lang: declaration.labels(lang) for lang in EMBED_LANGS}}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def widget_source(source: str, declaration: Fields) -> str:
    """widget.js with the declaration's facets written between its /*fields*/ markers."""
    block = f"/*fields*/{widget_fields(declaration)}/*fields*/"
    return _FIELDS_BLOCK.sub(lambda _: block, source, count=1)


class WidgetResource:
    """GET /widget.js: read once at start-up, sent gzipped when accepted, revalidated by ETag."""

    public = True

    def __init__(self, declaration: Fields = FIELDS, path: Path = STATIC / "widget.js") -> None:
        self.body = widget_source(path.read_text(encoding="utf-8"), declaration).encode("utf-8")
        self.gzipped = gzip.compress(self.body, compresslevel=9, mtime=0)
        self.tag = _strong_tag(self.body)
        self.version = self.tag.strip('"')[:16]
        self.gzip_tag = self.tag[:-1] + '-gz"'

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        use_gzip = "gzip" in (req.get_header("Accept-Encoding") or "").lower()
        tag = self.gzip_tag if use_gzip else self.tag
        add_vary(resp, "Accept-Encoding")  # CORS adds Origin
        resp.set_header("ETag", tag)
        if req.get_param("v") == self.version:
            resp.cache_control = ["public", "max-age=31536000", "immutable"]
        else:
            resp.cache_control = ["public", f"max-age={WIDGET_MAX_AGE}"]
        resp.set_header("Cross-Origin-Resource-Policy", "cross-origin")  # host pages on other origins load it
        if etag_matches(req.get_header("If-None-Match"), self.tag, self.gzip_tag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = "application/javascript; charset=utf-8"
        if use_gzip:
            resp.set_header("Content-Encoding", "gzip")
            resp.data = self.gzipped
        else:
            resp.data = self.body

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "The search widget: one script tag renders it (see docs/embedding.md)",
                {"type": "string", "description": "The script (gzipped when the client accepts it)."},
                media_type="application/javascript",
                params=(_text_param("v", "The widget's version tag, as /embed links it: with the current one the script is cacheable for a year."),),
                tags=("embed",),
            )
        }


class EmbedPage:
    """GET /embed: the widget on a page of its own, for an <iframe>.

    Display options travel as parameters (`lang`, `per_page`, `facets`, `placeholder`, `key`) and
    become the script's data- attributes; the search state (`q`, filters, `from`/`to`, `sort`, page) stays in the URL,
    where the widget reads it."""

    public = True

    def __init__(self, config: Config, widget_tag: str, filter_names: tuple[str, ...] = FIELDS.filter_names,
                 path: Path = STATIC / "embed.html") -> None:
        self.filter_names = filter_names
        self.template = path.read_text("utf-8")
        self.base = config.public_url or ""  # absolute with NEWSEARCH_PUBLIC_URL, else root-relative: never Host
        self.widget_version = widget_tag.strip('"')[:16]
        ancestors = " ".join(config.cors_origins) if config.cors_origins else "'none'"
        self.csp = "; ".join(
            (
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                "connect-src 'self'",
                "img-src 'self' data:",
                "base-uri 'none'",
                "form-action 'self'",
                f"frame-ancestors {ancestors}",
            )
        )
        self.deny_frames = not config.cors_origins

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        attrs = {"data-target": "#news-search", "data-link-target": "_blank"}
        lang = req.get_param("lang")
        if lang in EMBED_LANGS:
            attrs["data-lang"] = lang
        per_page = req.get_param("per_page")
        # ASCII digits only: str.isdigit() also accepts "³", which int() refuses.
        if per_page and per_page.isascii() and per_page.isdigit() and 1 <= int(per_page) <= 100:
            attrs["data-per-page"] = per_page
        date_interval = req.get_param("date_interval")
        if date_interval in DATE_INTERVALS and date_interval != "auto":
            attrs["data-date-interval"] = date_interval
        for name in ("facets", "placeholder", "key"):
            value = req.get_param(name)
            if value and len(value) <= 4096:
                attrs[f"data-{name}"] = value
        rendered = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in attrs.items())
        page = (self.template.replace("{{base}}", self.base)
                .replace("{{widget_src}}", f"{self.base}/widget.js?v={self.widget_version}")
                .replace("{{widget_attrs}}", rendered))
        resp.content_type = "text/html; charset=utf-8"
        resp.set_header("Content-Security-Policy", self.csp)
        if self.deny_frames:
            resp.set_header("X-Frame-Options", "DENY")
        resp.cache_control = ["no-cache"]
        resp.text = page

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "The widget as a page of its own, for an <iframe>. The server checks no parameter: values it cannot use are ignored",
                {"type": "string", "description": "An HTML page."},
                media_type="text/html",
                params=(
                    _text_param("lang", f"Interface language: {', '.join(EMBED_LANGS)}; English otherwise."),
                    _text_param("per_page", "Results per page, 1 to 100; 10 otherwise."),
                    _text_param("facets", "Facets to show, comma-separated."),
                    _text_param("placeholder", "The search box's placeholder text."),
                    _text_param("date_interval", "The date facet's buckets: day, week, month or year; otherwise "
                                                 "picked from the matches' span (as /v1/search's `auto`)."),
                    _text_param(QUERY_KEY, "A scoped search key for the widget to send (as `Authorization: Bearer`)."),
                    _text_param("q", "The query the page opens with (read by the widget, as are the ones below)."),
                    _text_param("page", "The results page the widget opens at."),
                    _text_param("date", "A bucket of the date facet to filter by: a day (YYYY-MM-DD), an ISO 8601 week "
                                        "(YYYY-Www), a month (YYYY-MM) or a year (YYYY); the widget searches from its "
                                        "first to its last day (`from`, `to`)."),
                    _text_param("from", "Published on or after (YYYY-MM-DD): the widget's date range."),
                    _text_param("to", "Published on or before (YYYY-MM-DD)."),
                    _text_param("sort", "`newest` sorts the widget's results newest first; by relevance otherwise."),
                    *(
                        {"in": "query", "name": name, "required": False, "description": f"`{name}` filter values.",
                         "schema": {"type": "array", "items": {"type": "string"}}}
                        for name in self.filter_names
                    ),
                ),
                tags=("embed",),
            )
        }


class OpenSearchDescription:
    """GET /opensearch.xml: OpenSearch 1.1, with absolute URLs on this server's own origin."""

    public = True

    def __init__(self, config: Config = Config()) -> None:
        self.config = config

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        base, from_host = public_base(self.config, req)
        root = etree.Element(f"{{{OPENSEARCH_NS}}}OpenSearchDescription", nsmap={None: OPENSEARCH_NS})

        def add(tag: str, text: str | None = None, **attrs) -> etree._Element:
            element = etree.SubElement(root, f"{{{OPENSEARCH_NS}}}{tag}", {k.replace("_", ""): v for k, v in attrs.items()})
            if text is not None:
                element.text = text
            return element

        add("ShortName", "News search")
        add("Description", "Search the newsroom's articles.")
        add("InputEncoding", "UTF-8")
        add("OutputEncoding", "UTF-8")
        add("Url", type="text/html", method="get", template=f"{base}/embed?q={{searchTerms}}")
        add("Url", type=SUGGESTIONS_JSON, rel="suggestions", method="get", template=f"{base}/v1/suggest/opensearch?q={{searchTerms}}")
        add("Url", type=ATOM, method="get", template=f"{base}/v1/search.atom?q={{searchTerms}}&page={{startPage?}}", pageOffset="1")
        add("Url", type=OPENSEARCH_DESCRIPTION, rel="self", template=f"{base}/opensearch.xml")
        add("Query", role="example", searchTerms="police")
        add("LongName", "newsearch: news articles")
        add("SyndicationRight", "open")
        add("AdultContent", "false")
        add("Language", "*")
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        tag = _strong_tag(data)
        resp.set_header("ETag", tag)  # the body's: a different Host gives a different tag
        # With NEWSEARCH_PUBLIC_URL the document is the same for every request: cacheable by anyone.
        # Without it, its URLs come from the Host header, so no shared cache may keep it for others.
        resp.cache_control = ["private", "no-cache"] if from_host else ["public", "max-age=86400"]
        if etag_matches(req.get_header("If-None-Match"), tag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = f"{OPENSEARCH_DESCRIPTION}; charset=utf-8"
        resp.data = data

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "OpenSearch 1.1 description: browsers can add the engine",
                {"type": "string", "description": "An OpenSearchDescription document."},
                media_type=OPENSEARCH_DESCRIPTION,
                tags=("embed",),
            )
        }


# -- data routes -------------------------------------------------------------------------------------
class OpenSearchSuggestions:
    """GET /v1/suggest/opensearch?q=: `["q", ["completion", ...]]` as browsers' search boxes want it.

    Completions come from titles and entity names; with a scoped key, only from the articles its
    filters allow."""

    cacheable = True
    scoped_reads = True
    key_in_query = True  # browsers fetch the suggestions URL from /opensearch.xml without headers

    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.query = schemas.SuggestQuery(limits=config)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = load_query(self.query, req, ignore=(QUERY_KEY,))
        scope = req.context.get("scope")  # set by KeyAuth
        words = self.engine.suggest(params["q"], limit=params["limit"], base_filters=scope.filters if scope else None)
        resp.content_type = SUGGESTIONS_JSON
        resp.data = json.dumps([params["q"], words], ensure_ascii=False).encode("utf-8")

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "Completions in the OpenSearch suggestions form, `[query, [completion, ...]]`",
                {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "description": "The query as sent, then the completions.",
                    "items": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                },
                media_type=SUGGESTIONS_JSON,
                query=self.query,
                errors=(400, 401, 403, 503),
                tags=("embed",),
                params=(QUERY_KEY_PARAM,),
                security=OPTIONAL_KEY,
            )
        }


class AtomSearch:
    """GET /v1/search.atom: the parameters of /v1/search (the same schema), answered as Atom."""

    cacheable = True
    scoped_reads = True
    key_in_query = True  # feed readers cannot send headers

    def __init__(self, engine: Engine, config: Config, clock: Clock | None = None) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.query = schemas.for_fields(engine.fields).SearchQuery(limits=config)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        request = load_query(self.query, req, ignore=(QUERY_KEY,))
        request.facets = ()  # a feed shows no facets: skip counting them
        request = apply_scope(req.context.get("scope"), request)  # the scope: set by KeyAuth
        results = self.engine.search(request)
        if results.timed_out:
            req.context.search_cut = "partial"  # counted by RequestMetrics (api/metrics.py)
        base, from_host = public_base(self.config, req)
        if from_host:  # links from the Host header: for this client only (ConditionalGet set `public`)
            resp.cache_control = ["private", "no-cache"]
        resp.content_type = f"{ATOM}; charset=utf-8"
        resp.data = atom_feed(results, base, req.path, _pairs(req), self.config.result_window, self.clock())

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "Search results as an Atom feed (RFC 4287) with OpenSearch response elements; parameters as /v1/search",
                {"type": "string", "description": "An Atom feed."},
                media_type=ATOM,
                query=self.query,
                errors=(400, 401, 403, 503),
                tags=("embed",),
                params=(QUERY_KEY_PARAM,),
                security=OPTIONAL_KEY,
            )
        }


def _pairs(req: falcon.Request) -> list[tuple[str, str]]:
    """The request's query parameters, in order, repeated ones kept."""
    pairs = []
    for name, value in req.params.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, item))
    return pairs


def atom_feed(results: SearchResults, base: str, path: str, params: list[tuple[str, str]], window: int, now: datetime) -> bytes:
    """An Atom feed of one page of results, with OpenSearch response elements (RFC 4287 + OpenSearch 1.1)."""
    per_page = results.per_page
    last = max(1, min(math.ceil(results.total / per_page), window // per_page))
    others = [(k, v) for k, v in params if k != "page"]

    def page_url(page: int) -> str:
        query = urlencode(others + ([("page", str(page))] if page != 1 else []))
        return f"{base}{path}" + (f"?{query}" if query else "")

    def html_url() -> str:
        query = urlencode([(k, v) for k, v in params if k not in (QUERY_KEY, "per_page", "sort", "facets", "facet_size", "recency_days", "highlight")])
        return f"{base}/embed" + (f"?{query}" if query else "")

    nsmap = {None: ATOM_NS, "opensearch": OPENSEARCH_NS}
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap=nsmap)

    def sub(parent, tag: str, text: str | None = None, ns: str = ATOM_NS, **attrs) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            element.text = _xml_text(text)
        return element

    query_text = results.query
    sub(feed, "title", f"News search: {query_text}" if query_text else "News search: latest articles")
    sub(feed, "id", f"urn:newsearch:search:{quote(page_url(1), safe='')}")
    updated = [_published(hit) if hit.published else now for hit in results.hits]
    sub(feed, "updated", _rfc3339(max(updated) if updated else now))
    author = sub(feed, "author")
    sub(author, "name", "newsearch")
    sub(feed, "generator", "newsearch")
    sub(feed, "link", rel="self", type=ATOM, href=page_url(results.page))
    sub(feed, "link", rel="alternate", type="text/html", href=html_url())
    sub(feed, "link", rel="first", type=ATOM, href=page_url(1))
    if results.page > 1:
        sub(feed, "link", rel="previous", type=ATOM, href=page_url(min(results.page - 1, last)))
    if results.page < last:
        sub(feed, "link", rel="next", type=ATOM, href=page_url(results.page + 1))
    sub(feed, "link", rel="last", type=ATOM, href=page_url(last))
    sub(feed, "link", rel="search", type=OPENSEARCH_DESCRIPTION, href=f"{base}/opensearch.xml")
    sub(feed, "totalResults", str(results.total), ns=OPENSEARCH_NS)
    sub(feed, "startIndex", str((results.page - 1) * per_page + 1), ns=OPENSEARCH_NS)
    sub(feed, "itemsPerPage", str(per_page), ns=OPENSEARCH_NS)
    sub(feed, "Query", ns=OPENSEARCH_NS, role="request", searchTerms=_xml_text(query_text), startPage=str(results.page), count=str(per_page))

    for hit in results.hits:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:newsearch:article:{quote(hit.id, safe='')}")
        sub(entry, "title", hit.title or hit.id, type="text")
        sub(entry, "updated", _rfc3339(_published(hit) if hit.published else now))
        if hit.published:
            sub(entry, "published", _rfc3339(_published(hit)))
        article_api = f"{base}/v1/articles/{quote(hit.id, safe='')}"
        if _is_web_url(hit.url):
            sub(entry, "link", rel="alternate", type="text/html", href=hit.url)
            sub(entry, "link", rel="related", type="application/json", href=article_api)
        else:  # Atom needs an alternate link when there is no content: the article as JSON
            sub(entry, "link", rel="alternate", type="application/json", href=article_api)
        if hit.author:
            sub(sub(entry, "author"), "name", hit.author)
        if hit.source:  # an article with no evidence of its publisher has no category, not one called "unknown"
            sub(entry, "category", term=_xml_text(hit.source), label=_xml_text(hit.source))
        sub(entry, "summary", snippet_text(hit) or hit.title, type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def snippet_text(hit: Hit) -> str:
    """The highlighted snippet as plain text: `<mark>` tags dropped, the escaped text unescaped."""
    if hit.snippets:
        return html.unescape(_MARK.sub("", hit.snippet))
    return hit.summary


def _is_web_url(url: str | None) -> bool:
    return bool(url) and url.lower().startswith(("http://", "https://"))


def _published(hit: Hit) -> datetime:
    moment = hit.published
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _rfc3339(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text.encode("utf-8", "replace").decode("utf-8"))
