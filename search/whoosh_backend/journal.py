"""The write journal: API writes made durable before the index holds them.

An API write never waits for the index's write lock: it appends one file to the journal (written,
fsynced, renamed into place, the directory fsynced) and is acknowledged as durable. Whoever holds
the lock next applies the journal in order and removes each file only once its changes are
committed: a worker's background drainer, the write itself when the lock is free, `newsearch index`
between its commits, a rebuild just before it switches. A crash between the commit and the removal
applies an entry twice, which changes nothing (an unchanged checksum is skipped, a missing id is not
deleted again), so an acknowledged write is never lost and never applied half.

    root/journal/
      00001764471000123456789-00012345-000001.json   one accepted request: {"ops": [...]}
      .00001764471000123456789-00012345-000002.json.tmp   being written (never read)
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..article import Article
from ..fields import FIELDS, Fields

JOURNAL = "journal"
REJECTED = "rejected"  # entries that cannot be read, kept for a person to look at
log = logging.getLogger(__name__)
_SEQUENCE = itertools.count(1)
STALE_TMP = 300.0  # seconds after which a `.tmp` file is an append killed half-way, never renamed


@dataclass(frozen=True)
class Entry:
    """One accepted request's changes: ("add", Article) and ("delete", id) in the order sent."""

    name: str
    ops: tuple[tuple[str, object], ...]


class Journal:
    def __init__(self, root: str | os.PathLike, fields: Fields = FIELDS) -> None:
        self.dir = Path(root).absolute() / JOURNAL
        self.fields = fields

    # -- accepting ------------------------------------------------------------------------------
    def append(self, ops: list[tuple[str, object]]) -> str:
        """Make `ops` durable as one entry; its name, which orders it after every earlier one."""
        self.dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():023d}-{os.getpid():08d}-{next(_SEQUENCE):06d}.json"
        body = {"ops": [_dump(op, value) for op, value in ops]}
        tmp = self.dir / f".{name}.tmp"
        with open(tmp, "wb") as handle:
            handle.write(json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, self.dir / name)
        _fsync_dir(self.dir)
        return name

    # -- applying -------------------------------------------------------------------------------
    def names(self) -> list[str]:
        """The pending entries' names, oldest first (one directory listing)."""
        try:
            return sorted(n for n in os.listdir(self.dir) if n.endswith(".json") and not n.startswith("."))
        except FileNotFoundError:
            return []

    def contains(self, name: str) -> bool:
        return (self.dir / name).exists()

    def pending(self) -> list[Entry]:
        """The pending entries, oldest first."""
        entries = []
        for name in self.names():
            try:
                data = json.loads((self.dir / name).read_bytes().decode("utf-8", "surrogatepass"))
                entries.append(Entry(name, tuple(self._load(op) for op in data["ops"])))
            except FileNotFoundError:  # applied and removed by another writer meanwhile
                continue
            except (ValueError, KeyError, TypeError) as error:
                # Never written by append() (which renames only what it fsynced): set it aside
                # rather than stop every later write from being applied.
                self._set_aside(name, error)
        return entries

    def _set_aside(self, name: str, error: Exception) -> None:
        rejected = self.dir / REJECTED
        rejected.mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.dir / name, rejected / name)
            log.error("journal entry %s is unreadable (%s); moved to %s", name, error, rejected)

    def remove(self, names: list[str]) -> None:
        """Forget entries whose changes are committed. Call with the index's write lock held."""
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                (self.dir / name).unlink()
        if names:
            _fsync_dir(self.dir)
        self._remove_stale_tmp()

    def _remove_stale_tmp(self) -> None:
        now = time.time()
        with contextlib.suppress(FileNotFoundError):
            for child in self.dir.iterdir():
                if child.name.endswith(".tmp"):
                    with contextlib.suppress(FileNotFoundError):
                        if now - child.stat().st_mtime > STALE_TMP:
                            child.unlink()

    def _load(self, op: dict) -> tuple[str, object]:
        if op["op"] == "add":
            return "add", self.fields.record.from_dict(op["article"])
        return "delete", op["id"]


def _dump(op: str, value: object) -> dict:
    if op == "add":
        assert isinstance(value, Article)
        return {"op": "add", "article": value.to_dict()}
    if op == "delete":
        return {"op": "delete", "id": value}
    raise ValueError(f"unknown journal operation {op!r}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
