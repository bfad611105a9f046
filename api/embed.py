"""Embedding the search in other sites: the widget script, the iframe page, OpenSearch and Atom.

`add_embed_routes(app, engine, config)` adds, to an app built by `create_app`:

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

Keys. The two data routes accept, besides the configured read keys, a scoped search key (see
search/keys.py) as `Authorization: Bearer <key>` or, for feed readers that cannot send headers,
`?key=`. A scoped key narrows the search to its filters (a request outside them is a 403) and
hides facet values outside them. A key that is sent and does not verify is a 403 even when
reads are open, so an expired or tampered key never passes silently. The secret comes from
`config.key_secret` when the Config has it, else from NEWSEARCH_KEY_SECRET.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import json
import math
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlencode

import falcon
from lxml import etree
from marshmallow import ValidationError

from search.engine import Engine
from search.keys import OutOfScope, Scope, verify_scoped_key
from search.results import Hit, SearchResults

from . import schemas
from .auth import KeyRing, bearer_token
from .config import Config
from .problems import Problem, invalid_params

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


def add_embed_routes(app: falcon.App, engine: Engine, config: Config, *, key_secret: str | None = None, clock: Clock | None = None) -> None:
    """Add /widget.js, /embed, /opensearch.xml, /v1/suggest/opensearch and /v1/search.atom."""
    secret = key_secret or getattr(config, "key_secret", None) or os.environ.get("NEWSEARCH_KEY_SECRET") or None
    access = SearchAccess(config, secret, clock or (lambda: datetime.now(timezone.utc)))
    widget = WidgetResource()
    app.add_route("/widget.js", widget)
    app.add_route("/embed", EmbedPage(config, widget.tag))
    app.add_route("/opensearch.xml", OpenSearchDescription())
    app.add_route("/v1/suggest/opensearch", OpenSearchSuggestions(engine, config, access))
    app.add_route("/v1/search.atom", AtomSearch(engine, config, access))


# -- keys --------------------------------------------------------------------------------------------
class SearchAccess:
    """Who may read: the configured read/write keys (no restriction), or a scoped search key."""

    def __init__(self, config: Config, secret: str | None, clock: Clock) -> None:
        self.keys = KeyRing(config.api_keys, config.read_keys)
        self.secret = secret
        self.clock = clock

    def scope(self, req: falcon.Request, token: str | None) -> Scope | None:
        """None: unrestricted. Raises 401 when a key is needed and missing, 403 when it is wrong."""
        if token is None:
            if self.keys.reads_open:
                return None
            raise Problem(
                401,
                "Authentication required",
                "Send `Authorization: Bearer <key>` (or `key=`) with a read key or a scoped search key.",
                slug="unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="newsearch"'},
            )
        if self.keys.allows(token, "read"):
            return None
        scope = verify_scoped_key(self.secret, token, self.clock()) if self.secret else None
        if scope is None:
            raise Problem(403, "Forbidden", "This key is not valid here (unknown, tampered or expired).", slug="forbidden")
        return scope


def _token_and_params(req: falcon.Request) -> tuple[str | None, dict]:
    params = dict(req.params)
    query_key = params.pop("key", None)
    if isinstance(query_key, list):
        raise invalid_params({"key": ["Give one key."]})
    return bearer_token(req) or query_key or None, params


def _out_of_scope(error: OutOfScope) -> Problem:
    return Problem(403, "Outside this key's scope", f"This key does not allow `{error.name}` values asked for.", slug="out-of-scope")


# -- static-like documents ---------------------------------------------------------------------------
def _strong_tag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _if_none_match(req: falcon.Request, *tags: str) -> bool:
    header = req.get_header("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = {t.strip().removeprefix("W/") for t in header.split(",")}
    return any(t.removeprefix("W/") in wanted for t in tags)


class WidgetResource:
    """GET /widget.js: read once at start-up, sent gzipped when accepted, revalidated by ETag."""

    public = True

    def __init__(self, path: Path = STATIC / "widget.js") -> None:
        self.body = path.read_bytes()
        self.gzipped = gzip.compress(self.body, compresslevel=9, mtime=0)
        self.tag = _strong_tag(self.body)
        self.version = self.tag.strip('"')[:16]
        self.gzip_tag = self.tag[:-1] + '-gz"'

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        use_gzip = "gzip" in (req.get_header("Accept-Encoding") or "").lower()
        tag = self.gzip_tag if use_gzip else self.tag
        resp.set_header("Vary", "Accept-Encoding")
        resp.set_header("ETag", tag)
        if req.get_param("v") == self.version:
            resp.cache_control = ["public", "max-age=31536000", "immutable"]
        else:
            resp.cache_control = ["public", f"max-age={WIDGET_MAX_AGE}"]
        resp.set_header("Cross-Origin-Resource-Policy", "cross-origin")  # host pages on other origins load it
        if _if_none_match(req, self.tag, self.gzip_tag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = "application/javascript; charset=utf-8"
        if use_gzip:
            resp.set_header("Content-Encoding", "gzip")
            resp.data = self.gzipped
        else:
            resp.data = self.body

    on_head = on_get


class EmbedPage:
    """GET /embed: the widget on a page of its own, for an <iframe>.

    Display options travel as parameters (`lang`, `per_page`, `facets`, `placeholder`, `key`) and
    become the script's data- attributes; the search state (`q`, filters, page) stays in the URL,
    where the widget reads it."""

    public = True

    def __init__(self, config: Config, widget_tag: str, path: Path = STATIC / "embed.html") -> None:
        self.template = path.read_text("utf-8")
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
        if per_page and per_page.isdigit() and 1 <= int(per_page) <= 100:
            attrs["data-per-page"] = per_page
        for name in ("facets", "placeholder", "key"):
            value = req.get_param(name)
            if value and len(value) <= 4096:
                attrs[f"data-{name}"] = value
        rendered = " ".join(f'{name}="{html.escape(value, quote=True)}"' for name, value in attrs.items())
        page = self.template.replace("{{widget_src}}", f"/widget.js?v={self.widget_version}").replace("{{widget_attrs}}", rendered)
        resp.content_type = "text/html; charset=utf-8"
        resp.set_header("Content-Security-Policy", self.csp)
        if self.deny_frames:
            resp.set_header("X-Frame-Options", "DENY")
        resp.cache_control = ["no-cache"]
        resp.text = page

    on_head = on_get


class OpenSearchDescription:
    """GET /opensearch.xml: OpenSearch 1.1, with absolute URLs on this server's own origin."""

    public = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        base = req.prefix
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
        resp.set_header("ETag", tag)
        resp.cache_control = ["public", "max-age=86400"]
        if _if_none_match(req, tag):
            resp.status = falcon.HTTP_304
            return
        resp.content_type = f"{OPENSEARCH_DESCRIPTION}; charset=utf-8"
        resp.data = data

    on_head = on_get


# -- data routes -------------------------------------------------------------------------------------
def _revalidate(req: falcon.Request, resp: falcon.Response, engine: Engine, scoped: bool) -> bool:
    """Weak ETag tied to the index generation; True when the client's copy is current (304 sent)."""
    key = f"{engine.generation()}\x00{req.path}\x00{req.query_string}"
    tag = 'W/"' + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24] + '"'
    resp.set_header("ETag", tag)
    resp.cache_control = ["private" if scoped else "public", "max-age=0", "must-revalidate"]
    if _if_none_match(req, tag):
        resp.status = falcon.HTTP_304
        return True
    return False


class OpenSearchSuggestions:
    """GET /v1/suggest/opensearch?q=: `["q", ["completion", ...]]` as browsers' search boxes want it.

    Completions come from titles and entity names over the whole index: a scoped key may use it,
    but the engine's completion is not filtered by the key (see docs/embedding.md)."""

    public = True  # the key is checked here, so that scoped keys are accepted

    def __init__(self, engine: Engine, config: Config, access: SearchAccess) -> None:
        self.engine = engine
        self.access = access
        self.query = schemas.SuggestQuery(limits=config)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        token, params = _token_and_params(req)
        scope = self.access.scope(req, token)
        try:
            loaded = self.query.load(params)
        except ValidationError as error:
            raise invalid_params(error.messages) from None
        if _revalidate(req, resp, self.engine, scope is not None):
            return
        words = self.engine.suggest(loaded["q"], limit=loaded["limit"])
        resp.content_type = SUGGESTIONS_JSON
        resp.data = json.dumps([loaded["q"], words], ensure_ascii=False).encode("utf-8")

    on_head = on_get


class AtomSearch:
    """GET /v1/search.atom: the parameters of /v1/search (the same schema), answered as Atom."""

    public = True  # the key is checked here, so that scoped keys are accepted

    def __init__(self, engine: Engine, config: Config, access: SearchAccess, clock: Clock | None = None) -> None:
        self.engine = engine
        self.config = config
        self.access = access
        self.clock = clock or access.clock
        self.query = schemas.SearchQuery(limits=config)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        token, params = _token_and_params(req)
        scope = self.access.scope(req, token)
        try:
            request = self.query.load(params)
        except ValidationError as error:
            raise invalid_params(error.messages) from None
        request.facets = ()  # a feed shows no facets: skip counting them
        if scope is not None:
            try:
                request = scope.apply(request)
            except OutOfScope as error:
                raise _out_of_scope(error) from None
        if _revalidate(req, resp, self.engine, scope is not None):
            return
        results = self.engine.search(request)
        resp.content_type = f"{ATOM}; charset=utf-8"
        resp.data = atom_feed(results, req.prefix, req.path, _pairs(req), self.config.result_window, self.clock())

    on_head = on_get


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
        query = urlencode([(k, v) for k, v in params if k not in ("key", "per_page", "sort", "facets", "facet_size", "recency_days", "highlight")])
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
        sub(entry, "category", term=_xml_text(hit.source), label=_xml_text(hit.source))
        sub(entry, "summary", snippet_text(hit) or hit.title, type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def snippet_text(hit: Hit) -> str:
    """The highlighted snippet as plain text: `<mark>` tags dropped, the escaped text unescaped."""
    if hit.snippets:
        return html.unescape(_MARK.sub("", " … ".join(hit.snippets)))
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
