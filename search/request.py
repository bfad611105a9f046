"""What a caller asks the engine for. Plain values: the API's marshmallow schemas load into this."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .errors import UnknownFacet
from .fields import DATE_FACET, Fields

SORTS = ("relevance", "newest", "oldest")
DEFAULT_FACETS = ("source", "person", "org", "place", "date")
# The date histogram's bucket width; auto: picked from the span of the matching dates.
DATE_INTERVALS = ("auto", "day", "week", "month", "year")
# story: one hit per story (search/stories.py), its versions folded under it; none: every copy.
COLLAPSES = ("story", "none")


@dataclass
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    # Facet filters by API name (source, person, org, place, author): values of one facet are OR-ed,
    # different facets AND-ed. They restrict the results and never change scores.
    filters: dict[str, list[str]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    facets: tuple[str, ...] = DEFAULT_FACETS
    facet_size: int = 10
    date_interval: str = "auto"  # one of DATE_INTERVALS
    # Recency boost: a Gaussian decay on age (Elasticsearch function_score gauss). None = off.
    recency_days: float | None = None
    highlight: bool = True
    # Fold the versions of a story (a wire story in ten papers, an update of a page) under one hit,
    # its earliest matching version: `total` then counts stories. One of COLLAPSES.
    collapse: str = "none"
    # Restrictions that come with the caller, not the query (a scoped key's): by facet name, the only
    # values allowed. The backend applies them to the hits, the counts and the facet values listed,
    # so nothing outside them is ever seen; `filters` then narrows within them.
    base_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)


def check_facets(request: SearchRequest, fields: Fields) -> None:
    """UnknownFacet for a filter, base filter or facet asked for that the declaration lacks."""
    for name in (*request.filters, *request.base_filters):
        if not fields.has_facet(name):
            raise UnknownFacet(name)
    for name in request.facets:
        if name != DATE_FACET and not fields.has_facet(name):
            raise UnknownFacet(name)
