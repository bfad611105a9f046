"""The index schema, declared once. Everything else (facets, filters, query fields, stored
fields, API names) is derived from the tables here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from whoosh import fields
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.support.charset import accent_map

from .article import Article

# No stop filter: stop words keep their positions so phrases like "will than" stay exact.
# Stop words are dropped from free-text queries at query time instead (search/query.py).
TEXT_ANALYZER = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StemFilter(cachesize=50000)
NAME_ANALYZER = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)


@dataclass(frozen=True)
class Facet:
    """A multi- or single-valued facet: its API name, the Article attribute and the index fields."""

    name: str  # API/filter name: source, person, org, place, author
    attribute: str  # Article attribute
    keyword_field: str  # exact canonical values (filters, facet counts)
    text_field: str  # analysed names (field:value queries, free text)
    multi: bool


FACETS: tuple[Facet, ...] = (
    Facet("source", "source", "f_source", "source", multi=False),
    Facet("person", "people", "f_person", "person", multi=True),
    Facet("org", "organizations", "f_org", "org", multi=True),
    Facet("place", "places", "f_place", "place", multi=True),
    Facet("author", "author", "f_author", "author", multi=False),
)
FACETS_BY_NAME = {f.name: f for f in FACETS}
DATE_FACET = "date"

# Fields a query may name with `field:value`, and the free-text fields with their BM25F weights.
# Each field is scored on its own and the scores add up, so a title word that the body repeats (as
# leads and derived titles do) already counts twice; the title's weight is the bonus on top of that,
# not a multiplier of the whole match (measured in bench/relevance: 2.5 buried body matches).
TEXT_FIELDS = ("title", "body")
QUERY_FIELDS = TEXT_FIELDS + tuple(f.text_field for f in FACETS)
FIELD_WEIGHTS = {"title": 0.3, "body": 1.0, "person": 1.5, "org": 1.5, "place": 1.0, "author": 1.0, "source": 0.5}


def build_schema() -> fields.Schema:
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        title=fields.TEXT(analyzer=TEXT_ANALYZER, stored=True, phrase=True),
        body=fields.TEXT(analyzer=TEXT_ANALYZER, stored=True, phrase=True),
        published=fields.DATETIME(stored=True, sortable=True),
        year_month=fields.ID(stored=False, sortable=True),
        checksum=fields.ID(stored=True, sortable=True),
        url=fields.STORED(),
        summary=fields.STORED(),
        dateline=fields.STORED(),
        origin=fields.STORED(),
        # Unstemmed title words: the vocabulary of completion and "did you mean". Titles only: the
        # body's words doubled indexing time (measured: 562 -> 748 docs/s of Whoosh CPU on Reuters).
        spell=fields.TEXT(analyzer=NAME_ANALYZER, phrase=False, stored=False),
    )
    for facet in FACETS:
        schema.add(facet.keyword_field, fields.KEYWORD(stored=True, commas=True, lowercase=False, scorable=False))
        schema.add(facet.text_field, fields.TEXT(analyzer=NAME_ANALYZER, stored=False, phrase=True))
    return schema


SCHEMA = build_schema()


def _values(article: Article, facet: Facet) -> list[str]:
    value = getattr(article, facet.attribute)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    # Commas separate KEYWORD values; a canonical name never needs one.
    return [v.replace(",", " ").strip() for v in items if v and v.strip()]


def to_document(article: Article) -> dict:
    """The Whoosh document for an article."""
    doc = {
        "id": article.id,
        "title": article.title or "",
        "body": article.body or "",
        "checksum": article.checksum,
        "url": article.url,
        "summary": article.summary,
        "dateline": article.dateline,
        "origin": article.origin,
        "spell": article.title or "",
    }
    if article.published is not None:
        utc = article.published.astimezone(timezone.utc)
        # Whoosh stores naive datetimes; we keep UTC in the index and the offset-aware value in Article.
        doc["published"] = utc.replace(tzinfo=None)
        doc["year_month"] = utc.strftime("%Y-%m")
    for facet in FACETS:
        values = _values(article, facet)
        if values:
            doc[facet.keyword_field] = ",".join(values)
            doc[facet.text_field] = "\n".join(values)
    return doc


def from_stored(stored: dict) -> Article:
    """Rebuild an Article from a document's stored fields."""
    values: dict = {}
    for facet in FACETS:
        raw = stored.get(facet.keyword_field) or ""
        items = [v for v in raw.split(",") if v]
        values[facet.attribute] = items if facet.multi else (items[0] if items else None)
    published = stored.get("published")
    if isinstance(published, datetime):
        published = published.replace(tzinfo=timezone.utc)
    return Article(
        id=stored["id"],
        title=stored.get("title") or "",
        body=stored.get("body") or "",
        url=stored.get("url"),
        summary=stored.get("summary") or "",
        published=published,
        source=values["source"] or "unknown",
        dateline=stored.get("dateline"),
        author=values["author"],
        people=values["people"],
        organizations=values["organizations"],
        places=values["places"],
        checksum=stored.get("checksum") or "",
        origin=stored.get("origin"),
    )
