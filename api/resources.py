"""The resources: thin. Each loads its parameters with a schema, calls the Engine, dumps the answer.

Each resource also describes its operations (`operations()`) with the same schema instances it
validates with, so /openapi.json cannot drift from what the server accepts.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

import falcon
from marshmallow import Schema, ValidationError

from search.article import Article, content_id, url_id
from search.backend import SearchBackend as Engine
from search.errors import ArticleNotFound, UnknownFacet, WriteLockTimeout
from search.fields import FIELDS
from search.request import SearchRequest
from search.results import WriteReport

from . import schemas
from .config import Config
from .keys import Scope
from .problems import Problem, flatten_errors, invalid_params

log = logging.getLogger(__name__)

# prepare(items) -> one Article, or the reason the item was rejected, per raw item (text/HTML)
Prepare = Callable[[list[dict]], list["Article | str"]]
RAW_CHUNK = 8  # raw items run through the pipeline at once, between checks of NEWSEARCH_RAW_SECONDS


@dataclass(frozen=True)
class Operation:
    """What /openapi.json says about one responder."""

    summary: str
    response: type[Schema] | None = None
    status: int = 200
    query: Schema | None = None
    body: dict | None = None  # an OpenAPI schema object, or a marshmallow schema under "schema"
    errors: tuple[int, ...] = ()
    statuses: dict[int, str] = field(default_factory=dict)  # other success statuses and their meaning
    tags: tuple[str, ...] = ()
    path: dict[str, dict] = field(default_factory=dict)  # OpenAPI schemas of path parameters, by name
    media_type: str = "application/json"  # of the success response; `response` may then be an OpenAPI schema
    params: tuple[dict, ...] = ()  # OpenAPI parameter objects besides `query`'s
    security: tuple[dict, ...] | None = None  # None: a bearer key when 401 is among the errors


# Reads that take a key only when the server is configured so: the bearer header, or nothing.
OPTIONAL_KEY = ({"bearer": []}, {})


def load_query(schema: Schema, req: falcon.Request, ignore: tuple[str, ...] = ()):
    """The query parameters loaded with `schema` (400 naming each bad one), leaving out `ignore`."""
    params = {name: value for name, value in req.params.items() if name not in ignore} if ignore else req.params
    try:
        return schema.load(params)
    except ValidationError as error:
        raise invalid_params(error.messages) from None


def apply_scope(scope: Scope | None, request: SearchRequest) -> SearchRequest:
    """The request with a scoped key's filters (KeyAuth sets `req.context.scope`) as its base
    filters, which the backend applies; OutOfScope (a 403) when it asks only for values outside them."""
    return request if scope is None else scope.apply(request)


def public_base(config: Config, req: falcon.Request) -> tuple[str, bool]:
    """The base of absolute URLs the API writes: NEWSEARCH_PUBLIC_URL, else this request's scheme and
    Host. The second value says whether it came from the request (then no shared cache may keep it)."""
    if config.public_url:
        return config.public_url, False
    return req.prefix, True


def article_location(config: Config, article_id: str) -> str:
    """The Location of an article: absolute with NEWSEARCH_PUBLIC_URL, else relative (RFC 9110 10.2.2)."""
    return f"{config.public_url or ''}/v1/articles/{quote(article_id, safe='')}"


def dump(resp: falcon.Response, schema: Schema, value, status: int = 200) -> None:
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = json.dumps(schema.dump(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- reads -----------------------------------------------------------------------------------------
class SearchResource:
    cacheable = True

    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.schemas = schemas.for_fields(engine.fields)
        self.query = self.schemas.SearchQuery(limits=config)
        self.results = self.schemas.SearchResultsSchema()

    scoped_reads = True  # a scoped search key may read here, within its filters

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        scope = req.context.get("scope")  # set by KeyAuth
        results = self.engine.search(apply_scope(scope, load_query(self.query, req)))
        if results.timed_out:  # partial hits: not an answer to cache or revalidate against
            req.context.search_cut = "partial"  # counted by RequestMetrics (api/metrics.py)
            resp.delete_header("ETag")
            resp.set_header("Cache-Control", "no-store")
        dump(resp, self.results, results)

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "Search articles: ranked hits with highlights, facet counts and a spelling suggestion",
                self.schemas.SearchResultsSchema,
                query=self.query,
                errors=(400, 401, 403, 503),
                tags=("search",),
                security=OPTIONAL_KEY,
            )
        }


class ArticleResource:
    cacheable = True

    def __init__(self, engine: Engine, writes: "ArticleWrites") -> None:
        self.engine = engine
        self.writes = writes
        self.schemas = schemas.for_fields(engine.fields)
        self.article = self.schemas.ArticleSchema()
        self.result = schemas.WriteResultSchema()
        self.no_params = schemas.NoParams()
        self.path_id = schemas.PathId()

    def on_get(self, req: falcon.Request, resp: falcon.Response, article_id: str) -> None:
        load_query(self.no_params, req)
        try:
            article = self.engine.get(article_id)
        except ArticleNotFound:
            raise article_not_found(article_id) from None
        dump(resp, self.article, article)

    on_head = on_get

    def on_put(self, req: falcon.Request, resp: falcon.Response, article_id: str) -> None:
        wait = self.writes.wait(req)
        try:  # the id a PUT creates follows the rules of a POSTed body's `id`
            self.path_id.load({"id": article_id})
        except ValidationError as error:
            raise invalid_params({"article_id": error.messages["id"]}) from None
        report, errors = self.writes.write([self.writes.read_body(req)], path_id=article_id, wait=wait)
        status = 201 if report.added else 200
        if status == 201:
            resp.set_header("Location", article_location(self.writes.config, article_id))
        dump(resp, self.result, _result(report, errors), status)

    def on_delete(self, req: falcon.Request, resp: falcon.Response, article_id: str) -> None:
        wait = self.writes.wait(req)
        try:
            report = self.writes.guarded(lambda: self.engine.delete(article_id, wait=wait))
        except ArticleNotFound:
            raise article_not_found(article_id) from None
        dump(resp, self.result, _result(report, []))

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation("One article, whole", self.schemas.ArticleSchema, query=self.no_params, errors=(400, 404, 503), tags=("articles",)),
            "put": Operation(
                "Create or replace the article with this id (ready fields, or raw text/HTML)",
                schemas.WriteResultSchema,
                status=200,
                statuses={201: "Created"},
                query=schemas.WriteParams(),
                body={"oneOf": [self.schemas.ArticleReplacement, schemas.RawReplacement]},
                errors=(400, 401, 403, 413, 415, 503, 507),
                tags=("articles",),
                path={"article_id": {"type": "string", "minLength": 1, "maxLength": schemas.MAX_ID_LENGTH, "pattern": schemas.ID_PATTERN}},
            ),
            "delete": Operation(
                "Delete an article", schemas.WriteResultSchema, query=schemas.WriteParams(), errors=(400, 401, 403, 404, 503, 507), tags=("articles",)
            ),
        }


class SimilarResource:
    cacheable = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.schemas = schemas.for_fields(engine.fields)
        self.query = schemas.SimilarQuery()
        self.similar = self.schemas.SimilarSchema()

    def on_get(self, req: falcon.Request, resp: falcon.Response, article_id: str) -> None:
        params = load_query(self.query, req)
        try:
            hits = self.engine.similar(article_id, limit=params["limit"])
        except ArticleNotFound:
            raise article_not_found(article_id) from None
        dump(resp, self.similar, {"id": article_id, "hits": hits})

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {"get": Operation("Articles similar to this one", self.schemas.SimilarSchema, query=self.query, errors=(400, 404, 503), tags=("articles",))}


class VersionsResource:
    cacheable = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.no_params = schemas.NoParams()
        self.versions = schemas.VersionsSchema()

    def on_get(self, req: falcon.Request, resp: falcon.Response, article_id: str) -> None:
        load_query(self.no_params, req)
        try:
            versions = self.engine.versions(article_id)
        except ArticleNotFound:
            raise article_not_found(article_id) from None
        dump(resp, self.versions, {"id": article_id, "versions": versions})

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {"get": Operation("Every version of this article's story, newest first", schemas.VersionsSchema,
                                 query=self.no_params, errors=(400, 404, 503), tags=("articles",))}


class SuggestResource:
    cacheable = True

    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.query = schemas.SuggestQuery(limits=config)
        self.suggestions = schemas.SuggestionsSchema()

    scoped_reads = True

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        params = load_query(self.query, req)
        scope = req.context.get("scope")  # set by KeyAuth
        found = self.engine.completions(params["q"], limit=params["limit"], base_filters=scope.filters if scope else None)
        dump(resp, self.suggestions, {"q": params["q"], "suggestions": [c.text for c in found], "completions": found})

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "Completions over titles and entity names (with a scoped key, of the articles it allows)",
                schemas.SuggestionsSchema,
                query=self.query,
                errors=(400, 401, 403, 503),
                tags=("search",),
                security=OPTIONAL_KEY,
            )
        }


class FacetValuesResource:
    cacheable = True

    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.query = schemas.FacetValuesQuery(limits=config)
        self.values = schemas.FacetValuesSchema()

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        params = load_query(self.query, req)
        if name not in self.engine.fields.facet_names:
            raise unknown_facet(name, self.engine.fields.facet_names)
        try:
            buckets = self.engine.facet_values(name, prefix=params["q"], limit=params["limit"])
        except UnknownFacet:
            raise unknown_facet(name, self.engine.fields.facet_names) from None
        dump(resp, self.values, {"name": name, "q": params["q"], "values": buckets})

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                f"Values of one facet ({', '.join(self.engine.fields.facet_names)}) over the whole index",
                schemas.FacetValuesSchema,
                query=self.query,
                errors=(400, 404, 503),
                tags=("search",),
                path={"name": {"type": "string", "enum": list(self.engine.fields.facet_names)}},
            )
        }


class StatsResource:
    cacheable = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.no_params = schemas.NoParams()
        self.stats = schemas.StatsSchema()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        load_query(self.no_params, req)
        dump(resp, self.stats, self.engine.stats())

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {"get": Operation("Index statistics", schemas.StatsSchema, query=self.no_params, errors=(400, 503), tags=("service",))}


class HealthResource:
    public = True

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.health = schemas.HealthSchema()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self.engine.is_ready():
            raise index_unavailable()
        stats = self.engine.stats()
        dump(resp, self.health, {"status": "ok", "documents": stats.documents, "generation": stats.generation})

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {"get": Operation("200 once the index is open, 503 before", schemas.HealthSchema, errors=(503,), tags=("service",))}


# -- writes ----------------------------------------------------------------------------------------
class ArticlesResource:
    def __init__(self, writes: "ArticleWrites") -> None:
        self.writes = writes
        self.result = schemas.WriteResultSchema()
        self.no_params = schemas.NoParams()

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        wait = self.writes.wait(req)
        body = self.writes.read_body(req)
        if isinstance(body, dict) and "articles" in body:
            try:
                batch = schemas.ArticleBatch().load(body)["articles"]
            except ValidationError as error:
                raise invalid_params(error.messages, title="Invalid request body") from None
            if not batch:
                raise Problem(400, "Invalid request body", "`articles` is empty.", slug="invalid-body")
            if len(batch) > self.writes.config.max_batch_size:
                raise Problem(
                    413,
                    "Batch too large",
                    f"At most {self.writes.config.max_batch_size} articles per request; got {len(batch)}.",
                    slug="batch-too-large",
                )
            report, errors = self.writes.write(batch, batch=True, wait=wait)
        else:
            report, errors = self.writes.write([body], wait=wait)
            written = report.added + report.updated + report.unchanged
            if report.added and written:
                resp.set_header("Location", article_location(self.writes.config, written[0]))
        dump(resp, self.result, _result(report, errors), 201 if report.added else 200)

    def operations(self) -> dict[str, Operation]:
        item = {"oneOf": [schemas.for_fields(self.writes.engine.fields).ArticleFields, schemas.RawArticle]}
        batch = {
            "type": "object",
            "required": ["articles"],
            "additionalProperties": False,
            "properties": {
                "articles": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": self.writes.config.max_batch_size,
                    # Items are checked one by one: each is ArticleFields or RawArticle, a rejected
                    # one is listed in `errors` and the rest are written (400 only when none is).
                    "items": {"description": "An article as ArticleFields or RawArticle, checked on its own."},
                }
            },
        }
        return {
            "post": Operation(
                "Add articles: one, or a batch as {\"articles\": [...]}; ready fields or raw text/HTML",
                schemas.WriteResultSchema,
                status=201,
                statuses={200: "Nothing new: every article was an update or unchanged"},
                query=schemas.WriteParams(),
                body={"oneOf": [*item["oneOf"], batch]},
                errors=(400, 401, 403, 413, 415, 503, 507),
                tags=("articles",),
            )
        }


class ArticleWrites:
    """The write path shared by POST and PUT: body reading, per-item validation, the pipeline, the engine."""

    def __init__(self, engine: Engine, config: Config, prepare: Prepare | None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.config = config
        self.prepare = prepare
        self.clock = clock
        self.params = schemas.WriteParams()

    def read_body(self, req: falcon.Request):
        """The request's JSON body: 415 when not JSON, 413 when too large, 400 when unreadable."""
        media = (req.content_type or "").split(";", 1)[0].strip().lower()
        if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
            raise Problem(415, "Unsupported media type", "Send the body as application/json.", slug="unsupported-media-type")
        limit = self.config.max_body_bytes
        if req.content_length is not None and req.content_length > limit:
            raise body_too_large(limit)
        if req.content_length is None and req.env.get("wsgi.input_terminated"):
            # A chunked body (no Content-Length): Falcon's bounded stream reads it as empty, but the
            # server (gunicorn) ends wsgi.input at the end of the body, so read that, within the limit.
            stream = req.stream
        else:
            stream = req.bounded_stream
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise body_too_large(limit)
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            detail = f"The body is not valid JSON: {error}" if isinstance(error, json.JSONDecodeError) else "The body is not valid UTF-8 JSON."
            raise Problem(400, "Malformed JSON", detail, slug="malformed-json") from None

    def wait(self, req: falcon.Request) -> float:
        """Seconds the write may wait to become visible: NEWSEARCH_WRITE_WAIT with `?wait=true`, else 0."""
        return self.config.write_wait if load_query(self.params, req)["wait"] else 0.0

    def guarded(self, write, *args):
        """Run an engine write; another writer holding the index too long becomes a 503, never a 500."""
        try:
            return write(*args)
        except WriteLockTimeout:
            raise index_busy() from None

    def write(self, items: list, *, batch: bool = False, path_id: str | None = None, wait: float = 0.0) -> tuple[WriteReport, list[dict]]:
        """Validate each item on its own, write the good ones; 400 when none is good."""
        articles: dict[int, Article] = {}
        errors: dict[int, tuple[str | None, object]] = {}
        raw: list[tuple[int, dict]] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                errors[index] = (None, "Must be a JSON object.")
                continue
            if path_id is not None and item.get("id", path_id) != path_id:
                errors[index] = (_str_or_none(item.get("id")), {"id": [f"Differs from the id in the path ({path_id!r})."]})
                continue
            if "text" in item or "html" in item:
                try:
                    raw.append((index, schemas.RawArticle().load(item)))
                except ValidationError as error:
                    errors[index] = (_str_or_none(item.get("id")), error.messages)
            else:
                try:
                    fields_ = schemas.for_fields(self.engine.fields).ArticleFields(path_id=path_id).load(item)
                except ValidationError as error:
                    errors[index] = (_str_or_none(item.get("id")), error.messages)
                    continue
                articles[index] = _article_from_fields(self.engine.fields, fields_, path_id)
        self._add_entities({i: a for i, a in articles.items() if not any(k in items[i] for k in self._entity_fields)})
        if raw:
            for (index, item), outcome in zip(raw, self._prepare([item for _, item in raw])):
                if isinstance(outcome, Article):
                    articles[index] = _with_id(outcome, path_id or item.get("id"))
                else:
                    errors[index] = (item.get("id"), str(outcome))
        seen: dict[str, int] = {}
        for index in sorted(articles):
            first = seen.setdefault(articles[index].id, index)
            if first != index:
                errors[index] = (articles[index].id, f"Duplicate id in this batch (first at index {first}).")
                del articles[index]
        if not articles:
            raise _rejected(errors, batch)
        report = self.guarded(lambda: self.engine.add([articles[i] for i in sorted(articles)], wait=wait))
        return report, [_item_error(i, *errors[i]) for i in sorted(errors)]

    @property
    def _entity_fields(self) -> tuple[str, ...]:
        return getattr(self.prepare, "entity_fields", ())

    def _add_entities(self, articles: dict[int, Article]) -> None:
        """Ready fields that carry no entity field get them as raw text does: the pipeline's extractor."""
        fill = getattr(self.prepare, "entities", None)
        if not articles or fill is None:
            return
        try:
            fill(list(articles.values()))
        except Exception:  # noqa: BLE001 - NER failing on one text must not refuse the write; it goes without entities
            log.exception("entity extraction failed for ready-field articles %s", [a.id for a in articles.values()])

    def _prepare(self, items: list[dict]) -> list:
        """Each raw item through the pipeline, a few at a time, until NEWSEARCH_RAW_SECONDS have
        passed: the items not reached then are listed as not processed (a batch of 500 raw
        articles takes minutes of entity extraction, and the worker would be killed with nothing
        written)."""
        if self.prepare is None:
            return ["Raw text/HTML ingest is not available on this server."] * len(items)
        deadline = self.clock() + self.config.raw_seconds
        outcomes: list = []
        for start in range(0, len(items), RAW_CHUNK):
            if outcomes and self.clock() >= deadline:
                left = len(items) - len(outcomes)
                return outcomes + [
                    f"Not processed: this request's time for raw articles ran out after {len(outcomes)} of "
                    f"{len(items)}; send the {left} not processed again, or in smaller batches."] * left
            chunk = items[start:start + RAW_CHUNK]
            done = self.prepare(chunk)
            if len(done) != len(chunk):  # a broken pipeline must not silently drop articles
                raise RuntimeError("prepare() returned a different number of results than items")
            outcomes += done
        return outcomes


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _str_or_none(value) -> str | None:
    return value if isinstance(value, str) else None


def _article_from_fields(declaration, data: dict, path_id: str | None) -> Article:
    # With neither an id nor a URL, the id is the content's, as `newsearch index` derives it
    # (indexer.pipeline.article_id): posting the same article again updates it, it does not duplicate it.
    article_id = path_id or data.get("id") or (url_id(data["url"]) if data.get("url") else None) \
        or content_id(f"{data['title']}\n{data['body']}")
    values = {f.attribute: list(dict.fromkeys(data[f.attribute])) if f.multi else data[f.attribute] for f in declaration.facets}
    return declaration.record(
        id=article_id,
        title=data["title"],
        body=data["body"],
        url=data["url"],
        summary=data["summary"],
        published=data["published"],
        dateline=data["dateline"],
        origin=data["url"],
        **values,
    )


def _with_id(article: Article, article_id: str | None) -> Article:
    if not article_id or article.id == article_id:
        return article
    return dataclasses.replace(article, id=article_id, checksum="")  # checksum covers the id: recompute


def _item_error(index: int, article_id: str | None, messages) -> dict:
    if isinstance(messages, str):
        reason = messages
    else:
        reason = "; ".join(f"{e['name']}: {e['reason']}" for e in flatten_errors(messages))
    return {"index": index, "id": article_id, "reason": reason}


def _rejected(errors: dict, batch: bool) -> Problem:
    if not batch and len(errors) == 1:
        (article_id, messages), = errors.values()
        if isinstance(messages, str):
            return Problem(400, "Invalid article", messages, slug="invalid-article")
        return invalid_params(messages, title="Invalid article")
    items = [_item_error(i, *errors[i]) for i in sorted(errors)]
    return Problem(400, "Invalid articles", "No article in the batch could be written.", slug="invalid-article", errors=items)


def _result(report: WriteReport, errors: list[dict]) -> dict:
    return {
        "committed": report.committed,
        "visible": report.visible,
        "ids": report.added + report.updated + report.unchanged,
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "deleted": report.deleted,
        "errors": errors,
    }


# -- errors ----------------------------------------------------------------------------------------
def article_not_found(article_id: str) -> Problem:
    return Problem(404, "Article not found", f"No article has the id {article_id!r}.", slug="article-not-found")


def unknown_facet(name: str, names: tuple[str, ...] = schemas.FACET_NAMES) -> Problem:
    return Problem(404, "Unknown facet", f"Facets are: {', '.join(names)}.", slug="unknown-facet")


def index_busy() -> Problem:
    return Problem(503, "Index busy", "Another writer holds the index; retry shortly.", slug="index-busy", headers={"Retry-After": "2"})


def index_unavailable() -> Problem:
    return Problem(503, "Index unavailable", "The index is not open yet.", slug="index-unavailable", headers={"Retry-After": "5"})


def body_too_large(limit: int) -> Problem:
    return Problem(413, "Request body too large", f"At most {limit} bytes.", slug="body-too-large")
