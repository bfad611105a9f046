"""One bulk write into an OpenSearch index: search.backend.Writer over `_bulk`.

Each `add` looks up the stored checksum of its id (a realtime GET: it sees writes not yet
refreshed), so it can answer added/updated/unchanged/stale at once; the index operations are sent
CHUNK at a time through `helpers.streaming_bulk(raise_on_error=False)`, whose per-item results
become the report (an item the cluster refuses is listed in `errors`, not raised; a cluster that
cannot take the chunk at all, 429 or 5xx, is BackendUnavailable). Nothing ever loads every id of the
index: `prune` walks the articles under the given roots page by page, `raw_checksums` answers one
digest at a time.

A rebuild writes into a new concrete index (`<alias>_v<N+1>`), refreshes it, carries over what
the live index holds that the rebuild did not write (articles written through the API, and any
article written while the rebuild ran), swaps the alias in one `_aliases` call (remove + add: a
search sees the old index or the new one, never neither), carries the writes that landed during
the swap, and deletes the old index. An aborted rebuild deletes its new index; the live one is untouched.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Iterable, Iterator

from ..article import Article, is_under, origin_path
from ..backend import WriteOptions, WriterContext
from ..errors import BackendUnavailable, IndexMissing, WriteLockTimeout
from ..results import WriteReport
from ..stories import Prints, StoryPrint, days_lookup, decide, key_strings, print_from_dict, print_to_dict
from .mapping import doc_id, index_body, to_document

log = logging.getLogger(__name__)

CHUNK = 500  # index operations per _bulk request
STORY_CANDIDATES = 2_000  # candidate versions read for one chunk's stories
LOCK_TTL = 120.0  # seconds a bulk writer's lock lasts unless renewed (a crashed writer's is taken over after it)


class WriteLock:
    """One bulk writer per alias at a time, across machines: a document in the meta index created
    with op_type=create (only one creator wins), renewed as the writer goes, deleted when it closes.
    A lock not renewed for LOCK_TTL seconds (its writer died) is taken over, compare-and-set on its
    sequence number. API writes never take it: they go straight to the alias."""

    def __init__(self, backend, timeout: float) -> None:
        self.backend = backend
        self.timeout = timeout
        self.doc_id = "lock.writer"
        self.held: tuple[int, int] | None = None  # (seq_no, primary_term) of our lock document
        self.renewed = 0.0

    def _body(self) -> dict:
        return {"expires": int((time.time() + LOCK_TTL) * 1000)}

    def acquire(self) -> None:
        from opensearchpy.exceptions import ConflictError

        self.backend.ensure_meta()
        client, index = self.backend.client, self.backend.meta_index
        deadline = time.monotonic() + self.timeout
        while True:
            with self.backend.errors():
                try:
                    done = client.index(index=index, id=self.doc_id, body=self._body(), op_type="create", refresh="true")
                    self.held = (done["_seq_no"], done["_primary_term"])
                    self.renewed = time.monotonic()
                    return
                except ConflictError:
                    pass
                doc = self.backend.get_doc(index, self.doc_id)
                if doc is not None and (doc.get("_source") or {}).get("expires", 0) < time.time() * 1000:
                    try:  # its writer stopped renewing it: take it over, if nobody else just did
                        done = client.index(index=index, id=self.doc_id, body=self._body(), refresh="true",
                                            if_seq_no=doc["_seq_no"], if_primary_term=doc["_primary_term"])
                        self.held = (done["_seq_no"], done["_primary_term"])
                        self.renewed = time.monotonic()
                        return
                    except ConflictError:
                        pass
            if time.monotonic() >= deadline:
                raise WriteLockTimeout(f"another writer holds {self.backend.target.shown}")
            time.sleep(0.1)

    def renew(self) -> None:
        if self.held is None or time.monotonic() - self.renewed < LOCK_TTL / 4:
            return
        with self.backend.errors():
            done = self.backend.client.index(index=self.backend.meta_index, id=self.doc_id, body=self._body(),
                                             if_seq_no=self.held[0], if_primary_term=self.held[1])
        self.held = (done["_seq_no"], done["_primary_term"])
        self.renewed = time.monotonic()

    def release(self) -> None:
        if self.held is None:
            return
        held, self.held = self.held, None
        try:
            with self.backend.errors():
                self.backend.client.delete(index=self.backend.meta_index, id=self.doc_id, refresh="true",
                                           if_seq_no=held[0], if_primary_term=held[1], ignore=[404, 409])
        except Exception:  # noqa: BLE001 - a lock we cannot delete expires on its own
            log.warning("could not release the writer lock of %s; it expires in %g s", self.backend.target.shown, LOCK_TTL)


class BulkWriter(WriterContext):
    def __init__(self, backend, options: WriteOptions = WriteOptions(), lock: WriteLock | None = None) -> None:
        self.backend = backend
        self.lock = lock
        self.options = options
        self.fields = backend.fields
        self.report = WriteReport()
        self.errors: list[tuple[str, str]] = []  # (id, reason) of items the cluster refused
        self._pending: list[tuple[str, dict | None]] = []  # (article id, source; None: delete)
        self._uncommitted: list[str] = []
        self._seen: set[str] = set()  # ids this writer was given (added or kept): what prune keeps
        self._changes = 0
        self._closed = False
        self._started_ms = int(time.time() * 1000)
        if options.rebuild:
            self.live = self._live_or_none()
            self.index = self._new_index()
        else:
            self.live = None
            self.index = backend.ensure_index()
        # An index that held nothing when the writer started (a rebuild's, or a first run's) needs no
        # lookup for an id the writer has not seen: each is added (an API write of the same id
        # meanwhile is overwritten, as it would be by an update).
        self._empty = options.rebuild or self._count_docs() == 0
        self._sent = False  # a chunk went to the index

    def _count_docs(self) -> int:
        with self.backend.errors():
            return self.backend.client.count(index=self.index)["count"]

    # -- where to write ----------------------------------------------------------------------------
    def _live_or_none(self) -> str | None:
        try:
            return self.backend.concrete()
        except IndexMissing:
            return None

    def _new_index(self) -> str:
        client, alias = self.backend.client, self.backend.alias
        with self.backend.errors():
            existing = client.indices.get(index=f"{alias}_v*", allow_no_indices=True, expand_wildcards="open")
            numbers = [int(name.rsplit("_v", 1)[1]) for name in existing if name.rsplit("_v", 1)[-1].isdigit()]
            name = f"{alias}_v{max(numbers, default=0) + 1}"
            body = index_body(self.fields, self.backend.shards, self.backend.replicas)
            body["settings"]["refresh_interval"] = "-1"  # nobody searches it before the switch
            client.indices.create(index=name, body=body)
        return name

    # -- the protocol ------------------------------------------------------------------------------
    def _stored(self, article_id: str, index: str | None = None) -> dict | None:
        """The stored document's checksums, or None when there is none."""
        doc = self.backend.get_doc(index or self.index, doc_id(article_id),
                                   _source_includes=["checksum", "raw_checksum", "origin_file"])
        return None if doc is None else (doc.get("_source") or {})

    def add(self, article: Article, *, expect: str | None = None) -> str:
        again = article.id in self._seen
        self._seen.add(article.id)
        if again and any(op_id == article.id for op_id, _ in self._pending):
            self.flush()  # the same id twice in a chunk: the first must be stored to compare with
        fresh = self._empty and not again and expect is None
        stored = None if fresh else self._stored(article.id)
        if expect is not None and (stored or {}).get("checksum") != expect:
            return "stale"
        if stored is not None and stored.get("checksum") == article.checksum and \
                stored.get("raw_checksum", "") == (article.raw_checksum or ""):
            self.report.unchanged.append(article.id)
            self._durable([article.id])
            return "unchanged"
        status = "added" if stored is None else "updated"
        (self.report.added if stored is None else self.report.updated).append(article.id)
        source = to_document(article, self.fields)
        story_print = StoryPrint.of(article.title, article.body, article.url, article.source, article.published)
        source["story_keys"] = key_strings(story_print)
        source["story_print"] = print_to_dict(story_print)
        self._pending.append((article.id, source))
        self._count()
        return status

    def delete(self, article_id: str) -> bool:
        if self._stored(article_id) is None and not any(i == article_id for i, _ in self._pending):
            return False
        self._pending.append((article_id, None))
        self.report.deleted.append(article_id)
        self._count()
        return True

    def keep(self, article_id: str) -> bool:
        if self._stored(article_id) is None:
            return False
        self._seen.add(article_id)
        self.report.unchanged.append(article_id)
        self._durable([article_id])
        return True

    def raw_checksums(self) -> Mapping[str, str]:
        return RawChecksums(self.backend, self.index)

    def prune(self, under: Iterable[str]) -> list[str]:
        roots = [r.rstrip("/") or "/" for r in under]
        if not roots:
            return []
        self.flush()
        clauses = [{"term": {"origin_file": r}} for r in roots] + \
                  [{"prefix": {"origin_file": r if r == "/" else r + "/"}} for r in roots]
        query = {"bool": {"should": clauses, "minimum_should_match": 1}}
        gone = []
        for row in self.backend.scan_index(["origin"], index=self.index, query=query):
            article_id = str(row["id"])
            path = origin_path(row.get("origin"))
            if article_id not in self._seen and path is not None and is_under(path, roots):
                gone.append(article_id)
        for article_id in gone:
            self._pending.append((article_id, None))
            self.report.deleted.append(article_id)
            self._count()
        self.flush()
        return gone

    def _count(self) -> None:
        self._changes += 1
        if len(self._pending) >= CHUNK:
            self.flush()
        if self.options.commit_every and self._changes >= self.options.commit_every:
            self.commit()

    def _durable(self, ids: list[str]) -> None:
        if self.options.on_commit and not self.options.rebuild:
            self.options.on_commit(ids)
        elif self.options.rebuild:
            self._uncommitted.extend(ids)

    # -- sending -----------------------------------------------------------------------------------
    def flush(self) -> None:
        """Send what is pending through _bulk; refused items go to `errors` and out of the report."""
        if not self._pending:
            return
        from opensearchpy import helpers

        pending, self._pending = self._pending, []
        if self.lock is not None:
            self.lock.renew()
        self._assign_stories(pending)
        self._sent = True
        actions = [{"_op_type": "delete", "_index": self.index, "_id": doc_id(i)} if src is None
                   else {"_op_type": "index", "_index": self.index, "_id": doc_id(i), "_source": src}
                   for i, src in pending]
        article_ids = {doc_id(i): i for i, _ in pending}
        failed: dict[str, str] = {}
        with self.backend.errors():
            for ok, item in helpers.streaming_bulk(self.backend.client, actions, chunk_size=CHUNK,
                                                   raise_on_error=False, raise_on_exception=True,
                                                   max_retries=2, initial_backoff=1, max_backoff=4):
                op, result = next(iter(item.items()))
                status = result.get("status", 0)
                if ok or (op == "delete" and status == 404):
                    continue
                if status == 429 or status >= 500:
                    raise BackendUnavailable(f"the OpenSearch cluster refused a bulk write ({status})")
                error = result.get("error")
                reason = error.get("reason") if isinstance(error, dict) else str(error)
                failed[article_ids.get(str(result.get("_id")), str(result.get("_id")))] = f"{status} {reason}"
        for article_id, reason in failed.items():
            log.warning("OpenSearch refused article %r: %s", article_id, reason)
            self.errors.append((article_id, reason))
        if failed:
            for ids in (self.report.added, self.report.updated, self.report.deleted):
                ids[:] = [i for i in ids if i not in failed]
        self._uncommitted.extend(i for i, _ in pending if i not in failed)

    def _assign_stories(self, pending: list[tuple[str, dict | None]]) -> None:
        """Each new or updated article's story (search/stories.py): the candidates sharing one of
        its keys, found with one `terms` query for the chunk in the index written to (and the
        chunk's own articles before it, by date), decided with `stories.decide`; the story is the
        earliest same-story candidate's, else the article's own id."""
        docs = [(article_id, source) for article_id, source in pending if source is not None]
        if not docs:
            return
        keys = sorted({k for _, source in docs for k in source["story_keys"]})
        candidates: list[tuple[str, str, StoryPrint, set]] = []
        if keys and (not self._empty or self._sent):
            if self._empty or self.options.rebuild:  # this run's own earlier chunks: not refreshed otherwise
                with self.backend.errors():
                    self.backend.client.indices.refresh(index=self.index)
            found = self.backend._search({
                "size": STORY_CANDIDATES, "query": {"terms": {"story_keys": keys}},
                "_source": ["id", "story", "story_print", "story_keys"]}, index=self.index)
            for hit in found["hits"]["hits"]:
                src = hit.get("_source") or {}
                if src.get("story_print"):
                    candidates.append((src.get("id", hit["_id"]), src.get("story") or src.get("id", hit["_id"]),
                                       print_from_dict(src["story_print"]), set(src.get("story_keys") or ())))
        undated = float("inf")
        for article_id, source in sorted(docs, key=lambda d: d[1]["story_print"]["p"] if d[1]["story_print"]["p"] is not None else undated):
            mine = print_from_dict(source["story_print"])
            my_keys = set(source["story_keys"])
            near = [c for c in candidates if c[0] != article_id and c[3] & my_keys]
            story = article_id
            if near:
                # On how many days the candidates and this article carry each title, slug and URL.
                days = days_lookup(Prints.of([c[2] for c in near] + [mine]))
                same = decide(Prints.of([mine] * len(near)), Prints.of([c[2] for c in near]), days)
                matched = [c for c, ok in zip(near, same) if ok]
                if matched:
                    story = min(matched, key=lambda c: (c[2].published if c[2].published == c[2].published else undated, c[0]))[1]
            source["story"] = story
            candidates.append((article_id, story, mine, my_keys))

    def commit(self) -> None:
        self.flush()
        self._changes = 0
        if self.options.rebuild:
            return  # visible, and durable for on_commit, once the new index is live
        with self.backend.errors():
            self.backend.client.indices.refresh(index=self.index)
        if self._uncommitted or self.report.deleted:
            self.backend.count_write(self.index)
        done, self._uncommitted = self._uncommitted, []
        if self.options.on_commit and done:
            self.options.on_commit(done)

    def close(self) -> WriteReport:
        if self._closed:
            return self.report
        try:
            if self.options.rebuild:
                self._switch()
            else:
                self.commit()
        finally:
            if self.lock is not None:
                self.lock.release()
        self.report.committed = True
        self.report.visible = True  # a commit refreshes; a rebuild's switch is done
        self._closed = True
        return self.report

    def abort(self) -> None:
        self._pending = []
        self._closed = True
        try:
            if self.options.rebuild:
                with self.backend.errors():
                    self.backend.client.indices.delete(index=self.index, ignore_unavailable=True)
        finally:
            if self.lock is not None:
                self.lock.release()

    # -- a rebuild's switch ----------------------------------------------------------------------------
    def _switch(self) -> None:
        self.flush()
        client, alias = self.backend.client, self.backend.alias
        with self.backend.errors():
            client.indices.put_settings(index=self.index, body={"index": {"refresh_interval": None}})
            client.indices.refresh(index=self.index)
        carry_from = self._started_ms
        if self.live is not None:
            carry_from = self._carry(carry_from)
        actions = [{"add": {"index": self.index, "alias": alias}}]
        if self.live is not None:
            actions.insert(0, {"remove": {"index": self.live, "alias": alias}})
        with self.backend.errors():
            client.indices.update_aliases(body={"actions": actions})
        if self.live is not None:
            self._carry(carry_from)  # what landed in the old index between the first pass and the swap
            with self.backend.errors():
                client.indices.refresh(index=self.index)
                client.indices.delete(index=self.live, ignore_unavailable=True)
                client.delete(index=self.backend.meta_index, id=f"writes.{self.live}", ignore=404, refresh="true")
        self.backend.count_write(self.index)
        done, self._uncommitted = self._uncommitted, []
        if self.options.on_commit and done:
            self.options.on_commit(done)

    def _carry(self, since_ms: int) -> int:
        """Copy into the new index the live index's API-written articles it lacks, and every article
        written to the live index since `since_ms` (the API's writes while the rebuild ran). Returns
        when this pass started, for the next one."""
        started = int(time.time() * 1000)
        query = {"bool": {"should": [
            {"bool": {"must_not": [{"exists": {"field": "origin_file"}}]}},
            {"range": {"written": {"gte": since_ms, "format": "epoch_millis"}}},
        ], "minimum_should_match": 1}}
        after = None
        client = self.backend.client
        while True:
            body = {"size": CHUNK, "sort": [{"id": "asc"}], "query": query}
            if after is not None:
                body["search_after"] = after
            with self.backend.errors():
                hits = client.search(index=self.live, body=body)["hits"]["hits"]
            if not hits:
                break
            with self.backend.errors():
                found = client.mget(index=self.index, body={"ids": [h["_id"] for h in hits]}, _source=False)
            present = {d["_id"] for d in found["docs"] if d.get("found")}
            for doc in hits:
                source = doc["_source"]
                recent = (source.get("written") or 0) >= since_ms
                if doc["_id"] in present and not recent:  # the rebuild wrote its own version
                    continue  # (an API write acknowledged while it ran is newer than any: it is carried)
                article_id = source.get("id", doc["_id"])
                self._pending.append((article_id, source))
                if source.get("origin_file") is None and article_id not in self.report.carried:
                    self.report.carried.append(article_id)
            self.flush()
            if len(hits) < CHUNK:
                break
            after = hits[-1]["sort"]
        return started


class RawChecksums(Mapping):
    """raw checksum -> id, looked up in the index one digest at a time (never every id at once)."""

    def __init__(self, backend, index: str) -> None:
        self.backend = backend
        self.index = index
        self._recent: dict[str, str | None] = {}  # `digest in known` then `known[digest]`: one request

    def _find(self, digest: str) -> str | None:
        if not digest:
            return None
        if digest in self._recent:
            return self._recent[digest]
        if len(self._recent) >= 64:
            self._recent.clear()
        self._recent[digest] = found = self._lookup(digest)
        return found

    def _lookup(self, digest: str) -> str | None:
        body = {"size": 1, "_source": ["id"], "query": {"term": {"raw_checksum": digest}}}
        with self.backend.errors():
            hits = self.backend.client.search(index=self.index, body=body)["hits"]["hits"]
        return hits[0]["_source"].get("id", hits[0]["_id"]) if hits else None

    def __getitem__(self, digest: str) -> str:
        found = self._find(digest)
        if found is None:
            raise KeyError(digest)
        return found

    def __contains__(self, digest) -> bool:
        return isinstance(digest, str) and self._find(digest) is not None

    def __iter__(self) -> Iterator[str]:
        query = {"exists": {"field": "raw_checksum"}}
        for row in self.backend.scan_index(["raw_checksum"], index=self.index, query=query):
            if row.get("raw_checksum"):
                yield row["raw_checksum"]

    def __len__(self) -> int:
        with self.backend.errors():
            return self.backend.client.count(index=self.index, body={"query": {"exists": {"field": "raw_checksum"}}})["count"]
