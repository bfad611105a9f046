"""Reading raw articles from disk: `.txt`, `.html`/`.htm`, `.jsonl` and `.jsonl.gz`.

Readers yield one `RawDocument` per article and one `ReadFailure` per file or line that cannot be
read; they never raise for bad input, so one broken file never stops a batch.

    >>> for item in read_paths(["seeds/"]):
    ...     print(item.origin, item.kind if isinstance(item, RawDocument) else item.reason)
"""
from __future__ import annotations

import gzip
import html as html_lib
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")

# JSONL field names we read, with the aliases other corpora use (the RSS set: link, date_published,
# description). Each maps to our name.
FIELD_ALIASES = {
    "id": "id",
    "url": "url",
    "link": "url",
    "title": "title",
    "body": "body",
    "text": "body",
    "html": "html",
    "description": "description",
    "published": "published",
    "date_published": "published",
    "source": "source",
    "publisher": "source",
    "site_name": "source",
    "feed_name": "source",
    "author": "author",
    "source_domain": "source_domain",
    "language": "language",
}

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>")
_MOTW = re.compile(rb"<!--\s*saved from url=\(\d+\)(\S+?)\s*-->", re.I)
_CANONICAL = re.compile(
    rb"""<link\b[^>]*\brel\s*=\s*["']?canonical["']?[^>]*>|<meta\b[^>]*\bproperty\s*=\s*["']og:url["'][^>]*>""", re.I
)
_HREF = re.compile(rb"""\b(?:href|content)\s*=\s*["']([^"']+)["']""", re.I)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
# Files in a corpus folder that are about it, not articles in it (the BBC set's README.TXT).
_NOT_ARTICLE = re.compile(r"^(?:readme|licen[cs]e|copying|notice|changelog|changes|authors|contributing)(?:[._\-].*)?$",
                          re.I)


@dataclass
class RawDocument:
    """One article as read, before cleaning.

    kind: "text" (a plain-text file: template residue and all), "html" (a page or an HTML fragment)
    or "fields" (a JSONL record whose body is plain text). `fields` holds what the input said about
    the article (id, url, title, published, source, author, source_domain; strings, any may be absent).
    `path` is the file, `name` the id a file-based article gets when nothing better names it.
    """

    origin: str
    kind: str
    content: str
    fields: dict = field(default_factory=dict)
    path: str = ""
    name: str = ""
    fragment: bool = False  # HTML from a JSONL record: may be a snippet rather than a page
    checksum: str = ""  # the raw input's digest (indexer.pipeline.raw_checksum), once computed


@dataclass
class ReadFailure:
    """A file or JSONL line that could not be read (stage "read") or made into an article ("process"), and why."""

    origin: str
    reason: str
    stage: str = "read"


@dataclass
class ReadCounts:
    files: int = 0
    skipped: list[str] = field(default_factory=list)  # files in a directory we do not read: other types, not articles


class NotText(ValueError):
    """Bytes that are not text in any encoding we can guess."""


# -- finding files ------------------------------------------------------------------------------
def suffix_of(path: Path) -> str:
    name = path.name.lower()
    for suffix in JSONL_SUFFIXES + HTML_SUFFIXES + TEXT_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    return ""


def iter_files(paths: Iterable[str | os.PathLike], counts: ReadCounts | None = None) -> Iterator[tuple[Path, Path] | ReadFailure]:
    """(file, root) for each readable-looking file under `paths` (directories recursively, sorted,
    hidden entries skipped); a ReadFailure for paths that do not exist or have a type we do not read.

    Not articles, and reported as skipped: hidden files and folders (`.git`, `.DS_Store`) and files
    about the corpus (`README*`, `LICENSE*`, `COPYING*`, ...) found in a directory. A directory's files stay inside it: a symbolic link in it that leads outside (an unpacked archive
    pointing at ~/.ssh or /etc) is reported, not read, so it cannot end up searchable. Links to
    directories are not followed. A file named on the command line is read wherever it is."""
    counts = counts if counts is not None else ReadCounts()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = path.resolve()
            for dirpath, dirnames, filenames in os.walk(path, onerror=None):
                counts.skipped.extend(str(Path(dirpath) / d) for d in sorted(dirnames) if d.startswith("."))
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    child = Path(dirpath) / name
                    if name.startswith(".") or _NOT_ARTICLE.match(name):
                        counts.skipped.append(str(child))
                        continue
                    if child.is_symlink() and not child.resolve().is_relative_to(inside):
                        yield ReadFailure(_origin(child), f"symbolic link to a file outside {path}; not read")
                    elif suffix_of(child):
                        yield child, path
                    else:
                        counts.skipped.append(str(child))
        elif path.exists() or path.is_symlink():
            if suffix_of(path):
                yield path, path.parent
            else:
                yield ReadFailure(_origin(path), "unsupported file type (expected .txt, .html, .htm, .jsonl or .jsonl.gz)")
        else:
            yield ReadFailure(_origin(path), "no such file or directory")


def read_paths(paths: Iterable[str | os.PathLike], counts: ReadCounts | None = None) -> Iterator[RawDocument | ReadFailure]:
    """Every article under `paths`, in a stable order (files sorted, JSONL lines in order)."""
    counts = counts if counts is not None else ReadCounts()
    for item in iter_files(paths, counts):
        if isinstance(item, ReadFailure):
            yield item
            continue
        path, root = item
        counts.files += 1
        yield from read_file(path, root)


def count_items(paths: Iterable[str | os.PathLike]) -> int:
    """How many items `read_paths(paths)` yields, found without parsing anything: one per file and
    per path that cannot be read, one per non-blank line of a JSONL file (or one for an empty or
    unreadable one). A progress bar's total: the JSONL bytes are scanned for lines only, a few
    seconds a gigabyte, against minutes of indexing."""
    total = 0
    for item in iter_files(paths):
        if isinstance(item, ReadFailure) or suffix_of(item[0]) not in JSONL_SUFFIXES:
            total += 1
        else:
            total += max(1, _jsonl_lines(item[0]))
    return total


def _jsonl_lines(path: Path) -> int:
    """Non-blank lines of a JSONL (or .jsonl.gz) file, as read_jsonl counts them; 0 if it cannot be read."""
    lines = 0
    try:
        with (gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")) as handle:
            for line in handle:
                if not line.isspace():
                    lines += 1
    except (OSError, EOFError, zlib.error):
        pass
    return lines


def read_file(path: Path, root: Path | None = None) -> Iterator[RawDocument | ReadFailure]:
    suffix = suffix_of(path)
    if suffix in JSONL_SUFFIXES:
        yield from read_jsonl(path)
    elif suffix in HTML_SUFFIXES:
        yield read_html(path, root)
    else:
        yield read_text(path, root)


# -- plain text and HTML files ------------------------------------------------------------------
def read_text(path: Path, root: Path | None = None) -> RawDocument | ReadFailure:
    data = _read_bytes(path)
    if isinstance(data, ReadFailure):
        return data
    try:
        text = decode_bytes(data)
    except NotText as e:
        return ReadFailure(_origin(path), str(e))
    return RawDocument(_origin(path), "text", text, {}, path=_origin(path), name=file_name_id(path, root))


def read_html(path: Path, root: Path | None = None) -> RawDocument | ReadFailure:
    data = _read_bytes(path)
    if isinstance(data, ReadFailure):
        return data
    declared = _META_CHARSET.search(data[:4096])
    try:
        text = decode_bytes(data, declared.group(1).decode("ascii", "replace") if declared else None)
    except NotText as e:
        return ReadFailure(_origin(path), str(e))
    fields = {}
    url = page_url(data[:200_000])
    if url:
        fields["url"] = url
    return RawDocument(_origin(path), "html", text, fields, path=_origin(path), name=file_name_id(path, root))


def page_url(head: bytes) -> str | None:
    """The URL a saved page says it came from: the browser's 'saved from' mark, canonical link or og:url."""
    mark = _MOTW.search(head[:2048])
    if mark:
        return mark.group(1).decode("utf-8", "replace")
    for tag in _CANONICAL.finditer(head):
        href = _HREF.search(tag.group(0))
        if href and href.group(1).lower().startswith((b"http://", b"https://")):
            return html_lib.unescape(href.group(1).decode("utf-8", "replace"))
    return None


def _read_bytes(path: Path) -> bytes | ReadFailure:
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        return ReadFailure(_origin(path), "is a directory")
    except OSError as e:
        return ReadFailure(_origin(path), f"cannot read: {e.strerror or e}")
    if not data.strip():
        return ReadFailure(_origin(path), "empty file")
    return data


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text from bytes: UTF-8 when valid, else the declared charset, else charset-normalizer's best guess.

    Raises NotText for binary data (NUL bytes, or nothing that decodes as text)."""
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NotText("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        raise NotText("not text: no encoding decodes it")
    # charset-normalizer ranks by "chaos" first, so mostly-ASCII text with one stray byte (a Latin-1
    # pound sign) can come out as Shift-JIS. Among the nearly-as-clean decodings, prefer the one that
    # reads most like a language.
    floor = min(m.chaos for m in matches)
    best = max((m for m in matches if m.chaos <= floor + 0.1), key=lambda m: (m.coherence, -m.chaos))
    return str(best)


def file_name_id(path: Path, root: Path | None) -> str:
    """An id from the file's path below the directory given on the command line, without the suffix:
    `seeds/000_cd26.txt` -> `000_cd26`, `bbc/sport/199.txt` read as `bbc/` -> `sport-199`."""
    try:
        rel = path.relative_to(root) if root is not None else Path(path.name)
    except ValueError:
        rel = Path(path.name)
    parts = list(rel.parts)
    suffix = suffix_of(path)
    parts[-1] = parts[-1][: len(parts[-1]) - len(suffix)] if suffix else parts[-1]
    return "-".join(p for p in parts if p)


def _origin(path: Path) -> str:
    return os.path.abspath(path)


# -- JSONL --------------------------------------------------------------------------------------
def read_jsonl(path: Path) -> Iterator[RawDocument | ReadFailure]:
    """One RawDocument per JSON object line; a ReadFailure (with `path:line`) per line that is not one."""
    origin = _origin(path)
    gz = path.name.lower().endswith(".gz")
    try:
        handle = gzip.open(path, "rb") if gz else open(path, "rb")
    except OSError as e:
        yield ReadFailure(origin, f"cannot read: {e.strerror or e}")
        return
    lineno = 0
    seen_any = False
    try:
        with handle:
            try:
                for lineno, line in enumerate(handle, 1):
                    if not line.strip():
                        continue
                    seen_any = True
                    yield parse_jsonl_line(line.strip(), f"{origin}:{lineno}", origin)
            except (OSError, EOFError, zlib.error) as e:
                yield ReadFailure(f"{origin}:{lineno + 1}", f"cannot read further: {e}")
                return
    except OSError as e:  # closing a truncated gzip stream
        yield ReadFailure(origin, f"cannot read: {e}")
        return
    if not seen_any:
        yield ReadFailure(origin, "empty file")


def parse_jsonl_line(line: bytes, origin: str, path: str = "") -> RawDocument | ReadFailure:
    try:
        text = decode_bytes(line)
    except NotText as e:
        return ReadFailure(origin, str(e))
    try:
        record = json.loads(text)
    except json.JSONDecodeError as e:
        return ReadFailure(origin, f"invalid JSON ({e.msg.removesuffix(' at')}, column {e.colno})")
    except RecursionError:
        return ReadFailure(origin, "invalid JSON: nested too deeply")
    if not isinstance(record, dict):
        return ReadFailure(origin, f"not a JSON object (a {_json_type(record)})")
    return record_to_document(record, origin, path)


def record_to_document(record: dict, origin: str, path: str = "") -> RawDocument | ReadFailure:
    """A RawDocument from a JSON object, with field aliases resolved and types checked."""
    fields: dict[str, str] = {}
    # Our own names first, so that `url` wins over its alias `link` whatever the key order.
    for key, value in sorted(record.items(), key=lambda kv: FIELD_ALIASES.get(kv[0]) != kv[0]):
        name = FIELD_ALIASES.get(key)
        if name is None or value is None:
            continue
        if name == "id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if name == "source" and key != "source" and not isinstance(value, str):
            # `publisher: {"name": ...}` (schema.org style) names it; any other shape of an alias says nothing.
            value = value.get("name") if isinstance(value, dict) else None
            if not isinstance(value, str):
                continue
        if not isinstance(value, str):
            return ReadFailure(origin, f"field {key!r} must be a string, not a {_json_type(value)}")
        if name in fields and fields[name].strip():
            continue  # our own name wins over an alias
        fields[name] = value
    body, markup = fields.pop("body", ""), fields.pop("html", "")
    description = fields.pop("description", "")
    if not body.strip() and not markup.strip() and description.strip():
        if _MARKUP.search(description):
            markup = description
        else:
            body = html_lib.unescape(description) if "&" in description else description
    fields = {k: v.strip() for k, v in fields.items() if v.strip()}
    if body.strip():
        return RawDocument(origin, "fields", body, fields, path=path)
    if markup.strip():
        return RawDocument(origin, "html", markup, fields, path=path, fragment=True)
    if fields.get("title"):
        # A feed item with only its headline (about 11% of the RSS set): a short article, still news.
        return RawDocument(origin, "fields", "", fields, path=path)
    return ReadFailure(origin, "no article text (no title, body, html or description)")


def _json_type(value) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list", dict: "object"}.get(
        type(value), type(value).__name__
    )
