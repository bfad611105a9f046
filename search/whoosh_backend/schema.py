"""The Whoosh schema, built from the field declaration (search/fields.py), and an Article's way in
and out of a Whoosh document."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from whoosh import fields as wf
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StripFilter
from whoosh.support.charset import accent_map

from ..article import Article
from ..fields import Facet, Fields

# No stop filter: stop words keep their positions so phrases like "will than" stay exact.
# Stop words are dropped from free-text queries at query time instead (search/whoosh_backend/compile.py,
# as search/query.py describes).
TEXT_ANALYZER = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map) | StemFilter(cachesize=50000)
NAME_ANALYZER = RegexTokenizer() | LowercaseFilter() | CharsetFilter(accent_map)
# A facet's exact values are joined with the unit separator, a character no name holds (the API
# refuses control characters), so a value keeps its commas ("Smith, Jr.", a source "A,B"). Stored,
# the joined values start with one: what an index written before (values joined by commas, each
# comma in a value made a space) stored has none, and is still read as it was written.
VALUE_SEPARATOR = "\x1f"
VALUES_ANALYZER = RegexTokenizer(r"[^\x1f]+") | StripFilter()

# Record fields stored as they are, besides those the schema indexes.
_INDEXED = {"id", "title", "body", "published", "checksum", "raw_checksum"}


def keyword_field(facet: Facet) -> str:
    """The exact canonical values (filters, facet counts)."""
    return f"f_{facet.name}"


def text_field(facet: Facet) -> str:
    """The analysed names (field:value queries, free text)."""
    return facet.name


def build_schema(fields: Fields) -> wf.Schema:
    schema = wf.Schema(
        id=wf.ID(stored=True, unique=True, sortable=True),
        title=wf.TEXT(analyzer=TEXT_ANALYZER, stored=True, phrase=True),
        body=wf.TEXT(analyzer=TEXT_ANALYZER, stored=True, phrase=True),
        published=wf.DATETIME(stored=True, sortable=True),
        year_month=wf.ID(stored=False, sortable=True),
        checksum=wf.ID(stored=True, sortable=True),
        raw_checksum=wf.ID(stored=True, sortable=True),  # read as a column when a run starts (writer.py)
        # Unstemmed title words: the vocabulary of completion and "did you mean". Titles only: the
        # body's words doubled indexing time (measured: 562 -> 748 docs/s of Whoosh CPU on Reuters).
        spell=wf.TEXT(analyzer=NAME_ANALYZER, phrase=False, stored=False),
    )
    for name in fields.scalar_fields():
        if name not in _INDEXED:
            schema.add(name, wf.STORED())
    for facet in fields.facets:
        schema.add(keyword_field(facet), wf.KEYWORD(stored=True, lowercase=False, scorable=False, analyzer=VALUES_ANALYZER))
        schema.add(text_field(facet), wf.TEXT(analyzer=NAME_ANALYZER, stored=False, phrase=True))
    return schema


@lru_cache(maxsize=8)
def schema_for(fields: Fields) -> wf.Schema:
    return build_schema(fields)


def analyzer_for(fieldname: str):
    """The analyzer of a field: title and body are stemmed, names are not."""
    return TEXT_ANALYZER if fieldname in ("title", "body") else NAME_ANALYZER


@lru_cache(maxsize=200_000)
def text_key(word: str) -> str:
    """What one word of text becomes in the title/body terms, by the schema's own analyzer."""
    tokens = [t.text for t in TEXT_ANALYZER(word)]
    return tokens[0] if tokens else word.lower()


def analyzed_terms(text: str) -> list[str]:
    """The index terms a text produces in title/body (lowercased, accent-folded, stemmed)."""
    return [t.text for t in TEXT_ANALYZER(text)]


def _values(article: Article, facet: Facet, fields: Fields) -> list[str]:
    clean = (v.replace(VALUE_SEPARATOR, " ").strip() for v in fields.values(article, facet))
    return list(dict.fromkeys(v for v in clean if v))


def stored_values(stored: str | None) -> list[str]:
    """A facet's values from what a document stored (see VALUE_SEPARATOR)."""
    if not stored:
        return []
    if stored.startswith(VALUE_SEPARATOR):
        return [v for v in stored.split(VALUE_SEPARATOR) if v]
    return [v for v in stored.split(",") if v]  # written before values kept their commas


def to_document(article: Article, fields: Fields) -> dict:
    """The Whoosh document for an article."""
    doc: dict = {name: getattr(article, name) for name in fields.scalar_fields()}
    doc.update({"title": article.title or "", "body": article.body or "", "spell": article.title or ""})
    if article.published is not None:
        utc = article.published.astimezone(timezone.utc)
        # Whoosh stores naive datetimes; we keep UTC in the index and the offset-aware value in Article.
        doc["published"] = utc.replace(tzinfo=None)
        doc["year_month"] = utc.strftime("%Y-%m")
    for facet in fields.facets:
        values = _values(article, facet, fields)
        if values:
            doc[keyword_field(facet)] = VALUE_SEPARATOR + VALUE_SEPARATOR.join(values)
            doc[text_field(facet)] = "\n".join(values)
    return doc


def from_stored(stored: dict, fields: Fields) -> Article:
    """Rebuild an Article from a document's stored fields."""
    facets = {f.name: stored_values(stored.get(keyword_field(f))) for f in fields.facets}
    published = stored.get("published")
    if isinstance(published, datetime):
        published = published.replace(tzinfo=timezone.utc)
    scalars = {name: stored.get(name) for name in fields.scalar_fields()}
    for name in ("title", "body", "summary", "checksum", "raw_checksum"):
        if name in scalars and scalars[name] is None:
            scalars[name] = ""
    return fields.record_from(scalars, facets, published if isinstance(published, datetime) else None)
