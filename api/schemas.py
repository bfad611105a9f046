"""marshmallow schemas: what every request may carry, and the shape of every response.

Query schemas take the configured limits (`Config`) when instantiated, so one instance both
validates requests and documents the limits in /openapi.json.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timezone
from functools import lru_cache
from types import SimpleNamespace

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from search.fields import FIELDS, Fields
from search.query import date_range_error
from search.request import COLLAPSES, DATE_INTERVALS, DEFAULT_FACETS, SORTS, SearchRequest

from .config import Config

# The facets (filters and counts) follow from the field declaration, search/fields.py: for another
# declaration, `for_fields(fields)` builds the schemas that depend on it.
FILTER_NAMES = FIELDS.filter_names  # source, person, org, place, author
FACET_NAMES = FIELDS.facet_names
MAX_FILTER_VALUES = 50  # values of one repeatable filter in one request
MAX_ID_LENGTH = 256
MAX_NAME_LENGTH = 300  # one entity / source / author name

# C0 controls (NUL included) and DEL; tab, newline and carriage return stay legal.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# -- fields ----------------------------------------------------------------------------------------
class Text(fields.String):
    """A string that is valid Unicode (no lone surrogates), has no control characters, and is NFC."""

    default_error_messages = {
        "control": "Must not contain control characters.",
        "encoding": "Not valid Unicode text.",
    }

    def __init__(self, **kwargs) -> None:
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault("pattern", r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$")  # documents _CONTROL
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.make_error("encoding") from None
        if _CONTROL.search(text):
            raise self.make_error("control")
        return unicodedata.normalize("NFC", text)


class Count(fields.Integer):
    """An integer parameter written in ASCII digits: int() would also read other scripts' digits
    (Arabic-Indic ١, fullwidth １), which no client means as a page number."""

    default_error_messages = {"digits": "Not a valid integer: use the ASCII digits 0-9."}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, str) and not re.fullmatch(r"\s*[-+]?[0-9]+\s*", value):
            # (int() also reads "1_000")
            raise self.make_error("digits" if any(c.isdigit() and not c.isascii() for c in value) else "invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Repeated(fields.List):
    """A repeatable query parameter (`source=A&source=B`): one value or many, blanks dropped."""

    def __init__(self, inner, *, split: str | None = None, **kwargs) -> None:
        super().__init__(inner, **kwargs)
        self.split = split

    def _deserialize(self, value, attr, data, **kwargs) -> list:
        if isinstance(value, str):
            value = [value]
        if self.split and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = [part for v in value for part in v.split(self.split)]
        if isinstance(value, list):
            # The documented maxItems counts the values sent, blanks included: check it before
            # the blanks (which a form sends for an empty field) are dropped.
            for validator in self.validators:
                if isinstance(validator, validate.Length) and validator.max is not None and len(value) > validator.max:
                    raise ValidationError(f"At most {validator.max} values.")
            # str.strip() also removes the control characters \x1c-\x1f: strip only values without
            # any, so that those reach the inner field and are refused as the schema documents.
            value = [v.strip() if isinstance(v, str) and not _CONTROL.search(v) else v for v in value]
            value = [v for v in value if v != ""]
        return list(dict.fromkeys(super()._deserialize(value, attr, data, **kwargs)))


class DateParam(fields.Date):
    """A date as YYYY-MM-DD or a full ISO 8601 date-time (its calendar date is used)."""

    default_error_messages = {"invalid": "Not a valid date: use YYYY-MM-DD or ISO 8601."}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if not isinstance(value, str) or len(value) > 64:
            raise self.make_error("invalid")
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text).date()
        except ValueError:
            raise self.make_error("invalid") from None


class Published(fields.DateTime):
    """An article's publication time: ISO 8601 date or date-time; no offset means UTC."""

    default_error_messages = {
        "invalid": "Not a valid date-time: use ISO 8601 (2020-07-03T14:00:00-05:00).",
        "range": "Out of range: in UTC it must fall between 0001-01-01 and 9999-12-31.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str) or len(value) > 64:
            raise self.make_error("invalid")
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        try:  # the index stores UTC: 0001-01-01T00:00:00+01:00 is a valid date-time with no UTC instant
            moment.astimezone(timezone.utc)
        except OverflowError:
            raise self.make_error("range") from None
        return moment


# An absolute http(s) URL: the same expression validates a request and documents it in
# /openapi.json, so the two cannot disagree (marshmallow's Url field accepts and rejects strings
# that no JSON Schema `format` describes). ASCII only: send IRIs percent-encoded.
WEB_URL = (
    r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(?::[0-9]{1,5})?(?:[/?#][!-~]*)?$"
)


def _web_url(**kwargs) -> Text:
    return Text(
        validate=[validate.Length(max=2048), validate.Regexp(WEB_URL, error="Not a valid URL: give an absolute http(s) URL.")],
        metadata={"pattern": WEB_URL, "description": "Absolute http(s) URL."},
        **kwargs,
    )


def _limit_text(field: fields.Field, length: int) -> None:
    target = field.inner if isinstance(field, fields.List) else field
    _add_validator(target, validate.Length(max=length))


def _add_validator(field: fields.Field, validator) -> None:
    # A new list, never append: marshmallow copies a schema's fields shallowly per instance, so
    # their validator lists are shared, and one app's limits would leak into every other instance.
    field.validators = [*field.validators, validator]


def _names(**kwargs) -> Repeated:
    return Repeated(
        Text(validate=validate.Length(max=MAX_NAME_LENGTH)),
        validate=validate.Length(max=MAX_FILTER_VALUES),
        load_default=list,
        **kwargs,
    )


# -- query parameters ------------------------------------------------------------------------------
class NoParams(Schema):
    """Routes that take no query parameters: any parameter is an unknown one."""


class WriteParams(Schema):
    """The parameters of POST, PUT and DELETE on articles."""

    wait = fields.Boolean(
        load_default=False,
        metadata={"description": "Answer only once the write is searchable (`visible: true`), waiting at most "
                                 "NEWSEARCH_WRITE_WAIT seconds. Without it a write answers as soon as it is durable."},
    )


class _SearchQuery(Schema):
    """/v1/search's parameters; `for_fields` adds one repeatable filter per declared facet."""

    declaration: Fields = FIELDS

    q = Text(load_default="", metadata={"description": "Query: words, \"phrases\", OR, -word, field:value, prefix*, fuzzy~."})
    page = Count(load_default=1, validate=validate.Range(min=1), metadata={"description": "1-based page."})
    per_page = Count(load_default=10, validate=validate.Range(min=1))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))
    date_from = DateParam(data_key="from", load_default=None, metadata={"description": "Published on or after (YYYY-MM-DD)."})
    date_to = DateParam(data_key="to", load_default=None, metadata={"description": "Published on or before (YYYY-MM-DD)."})
    facets = Repeated(
        # "" is listed because blanks are dropped (`facets=` asks for none): the document must not
        # call a request invalid that the API rightly accepts.
        fields.String(),
        split=",",
        load_default=lambda: list(DEFAULT_FACETS),
        metadata={"description": "Comma-separated facet names; empty for none."},
    )
    facet_size = Count(load_default=10, validate=validate.Range(min=1, max=100))
    date_interval = fields.String(
        load_default="auto", validate=validate.OneOf(DATE_INTERVALS),
        metadata={"description": "The date histogram's bucket width. `auto` (the default) picks the finest of day, "
                                 "week, month and year that covers the matching articles' dates in at most 60 "
                                 "buckets; the response's `date_interval` says which was used."})
    recency_days = fields.Float(
        load_default=None,
        validate=validate.Range(min=0, min_inclusive=False, max=36500),
        metadata={"description": "Boost recent articles: scale of the decay on age, in days.", "exclusiveMinimum": True},
    )
    highlight = fields.Boolean(load_default=True)
    collapse = fields.String(
        load_default="story", validate=validate.OneOf(COLLAPSES),
        metadata={"description": "`story` (the default): the versions of one story (a wire story in several papers, "
                                 "an aggregator's copy, an update of the same page) fold under one hit, its earliest "
                                 "matching version, with `versions` and `other_versions`; `total` counts stories. "
                                 "`none`: every copy is a hit."})

    def __init__(self, *, limits: Config = Config(), **kwargs) -> None:
        super().__init__(**kwargs)
        self.limits = limits
        _limit_text(self.fields["q"], limits.max_query_length)
        _add_validator(self.fields["per_page"], validate.Range(max=limits.max_per_page))
        # "" stays a choice (see `facets` above) but is no name to offer in the message.
        names = self.declaration.facet_names
        _add_validator(self.fields["facets"].inner, validate.OneOf(
            (*names, ""), error=f"Must be one of: {', '.join(names)} (or empty for no facets)."))

    @validates("q")
    def _date_range(self, value: str, **kwargs) -> None:
        reason = date_range_error(value)
        if reason:
            raise ValidationError(reason)

    @validates_schema
    def _window(self, data: dict, **kwargs) -> None:
        window = self.limits.result_window
        if data["page"] * data["per_page"] > window:
            raise ValidationError(
                f"Beyond the result window: page × per_page must not exceed {window}.", field_name="page"
            )
        if data["date_from"] and data["date_to"] and data["date_from"] > data["date_to"]:
            raise ValidationError("`from` is after `to`.", field_name="from")

    @post_load
    def _request(self, data: dict, **kwargs) -> SearchRequest:
        return SearchRequest(
            q=data["q"].strip(),
            page=data["page"],
            per_page=data["per_page"],
            sort=data["sort"],
            filters={name: data[name] for name in self.declaration.filter_names if data[name]},
            date_from=data["date_from"],
            date_to=data["date_to"],
            facets=tuple(data["facets"]),
            facet_size=data["facet_size"],
            date_interval=data["date_interval"],
            recency_days=data["recency_days"],
            highlight=data["highlight"],
            collapse=data["collapse"],
        )


class SuggestQuery(Schema):
    q = Text(required=True, validate=validate.Length(min=1), metadata={"description": "What the user has typed so far."})
    limit = Count(load_default=8, validate=validate.Range(min=1, max=50))

    def __init__(self, *, limits: Config = Config(), **kwargs) -> None:
        super().__init__(**kwargs)
        _limit_text(self.fields["q"], limits.max_query_length)


class FacetValuesQuery(Schema):
    q = Text(load_default="", metadata={"description": "Only values starting with this prefix."})
    limit = Count(load_default=20, validate=validate.Range(min=1, max=100))

    def __init__(self, *, limits: Config = Config(), **kwargs) -> None:
        super().__init__(**kwargs)
        _limit_text(self.fields["q"], limits.max_query_length)


class SimilarQuery(Schema):
    limit = Count(load_default=5, validate=validate.Range(min=1, max=50))


# -- request bodies --------------------------------------------------------------------------------
# An article id: no '/', no whitespace or control characters. Spelt out rather than `\s`, which
# means different things in Python and in the ECMA regexes of JSON Schema validators; the same
# expression validates and documents.
ID_PATTERN = r"^[^/\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+$"


def _id(**kwargs) -> Text:
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata["pattern"] = ID_PATTERN
    return Text(
        validate=[
            validate.Length(min=1, max=MAX_ID_LENGTH),
            validate.Regexp(ID_PATTERN, error="Must not contain '/', spaces or control characters."),
        ],
        metadata=metadata,
        **kwargs,
    )


class _ArticleFields(Schema):
    """An article with its fields ready: written as given (its facets' fields added by `for_fields`)."""

    id = _id(metadata={"description": "Derived from `url` when absent, else from `title` and `body` (as `newsearch "
                                      "index` derives it): posting the same article again updates it. People, "
                                      "organisations and places are extracted from the text when the item has none "
                                      "of those fields."})
    title = Text(required=True, validate=validate.Length(min=1, max=1000))
    body = Text(required=True, validate=validate.Length(min=1))
    url = _web_url(load_default=None)
    published = Published(load_default=None)
    summary = Text(load_default="", validate=validate.Length(max=5000))
    dateline = Text(load_default=None, validate=validate.Length(max=MAX_NAME_LENGTH))

    def __init__(self, *, path_id: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path_id = path_id  # PUT: the id comes from the path


class PathId(Schema):
    """The `{article_id}` of PUT /v1/articles/{article_id}: the rules of a body's `id`."""

    id = _id(required=True)


class RawArticle(Schema):
    """Raw text or HTML, run through the indexer pipeline (cleaning, metadata, entities)."""

    openapi_extra = {"oneOf": [{"required": ["text"]}, {"required": ["html"]}]}  # what `_one_kind` checks

    id = _id()
    text = Text(validate=validate.Length(min=1), metadata={"description": "Plain text: the first line is the title."})
    html = Text(validate=validate.Length(min=1), metadata={"description": "A whole HTML page; its main text is extracted."})
    url = _web_url()
    title = Text(validate=validate.Length(min=1, max=1000))
    source = Text(validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    published = Published()

    @validates_schema
    def _one_kind(self, data: dict, **kwargs) -> None:
        if ("text" in data) == ("html" in data):
            raise ValidationError("Give exactly one of `text` and `html`.", field_name="text")


class RawReplacement(RawArticle):
    """PUT /v1/articles/{id} with raw text or HTML: the id is the path's."""

    class Meta:
        exclude = ("id",)


class ArticleBatch(Schema):
    """`{"articles": [...]}`: each item either ready fields or raw text/HTML."""

    articles = fields.List(fields.Raw(allow_none=True), required=True)  # items are checked one by one


# -- responses -------------------------------------------------------------------------------------
class ValueCountSchema(Schema):
    value = fields.String()
    count = fields.Integer()


class BucketSchema(ValueCountSchema):
    selected = fields.Boolean()


class VersionSchema(Schema):
    id = fields.String()
    title = fields.String()
    source = fields.String(allow_none=True)
    published = fields.DateTime(allow_none=True)
    url = fields.String(allow_none=True)


class VersionsSchema(Schema):
    id = fields.String(metadata={"description": "The article asked for."})
    versions = fields.List(fields.Nested(VersionSchema), metadata={
        "description": "Every version of its story, this article included, newest first (undated last)."})


class _HitSchema(Schema):
    id = fields.String()
    title = fields.String()
    title_highlight = fields.String(metadata={"description": "The title, HTML-escaped, matches in <mark>."})
    url = fields.String(allow_none=True)
    published = fields.DateTime(allow_none=True)
    score = fields.Float()
    summary = fields.String()
    dateline = fields.String(allow_none=True)
    snippet = fields.String(metadata={"description": "The snippets joined: HTML-escaped, matches in <mark>."})
    snippets = fields.List(fields.String())
    matched_terms = fields.List(fields.String())
    versions = fields.Integer(metadata={
        "description": "Versions of this hit's story, this one included (1 when it has no other; always 1 with collapse=none)."})
    other_versions = fields.List(fields.Nested(VersionSchema), metadata={
        "description": "The story's other versions, newest first, at most five: GET /v1/articles/{id}/versions lists them all."})


class _SearchResultsSchema(Schema):
    query = fields.String(metadata={"description": "The query as the engine understood it."})
    total = fields.Integer(metadata={
        "description": "Hits in all: stories with collapse=story (the default), articles with collapse=none. Pages count these."})
    articles = fields.Integer(allow_none=True, metadata={
        "description": "Articles matched, every version counted. The facet counts count articles too."})
    page = fields.Integer()
    per_page = fields.Integer()
    took_ms = fields.Float()
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(BucketSchema)))
    suggestion = fields.String(allow_none=True, metadata={"description": "A corrected query, or null."})
    date_interval = fields.String(allow_none=True, metadata={
        "description": "The interval of the `date` facet's buckets: day (YYYY-MM-DD), week (ISO 8601, YYYY-Www), "
                       "month (YYYY-MM) or year (YYYY). Null when the date facet was not asked for, or no match is dated."})
    relaxed = fields.Boolean(metadata={
        "description": "True when no article matched every word of the query, so the hits are the articles "
                       "matching any of them (more words matched ranks higher) rather than none."})
    dropped = fields.List(fields.String(), metadata={
        "description": "With `relaxed`: the query's words that no article (within the filters) matches, so no hit "
                       "has them; `suggestion` offers a correction when one finds articles with every word. "
                       "Empty when each word matches somewhere, only never all in one article."})
    timed_out = fields.Boolean(metadata={
        "description": "True when the search ran out of its time budget (as Elasticsearch's `timed_out`). "
                       "Cut while ranking: `total` and `facets` are exact, `hits` are the best of the articles "
                       "scored in time. Cut while matching an OR: `total` and `facets` count the alternatives "
                       "that finished (a lower bound), `hits` are the newest of those matches."})


class _ArticleSchema(Schema):
    id = fields.String()
    title = fields.String()
    body = fields.String()
    url = fields.String(allow_none=True)
    summary = fields.String()
    published = fields.DateTime(allow_none=True)
    dateline = fields.String(allow_none=True)


class _SimilarSchema(Schema):
    id = fields.String()


class CompletionSchema(Schema):
    text = fields.String()
    facet = fields.String(
        allow_none=True,
        metadata={"description": "The filter a name is a value of (`person`, `org`, `place`, `source`, `author`); null for a word."},
    )


class SuggestionsSchema(Schema):
    q = fields.String()
    suggestions = fields.List(fields.String())
    completions = fields.List(
        fields.Nested(CompletionSchema),
        metadata={"description": "The same completions in the same order, each with the facet it can filter on."},
    )


class FacetValuesSchema(Schema):
    name = fields.String()
    q = fields.String()
    values = fields.List(fields.Nested(BucketSchema))


class StatsSchema(Schema):
    documents = fields.Integer()
    generation = fields.String()
    first_published = fields.DateTime(allow_none=True)
    last_published = fields.DateTime(allow_none=True)
    facets = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(ValueCountSchema)),
        metadata={"description": "The most frequent values of each facet, by facet name."},
    )


class HealthSchema(Schema):
    status = fields.String()
    documents = fields.Integer()
    generation = fields.String()


class ItemErrorSchema(Schema):
    index = fields.Integer(metadata={"description": "Position of the item in the request (0 for a single article)."})
    id = fields.String(allow_none=True)
    reason = fields.String()


class WriteResultSchema(Schema):
    committed = fields.Boolean(metadata={"description": "True when the write is durable on disk: it will not be lost."})
    visible = fields.Boolean(metadata={
        "description": "True when searches and GETs see the write. A durable write that another writer kept "
                       "from applying at once (`newsearch index`, say) becomes visible within seconds; "
                       "`?wait=true` answers only once it is (or after NEWSEARCH_WRITE_WAIT seconds)."})
    ids = fields.List(fields.String(), metadata={"description": "Ids written (added, updated or unchanged)."})
    added = fields.List(fields.String())
    updated = fields.List(fields.String())
    unchanged = fields.List(fields.String())
    deleted = fields.List(fields.String())
    errors = fields.List(fields.Nested(ItemErrorSchema), metadata={"description": "Items rejected, by position."})


class InvalidParamSchema(Schema):
    name = fields.String()
    reason = fields.String()


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    invalid_params = fields.List(fields.Nested(InvalidParamSchema))
    errors = fields.List(fields.Nested(ItemErrorSchema))


# -- what follows from the field declaration ------------------------------------------------------
def _facet_value_field(facet, *, dump: bool):
    if dump:
        return fields.List(fields.String()) if facet.multi else fields.String(allow_none=True)
    if facet.multi:
        return fields.List(Text(validate=validate.Length(min=1, max=MAX_NAME_LENGTH)), load_default=list, validate=validate.Length(max=500))
    if facet.default is not None:
        return Text(load_default=facet.default, validate=validate.Length(min=1, max=MAX_NAME_LENGTH))
    return Text(load_default=None, validate=validate.Length(max=MAX_NAME_LENGTH))


@lru_cache(maxsize=8)
def for_fields(declaration: Fields) -> SimpleNamespace:
    """The schemas whose fields follow from a field declaration: one filter parameter per facet,
    each facet's values on hits, articles and ready-field writes."""
    filters = {
        f.name: _names(metadata={"description": f"{f.label}: only articles with this value; repeat to OR values."})
        for f in declaration.facets
    }
    search_query = type("SearchQuery", (_SearchQuery,), {"declaration": declaration, **filters})
    values_dump = {f.attribute: _facet_value_field(f, dump=True) for f in declaration.facets}
    hit = type("HitSchema", (_HitSchema,), dict(values_dump))
    results = type("SearchResultsSchema", (_SearchResultsSchema,), {"hits": fields.List(fields.Nested(hit))})
    article = type("ArticleSchema", (_ArticleSchema,), dict(values_dump))
    similar = type("SimilarSchema", (_SimilarSchema,), {"hits": fields.List(fields.Nested(hit))})
    values_load = {f.attribute: _facet_value_field(f, dump=False) for f in declaration.facets}
    article_fields = type("ArticleFields", (_ArticleFields,), dict(values_load))
    replacement = type("ArticleReplacement", (article_fields,), {
        "__doc__": "PUT /v1/articles/{id} with ready fields: the id is the path's (a body `id` must equal it).",
        "openapi_extra": {},
        "Meta": type("Meta", (), {"exclude": ("id",)}),
    })
    return SimpleNamespace(
        declaration=declaration, SearchQuery=search_query, HitSchema=hit, SearchResultsSchema=results,
        ArticleSchema=article, SimilarSchema=similar, ArticleFields=article_fields, ArticleReplacement=replacement,
    )


_DEFAULT = for_fields(FIELDS)
SearchQuery = _DEFAULT.SearchQuery
HitSchema = _DEFAULT.HitSchema
SearchResultsSchema = _DEFAULT.SearchResultsSchema
ArticleSchema = _DEFAULT.ArticleSchema
SimilarSchema = _DEFAULT.SimilarSchema
ArticleFields = _DEFAULT.ArticleFields
ArticleReplacement = _DEFAULT.ArticleReplacement
