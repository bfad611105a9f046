"""The indexer pipeline: read -> clean -> extract metadata -> extract entities -> Article -> index.

Each step is a plain function; this module strings them together, in this process (`workers=1`)
or in a pool of worker processes that each load the NER model once and take articles in chunks,
while the one index writer runs here in the parent.

    >>> for item in run_pipeline(["seeds/"], entities=False):
    ...     print(item.id, item.title) if isinstance(item, Article) else print(item.origin, item.reason)
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping

from search.article import Article, content_checksum, content_id, url_id
from search.cores import usable_cores

from .readers import RawDocument, ReadCounts, ReadFailure, read_paths

if TYPE_CHECKING:
    from search.backend import SearchBackend

# Articles per task sent to a worker: big enough that inter-process overhead vanishes per article,
# small enough that both workers stay busy on small batches. NER costs ~30 ms an article, cleaning
# alone well under 1 ms.
CHUNK_WITH_ENTITIES = 16
CHUNK_WITHOUT_ENTITIES = 250


class NoArticleText(ValueError):
    """The input had no article text once cleaned."""


@dataclass(frozen=True)
class Options:
    entities: bool = True
    source: str | None = None
    domain_map: dict[str, str] | None = None


# Part of every raw checksum: change it when the pipeline makes different articles of the same input
# (new metadata or entity rules), so that the next incremental run processes everything again.
PIPELINE_VERSION = "2026-12-01 issue 15 a short headline out of an HTML body"


@dataclass
class Unchanged:
    """An input whose raw checksum the index already holds: skipped before any work (its article's id)."""

    id: str
    origin: str


def raw_checksum(raw: RawDocument, options: Options) -> str:
    """A digest of one raw input (its text, what the input said about it, the name it would take its id
    from) and of everything that decides what the pipeline makes of it (PIPELINE_VERSION, options)."""
    h = hashlib.sha256()
    settings = [PIPELINE_VERSION, options.entities, options.source, sorted((options.domain_map or {}).items())]
    for part in (json.dumps(settings), raw.kind, raw.name, str(raw.fragment),
                 json.dumps(raw.fields, sort_keys=True, ensure_ascii=False)):
        h.update(part.encode("utf-8", "surrogatepass") + b"\x1f")
    h.update(raw.content.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]


# -- one article --------------------------------------------------------------------------------
def build_article(raw: RawDocument, *, source: str | None = None, domain_map: dict[str, str] | None = None) -> Article:
    """Clean a raw record and extract its metadata: the Article, without entities.

    Raises NoArticleText when nothing of the article is left after cleaning."""
    from .clean import clean_text, normalize_text
    from .html import extract_main_text
    from .metadata import extract_metadata

    fields = raw.fields
    url = web_url(fields.get("url"))
    meta_url = url  # the feed's `source_domain` (in fields) names the publisher before the URL's host does
    if raw.kind == "text":
        body = clean_text(raw.content)
        meta = extract_metadata(
            body=body, raw_text=raw.content, url=meta_url, fields=fields or None,
            source_override=source, domain_map=domain_map,
        )
    elif raw.kind == "html":
        body = extract_main_text(raw.content, url)
        if not body and raw.fragment:
            body = normalize_text(_fragment_text(raw.content))
        meta = extract_metadata(
            body=body, html=raw.content, url=meta_url, fields=fields or None,
            source_override=source, domain_map=domain_map,
        )
    elif raw.kind == "fields":
        body = normalize_text(raw.content)
        meta = extract_metadata(body=body, url=meta_url, fields=fields, source_override=source, domain_map=domain_map)
    else:
        raise ValueError(f"unknown record kind {raw.kind!r}")
    title = meta.title or ""
    if not body.strip() and not (raw.kind == "fields" and title.strip()):
        raise NoArticleText("no article text")
    return Article(
        id=article_id(raw, title, body),
        url=url,
        title=title,
        body=body,
        published=meta.published,
        source=meta.source,
        dateline=meta.dateline,
        author=meta.author,
        origin=raw.origin,
        raw_checksum=raw.checksum,
    )


def web_url(value: str | None) -> str | None:
    """The URL when it is an absolute http(s) one, else None: an article's link is followed by
    readers and rendered by the widget, so `javascript:` or `file:` values never become one."""
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        return value.strip()
    return None


def article_id(raw: RawDocument, title: str, body: str) -> str:
    """Stable id: the input's own id, else a hash of its URL, else its file name, else a content hash."""
    own = (raw.fields.get("id") or "").strip()
    if own:
        return own
    url = raw.fields.get("url")
    if url:
        return url_id(url)
    if raw.name:
        return raw.name
    return content_id(f"{title}\n{body}")


def _fragment_text(markup: str) -> str:
    """All text of an HTML snippet (a feed's description), paragraphs kept apart."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    return soup.get_text("\n\n", strip=True)


def add_entities(articles: list[Article], extractor, archive=None) -> None:
    """Fill entity_mentions and people/organizations/places in place (one batched NER pass),
    decided with what the archive knows (indexer/archive.py) when given, and refresh the checksums."""
    from .entities import mentions_to_json

    if not articles:
        return
    found = extractor.mentions_many((a.title, a.body) for a in articles)
    for article, mentions in zip(articles, found):
        article.entity_mentions = mentions_to_json(mentions)
        decide_entities(article, archive)


def decide_entities(article: Article, archive=None, mentions=None) -> None:
    """people/organizations/places from the article's stored mentions (or `mentions`, already read
    from them) and the archive's knowledge; the checksum follows."""
    from .entities import decide, mentions_from_json

    if mentions is None:
        mentions = mentions_from_json(article.entity_mentions)
    entities = decide(mentions, archive)
    article.people = list(entities.people)
    article.organizations = list(entities.organizations)
    article.places = list(entities.places)
    article.checksum = content_checksum(article)


def process_chunk(raws: list[RawDocument], options: Options, extractor=None, archive=None) -> list[Article | ReadFailure]:
    """Articles (or failures, each with its origin and reason) for a chunk, in input order."""
    out: list[Article | ReadFailure] = []
    built: list[Article] = []
    for raw in raws:
        try:
            article = build_article(raw, source=options.source, domain_map=options.domain_map)
        except NoArticleText as e:
            out.append(ReadFailure(raw.origin, str(e), stage="process"))
            continue
        except Exception as e:  # one record's bug must not sink the batch; it is reported instead
            out.append(ReadFailure(raw.origin, f"cannot process: {type(e).__name__}: {e}", stage="process"))
            continue
        out.append(article)
        built.append(article)
    if extractor is not None and built:
        try:
            add_entities(built, extractor, archive)
        except Exception:
            # Retry one by one so that only the article that breaks NER loses its entities.
            for article in built:
                try:
                    add_entities([article], extractor, archive)
                except Exception:
                    pass
    return out


# -- worker processes ---------------------------------------------------------------------------
_WORKER: dict = {}


def _init_worker(options: Options) -> None:
    _WORKER["options"] = options
    _WORKER["extractor"] = _new_extractor() if options.entities else None


def _work(raws: list[RawDocument]) -> list[Article | ReadFailure]:
    return process_chunk(raws, _WORKER["options"], _WORKER["extractor"])


def _new_extractor():
    from .entities import EntityExtractor

    return EntityExtractor(batch_size=32)


def _unchanged_skipped(items: Iterable[RawDocument | ReadFailure], options: Options,
                       known: Callable[[], Mapping[str, str]] | None) -> Iterator[RawDocument | ReadFailure | Unchanged]:
    """Each raw document with its raw checksum; those the index holds already (`known()`: raw checksum -> id,
    asked once, when the first document is read) as Unchanged, before any cleaning or NER."""
    table: Mapping[str, str] | None = None
    for item in items:
        if isinstance(item, RawDocument):
            item.checksum = raw_checksum(item, options)
            if known is not None:
                table = known() if table is None else table
                if item.checksum in table:
                    yield Unchanged(table[item.checksum], item.origin)
                    continue
        yield item


def _chunks(items: Iterable[RawDocument | ReadFailure | Unchanged], size: int
            ) -> Iterator[list[RawDocument] | ReadFailure | Unchanged]:
    """Raw documents in lists of `size`; read failures and unchanged inputs passed through as they come."""
    chunk: list[RawDocument] = []
    for item in items:
        if not isinstance(item, RawDocument):
            yield item
            continue
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_workers() -> int:
    """One per core this process may use (a container's CPU limit counts, not the host's cores)."""
    return usable_cores()


def run_pipeline(
    paths: Iterable[str | os.PathLike],
    *,
    workers: int | None = None,
    entities: bool = True,
    source: str | None = None,
    domain_map: dict[str, str] | None = None,
    chunk_size: int | None = None,
    counts: ReadCounts | None = None,
    known: Callable[[], Mapping[str, str]] | None = None,
) -> Iterator[Article | ReadFailure | Unchanged]:
    """Every article under `paths` (or the failure that stopped it), each exactly once.

    With `known` (raw checksum -> article id of what the index holds, asked when the first input is
    read), an input whose raw checksum is known comes out as Unchanged without being processed.
    Results of a chunk come in input order; with several workers, read failures may come early."""
    workers = max(1, workers or default_workers())
    options = Options(entities=entities, source=source, domain_map=domain_map)
    size = chunk_size or (CHUNK_WITH_ENTITIES if entities else CHUNK_WITHOUT_ENTITIES)
    chunks = _chunks(_unchanged_skipped(read_paths(paths, counts), options, known), size)
    if workers == 1:
        extractor = None
        for chunk in chunks:
            if not isinstance(chunk, list):
                yield chunk
            else:
                if entities and extractor is None:  # loaded on the first input that needs it: not for a run that skips all
                    extractor = _new_extractor()
                yield from process_chunk(chunk, options, extractor)
        return
    # forkserver: workers start from a clean process that has imported this module once, never from
    # a parent that may hold threads or a loaded model (fork is unsafe with both).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["indexer.pipeline"])
    window = workers * 3  # chunks in flight: keeps workers busy and memory bounded on any corpus size
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(options,)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            if not isinstance(chunk, list):
                yield chunk
                continue
            pending.append(pool.submit(_work, chunk))
            while len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


# -- into the index -----------------------------------------------------------------------------
@dataclass
class IndexReport:
    read: int = 0  # articles read (records that were not read failures)
    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failures: list[ReadFailure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files of a type we do not read
    seconds: float = 0.0
    note: str = ""
    # The archive-level entity pass at the end of the run (indexer/archive.py): articles whose
    # people/organizations/places it rewrote, and its time.
    entities_changed: int = 0
    entities_seconds: float = 0.0

    @property
    def indexed(self) -> int:
        return self.added + self.updated


def index_paths(
    paths: Iterable[str | os.PathLike],
    engine: "SearchBackend | str | os.PathLike",
    *,
    rebuild: bool = False,
    prune: bool = False,
    workers: int | None = None,
    entities: bool = True,
    source: str | None = None,
    domain_map: dict[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
    commit_every: int = 5000,
    on_commit: Callable[[list[str]], None] | None = None,
    refresh_entities: bool = True,
) -> IndexReport:
    """Read, process and index everything under `paths` through the engine's one writer.

    `engine` is a backend (search.backend.SearchBackend) or the location of one (an index
    directory). Work is committed every `commit_every` changes; `on_commit(ids)` is told which ids
    became durable and live (with `rebuild`, only once the new index has been switched in).

    Each article's entities are decided with the archive's knowledge as the run starts; when the
    run changed anything, `refresh_entities` then rebuilds that knowledge from every article and
    rewrites the articles it decides differently (indexer/archive.py)."""
    from search.backend import WriteOptions
    from search.engine import open_engine

    if isinstance(engine, (str, os.PathLike)):
        # Incremental runs let other writers (the API) in every 2 s; a rebuild writes in one
        # process per worker (search.whoosh_backend.WhooshBackend).
        engine = open_engine(engine, share_lock=2.0, procs=max(1, workers or default_workers()))
    paths = list(paths)
    started = time.perf_counter()
    report = IndexReport()
    counts = ReadCounts()
    writer = None
    first_origin: dict[str, str] = {}
    held: list[str] = []  # a rebuild's committed ids: not live until the switch

    def open_writer():
        nonlocal writer
        if writer is None:  # opened on the first input: a run that reads nothing leaves the index alone
            writer = engine.writer(WriteOptions(rebuild=rebuild, commit_every=commit_every, merge=True,
                                                on_commit=held.extend if rebuild else on_commit))
        return writer

    registry = None
    if entities:
        from .archive import ArchiveEntities, load

        # What the index knows, and what this run reads as it goes: each article is decided with
        # everything read before it, so that the pass at the end rewrites few.
        registry = load(engine) or ArchiveEntities()
    # An incremental run skips inputs whose raw checksum the index holds, before cleaning or NER.
    known = None if rebuild else (lambda: open_writer().raw_checksums())
    try:
        for item in run_pipeline(paths, workers=workers, entities=entities, source=source,
                                 domain_map=domain_map, counts=counts, known=known):
            if progress is not None:
                progress(1)
            if isinstance(item, ReadFailure):
                if item.stage == "process":  # read, but no article came of it
                    report.read += 1
                report.failures.append(item)
                continue
            report.read += 1
            if item.id in first_origin:
                report.failures.append(ReadFailure(
                    item.origin, f"duplicate id {item.id!r}, first read from {first_origin[item.id]}", stage="process"))
                continue
            first_origin[item.id] = item.origin or ""
            if registry is not None and not isinstance(item, Unchanged) and item.entity_mentions:
                from .entities import mentions_from_json

                mentions = mentions_from_json(item.entity_mentions)
                registry.add(mentions)
                registry.add_text(item.body)
                decide_entities(item, registry, mentions)
            if isinstance(item, Unchanged):
                if not open_writer().keep(item.id):  # deleted by another writer since the run began
                    report.failures.append(ReadFailure(
                        item.origin, f"article {item.id!r} was deleted during this run; run again to add it", stage="process"))
                continue
            open_writer().add(item)
        if writer is None and prune and not rebuild:
            report.note = "nothing was read, so nothing was pruned"
        elif prune and writer is not None and not rebuild:
            # Only what was read from files under these paths: never what the API wrote, nor
            # what another run indexed from elsewhere.
            writer.prune([os.path.abspath(p) for p in paths])
        if writer is not None:
            done, writer = writer, None
            written = done.close()
            if rebuild and on_commit is not None and held:
                on_commit(held)
            report.added, report.updated = len(written.added), len(written.updated)
            report.unchanged, report.deleted = len(written.unchanged), len(written.deleted)
            if entities and refresh_entities and (report.added or report.updated or report.deleted):
                from .archive import refresh_entities as refresh

                refreshed = refresh(engine, commit_every=commit_every)
                report.entities_changed, report.entities_seconds = refreshed.changed, refreshed.seconds
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    report.files = counts.files
    report.skipped = counts.skipped
    report.seconds = time.perf_counter() - started
    return report
