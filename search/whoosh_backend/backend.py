"""The Whoosh backend: search.backend.SearchBackend over one index directory.

    >>> from search.whoosh_backend import WhooshBackend
    >>> backend = WhooshBackend("data/index")

Whoosh's own tuning is this constructor's: how long a search may run (`search_timeout`, see
budget.py), how long a write waits for the lock, how much memory the
index writer buffers and in how many processes a rebuild writes, how often a long indexing run lets
other writers in, how often a reader looks for a new generation.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import json
import logging
import os
import re
import threading
import time
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from whoosh.index import Index
from whoosh.query import Term
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

from ..article import Article
from ..backend import WriteOptions
from ..errors import ArticleNotFound, IndexMissing, UnknownFacet, WriteLockTimeout
from ..fields import DATE_FACET, FIELDS, Fields
from ..request import SearchRequest, check_facets
from ..results import Bucket, Completion, Hit, IndexStatus, SearchResults, Stats, Version, WriteReport
from .budget import LONG_AFTER, SEARCH_TIMEOUT, Deadline, LongSearches
from .columns import Caches, IndexView, date_histogram
from .schema import from_stored, keyword_field, schema_for, stored_values
from .searching import WEIGHTING, run_search, similar_articles, story_version
from .store import LOCK_TIMEOUT, IndexStore
from .suggest import complete
from .journal import Journal
from . import applier
from .writer import BUFFER_MB, MAX_SEGMENTS, BulkWriter, storage_errors

log = logging.getLogger(__name__)


def _one_at_a_time(method):
    """Whoosh's searcher reads shared file handles (seek, then read) and a refresh closes it: in a
    threaded server (gunicorn's gthread workers) the reads of one backend take turns, under its lock."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._queued():
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
        long_searches: int | None = None,
        drain_interval: float = 1.0,
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
        # Searches that may run past budget.LONG_AFTER at once, across the processes serving this
        # index (None: no limit); see budget.LongSearches.
        self.long_searches = LongSearches(LongSearches.directory_for(path), long_searches) if long_searches else None
        self.caches = Caches()
        self._lock = threading.RLock()
        self._ix: Index | None = None
        self._ix_name: str | None = None
        self._searcher = None
        self._checked = 0.0
        self._view: IndexView | None = None
        self._last_generation: str | None = None
        self._waiters: list[object] = []  # requests of this process waiting for the searcher
        self._last_stats: Stats | None = None
        self._last_status: IndexStatus | None = None
        self.journal = Journal(self.store.root, fields)
        self.drain_interval = drain_interval
        self._drainer: threading.Thread | None = None
        self._drainer_lock = threading.Lock()
        self._applier_seen = (-float("inf"), False)  # (when, whether) an applier process was seen
        self.array_ranking = True  # rank over arrays where the query allows (evaluate.py); False: Whoosh's matchers
        self.use_postings_files = True  # False: decode postings from Whoosh's blocks (the bench's reference)

    # -- the searcher, opened once and refreshed when the index changes ---------------------------
    def current(self) -> tuple[object, IndexView]:
        """(searcher, view) for the live index, reopened after a rebuild switch, refreshed after commits."""
        now = time.monotonic()
        with self._lock:
            if self._searcher is not None and now - self._checked < self.refresh_interval:
                return self._searcher, self._view
            self._checked = now
            if (self._drainer is None or not self._drainer.is_alive()) and not self._applier_running() \
                    and self.journal.names():
                self._start_drainer()  # entries nobody is applying (after a restart, say)
            name = self.store.current_name()
            if self._searcher is None or name != self._ix_name:
                self._open()
            elif not self._searcher.up_to_date():
                # Not Searcher.refresh(): it reuses segment readers whose deletion sets are stale
                # after an update, so replaced versions would still show. Not a fresh searcher
                # either: that reopens every segment, 276 ms on the 135k index, in every worker
                # after every commit.
                self._searcher = _refreshed(self._ix, self._searcher)
                self._view = IndexView(self._searcher, self.fields, self.caches, self._files_folder())
            return self._searcher, self._view

    def _files_folder(self) -> Path | None:
        return Path(self._ix.storage.folder) if self.use_postings_files else None

    def _open(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        ix = self.store.open()  # raises IndexMissing
        self._ix, self._ix_name = ix, self.store.current_name()
        self._searcher = ix.searcher(weighting=WEIGHTING)
        self._view = IndexView(self._searcher, self.fields, self.caches, self._files_folder())

    # /health and the ETag check ask for readiness, the generation and stats: while a search holds
    # the searcher (up to its time budget) they answer with what was seen last, rather than queue
    # behind an expensive search. They wait only before the first answer.
    def _lock_or_last(self, last) -> bool:
        """Take the lock (True), or False when it is busy and `last` can answer instead."""
        if self._lock.acquire(blocking=False):
            return True
        if last is not None:
            return False
        self._lock.acquire()
        return True

    def is_ready(self) -> bool:
        if not self._lock_or_last(self._last_generation):
            return True  # a search is using the searcher: it is open
        try:
            self.current()
            return True
        except IndexMissing:
            return False
        finally:
            self._lock.release()

    def generation(self) -> str:
        if not self._lock_or_last(self._last_generation):
            return self._last_generation
        try:
            searcher, _ = self.current()
            self._last_generation = f"{self._ix_name}.{searcher.ixreader.generation()}"
            return self._last_generation
        finally:
            self._lock.release()

    # -- reads -----------------------------------------------------------------------------------
    @_one_at_a_time
    def get(self, article_id: str) -> Article:
        searcher, _ = self.current()
        docnum = _live_docnum(searcher, article_id)
        if docnum is None:
            raise ArticleNotFound(article_id)
        return from_stored(searcher.stored_fields(docnum), self.fields)

    def search(self, request: SearchRequest) -> SearchResults:
        check_facets(request, self.fields)
        # The budget starts before the wait for the searcher (reads take turns, see _one_at_a_time):
        # time spent queued behind another search is part of this one's.
        with self._deadline() as deadline, self._queued():
            deadline.begin()
            searcher, view = self.current()
            return run_search(searcher, view, request, now=self.clock(), deadline=deadline, arrays=self.array_ranking)

    @_one_at_a_time
    def versions(self, article_id: str) -> list[Version]:
        searcher, view = self.current()
        docnum = _live_docnum(searcher, article_id)
        if docnum is None:
            raise ArticleNotFound(article_id)
        docs = view.stories().versions(docnum)
        return [story_version(searcher, view, int(d)) for d in (docs if len(docs) else [docnum])]

    @_one_at_a_time
    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        searcher, view = self.current()
        docnum = _live_docnum(searcher, article_id)
        if docnum is None:
            raise ArticleNotFound(article_id)
        with self._deadline() as deadline:
            return similar_articles(searcher, view, docnum, limit, deadline=deadline)

    def _deadline(self):
        """A context giving the Deadline of one search (and, with long_searches, its slot). A long
        search stops when another request of this process waits for the searcher (budget.Deadline)."""
        others_waiting = self._waiters.__len__
        if self.long_searches is None or self.search_timeout is None:
            return nullcontext(Deadline(self.search_timeout, clock=self.timer, long_after=LONG_AFTER,
                                        others_waiting=others_waiting))
        return self.long_searches.deadline(self.search_timeout, clock=self.timer, others_waiting=others_waiting)

    @contextmanager
    def _queued(self):
        """The searcher's lock, counted among the waiters while waiting for it."""
        me = object()
        self._waiters.append(me)
        try:
            self._lock.acquire()
        finally:
            self._waiters.remove(me)
        try:
            yield
        finally:
            self._lock.release()

    def suggest(self, prefix: str, limit: int = 8, base_filters: Mapping[str, Sequence[str]] | None = None) -> list[str]:
        return [c.text for c in self.completions(prefix, limit, base_filters)]

    @_one_at_a_time
    def completions(
        self, prefix: str, limit: int = 8, base_filters: Mapping[str, Sequence[str]] | None = None
    ) -> list[Completion]:
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
        if name == DATE_FACET:  # the histogram's buckets (YYYY, YYYY-MM...) that start with the prefix
            wanted = prefix.strip()
            _, buckets = date_histogram(view, view.live_docs, [])
            return [b for b in buckets if b.value.startswith(wanted)][:limit]
        return view.values(name, prefix, limit)

    def stats(self) -> Stats:
        if not self._lock_or_last(self._last_stats):
            return self._last_stats
        try:
            searcher, view = self.current()
            first, last = view.date_range()
            self._last_stats = Stats(
                documents=searcher.doc_count(),
                generation=self.generation(),
                first_published=first,
                last_published=last,
                facets={f.name: view.values(f.name, "", f.top) for f in self.fields.facets if f.top},
            )
            return self._last_stats
        finally:
            self._lock.release()

    def status(self) -> IndexStatus:
        pending = len(self.journal.names())  # one directory listing
        if not self._lock_or_last(self._last_status):
            return dataclasses.replace(self._last_status, pending_writes=pending)
        try:
            searcher, _ = self.current()
            commits = searcher.ixreader.generation()
            try:  # the table of contents the searcher read is written by the commit, and never again
                committed = self._ix.storage.file_modified(f"_{self._ix.indexname}_{commits}.toc")
            except OSError:  # a rebuild's switch removed it meanwhile: the next scrape sees the new one
                committed = None
            self._last_status = IndexStatus(
                documents=searcher.doc_count(),
                generation=self.generation(),
                commits=max(commits, 0),
                last_commit=None if committed is None else datetime.fromtimestamp(committed, timezone.utc),
                pending_writes=pending,
            )
            return self._last_status
        finally:
            self._lock.release()

    # -- writes ----------------------------------------------------------------------------------
    def writer(self, options: WriteOptions = WriteOptions()) -> BulkWriter:
        """A bulk writer (holds the index's write lock until closed); see writer.BulkWriter. It
        applies the API's journal at each commit, so API writes land during a long run."""
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
            journal=self.journal,
            merge="full" if options.merge else "none",
        )

    def add(self, articles: Iterable[Article] | Article, *, wait: float = 0.0) -> WriteReport:
        """Journal the articles (durable), then apply the journal if no other writer holds the
        index; never waits for the lock (see journal.py)."""
        if isinstance(articles, Article):
            articles = [articles]
        articles = list(articles)
        expected = self._expected(articles)
        with storage_errors(self.store.root):
            name = self.journal.append([("add", article) for article in articles])
        return self._settle(name, expected, wait)

    def update(self, article: Article) -> WriteReport:
        return self.add([article])

    def delete(self, article_id: str, *, wait: float = 0.0) -> WriteReport:
        if not self._exists(article_id):
            raise ArticleNotFound(article_id)
        with storage_errors(self.store.root):
            name = self.journal.append([("delete", article_id)])
        return self._settle(name, WriteReport(deleted=[article_id]), wait)

    def drain(self, merge: str = "none") -> dict[str, WriteReport] | None:
        """Apply the journal now if the write lock is free (None when another writer holds it):
        the reports of the entries applied, by name."""
        if not self.journal.names() and merge == "none":
            return {}
        try:
            with storage_errors(self.store.root):
                writer = BulkWriter(self.store, fields=self.fields, lock_timeout=0, journal=self.journal, merge=merge,
                                    stories_budget=True)
        except WriteLockTimeout:
            return None
        with storage_errors(self.store.root), writer:
            pass
        self._checked = 0.0  # our own write: look again on the next read
        return writer.journal_reports

    def save_stories_if_due(self) -> bool:
        """The stories a budgeted save deferred (story_files.write_labels), saved now if the budget
        allows and the write lock is free; True when saved."""
        from . import story_files

        folder = self.store.current_dir()
        if folder is None or not story_files.save_is_due(folder):
            return False
        try:
            with storage_errors(self.store.root), self.store.write_lock(timeout=0):
                ix = self.store.open_for_write()
                try:
                    return story_files.write_labels(ix)
                finally:
                    ix.close()
        except WriteLockTimeout:
            return False

    def _settle(self, name: str, expected: WriteReport, wait: float) -> WriteReport:
        """The report of journal entry `name`: as applied, when it can be applied (or was) in time;
        else as expected, durable but not yet visible, with the background drainer started. A lone
        write is applied at once when the lock is free; concurrent ones are batched by the drainer.
        While an applier process runs (applier.py), every write is left to it: a request never
        holds nor waits for the index's lock (issue 11); `wait` waits for the applier's commit."""
        deadline = time.monotonic() + wait
        if self._applier_running():
            return self._awaited(name, expected, deadline)
        if not wait and self.journal.names() != [name]:
            # Other writes are pending too: writes are arriving faster than one commit each, so
            # leave them to the drainer, which applies them together (one commit, one searcher
            # refresh in every worker, instead of one per write).
            self._start_drainer()
            expected.committed, expected.visible = True, False
            return expected
        while True:
            applied = self.drain()
            if applied and name in applied:
                report = applied[name]
                report.committed = report.visible = True
                if self._segments_over(MAX_SEGMENTS) or self._stories_deferred():
                    self._start_drainer()  # merging, and a deferred save of the stories, are the background drainer's
                return report
            if not self.journal.contains(name):  # another writer applied it
                self._checked = 0.0
                expected.committed = expected.visible = True
                return expected
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        self._start_drainer()
        expected.committed, expected.visible = True, False
        return expected

    def _awaited(self, name: str, expected: WriteReport, deadline: float) -> WriteReport:
        """The report of entry `name`, left to the applier process: visible once the applier has
        committed it (and removed it from the journal), which is waited for until `deadline`."""
        expected.committed, expected.visible = True, False
        while self.journal.contains(name):
            if time.monotonic() >= deadline:
                return expected
            if not self._applier_running(fresh=True):  # it stopped: apply as without it
                return self._settle(name, expected, max(0.0, deadline - time.monotonic()))
            time.sleep(0.02)
        self._checked = 0.0  # look again on the next read: it is committed
        expected.visible = True
        return expected

    def _applier_running(self, fresh: bool = False) -> bool:
        """Whether an applier process applies this index's journal (applier.py), looked up at most
        every half second."""
        now = time.monotonic()
        seen_at, seen = self._applier_seen
        if fresh or now - seen_at >= 0.5:
            seen = applier.running(self.store.root)
            self._applier_seen = (now, seen)
        return seen

    @_one_at_a_time
    def _expected(self, articles: list[Article]) -> WriteReport:
        """What writing `articles` will do, judged by the index as it is now."""
        report = WriteReport()
        try:
            searcher, _ = self.current()
        except IndexMissing:
            searcher = None
        for article in articles:
            docnum = _live_docnum(searcher, article.id) if searcher is not None else None
            if docnum is None:
                report.added.append(article.id)
            elif searcher.stored_fields(docnum).get("checksum") == article.checksum:
                report.unchanged.append(article.id)
            else:
                report.updated.append(article.id)
        return report

    @_one_at_a_time
    def _exists(self, article_id: str) -> bool:
        """In the index, or added by a journaled write not applied yet (and not deleted after it)."""
        exists = False
        try:
            searcher, _ = self.current()
            exists = _live_docnum(searcher, article_id) is not None
        except IndexMissing:
            pass
        for entry in self.journal.pending():
            for op, value in entry.ops:
                if op == "add" and value.id == article_id:
                    exists = True
                elif op == "delete" and value == article_id:
                    exists = False
        return exists

    def _segments_over(self, limit: int) -> bool:
        try:
            searcher, _ = self.current()
        except IndexMissing:
            return False
        return len(searcher.ixreader.leaf_readers()) > limit

    # -- the background drainer: one thread per process, while the journal has entries -------------
    def _start_drainer(self) -> None:
        with self._drainer_lock:
            if self._drainer is not None and self._drainer.is_alive():
                return
            self._drainer = threading.Thread(target=self._drain_loop, name="newsearch-journal", daemon=True)
            self._drainer.start()

    def _drain_loop(self) -> None:
        """Apply the journal whenever the lock is free, merge small segments when there are many,
        and stop once the journal is empty and no save of the stories is deferred (one is made
        when its budget allows, story_files.write_labels)."""
        while True:
            if self._applier_running():
                return  # the applier process took over
            try:
                applied = self.drain(merge="small")
            except Exception:  # a full disk, say: the entries stay journaled; try again later
                log.exception("applying the write journal failed; retrying")
                applied = None
            while applied is not None and not self.journal.names():
                if not self._stories_deferred() or self._save_stories():
                    return
                if self._applier_running():
                    return
                time.sleep(self.drain_interval)
            time.sleep(self.drain_interval)

    def _stories_deferred(self) -> bool:
        from . import story_files

        folder = self.store.current_dir()
        return folder is not None and story_files.is_deferred(folder)

    def _save_stories(self) -> bool:
        try:
            return self.save_stories_if_due()
        except Exception:  # a full disk, say: searches fold as last saved; the next write retries
            log.exception("saving the stories failed")
            return True

    # -- whole-archive passes and knowledge ------------------------------------------------------
    def scan(self, attributes: Sequence[str]) -> Iterator[dict[str, object]]:
        """Live articles' values, from a reader of its own (searches of this process go on)."""
        facets = {f.attribute: f for f in self.fields.facets}
        ix = self.store.open()
        with ix.reader() as reader:
            for _, stored in reader.iter_docs():
                row: dict[str, object] = {"id": stored.get("id")}
                for name in attributes:
                    facet = facets.get(name)
                    if facet is not None:
                        values = stored_values(stored.get(keyword_field(facet)))
                        row[name] = values if facet.multi else (values[0] if values else None)
                    else:
                        row[name] = stored.get(name)
                yield row

    def _meta_path(self, name: str) -> Path:
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,40}", name):
            raise ValueError(f"bad meta name {name!r}")
        return self.store.root / f"meta-{name}.json"

    def read_meta(self, name: str) -> dict | None:
        try:
            return json.loads(self._meta_path(name).read_text("utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:  # a torn or foreign file: as if none (the next write replaces it)
            return None

    def write_meta(self, name: str, value: dict) -> None:
        path = self._meta_path(name)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        with storage_errors(path):
            self.store.root.mkdir(parents=True, exist_ok=True)
            with open(tmp, "w", encoding="utf-8") as out:
                json.dump(value, out, ensure_ascii=False, separators=(",", ":"))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


def _refreshed(ix: Index, old):
    """A searcher over the index's latest commit that reuses the old searcher's segment readers:
    a segment's files never change, only its deletions, which each reused reader takes from the
    new commit. Segments the commit merged away are closed."""
    toc = ix._read_toc()
    previous = {r.segment().segment_id(): r for r, _ in old.ixreader.leaf_readers() if isinstance(r, SegmentReader)}
    readers = []
    for segment in toc.segments:
        reader = previous.pop(segment.segment_id(), None)
        readers.append(SegmentReader(ix.storage, ix.schema, segment, generation=toc.generation)
                       if reader is None else _with_deletions_of(reader, segment, toc.generation))
    for reader in previous.values():
        reader.close()
    if not readers:
        reader = EmptyReader(ix.schema)
    elif len(readers) == 1:
        reader = readers[0]
    else:
        reader = MultiReader(readers, generation=toc.generation)
    return Searcher(reader, weighting=WEIGHTING, fromindex=ix)


def _with_deletions_of(reader: SegmentReader, segment, generation: int) -> SegmentReader:
    """`reader`'s open files (terms, postings) with the deletions of `segment`, the same segment as
    a later commit left it. The old reader stays usable by a search still running with it."""
    fresh = SegmentReader.__new__(SegmentReader)
    fresh.__dict__.update(reader.__dict__)
    fresh._segment = segment
    fresh._gen = generation
    # The per-document reader's open column files do not depend on deletions either; only its
    # segment does (reopening the columns copied them out of the map again: 76 ms a refresh).
    perdoc = copy.copy(reader._perdoc)
    if hasattr(perdoc, "_segment"):
        perdoc._segment = segment
    else:
        perdoc = reader._codec.per_document_reader(reader._storage, segment)
    fresh._perdoc = perdoc
    return fresh


def _live_docnum(searcher, article_id: str) -> int | None:
    # Whoosh's document()/document_number() can return a deleted (updated) version: skip those.
    reader = searcher.reader()
    for docnum in searcher.docs_for_query(Term("id", article_id)):
        if not reader.is_deleted(docnum):
            return docnum
    return None
