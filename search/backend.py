"""What a caller can do with a search backend, whichever stores the articles: the protocols the API,
the indexer and the command line are written against. Values in and out are the plain dataclasses
of search/request.py, search/results.py and search/article.py; errors are those of search/errors.py.

Two backends implement them: Whoosh (search/whoosh_backend, an index directory on this machine, the
default) and, past one machine, OpenSearch. `search.engine.open_engine(location)` picks one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Protocol, Sequence, runtime_checkable

from .article import Article
from .fields import Fields
from .request import SearchRequest
from .results import Bucket, Completion, Hit, IndexStatus, SearchResults, Stats, Version, WriteReport


@dataclass(frozen=True)
class WriteOptions:
    """How a bulk write runs, in terms every backend understands.

    rebuild: write everything into a fresh index that replaces the live one, atomically, only when
    the writer closes without error. commit_every: make the work durable after every N changes, so
    a crash loses at most the uncommitted tail. on_commit(ids): told which ids are durable (written
    by a commit, or found unchanged), and with `rebuild` only once the new index is live. merge:
    leave the index compact when the writer closes (the indexer's end of run; an API write never
    merges, it would hold the request for as long as the merge takes)."""

    rebuild: bool = False
    commit_every: int = 5000
    on_commit: Callable[[list[str]], None] | None = None
    merge: bool = False


@runtime_checkable
class Writer(Protocol):
    """One bulk write: add, update (by id; skipped when the checksum is unchanged), delete, prune."""

    report: WriteReport

    def add(self, article: Article, *, expect: str | None = None) -> str:
        """Add or update one article: 'added', 'updated' or 'unchanged'. With `expect` (the checksum
        of the stored version it was made from), nothing is written when the stored version has
        changed since ('stale'): a maintenance pass never overwrites a newer write."""

    def delete(self, article_id: str) -> bool:
        """Delete one article; False when there is none with that id."""

    def prune(self, under: Iterable[str]) -> list[str]:
        """Delete every article read from a file under one of `under` (absolute paths) that this
        writer was not given (added or seen unchanged); their ids. Articles written through the
        API (`search.article.origin_path` is None) are never pruned."""

    def raw_checksums(self) -> Mapping[str, str]:
        """raw checksum -> id of the articles that carry one (Article.raw_checksum): what an incremental
        run may skip before doing any work on an input."""

    def keep(self, article_id: str) -> bool:
        """An article whose input is unchanged (skipped before processing): reported unchanged and kept
        by `prune`. False when there is no article with that id."""

    def commit(self) -> None:
        """Make what was written so far durable (and, but for a rebuild, visible)."""

    def close(self) -> WriteReport:
        """Commit, switch a rebuild in, release the index; the report says `committed`. A rebuild
        keeps what the API wrote: the live index's API-written articles it did not write itself
        (`report.carried`), and the writes acknowledged while it ran."""

    def abort(self) -> None:
        """Drop what was not committed (a whole rebuild) and release the index."""

    def __enter__(self) -> "Writer": ...

    def __exit__(self, exc_type, exc, tb) -> None: ...


class WriterContext:
    """What every Writer does as a context: closes when the block ends, aborts when it raises."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


@runtime_checkable
class SearchBackend(Protocol):
    """Everything a caller can do with one index."""

    fields: Fields

    # -- reads -----------------------------------------------------------------------------------
    def search(self, request: SearchRequest) -> SearchResults:
        """Ranked hits with highlights, disjunctive facet counts and a spelling suggestion."""

    def get(self, article_id: str) -> Article:
        """The article with this id; ArticleNotFound when there is none."""

    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles about what this one is about (ArticleNotFound when there is no such article)."""

    def versions(self, article_id: str) -> list[Version]:
        """Every version of the article's story (search/stories.py), this one included, newest
        first (undated last); ArticleNotFound when there is no such article."""

    def suggest(self, prefix: str, limit: int = 8, base_filters: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        """Completions of what a user is typing, over titles and entity names; with `base_filters`
        (a scoped key's), only completions found in an article they allow."""

    def completions(
        self, prefix: str, limit: int = 8, base_filters: Mapping[str, Sequence[str]] | None = None
    ) -> list[Completion]:
        """The completions `suggest` gives, each with the facet a name belongs to (None for a word),
        so that a client can offer a name as the filter it is."""

    def facet_values(self, name: str, prefix: str = "", limit: int = 20) -> list[Bucket]:
        """Values of one facet over the whole index, by count; UnknownFacet for a name not declared."""

    def stats(self) -> Stats:
        """Document count, generation, date range and the top values of each facet."""

    def status(self) -> IndexStatus:
        """Documents, generation, commits, last commit time and writes pending: cheap, for monitoring.
        While a search holds the index it may answer with what it saw last (the writes pending are current)."""

    def generation(self) -> str:
        """Changes whenever the index changes (a commit, a rebuild's switch): for ETags and caches."""

    def is_ready(self) -> bool:
        """True once the index can answer (it exists and opens)."""

    def scan(self, attributes: Sequence[str]) -> Iterator[dict[str, object]]:
        """Every article's values of these record attributes (a facet's as a list), the id always
        included: for passes over the whole archive (indexer/archive.py) that need a few fields."""

    # -- knowledge about the whole archive, kept with the index ----------------------------------
    def read_meta(self, name: str) -> dict | None:
        """What `write_meta` last stored under this name, or None."""

    def write_meta(self, name: str, value: dict) -> None:
        """Store a JSON-ready value with the index, replacing the last one atomically (the entity
        registry of indexer/archive.py). It outlives a rebuild's switch."""

    # -- writes ----------------------------------------------------------------------------------
    def writer(self, options: WriteOptions = WriteOptions()) -> Writer:
        """A bulk writer (holds the index's write lock until closed)."""

    def add(self, articles: Iterable[Article] | Article, *, wait: float = 0.0) -> WriteReport:
        """Add or update articles (unchanged ones skipped), without waiting for another writer.

        The report says `committed` once the write is durable, and `visible` once searches see it;
        a durable write becomes visible within seconds. `wait`: seconds to wait for it to become
        visible before answering. Added/updated/unchanged are as of the index when not visible yet."""

    def delete(self, article_id: str, *, wait: float = 0.0) -> WriteReport:
        """Delete one article (ArticleNotFound when there is none); `committed`, `visible` and `wait` as for add."""

    def close(self) -> None:
        """Release what the backend holds open (searchers, connections)."""
