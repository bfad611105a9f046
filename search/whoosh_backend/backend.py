"""The Whoosh backend: search.backend.SearchBackend over one index directory.

    >>> from search.whoosh_backend import WhooshBackend
    >>> backend = WhooshBackend("data/index")

Whoosh's own tuning is this constructor's: how long a search may run (`search_timeout`, see
budget.py), how long a write waits for the lock, how much memory the
index writer buffers and in how many processes a rebuild writes, how often a long indexing run lets
other writers in, how often a reader looks for a new generation.
"""
from __future__ import annotations

import functools
import os
import threading
import time
from typing import Callable, Iterable, Mapping, Sequence

from whoosh.index import Index
from whoosh.query import Term

from ..article import Article
from ..backend import WriteOptions
from ..errors import ArticleNotFound, IndexMissing, UnknownFacet
from ..fields import DATE_FACET, FIELDS, Fields
from ..request import SearchRequest
from ..results import Bucket, Hit, SearchResults, Stats, WriteReport
from .budget import SEARCH_TIMEOUT, Deadline
from .columns import Caches, IndexView
from .schema import from_stored, schema_for
from .searching import WEIGHTING, run_search, similar_articles
from .store import LOCK_TIMEOUT, IndexStore
from .suggest import complete
from .writer import BUFFER_MB, BulkWriter, storage_errors

def _one_at_a_time(method):
    """Whoosh's searcher reads shared file handles (seek, then read) and a refresh closes it: in a
    threaded server (gunicorn's gthread workers) the reads of one backend take turns, under its lock."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


class WhooshBackend:
    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fields: Fields = FIELDS,
        refresh_interval: float = 0.25,
        clock: Callable[[], float] = time.time,
        lock_timeout: float = LOCK_TIMEOUT,
        buffer_mb: int = BUFFER_MB,
        procs: int = 1,
        share_lock: float | None = None,
        search_timeout: float | None = SEARCH_TIMEOUT,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fields = fields
        self.store = IndexStore(path, schema_for(fields))
        self.refresh_interval = refresh_interval
        self.clock = clock
        self.lock_timeout = lock_timeout
        self.buffer_mb = buffer_mb
        self.procs = procs  # processes a rebuild writes with
        self.share_lock = share_lock  # seconds a long incremental write holds the lock before letting others in
        self.search_timeout = search_timeout  # seconds a search or similar may run (None: no limit)
        self.timer = timer  # the clock the search budget is measured with
        self.caches = Caches()
        self._lock = threading.RLock()
        self._ix: Index | None = None
        self._ix_name: str | None = None
        self._searcher = None
        self._checked = 0.0
        self._view: IndexView | None = None

    # -- the searcher, opened once and refreshed when the index changes ---------------------------
    def current(self) -> tuple[object, IndexView]:
        """(searcher, view) for the live index, reopened after a rebuild switch, refreshed after commits."""
        now = time.monotonic()
        with self._lock:
            if self._searcher is not None and now - self._checked < self.refresh_interval:
                return self._searcher, self._view
            self._checked = now
            name = self.store.current_name()
            if self._searcher is None or name != self._ix_name:
                self._open()
            elif not self._searcher.up_to_date():
                # A fresh searcher, not Searcher.refresh(): refresh() reuses segment readers whose
                # deletion sets are stale after an update, so replaced versions would still show.
                self._searcher.close()
                self._searcher = self._ix.searcher(weighting=WEIGHTING)
                self._view = IndexView(self._searcher, self.fields, self.caches)
            return self._searcher, self._view

    def _open(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        ix = self.store.open()  # raises IndexMissing
        self._ix, self._ix_name = ix, self.store.current_name()
        self._searcher = ix.searcher(weighting=WEIGHTING)
        self._view = IndexView(self._searcher, self.fields, self.caches)

    def is_ready(self) -> bool:
        try:
            self.current()
            return True
        except IndexMissing:
            return False

    @_one_at_a_time
    def generation(self) -> str:
        searcher, _ = self.current()
        return f"{self._ix_name}.{searcher.ixreader.generation()}"

    # -- reads -----------------------------------------------------------------------------------
    @_one_at_a_time
    def get(self, article_id: str) -> Article:
        searcher, _ = self.current()
        docnum = _live_docnum(searcher, article_id)
        if docnum is None:
            raise ArticleNotFound(article_id)
        return from_stored(searcher.stored_fields(docnum), self.fields)

    @_one_at_a_time
    def search(self, request: SearchRequest) -> SearchResults:
        for name in (*request.filters, *request.base_filters):
            if not self.fields.has_facet(name):
                raise UnknownFacet(name)
        for name in request.facets:
            if name != DATE_FACET and not self.fields.has_facet(name):
                raise UnknownFacet(name)
        searcher, view = self.current()
        return run_search(searcher, view, request, now=self.clock(), deadline=self._deadline())

    @_one_at_a_time
    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        searcher, view = self.current()
        docnum = _live_docnum(searcher, article_id)
        if docnum is None:
            raise ArticleNotFound(article_id)
        return similar_articles(searcher, view, docnum, limit, deadline=self._deadline())

    def _deadline(self) -> Deadline:
        return Deadline(self.search_timeout, clock=self.timer)

    @_one_at_a_time
    def suggest(self, prefix: str, limit: int = 8, base_filters: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        for name in base_filters or ():
            if not self.fields.has_facet(name):
                raise UnknownFacet(name)
        _, view = self.current()
        if not base_filters:
            return complete(view, prefix, limit)
        return complete(view, prefix, limit, within=view.filter_mask(base_filters))

    @_one_at_a_time
    def facet_values(self, name: str, prefix: str = "", limit: int = 20) -> list[Bucket]:
        if not self.fields.has_facet(name) and name != DATE_FACET:
            raise UnknownFacet(name)
        _, view = self.current()
        return view.values(name, prefix, limit)

    @_one_at_a_time
    def stats(self) -> Stats:
        searcher, view = self.current()
        first, last = view.date_range()
        return Stats(
            documents=searcher.doc_count(),
            generation=self.generation(),
            first_published=first,
            last_published=last,
            facets={f.name: view.values(f.name, "", f.top) for f in self.fields.facets if f.top},
        )

    # -- writes ----------------------------------------------------------------------------------
    def writer(self, options: WriteOptions = WriteOptions()) -> BulkWriter:
        """A bulk writer (holds the index's write lock until closed); see writer.BulkWriter."""
        return BulkWriter(
            self.store,
            fields=self.fields,
            rebuild=options.rebuild,
            commit_every=options.commit_every,
            on_commit=options.on_commit,
            lock_timeout=self.lock_timeout,
            share_lock=self.share_lock,
            procs=self.procs,
            buffer_mb=self.buffer_mb,
        )

    def add(self, articles: Iterable[Article] | Article) -> WriteReport:
        if isinstance(articles, Article):
            articles = [articles]
        with storage_errors(self.store.root), self.writer() as w:
            for article in articles:
                w.add(article)
        self._checked = 0.0  # our own write: look again on the next read
        return w.report

    def update(self, article: Article) -> WriteReport:
        return self.add([article])

    def delete(self, article_id: str) -> WriteReport:
        with storage_errors(self.store.root), self.writer() as w:
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
