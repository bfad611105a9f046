"""The composition root: `create_app(config)` builds the engine, middleware and routes, and nothing
else wires things together.

    >>> from api.app import create_app
    >>> from api.config import Config
    >>> app = create_app(Config(index="data/index"))
"""
from __future__ import annotations

import errno
import threading
import time
from datetime import datetime, timezone
from typing import Callable

import falcon

from search.backend import SearchBackend
from search.engine import open_engine
from search.errors import BackendUnavailable, IndexMissing, OutOfScope, SearchTimeout, StorageFull, UnknownFacet, WriteLockTimeout

from .auth import KeyAuth, KeyRing
from .config import Config
from .embed import add_embed_routes
from .keys import verify_scoped_key
from .metrics import UNANSWERED, Metrics, MetricsResource
from .middleware import CORS, AccessLog, ConditionalGet, RequestMetrics, SecurityHeaders
from .openapi import OpenAPIResource
from .problems import Problem, handle_unexpected, serialize_problem
from .reads_first import ReadsFirst
from .resources import (
    ArticleResource,
    ArticlesResource,
    ArticleWrites,
    FacetValuesResource,
    HealthResource,
    Prepare,
    SearchResource,
    SimilarResource,
    VersionsResource,
    StatsResource,
    SuggestResource,
    index_busy,
    index_unavailable,
    unknown_facet,
)


def create_app(
    config: Config | None = None,
    engine: SearchBackend | None = None,
    prepare: Prepare | None = None,
    clock: Callable[[], datetime] | None = None,
) -> falcon.App:
    """The WSGI app over one index. The engine opens its index lazily, on the first request a
    worker serves, so a preloading server never shares a searcher across a fork."""
    config = config or Config.from_env()
    clock = clock or (lambda: datetime.now(timezone.utc))
    engine = engine or open_engine(config.location, lock_timeout=config.write_lock_timeout,
                                   search_timeout=config.search_timeout, long_searches=config.long_searches or None)
    prepare = prepare or pipeline_prepare(engine=engine)
    metrics = Metrics(engine) if config.metrics else None

    app = falcon.App(
        middleware=[
            # First, so that it sees every request and the final status (its response step runs last).
            *([RequestMetrics(metrics)] if metrics else []),
            SecurityHeaders(),
            AccessLog(),
            CORS(config.cors_origins),
            KeyAuth(KeyRing(config.api_keys, config.read_keys), _scoped_key_verifier(config, clock)),
            ReadsFirst(config.location, config.write_yield),  # api/reads_first.py
            ConditionalGet(engine, config.cache_max_age, private=bool(config.read_keys)),
        ],
    )
    app.req_options.strip_url_path_trailing_slash = True
    app.resp_options.secure_cookies_by_default = True
    app.set_error_serializer(serialize_problem)
    app.add_error_handler(Exception, handle_unexpected)
    # Backend errors (search/errors.py), whichever backend raised them: never a 500.
    app.add_error_handler(IndexMissing, _index_missing)
    app.add_error_handler(BackendUnavailable, _backend_unavailable)
    app.add_error_handler(SearchTimeout, _search_timeout)  # Falcon picks the most specific class's handler
    app.add_error_handler(WriteLockTimeout, _index_busy)
    app.add_error_handler(OutOfScope, _out_of_scope)
    app.add_error_handler(UnknownFacet, _unknown_facet)
    app.add_error_handler(StorageFull, _storage_full)
    app.add_error_handler(OSError, _os_error)  # a full disk wherever it shows up; any other: the catch-all

    writes = ArticleWrites(engine, config, prepare)
    routes: list[tuple[str, object]] = [
        ("/v1/search", SearchResource(engine, config)),
        ("/v1/articles", ArticlesResource(writes)),
        ("/v1/articles/{article_id}", ArticleResource(engine, writes)),
        ("/v1/articles/{article_id}/similar", SimilarResource(engine)),
        ("/v1/articles/{article_id}/versions", VersionsResource(engine)),
        ("/v1/suggest", SuggestResource(engine, config)),
        ("/v1/facets/{name}", FacetValuesResource(engine, config)),
        ("/v1/stats", StatsResource(engine)),
        ("/health", HealthResource(engine)),
    ]
    if metrics:
        routes.append(("/metrics", MetricsResource(metrics)))  # open like /health: read keys do not apply
    routes.append(("/openapi.json", OpenAPIResource(routes)))  # reads `routes` on first use, when complete
    for path, resource in routes:
        app.add_route(path, resource)
    # The embedding surface: /widget.js, /embed, /opensearch.xml, /v1/search.atom, /v1/suggest/opensearch.
    # Their keys are checked by KeyAuth above, like every other route's.
    routes.extend(add_embed_routes(app, engine, config, clock=clock))
    app.add_sink(_not_found)  # unknown paths: a 404 problem like every other error
    return app


def _scoped_key_verifier(config: Config, clock: Callable[[], datetime]):
    if not config.key_secret:
        return None
    return lambda token: verify_scoped_key(config.key_secret, token, clock())


def _not_found(req: falcon.Request, resp: falcon.Response, **kwargs) -> None:
    raise Problem(404, "Not found", f"No route for {req.path}; see /openapi.json.", slug="not-found")


def _index_missing(req, resp, error, params) -> None:
    raise index_unavailable()


def _backend_unavailable(req, resp, error, params) -> None:
    raise Problem(503, "Search unavailable", "The search backend cannot answer now; retry shortly.",
                  slug="backend-unavailable", headers={"Retry-After": "5"})


def _search_timeout(req, resp, error, params) -> None:
    req.context.search_cut = UNANSWERED  # counted by RequestMetrics
    raise Problem(503, "Search took too long",
                  "The search did not finish within its time budget; retry shortly, or narrow the query "
                  "(fewer wildcards, shorter phrases).", slug="search-timeout", headers={"Retry-After": "2"})


def _storage_full(req, resp, error, params) -> None:
    raise Problem(507, "Insufficient storage",
                  "The disk that holds the index is full: nothing was written. Free space on the server, then retry.",
                  slug="storage-full", headers={"Retry-After": "60"})


def _os_error(req, resp, error, params) -> None:
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        _storage_full(req, resp, error, params)
    handle_unexpected(req, resp, error, params)


def _index_busy(req, resp, error, params) -> None:
    raise index_busy()


def _out_of_scope(req, resp, error, params) -> None:
    raise Problem(403, "Outside this key's scope", f"This key does not allow the `{error.name}` values asked for.", slug="out-of-scope")


def _unknown_facet(req, resp, error, params) -> None:
    raise unknown_facet(str(error.args[0]) if error.args else "")


# Seconds between reads of the archive's entity knowledge (indexer/archive.py) by an API worker.
ARCHIVE_RELOAD = 300.0


def pipeline_prepare(entities: bool = True, engine: SearchBackend | None = None) -> Prepare:
    """Raw text/HTML -> Article through the indexer pipeline (`newsearch index` runs the same steps).

    `prepare.entities(articles)` fills people, organisations and places of ready-field articles that
    came without them, with the same extractor. The NER model loads on the first article a worker
    receives that needs it, not at start-up. Threaded workers run one pipeline at a time per process:
    the model loads once, and spaCy is not promised to be safe for concurrent calls.

    Entities are decided with the archive's knowledge kept with the index (indexer/archive.py),
    read again at most every ARCHIVE_RELOAD seconds."""
    extractor = None
    one_at_a_time = threading.Lock()
    archive_at, archive = -ARCHIVE_RELOAD, None

    def registry():
        nonlocal archive_at, archive
        if engine is not None and time.monotonic() - archive_at >= ARCHIVE_RELOAD:
            from indexer.archive import load

            archive_at, archive = time.monotonic(), load(engine)
        return archive

    def loaded():
        nonlocal extractor
        if entities and extractor is None:
            from indexer.entities import EntityExtractor

            extractor = EntityExtractor()
        return extractor

    def prepare(items: list[dict]) -> list:
        from search.article import Article

        from indexer.pipeline import Options, process_chunk
        from indexer.readers import RawDocument

        extractor = loaded()
        raws = []
        for position, item in enumerate(items):
            fields = {k: item[k] for k in ("id", "url", "title", "source", "author") if item.get(k)}
            if item.get("published"):
                fields["published"] = item["published"].isoformat()
            raws.append(
                RawDocument(
                    origin=item.get("url") or f"api:{position}",
                    kind="text" if "text" in item else "html",
                    content=item.get("text") or item["html"],
                    fields=fields,
                )
            )
        outcomes = process_chunk(raws, Options(entities=entities), extractor, registry() if entities else None)
        return [o if isinstance(o, Article) else o.reason for o in outcomes]

    def add_entities(articles: list) -> None:
        from indexer.pipeline import add_entities as fill

        if entities and articles:
            fill(articles, loaded(), registry())

    prepare.entities = add_entities
    prepare.entity_fields = ("people", "organizations", "places")  # what add_entities fills
    return prepare
