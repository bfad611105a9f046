"""The fields and facets of an article, declared once.

Everything that names a facet follows from `FIELDS`: each backend's index layout (the Whoosh schema,
the OpenSearch mapping), the `Article` round trip through an index, the checksum (search/article.py
hashes every field of the record), the API's filter parameters and response schemas, the statistics
and the widget's labels. Adding a facet is one `Facet` entry here, a field on `Article` (or on a
subclass, named as the declaration's `record`) and the code that fills it.

    >>> FIELDS.facet("person").attribute
    'people'
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

from .article import Article

DATE_FACET = "date"  # the date histogram: buckets of `published`, not a field of its own


@dataclass(frozen=True)
class Facet:
    """A filterable, countable field: its API name, the record attribute that holds it."""

    name: str  # API name: the filter parameter, the facet key in responses (source, person, ...)
    attribute: str  # the Article attribute (a string, or a list of strings when `multi`)
    multi: bool
    labels: Mapping[str, str] = field(compare=False)  # what the widget shows, by language ("en" always present)
    weight: float = 1.0  # BM25F weight of its names in free-text search
    default: str | None = None  # the value a record holds when nothing says (None: no value)
    top: int = 10  # values listed in the index statistics

    @property
    def label(self) -> str:
        return self.labels["en"]


@dataclass(frozen=True)
class TextField:
    """An analysed full-text field of the record, with its BM25F weight."""

    name: str
    weight: float


@dataclass(frozen=True)
class Fields:
    """The declaration: the record type, its full-text fields and its facets."""

    facets: tuple[Facet, ...]
    text: tuple[TextField, ...]
    record: type = Article

    def __post_init__(self) -> None:
        attributes = {f.name for f in dataclasses.fields(self.record)}
        for facet in self.facets:
            if facet.attribute not in attributes:
                raise TypeError(f"facet {facet.name!r}: {self.record.__name__} has no field {facet.attribute!r}")
        names = [f.name for f in self.facets]
        if len(set(names)) != len(names) or DATE_FACET in names:
            raise TypeError(f"facet names must be unique and not {DATE_FACET!r}: {names}")

    # -- names ---------------------------------------------------------------------------------
    @property
    def filter_names(self) -> tuple[str, ...]:
        """The facets a search can filter on (source, person, org, place, author)."""
        return tuple(f.name for f in self.facets)

    @property
    def facet_names(self) -> tuple[str, ...]:
        """Every facet a search can count: the filters and the date histogram."""
        return self.filter_names + (DATE_FACET,)

    @property
    def query_fields(self) -> tuple[str, ...]:
        """Fields a query may name with `field:value`: the text fields and the facets."""
        return tuple(t.name for t in self.text) + self.filter_names

    @property
    def weights(self) -> dict[str, float]:
        return {**{t.name: t.weight for t in self.text}, **{f.name: f.weight for f in self.facets}}

    def facet(self, name: str) -> Facet:
        for facet in self.facets:
            if facet.name == name:
                return facet
        raise KeyError(name)

    def has_facet(self, name: str) -> bool:
        return any(f.name == name for f in self.facets)

    def labels(self, language: str) -> dict[str, str]:
        """Facet labels in `language` (English where a label is missing), the date's included."""
        out = {f.name: f.labels.get(language) or f.label for f in self.facets}
        out[DATE_FACET] = DATE_LABELS.get(language) or DATE_LABELS["en"]
        return out

    # -- values --------------------------------------------------------------------------------
    def values(self, article: Article, facet: Facet) -> list[str]:
        """The facet's values on an article, stripped, blanks dropped, in order, each once."""
        value = getattr(article, facet.attribute)
        if value is None:
            return []
        items = value if isinstance(value, (list, tuple)) else [value]
        return list(dict.fromkeys(v.strip() for v in items if isinstance(v, str) and v.strip()))

    def scalar_fields(self) -> tuple[str, ...]:
        """Record fields that are neither facets nor `published`: stored as they are."""
        facet_attrs = {f.attribute for f in self.facets}
        return tuple(f.name for f in dataclasses.fields(self.record) if f.name not in facet_attrs and f.name != "published")

    def record_from(self, scalars: Mapping[str, object], facets: Mapping[str, list[str]], published: datetime | None) -> Article:
        """A record from what an index stored: scalar fields by name, facet values by facet name."""
        values: dict[str, object] = {name: scalars.get(name) for name in self.scalar_fields() if scalars.get(name) is not None}
        for facet in self.facets:
            items = list(facets.get(facet.name) or [])
            if facet.multi:
                values[facet.attribute] = items
            else:
                values[facet.attribute] = items[0] if items else facet.default
        values["published"] = published
        return self.record(**values)


DATE_LABELS = {"en": "Date", "es": "Fecha", "fr": "Date", "de": "Datum"}

# Each field is scored on its own and the scores add up, so a title word that the body repeats (as
# leads and derived titles do) already counts twice; the title's weight is the bonus on top of that,
# not a multiplier of the whole match (measured in bench/relevance: 2.5 buried body matches).
FIELDS = Fields(
    text=(TextField("title", 0.3), TextField("body", 1.0)),
    facets=(
        Facet("source", "source", multi=False, weight=0.5, top=50,
              labels={"en": "Source", "es": "Fuente", "fr": "Source", "de": "Quelle"}),
        Facet("person", "people", multi=True, weight=1.5,
              labels={"en": "People", "es": "Personas", "fr": "Personnes", "de": "Personen"}),
        Facet("org", "organizations", multi=True, weight=1.5,
              labels={"en": "Organisations", "es": "Organizaciones", "fr": "Organisations", "de": "Organisationen"}),
        Facet("place", "places", multi=True, weight=1.0,
              labels={"en": "Places", "es": "Lugares", "fr": "Lieux", "de": "Orte"}),
        Facet("author", "author", multi=False, weight=1.0, top=0,
              labels={"en": "Authors", "es": "Autores", "fr": "Auteurs", "de": "Autoren"}),
    ),
)
