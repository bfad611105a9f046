"""The Article record: the one shape that flows from the indexer through the index to the API."""
from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable


@dataclass
class Article:
    id: str
    title: str = ""
    body: str = ""
    url: str | None = None
    summary: str = ""
    published: datetime | None = None
    source: str | None = None  # the publisher; None when nothing says
    dateline: str | None = None
    author: str | None = None
    people: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    checksum: str = ""
    origin: str | None = None
    # A digest of the raw input (file bytes or JSONL record, and the options that processed it): an
    # incremental run skips an input whose digest the index already holds, before any work on it.
    raw_checksum: str = ""
    # The names the article mentions with their evidence (indexer/entities.py: JSON), from which the
    # indexer decides people/organizations/places with what the whole archive knows, and decides
    # again when that knowledge changes (indexer/archive.py). Empty when the entities came ready.
    entity_mentions: str = ""

    def __post_init__(self) -> None:
        if self.published is not None and self.published.tzinfo is None:
            self.published = self.published.replace(tzinfo=timezone.utc)
        if not self.summary:
            self.summary = lead_paragraph(self.body)
        if not self.checksum:
            self.checksum = content_checksum(self)

    def to_dict(self) -> dict:
        """JSON-ready dict: fields as named in the design, `published` in ISO 8601."""
        data = dataclasses.asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Article":
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        published = values.get("published")
        if isinstance(published, str):
            values["published"] = datetime.fromisoformat(published)
        return cls(**values)


def origin_path(origin: str | None) -> str | None:
    """The file an article was read from by `newsearch index` (its origin is the file's absolute
    path, `path:N` for line N of a JSONL file), or None for an article written through the API
    (its origin is its URL, or `api:N`). This is what `--prune` and `--rebuild` go by: they remove
    or rebuild only what came from files."""
    if not origin or not origin.startswith("/"):
        return None
    match = re.fullmatch(r"(/.*?)(?::\d+)?", origin, flags=re.DOTALL)
    return match.group(1) if match else origin


def is_under(path: str, roots: Iterable[str]) -> bool:
    """True when `path` is one of `roots` (absolute paths) or inside one."""
    for root in roots:
        root = root.rstrip("/") or "/"
        if path == root or path.startswith(root if root == "/" else root + "/"):
            return True
    return False


def url_id(url: str) -> str:
    """The id of an article that came without one but with a URL: the same URL gives the same id
    whichever way the article arrives (`newsearch index`, or the API with raw or ready fields)."""
    return hashlib.sha1(url.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:16]


def content_id(text: str) -> str:
    """The id of an article with neither an id, a URL nor a file name: a hash of its content."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()[:16]


def lead_paragraph(body: str, limit: int = 400) -> str:
    """The first paragraph of a body, cut at a word boundary near `limit` characters."""
    para = body.strip().split("\n\n", 1)[0].strip() if body else ""
    if len(para) <= limit:
        return para
    cut = para.rfind(" ", 0, limit)
    return para[: cut if cut > 0 else limit].rstrip(" ,;:") + "…"


# The fields hashed first, in this order: the digest of an article with only these is what it was
# before the record could grow (so existing indexes keep their checksums and nothing is rewritten).
_CHECKSUM_SCALARS = ("id", "url", "title", "body", "source", "dateline", "author", "origin")
_CHECKSUM_LISTS = ("people", "organizations", "places")


def content_checksum(article: Article) -> str:
    """A digest of everything the index stores for an article except the checksum itself: every
    field of the record, a subclass's own included, so a change to any of them is an update."""
    h = hashlib.sha256()
    for name in _CHECKSUM_SCALARS:
        h.update(str(getattr(article, name) or "").encode("utf-8"))
        h.update(b"\x1f")
    h.update((article.published.isoformat() if article.published else "").encode())
    for name in _CHECKSUM_LISTS:
        h.update("\x1e".join(getattr(article, name)).encode("utf-8"))
        h.update(b"\x1f")
    known = {*_CHECKSUM_SCALARS, *_CHECKSUM_LISTS, "published", "checksum", "summary", "raw_checksum",
             "entity_mentions"}
    for f in dataclasses.fields(article):
        if f.name in known:
            continue
        value = getattr(article, f.name)
        text = "\x1e".join(value) if isinstance(value, (list, tuple)) else str(value if value is not None else "")
        h.update(f"\x1d{f.name}=".encode("utf-8") + text.encode("utf-8", "surrogatepass"))
    if article.entity_mentions:  # hashed only when present: digests of records without it are as before
        h.update(b"\x1dentity_mentions=" + article.entity_mentions.encode("utf-8", "surrogatepass"))
    # A summary given on its own (not the body's lead) is content too.
    if article.summary and article.summary != lead_paragraph(article.body):
        h.update(b"\x1dsummary=" + article.summary.encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:32]
