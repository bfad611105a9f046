"""Writing articles to the index: one writer at a time, incremental by checksum, atomic rebuilds."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from whoosh.index import Index

from ..article import Article
from ..fields import FIELDS, Fields
from ..results import WriteReport
from .schema import to_document
from .store import LOCK_TIMEOUT, IndexStore

MAX_SEGMENTS_AFTER_BULK = 3
# Whoosh's in-memory posting buffer (its `limitmb`), split among the writer's processes. Past it
# Whoosh spills sorted runs to disk and merges them at commit, which dominated bulk loads: on
# Reuters (19,043 stories) a rebuild ran at 608 docs/s with 256 MB and 845 with 1,024 in one
# process, 1,160 with 128 each and 1,569 with 256 each in two (bench/results/indexing.json has
# the whole pipeline). It is a ceiling, not an allocation: a run uses what its documents need.
BUFFER_MB = 1024


class BulkWriter:
    """Adds, updates and deletes articles in one index, holding the store's write lock.

    Unchanged articles (same id and checksum) are skipped. Work is committed every `commit_every`
    changes, so a crash loses at most the uncommitted tail; `on_commit` is told which ids are
    durable: those a commit wrote, and those found unchanged (already in the index, perhaps from a
    run killed after its commit and before it could say so). With `rebuild`, everything goes into a fresh generation that replaces the live index
    only when `close()` succeeds.

    With `share_lock` (seconds; not for rebuilds), a long incremental run lets other writers in: it
    commits and releases the lock once it has held it that long, and takes it back (re-reading what
    the others changed, and following a rebuild's switch) on its next write. Without it the lock is
    held from start to close, and an API write waiting on it would time out during a long run.
    """

    def __init__(
        self,
        store: IndexStore,
        *,
        lock_timeout: float = LOCK_TIMEOUT,
        rebuild: bool = False,
        commit_every: int = 5000,
        fields: Fields = FIELDS,
        on_commit: Callable[[list[str]], None] | None = None,
        share_lock: float | None = None,
        procs: int = 1,
        buffer_mb: int = BUFFER_MB,
    ) -> None:
        self.store = store
        self.fields = fields
        self.rebuild = rebuild
        # A rebuild only adds documents, so it can let Whoosh analyse and write in `procs` processes,
        # one segment each (measured on 10,000 Reuters stories: 818 -> 1,369 docs/s with 2). The
        # segments are not merged: merging costs more than the indexing saved, and a few segments
        # search nearly as fast (bench/latency).
        self.procs = procs if rebuild else 1
        self.limitmb = max(16, buffer_mb // self.procs)
        self.commit_every = commit_every
        self.on_commit = on_commit
        self.report = WriteReport()
        self.lock_timeout = lock_timeout
        self.share_lock = None if rebuild else share_lock
        self._lock = store.write_lock(lock_timeout)
        self._lock.__enter__()
        self._locked = True
        self._held_since = time.monotonic()
        try:
            store.clean_up()  # a killed rebuild's generation; no other writer runs now
            self.ix: Index = store.new_generation() if rebuild else store.open_for_write()
            self._known = {} if rebuild else _checksums(self.ix)
            # An index made before a field of the record existed (raw_checksum) keeps working without it.
            names = set(self.ix.schema.names())
            self._schema_names = None if "raw_checksum" in names else names
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        self._writer = None
        self._pending: list[str] = []  # changed since the last commit
        self._unchanged: list[str] = []  # already durable; told to on_commit with the next commit
        self.seen: set[str] = set()

    def _w(self):
        if self._writer is None:
            if self.procs > 1:
                self._writer = self.ix.writer(limitmb=self.limitmb, procs=self.procs, multisegment=True)
            else:
                self._writer = self.ix.writer(limitmb=self.limitmb)
        return self._writer

    # -- sharing the lock between commits (share_lock) ------------------------------------------
    def _relock(self, refresh: bool = True) -> None:
        """Take the lock back after sharing it; re-read what other writers did meanwhile."""
        if self._locked:
            return
        self._lock = self.store.write_lock(self.lock_timeout)
        self._lock.__enter__()
        self._locked = True
        self._held_since = time.monotonic()
        try:
            if self.store.current_name() != Path(self.ix.storage.folder).name:
                self.ix.close()  # another process rebuilt the index meanwhile: write to the live one
                self.ix = self.store.open_for_write()
            if refresh:
                self._known = _checksums(self.ix)
        except BaseException:
            self._unlock()
            raise

    def _unlock(self) -> None:
        if self._locked:
            self._locked = False
            self._lock.__exit__(None, None, None)

    def _maybe_share(self) -> None:
        if self.share_lock is not None and self._locked and time.monotonic() - self._held_since >= self.share_lock:
            self.commit()
            self._unlock()  # until the next write

    def add(self, article: Article) -> str:
        """Add or update one article; returns 'added', 'updated' or 'unchanged'."""
        self._relock()
        outcome = self._add(article)
        self._maybe_share()
        return outcome

    def _add(self, article: Article) -> str:
        self.seen.add(article.id)
        previous, previous_raw = self._known.get(article.id, (None, ""))
        # Same content: unchanged, unless the input's digest is new to the index (an index from before
        # raw checksums, or the same article from a changed file): then it is stored, so the next run skips it.
        if previous == article.checksum and (not article.raw_checksum or article.raw_checksum == previous_raw):
            self.report.unchanged.append(article.id)
            self._unchanged.append(article.id)
            return "unchanged"
        doc = to_document(article, self.fields)
        if self._schema_names is not None:
            doc = {k: v for k, v in doc.items() if k in self._schema_names}
        if previous is None:
            self._w().add_document(**doc)
            self.report.added.append(article.id)
            outcome = "added"
        else:
            self._w().update_document(**doc)
            self.report.updated.append(article.id)
            outcome = "updated"
        self._known[article.id] = (article.checksum, article.raw_checksum)
        self._note(article.id)
        return outcome

    def raw_checksums(self) -> dict[str, str]:
        """raw checksum -> id of the live articles that carry one."""
        self._relock()
        return {raw: article_id for article_id, (_, raw) in self._known.items() if raw}

    def keep(self, article_id: str) -> bool:
        """An article whose input was found unchanged before processing: unchanged, and kept by prune."""
        self._relock()
        if article_id not in self._known:
            return False
        self.seen.add(article_id)
        self.report.unchanged.append(article_id)
        self._unchanged.append(article_id)
        return True

    def delete(self, article_id: str) -> bool:
        self._relock()
        if article_id not in self._known:
            return False
        self._w().delete_by_term("id", article_id)
        del self._known[article_id]
        self.report.deleted.append(article_id)
        self._note(article_id)
        return True

    def prune(self) -> list[str]:
        """Delete every article not added (or seen unchanged) through this writer."""
        self._relock()
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
        durable = self._unchanged + self._pending
        if durable and self.on_commit:
            self.on_commit(durable)
        self._pending, self._unchanged = [], []

    def close(self) -> WriteReport:
        try:
            self._relock(refresh=False)
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
            self._unlock()

    def abort(self) -> None:
        try:
            if self._writer is not None:
                self._writer.cancel()
                self._writer = None
            if self.rebuild:
                self.store.discard(self.ix)
        finally:
            self.ix.close()
            self._unlock()

    def __enter__(self) -> "BulkWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def _checksums(ix: Index) -> dict[str, tuple[str, str]]:
    """id -> (checksum, raw checksum) of every live document, read from the sortable columns (no
    stored-field loads); the raw checksum is "" where none was stored."""
    with ix.reader() as reader:
        if reader.doc_count() == 0:
            return {}
        ids = reader.column_reader("id")
        sums = reader.column_reader("checksum")
        raws = reader.column_reader("raw_checksum") if reader.has_column("raw_checksum") else None
        return {ids[d]: (sums[d], (raws[d] or "") if raws is not None else "") for d in reader.all_doc_ids()}
