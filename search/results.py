"""What the engine answers. Plain values: the API's marshmallow schemas dump these."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .highlight import join_fragments

MAX_OTHER_VERSIONS = 5


@dataclass
class Version:
    """Another version of a hit's story, in compact form."""

    id: str
    source: str | None
    published: datetime | None
    url: str | None = None
    title: str = ""


@dataclass
class Hit:
    id: str
    title: str
    url: str | None
    published: datetime | None
    score: float
    summary: str = ""
    dateline: str | None = None
    title_highlight: str = ""  # the title, HTML-escaped, matches in <mark>
    snippets: list[str] = field(default_factory=list)  # up to three body fragments, escaped, <mark>ed
    matched_terms: list[str] = field(default_factory=list)
    # The article's facet values by record attribute, as the field declaration names them (source,
    # author, people, organizations, places, ...); also readable as attributes: `hit.people`.
    values: dict[str, object] = field(default_factory=dict)
    # Its story's versions (collapse=story): how many there are, this one included, and the others,
    # newest first (at most MAX_OTHER_VERSIONS; GET /v1/articles/{id}/versions lists them all).
    versions: int = 1
    other_versions: list[Version] = field(default_factory=list)

    def __getattr__(self, name: str):
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(name)

    @property
    def snippet(self) -> str:
        return join_fragments(self.snippets)


@dataclass
class Completion:
    """One completion of what a user is typing: a name with the facet it is a value of (the one with
    the most articles when it is several: `person` for "Rick Smith"), or a word (`facet` None)."""

    text: str
    facet: str | None = None


@dataclass
class Bucket:
    value: str
    count: int
    selected: bool = False


@dataclass
class SearchResults:
    total: int
    page: int
    per_page: int
    took_ms: float
    hits: list[Hit]
    facets: dict[str, list[Bucket]]
    suggestion: str | None = None
    query: str = ""  # the query as the engine understood it (after any fallback)
    # The time budget ran out (Elasticsearch's `timed_out`): while ranking, `total` and facets are
    # exact and `hits` the best of the documents scored in time (the newest matches when none was);
    # while matching a disjunction, `total` and facets count the clauses that finished (a lower
    # bound) and `hits` are the newest of those matches.
    timed_out: bool = False
    # No article matched every word, so the hits match any of them (the words OR-ed) rather than
    # none: `relaxed` says so, and `dropped` lists the words no article within the filters matches
    # (empty when each word matches somewhere, only never all together).
    # The date histogram's interval (day, week, month or year): as asked, or the one `auto` picked;
    # None when no date facet was asked for, or auto found no dated match.
    date_interval: str | None = None
    relaxed: bool = False
    dropped: list[str] = field(default_factory=list)
    # The matching articles; `total` counts hits, which with collapse=story are stories (each one
    # or more articles). Facet counts count articles.
    articles: int | None = None


@dataclass
class Stats:
    documents: int
    generation: str
    first_published: datetime | None
    last_published: datetime | None
    facets: dict[str, list[Bucket]] = field(default_factory=dict)  # top values, by facet name


@dataclass(frozen=True)
class IndexStatus:
    """What an operator watches (GET /metrics): cheap to read, unlike Stats' facet values."""

    documents: int
    generation: str  # as SearchBackend.generation()
    commits: int  # commits to the live index; starts again after a rebuild's switch
    last_commit: datetime | None  # when the live index's last commit was made
    pending_writes: int  # API writes accepted (durable) but not yet applied to the index


@dataclass
class WriteReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    committed: bool = False  # durable on disk when True
    # Searchable: in a committed, live generation. An API write is durable (journaled) before it is
    # visible; it becomes visible when a writer applies the journal, within seconds.
    visible: bool = False
    carried: list[str] = field(default_factory=list)  # a rebuild's: API-written articles kept from the old generation
