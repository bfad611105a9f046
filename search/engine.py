"""The Engine: everything a caller can do with one index directory, with no HTTP in it.

    >>> from search.engine import Engine
    >>> from search.request import SearchRequest
    >>> engine = Engine("data/index")
    >>> engine.search(SearchRequest(q="police", filters={"source": ["KCTV"]})).total
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable, Iterable, Mapping, Sequence

from whoosh.index import Index
from whoosh.query import Term

from .article import Article
from .facets import IndexView
from .errors import ArticleNotFound, UnknownFacet
from .request import SearchRequest
from .results import Bucket, Hit, SearchResults, Stats, WriteReport
from .schema import FACETS_BY_NAME, from_stored
from .store import IndexMissing, IndexStore
from .searching import WEIGHTING, run_search, similar_articles
from .suggest import complete
from .writer import BulkWriter


class Engine:
    def __init__(
        self,
        path: str | os.PathLike,
        *,
        refresh_interval: float = 0.25,
        clock: Callable[[], float] = time.time,
        lock_timeout: float = 30.0,
    ) -> None:
        self.store = IndexStore(path)
        self.refresh_interval = refresh_interval
        self.clock = clock
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._ix: Index | None = None
        self._ix_name: str | None = None
        self._searcher = None
        self._checked = 0.0
        self._view = None  # per-searcher caches (facet columns, vocabulary), rebuilt on refresh

    # -- the searcher, opened once and refreshed when the index changes ---------------------------
    def _current(self):
        """(searcher, view) for the live index, reopened after a rebuild switch, refreshed after commits."""
        now = time.monotonic()
        with self._lock:
            if self._searcher is not None and now - self._checked < self.refresh_interval:
                return self._searcher, self._view
            self._checked = now
            name = self.store.current_name()
            if self._searcher is None or name != self._ix_name:
                self._open(name)
            elif not self._searcher.up_to_date():
                # A fresh searcher, not Searcher.refresh(): refresh() reuses segment readers whose
                # deletion sets are stale after an update, so replaced versions would still show.
                self._searcher.close()
                self._searcher = self._ix.searcher(weighting=WEIGHTING)
                self._view = _make_view(self._searcher)
            return self._searcher, self._view

    def _open(self, name: str | None) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        ix = self.store.open()  # raises IndexMissing
        self._ix, self._ix_name = ix, self.store.current_name()
        self._searcher = ix.searcher(weighting=WEIGHTING)
        self._view = _make_view(self._searcher)

    def is_ready(self) -> bool:
        try:
            self._current()
            return True
        except IndexMissing:
            return False

    def generation(self) -> str:
        """Changes whenever the index changes (a commit or a rebuild switch): for ETags and caches."""
        searcher, _ = self._current()
        return f"{self._ix_name}.{searcher.ixreader.generation()}"

    # -- reads -----------------------------------------------------------------------------------
    def get(self, article_id: str) -> Article:
        searcher, _ = self._current()
        docnum = _live_docnum(searcher, article_id)
        if docnum is None:
            raise ArticleNotFound(article_id)
        return from_stored(searcher.stored_fields(docnum))

    def search(self, request: SearchRequest) -> SearchResults:
        searcher, view = self._current()
        return run_search(searcher, view, request, now=self.clock())

    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        searcher, view = self._current()
        docnum = _live_docnum(searcher, article_id)
        if docnum is None:
            raise ArticleNotFound(article_id)
        return similar_articles(searcher, view, docnum, limit)

    def suggest(self, prefix: str, limit: int = 8, filters: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        """Completions for what a user is typing, over titles and entity names.

        With `filters` (as in SearchRequest.filters: source, person, org, place, author), only
        completions that occur in at least one article the filters allow."""
        _, view = self._current()
        if not filters:
            return complete(view, prefix, limit)
        for name in filters:
            if name not in FACETS_BY_NAME:
                raise UnknownFacet(name)
        return complete(view, prefix, limit, within=view.filter_mask(filters))

    def facet_values(self, name: str, prefix: str = "", limit: int = 20) -> list[Bucket]:
        """Values of one facet over the whole index, optionally those starting with `prefix`."""
        if name not in FACETS_BY_NAME and name != "date":
            raise UnknownFacet(name)
        _, view = self._current()
        return view.values(name, prefix, limit)

    def stats(self) -> Stats:
        searcher, view = self._current()
        first, last = view.date_range()
        return Stats(
            documents=searcher.doc_count(),
            generation=self.generation(),
            sources=view.values("source", "", 50),
            first_published=first,
            last_published=last,
            top_people=view.values("person", "", 10),
            top_organizations=view.values("org", "", 10),
            top_places=view.values("place", "", 10),
        )

    # -- writes ----------------------------------------------------------------------------------
    def writer(self, **options) -> BulkWriter:
        """A bulk writer (holds the index's write lock until closed); see search.writer.BulkWriter."""
        options.setdefault("lock_timeout", self.lock_timeout)
        return BulkWriter(self.store, **options)

    def add(self, articles: Iterable[Article] | Article) -> WriteReport:
        """Add or update articles (skipping unchanged ones); durable when the report says committed."""
        if isinstance(articles, Article):
            articles = [articles]
        with self.writer() as w:
            for article in articles:
                w.add(article)
        self._checked = 0.0  # our own write: look again on the next read
        return w.report

    def update(self, article: Article) -> WriteReport:
        return self.add([article])

    def delete(self, article_id: str) -> WriteReport:
        with self.writer() as w:
            if not w.delete(article_id):
                raise ArticleNotFound(article_id)
        self._checked = 0.0
        return w.report

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


def _live_docnum(searcher, article_id: str) -> int | None:
    # Whoosh's document()/document_number() can return a deleted (updated) version: skip those.
    reader = searcher.reader()
    for docnum in searcher.docs_for_query(Term("id", article_id)):
        if not reader.is_deleted(docnum):
            return docnum
    return None


def _make_view(searcher) -> IndexView:
    return IndexView(searcher)
