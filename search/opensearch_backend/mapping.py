"""The index layout, built from the field declaration (search/fields.py), and an Article's way in
and out of an OpenSearch document.

* title and body: the built-in `english` analyzer (stemmed, stop words out). Not a custom chain
  with the `possessive_english` stemmer: osmem-server indexes every token of it as "" and every
  query then matches everything (docs/opensearch/groundwork.md §2; a termvectors test guards it).
  `title.plain` holds the unstemmed title words: the term suggester's vocabulary (did you mean).
* each facet: a keyword field named as the facet (filters, counts, exact values) with a `.text`
  subfield of analysed names (person:smith, free text).
* `words`: the title's distinct lowercased words as keywords, what completion counts.
* published (date), checksum, raw_checksum, origin_file (the file an article was read from; none
  for an API write), written (when we wrote it: what a rebuild carries over).
* everything else of the record (url, summary, dateline, origin, ...) is kept in _source only
  (`dynamic: false`), so a subclass's own fields round-trip without a mapping change.
"""
from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from datetime import datetime, timezone

from ..article import Article, origin_path
from ..fields import Fields

TEXT_FIELDS = ("title", "body")
NAMES_ANALYZER = "names"
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 64  # title words kept for completion


def index_body(fields: Fields, shards: int = 1, replicas: int = 1) -> dict:
    """Settings and mappings of a new concrete index."""
    properties: dict = {
        "id": {"type": "keyword", "ignore_above": 8191},
        "title": {"type": "text", "analyzer": "english",
                  "fields": {"plain": {"type": "text", "analyzer": NAMES_ANALYZER}}},
        "body": {"type": "text", "analyzer": "english"},
        "published": {"type": "date"},
        "checksum": {"type": "keyword"},
        "raw_checksum": {"type": "keyword"},
        "origin_file": {"type": "keyword"},
        # Stories (search/stories.py): the story an article belongs to (the id of its first
        # version), and the keys through which a new article finds its candidate versions. The
        # print itself (`story_print`) stays in _source, unindexed.
        "story": {"type": "keyword"},
        "story_keys": {"type": "keyword"},
        "written": {"type": "date", "format": "epoch_millis"},
        "words": {"type": "keyword"},
    }
    for facet in fields.facets:
        # ignore_above: a value past Lucene's term limit is kept in _source, not refused with the article.
        properties[facet.name] = {"type": "keyword", "ignore_above": 8191,
                                  "fields": {"text": {"type": "text", "analyzer": NAMES_ANALYZER}}}
    return {
        "settings": {
            "number_of_shards": shards,
            "number_of_replicas": replicas,
            "analysis": {"analyzer": {NAMES_ANALYZER: {"type": "custom", "tokenizer": "standard",
                                                       "filter": ["lowercase", "asciifolding"]}}},
        },
        "mappings": {"dynamic": False, "properties": properties},
    }


META_BODY = {"settings": {"number_of_shards": 1}, "mappings": {"dynamic": False, "properties": {}}}


MAX_ID_BYTES = 512  # the longest _id a cluster takes


def doc_id(article_id: str) -> str:
    """The document _id of an article: its id, or a digest of an id longer than a cluster takes
    (the id itself is always in the `id` field)."""
    raw = article_id.encode("utf-8", "surrogatepass")
    if len(raw) <= MAX_ID_BYTES and not article_id.startswith("_"):
        return article_id
    return "~sha256~" + hashlib.sha256(raw).hexdigest()


def text_field_of(name: str) -> str:
    """The analysed field a query on `name` (a text field or a facet) searches."""
    return name if name in TEXT_FIELDS else f"{name}.text"


def title_words(title: str) -> list[str]:
    words = dict.fromkeys(fold(w) for w in _WORD.findall(title or "") if not w.isdigit())
    return list(words)[:MAX_WORDS]


def fold(word: str) -> str:
    """Lowercased, accents off (as Whoosh's name analyzer)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def to_document(article: Article, fields: Fields, now_ms: int | None = None) -> dict:
    """The _source of an article."""
    doc: dict = {}
    for name in fields.scalar_fields():
        value = getattr(article, name)
        if value is not None and value != "":
            doc[name] = value
    doc["id"] = article.id
    doc["published"] = article.published.isoformat() if article.published else None
    for facet in fields.facets:
        values = fields.values(article, facet)
        if values:
            doc[facet.name] = values if facet.multi else values[0]
    origin = origin_path(article.origin)
    if origin is not None:
        doc["origin_file"] = origin
    doc["words"] = title_words(article.title)
    doc["written"] = int(time.time() * 1000) if now_ms is None else now_ms
    return doc


_OURS = {"origin_file", "written", "words"}


def from_source(source: dict, fields: Fields) -> Article:
    """The article a document holds."""
    facets = {}
    for facet in fields.facets:
        value = source.get(facet.name)
        facets[facet.name] = value if isinstance(value, list) else ([] if value is None else [value])
    scalars = {k: v for k, v in source.items() if k not in _OURS}
    return fields.record_from(scalars, facets, parse_date(source.get("published")))


def parse_date(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
