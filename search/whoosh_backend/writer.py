"""Writing articles to the index: one writer at a time, incremental by checksum, atomic rebuilds."""
from __future__ import annotations

import contextlib
import errno
import os
import random
import time
from pathlib import Path
from functools import partial
from typing import Callable, Iterable, Iterator

from whoosh.index import Index, LockError
from whoosh.reading import TermNotFound
from whoosh.writing import NO_MERGE

from ..article import Article, is_under, origin_path
from ..backend import WriterContext
from ..errors import StorageFull, WriteLockTimeout
from ..fields import FIELDS, Fields
from ..results import WriteReport
from . import postings_files, story_files
from .columns import write_columns
from .journal import Journal
from .schema import from_stored, to_document
from .store import LOCK_TIMEOUT, IndexStore

# A bulk run (`newsearch index`) that leaves more segments than this merges them all when it closes:
# one segment searches markedly faster (DEPENDENCIES.md). An API write never does: a full merge of
# 135,000 articles took over 30 s, longer than a request may run.
MAX_SEGMENTS_AFTER_BULK = 3
# Past this many segments, the API's background drainer merges the small ones (SMALL_MERGE_DOCS at
# most in one go), so that a day of API writes does not leave hundreds of segments to search.
MAX_SEGMENTS = 8
# Seconds between two savings of the stories (story_files.write_labels) within one writer's run.
LABELS_EVERY = 30.0
LIVE_EVERY = 2.0  # seconds between a rebuild's applications of the journal to the live generation
SMALL_MERGE_DOCS = 10_000
# Whoosh's in-memory posting buffer (its `limitmb`), split among the writer's processes. Past it
# Whoosh spills sorted runs to disk and merges them at commit, which dominated bulk loads: on
# Reuters (19,043 stories) a rebuild ran at 608 docs/s with 256 MB and 845 with 1,024 in one
# process, 1,160 with 128 each and 1,569 with 256 each in two (bench/results/indexing.json has
# the whole pipeline). It is a ceiling, not an allocation: a run uses what its documents need.
BUFFER_MB = 1024


# A full disk, a full quota, a file larger than the file system (or RLIMIT_FSIZE) allows.
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@contextlib.contextmanager
def storage_errors(where: object) -> Iterator[None]:
    """Whoosh's and the file system's write failures as the backend errors callers map: a full disk
    or quota is StorageFull, Whoosh's own lock held elsewhere is WriteLockTimeout."""
    try:
        yield
    except LockError:
        raise WriteLockTimeout(f"index {where} is locked by another writer") from None
    except OSError as error:
        if error.errno in NO_ROOM:
            raise StorageFull(f"no space left on the device holding the index {where}") from error
        raise


class BulkWriter(WriterContext):
    """Adds, updates and deletes articles in one index, holding the store's write lock.

    Unchanged articles (same id and checksum) are skipped. Work is committed every `commit_every`
    changes, so a crash loses at most the uncommitted tail; `on_commit` is told which ids are
    durable: those a commit wrote, and those found unchanged (already in the index, perhaps from a
    run killed after its commit and before it could say so). With `rebuild`, everything goes into a
    fresh generation that replaces the live index only when `close()` succeeds; the articles the API
    wrote (journal.py; origin not a file) that the rebuild did not write are carried over from the
    live generation first, and the journal is applied, so nothing acknowledged is lost by the switch.

    With a `journal`, every commit first applies the API's journaled writes, in order; their reports
    are in `journal_reports`, by entry name, once committed (for a rebuild: once switched in).

    `merge`: "full" merges every segment at close when there are more than MAX_SEGMENTS_AFTER_BULK
    (the indexer's end of run); "small" merges the smallest segments when there are more than
    MAX_SEGMENTS (the API's background drainer); "none" never merges beyond Whoosh's own merge of
    tiny segments (a write made on the request path).

    With `share_lock` (seconds; not for rebuilds), a long incremental run lets other writers in: it
    commits and releases the lock once it has held it that long, and takes it back (re-reading what
    the others changed, and following a rebuild's switch) on its next write.
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
        journal: Journal | None = None,
        merge: str = "none",
        lock_held: bool = False,
        stories_budget: bool = False,
    ) -> None:
        self.store = store
        self.fields = fields
        self.rebuild = rebuild
        # A rebuild only adds documents, so it can let Whoosh analyse and write in `procs` processes,
        # one segment each (measured on 10,000 Reuters stories: 818 -> 1,369 docs/s with 2).
        self.procs = procs if rebuild else 1
        self.limitmb = max(16, buffer_mb // self.procs)
        self.commit_every = commit_every
        self.on_commit = on_commit
        self.journal = journal
        self.merge = merge
        self.stories_budget = stories_budget  # story_files.write_labels's budget (the API's writes)
        self.report = WriteReport()
        self.journal_reports: dict[str, WriteReport] = {}
        self.lock_timeout = lock_timeout
        self.share_lock = None if rebuild else share_lock
        # lock_held: the caller holds the store's lock already (a rebuild writing to the live
        # generation beside its own).
        self._lock = contextlib.nullcontext() if lock_held else store.write_lock(lock_timeout)
        self._lock.__enter__()
        self._locked = True
        self._held_since = time.monotonic()
        self._live_applied: set[str] = set()  # a rebuild's: journal entries applied to the live generation
        self._live_at = time.monotonic()
        try:
            if not lock_held:  # (with it, a rebuild's own generation is being built beside the live one)
                store.clean_up()  # a killed rebuild's generation; no other writer runs now
            self.ix: Index = store.new_generation() if rebuild else store.open_for_write()
            if not rebuild:
                store.clean_orphans(self.ix)  # what a killed merge or commit left in the live generation
            self._known = Checksums(self.ix)
            # An index made before a field of the record existed (raw_checksum, entity_mentions)
            # keeps working without it.
            names = set(self.ix.schema.names())
            self._schema_names = None if {"raw_checksum", "entity_mentions"} <= names else names
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        self._writer = None
        self._buffered: set[str] = set()  # ids written since the last commit
        self._pending: list[str] = []  # changed since the last commit
        self._unchanged: list[str] = []  # already durable; told to on_commit with the next commit
        self._applied: dict[str, WriteReport] = {}  # journal entries applied, not yet committed
        self._applied_committed: dict[str, WriteReport] = {}  # a rebuild's: committed, not yet live
        self.seen: set[str] = set()
        self._labels_at = time.monotonic()  # the stories were last saved (none yet: the first commit need not)

    def _w(self):
        if self._writer is None:
            for _ in range(5):
                if self.procs > 1:
                    writer = self.ix.writer(limitmb=self.limitmb, procs=self.procs, multisegment=True)
                else:
                    writer = self.ix.writer(limitmb=self.limitmb)
                segment = getattr(writer, "newsegment", None)
                if segment is None or not self.ix.storage.file_exists(segment.make_filename(segment.COMPOUND_EXT)):
                    break
                # Whoosh names a new segment with the global `random`: a process that seeded it the
                # same way twice (Hypothesis does, per example) would reuse a live segment's name.
                writer.cancel()
                random.seed(os.urandom(16))
            self._writer = writer
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
                self._known.close()
                self.ix.close()  # another process rebuilt the index meanwhile: write to the live one
                self.ix = self.store.open_for_write()
                self._known = Checksums(self.ix)
            elif refresh:
                self._known.reopen(self.ix)
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

    def add(self, article: Article, *, expect: str | None = None) -> str:
        """Add or update one article; returns 'added', 'updated' or 'unchanged', or 'stale' when
        `expect` is given and the stored version's checksum is no longer it (nothing written)."""
        self._relock()
        if expect is not None and self._known.get(article.id) != expect:
            return "stale"
        self.seen.add(article.id)
        outcome = self._write(article)
        if outcome == "unchanged":
            self._unchanged.append(article.id)
        else:
            self._note(article.id)
        getattr(self.report, outcome).append(article.id)
        self._maybe_share()
        self._journal_to_live()
        return outcome

    def _write(self, article: Article) -> str:
        previous = self._known.get(article.id)
        # Same content: unchanged, unless the input's digest is new to the index (an index from before
        # raw checksums, or the same article from a changed file): then it is stored, so the next run skips it.
        if previous == article.checksum and (not article.raw_checksum or article.raw_checksum == self._known.raw(article.id)):
            return "unchanged"
        if article.id in self._buffered:
            # Whoosh deletes only from committed segments: a second version of an id written since
            # the last commit (a journaled update of what this run just wrote) needs that commit.
            self._flush()
        doc = to_document(article, self.fields)
        if self._schema_names is not None:
            doc = {k: v for k, v in doc.items() if k in self._schema_names}
        if previous is None:
            self._w().add_document(**doc)
        else:
            self._w().update_document(**doc)
        self._known.set(article.id, article.checksum, article.raw_checksum)
        self._buffered.add(article.id)
        return "added" if previous is None else "updated"

    def raw_checksums(self) -> dict[str, str]:
        """raw checksum -> id of the live articles that carry one."""
        self._relock()
        return self._known.raw_map()

    def keep(self, article_id: str) -> bool:
        """An article whose input was found unchanged before processing: unchanged, and kept by prune."""
        self._relock()
        if self._known.get(article_id) is None:
            return False
        self.seen.add(article_id)
        self.report.unchanged.append(article_id)
        self._unchanged.append(article_id)
        return True

    def delete(self, article_id: str) -> bool:
        self._relock()
        if not self._remove(article_id):
            return False
        self.report.deleted.append(article_id)
        self._note(article_id)
        return True

    def _remove(self, article_id: str) -> bool:
        if self._known.get(article_id) is None:
            return False
        if article_id in self._buffered:
            self._flush()
        self._w().delete_by_term("id", article_id)
        self._known.set(article_id, None)
        return True

    def prune(self, under: Iterable[str]) -> list[str]:
        """Delete every article read from a file under one of `under` (absolute paths) that was not
        added (or seen unchanged) through this writer. Articles the API wrote are never pruned."""
        self._relock()
        roots = list(under)
        gone = [article_id for article_id, origin in self._known.origins(self.ix)
                if article_id not in self.seen and (path := origin_path(origin)) is not None and is_under(path, roots)]
        for article_id in gone:
            self.delete(article_id)
        return gone

    def _note(self, article_id: str) -> None:
        self._pending.append(article_id)
        # A rebuild is not live until it switches, so committing midway protects nothing and only
        # leaves segments to merge again: it commits once, at the end.
        if not self.rebuild and len(self._pending) >= self.commit_every:
            self.commit()

    # -- the journal ---------------------------------------------------------------------------
    def apply_journal(self) -> None:
        """Apply the journaled API writes not applied yet, oldest first (the lock is held)."""
        if self.journal is None:
            return
        for entry in self.journal.pending():
            if entry.name in self._applied or entry.name in self._applied_committed:
                continue
            report = WriteReport()
            for op, value in entry.ops:
                if op == "add":
                    getattr(report, self._write(value)).append(value.id)
                elif self._remove(value):
                    report.deleted.append(value)
            self._applied[entry.name] = report

    def _journal_to_live(self) -> None:
        """During a rebuild, every LIVE_EVERY seconds: apply the API's journaled writes to the live
        generation too, so they are searchable within seconds rather than at the switch. The
        entries stay journaled until the switch: the rebuild applies them to its own generation at
        close, and if it is killed, the next writer applies them (again: no change) to the live one."""
        if not self.rebuild or self.journal is None or time.monotonic() - self._live_at < LIVE_EVERY:
            return
        self._live_at = time.monotonic()
        entries = [e for e in self.journal.pending() if e.name not in self._live_applied]
        if not entries or not self.store.exists():
            return
        live = BulkWriter(self.store, fields=self.fields, lock_held=True)
        try:
            for entry in entries:
                for op, value in entry.ops:
                    if op == "add":
                        live._write(value)
                    else:
                        live._remove(value)
        except BaseException:
            live.abort()
            raise
        live.close()
        self._live_applied.update(e.name for e in entries)

    def _carry_over(self) -> None:
        """Into a rebuild: the live generation's API-written articles the rebuild did not write."""
        try:
            live = self.store.open()
        except Exception:  # no live index yet: nothing to carry
            return
        try:
            with live.reader() as reader:
                for docnum in reader.all_doc_ids():
                    stored = reader.stored_fields(docnum)
                    if stored.get("id") in self.seen or origin_path(stored.get("origin")) is not None:
                        continue
                    article = from_stored(stored, self.fields)
                    self._write(article)
                    self.report.carried.append(article.id)
        finally:
            live.close()

    # -- committing ----------------------------------------------------------------------------
    def _flush(self, mergetype=None) -> None:
        """Commit what is buffered; tell on_commit which ids are durable."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            try:
                if mergetype is not None:
                    writer.commit(mergetype=mergetype)
                elif self.merge == "none":
                    writer.commit(mergetype=NO_MERGE)
                else:
                    writer.commit()
            except BaseException:
                _cancel(writer)  # a failed commit (a full disk) must not keep Whoosh's lock held
                raise
            self._known.reopen(self.ix)
        self._buffered.clear()
        durable = self._unchanged + self._pending
        self._pending, self._unchanged = [], []
        self._applied_committed.update(self._applied)
        self._applied = {}
        if durable and self.on_commit:
            self.on_commit(durable)

    def commit(self, optimize: bool = False) -> None:
        if not self.rebuild:
            self.apply_journal()
        self._flush()
        if optimize:
            self.ix.optimize()
        if not self.rebuild:
            self._forget_applied()
            self._write_segment_files()  # a rebuild's come once, after its merge

    def _write_segment_files(self, final: bool = False) -> None:
        """The postings files, facet columns and story prints of segments that lack them
        (postings_files.py), and the stories of the index as committed (story_files.py): at the
        writer's last commit, and at most every LABELS_EVERY seconds before it (they cover the whole
        index: at every commit of a long run they would cost more than the run's writing)."""
        extra = {postings_files.COLUMNS: partial(write_columns, fields=self.fields)}
        if story_files.ENABLED:
            extra[story_files.SUFFIX] = story_files.SegmentWriter(self.fields)
        postings_files.write_missing(self.ix, extra=extra)
        if story_files.ENABLED and (final or time.monotonic() - self._labels_at >= LABELS_EVERY):
            story_files.write_labels(self.ix, budget=self.stories_budget)
            self._labels_at = time.monotonic()

    def _forget_applied(self) -> None:
        """The applied journal entries are committed and live: remove them, keep their reports."""
        if self.journal is not None and self._applied_committed:
            self.journal.remove(list(self._applied_committed))
            for report in self._applied_committed.values():
                report.committed = True
            self.journal_reports.update(self._applied_committed)
            self._applied_committed = {}

    def _merge(self) -> None:
        segments = self.ix._segments()
        if self.merge == "full" and len(segments) > MAX_SEGMENTS_AFTER_BULK:
            self.ix.optimize()
        elif self.merge == "small" and len(segments) > MAX_SEGMENTS:
            self._w()
            self._flush(mergetype=merge_small_segments)

    def close(self) -> WriteReport:
        try:
            self._relock(refresh=False)
            if self.rebuild:
                self._carry_over()
                self.apply_journal()
                self._flush()
                self._merge()
                self._write_segment_files(final=True)
                self.store.switch_to(self.ix)
                self._forget_applied()
            else:
                self.commit()
                self._merge()
                self._write_segment_files(final=True)  # the merged segment's; an older index's
            self.report.committed = True
            return self.report
        finally:
            if self._writer is not None:  # a commit that failed: release Whoosh's own lock too
                _cancel(self._writer)
                self._writer = None
            self._known.close()
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
            self._known.close()
            self.ix.close()
            self._unlock()


def _cancel(writer) -> None:
    """Drop a Whoosh writer whatever state a failed commit left it in, releasing its lock."""
    try:
        writer.cancel()
    except Exception:
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:
                pass


def merge_small_segments(writer, segments):
    """Whoosh merge policy: when there are more than MAX_SEGMENTS, merge the smallest segments into
    one, at most SMALL_MERGE_DOCS documents' worth, leaving the large ones alone. Bounded work, so
    it can run beside a server (a full merge of 135,000 articles took over 30 s)."""
    from whoosh.reading import SegmentReader

    if len(segments) <= MAX_SEGMENTS:
        return list(segments)
    ordered = sorted(segments, key=lambda s: s.doc_count_all())
    merged, total = [], 0
    for segment in ordered[:-1]:  # never the largest
        if merged and total + segment.doc_count_all() > SMALL_MERGE_DOCS:
            break
        merged.append(segment)
        total += segment.doc_count_all()
    if len(merged) < 2:
        return list(segments)
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [s for s in segments if s not in merged]


class Checksums:
    """id -> checksum (and raw checksum) of the index's live documents, looked up one id at a time:
    a write of a few articles into a large index reads a few postings, not a column of every id.
    Changes made through the writer since the last commit override what the reader says."""

    def __init__(self, ix: Index) -> None:
        self._reader = ix.reader()
        self._columns: dict[str, object] = {}
        self._changed: dict[str, tuple[str, str] | None] = {}

    def _live_docnum(self, article_id: str) -> int | None:
        reader = self._reader
        if reader.doc_count_all() == 0:
            return None
        try:
            docnums = list(reader.postings("id", article_id).all_ids())
        except TermNotFound:
            return None
        for docnum in docnums:
            if not reader.is_deleted(docnum):
                return docnum
        return None

    def _column(self, name: str, docnum: int) -> str:
        if name not in self._columns:
            self._columns[name] = self._reader.column_reader(name) if self._reader.has_column(name) else None
        column = self._columns[name]
        return (column[docnum] or "") if column is not None else ""

    def get(self, article_id: str) -> str | None:
        if article_id in self._changed:
            entry = self._changed[article_id]
            return entry[0] if entry else None
        docnum = self._live_docnum(article_id)
        return None if docnum is None else self._column("checksum", docnum)

    def raw(self, article_id: str) -> str:
        """The raw checksum stored with the article ("" when none)."""
        if article_id in self._changed:
            entry = self._changed[article_id]
            return entry[1] if entry else ""
        docnum = self._live_docnum(article_id)
        return "" if docnum is None else self._column("raw_checksum", docnum)

    def set(self, article_id: str, checksum: str | None, raw: str = "") -> None:
        self._changed[article_id] = None if checksum is None else (checksum, raw or "")

    def raw_map(self) -> dict[str, str]:
        """raw checksum -> id of every live article that carries one (one pass over two columns)."""
        out: dict[str, str] = {}
        reader = self._reader
        if reader.doc_count() and reader.has_column("raw_checksum"):
            ids, raws = reader.column_reader("id"), reader.column_reader("raw_checksum")
            for docnum in reader.all_doc_ids():
                if raws[docnum] and ids[docnum] not in self._changed:
                    out[raws[docnum]] = ids[docnum]
        for article_id, entry in self._changed.items():
            if entry and entry[1]:
                out[entry[1]] = article_id
        return out

    def origins(self, ix: Index) -> list[tuple[str, str | None]]:
        """(id, origin) of every live document, as committed (commit before asking)."""
        with ix.reader() as reader:
            return [(stored.get("id"), stored.get("origin")) for _, stored in reader.iter_docs()]

    def reopen(self, ix: Index) -> None:
        """Read the index as committed now (after a commit, or after another writer's)."""
        self.close()
        self._reader = ix.reader()
        self._columns = {}
        self._changed = {}

    def close(self) -> None:
        self._reader.close()
