"""Writing articles to the index: one writer at a time, incremental by checksum, atomic rebuilds."""
from __future__ import annotations

from typing import Callable, Iterable

from whoosh.index import Index

from .article import Article
from .results import WriteReport
from .schema import to_document
from .store import IndexStore

MAX_SEGMENTS_AFTER_BULK = 3


class BulkWriter:
    """Adds, updates and deletes articles in one index, holding the store's write lock.

    Unchanged articles (same id and checksum) are skipped. Work is committed every `commit_every`
    changes, so a crash loses at most the uncommitted tail; `on_commit` is told which ids became
    durable. With `rebuild`, everything goes into a fresh generation that replaces the live index
    only when `close()` succeeds.
    """

    def __init__(
        self,
        store: IndexStore,
        *,
        rebuild: bool = False,
        commit_every: int = 5000,
        lock_timeout: float = 30.0,
        on_commit: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.store = store
        self.rebuild = rebuild
        self.commit_every = commit_every
        self.on_commit = on_commit
        self.report = WriteReport()
        self._lock = store.write_lock(lock_timeout)
        self._lock.__enter__()
        try:
            store.clean_up()  # a killed rebuild's generation; no other writer runs now
            self.ix: Index = store.new_generation() if rebuild else store.open_for_write()
            self._known = {} if rebuild else _checksums(self.ix)
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        self._writer = None
        self._pending: list[str] = []
        self.seen: set[str] = set()

    def _w(self):
        if self._writer is None:
            self._writer = self.ix.writer(limitmb=256)
        return self._writer

    def add(self, article: Article) -> str:
        """Add or update one article; returns 'added', 'updated' or 'unchanged'."""
        self.seen.add(article.id)
        previous = self._known.get(article.id)
        if previous == article.checksum:
            self.report.unchanged.append(article.id)
            return "unchanged"
        doc = to_document(article)
        if previous is None:
            self._w().add_document(**doc)
            self.report.added.append(article.id)
            outcome = "added"
        else:
            self._w().update_document(**doc)
            self.report.updated.append(article.id)
            outcome = "updated"
        self._known[article.id] = article.checksum
        self._note(article.id)
        return outcome

    def delete(self, article_id: str) -> bool:
        if article_id not in self._known:
            return False
        self._w().delete_by_term("id", article_id)
        del self._known[article_id]
        self.report.deleted.append(article_id)
        self._note(article_id)
        return True

    def prune(self) -> list[str]:
        """Delete every article not added (or seen unchanged) through this writer."""
        gone = [i for i in list(self._known) if i not in self.seen]
        for article_id in gone:
            self.delete(article_id)
        return gone

    def _note(self, article_id: str) -> None:
        self._pending.append(article_id)
        # A rebuild is not live until it switches, so committing midway protects nothing and only
        # leaves segments to merge again: it commits once, at the end.
        if not self.rebuild and len(self._pending) >= self.commit_every:
            self.commit()

    def commit(self, optimize: bool = False) -> None:
        if self._writer is not None:
            self._writer.commit(optimize=optimize)
            self._writer = None
        elif optimize:
            self.ix.optimize()
        if self._pending and self.on_commit:
            self.on_commit(self._pending)
        self._pending = []

    def close(self) -> WriteReport:
        try:
            # A bulk load leaves many segments, and one segment searches markedly faster
            # (DEPENDENCIES.md): merge them when this run wrote several.
            self.commit()
            if len(self.ix._segments()) > MAX_SEGMENTS_AFTER_BULK:
                self.ix.optimize()
            if self.rebuild:
                self.store.switch_to(self.ix)
            self.report.committed = True
            return self.report
        finally:
            self.ix.close()
            self._lock.__exit__(None, None, None)

    def abort(self) -> None:
        try:
            if self._writer is not None:
                self._writer.cancel()
                self._writer = None
            if self.rebuild:
                self.store.discard(self.ix)
        finally:
            self.ix.close()
            self._lock.__exit__(None, None, None)

    def __enter__(self) -> "BulkWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _checksums(ix: Index) -> dict[str, str]:
    """id -> checksum of every live document, read from the sortable columns (no stored-field loads)."""
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return {}
        ids = reader.column_reader("id")
        sums = reader.column_reader("checksum")
        return {ids[d]: sums[d] for d in reader.all_doc_ids()}


def write_articles(store: IndexStore, articles: Iterable[Article], **options) -> WriteReport:
    with BulkWriter(store, **options) as writer:
        for article in articles:
            writer.add(article)
    return writer.report
