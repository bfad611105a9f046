"""The index on disk: generations of Whoosh indexes under one root, a `current` symlink naming the
live one, and a root-level write lock so that writers from any process are serialised.

    root/
      current -> gen-20261122T023500-12345    (switched atomically with os.replace)
      gen-20261122T023500-12345/              (a Whoosh index: *.toc, *.seg)
      write.lock                              (flock: one writer at a time, any process)
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from pathlib import Path
from typing import Iterator

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import Index

from whoosh.fields import Schema

from ..errors import IndexMissing, WriteLockTimeout
from ..fields import FIELDS
from .schema import schema_for

CURRENT = "current"
LOCK = "write.lock"
LOCK_TIMEOUT = 10.0  # seconds a writer waits for another (NEWSEARCH_WRITE_LOCK_TIMEOUT's default)


def flock_within(fd: int, seconds: float, poll: float) -> bool:
    """Take an exclusive flock on `fd`, trying every `poll` seconds for at most `seconds`: whether it
    was taken (the index's write lock, the applier's lock)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)


class IndexStore:
    def __init__(self, root: str | os.PathLike, schema: Schema | None = None) -> None:
        self.root = Path(root).absolute()
        self.schema = schema if schema is not None else schema_for(FIELDS)

    # -- reading -------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.current_dir() is not None

    def current_name(self) -> str | None:
        """The live generation's directory name (one readlink: cheap enough to call per request)."""
        try:
            name = os.readlink(self.root / CURRENT)
        except OSError:
            return None
        # Only a generation directly under the root: a link elsewhere ("/etc", "../other") is
        # not an index of ours, and is never opened or written through.
        if not name.startswith("gen-") or "/" in name or name in (".", ".."):
            return None
        return name

    def current_dir(self) -> Path | None:
        name = self.current_name()
        if name is None:
            return None
        path = self.root / name
        return path if whoosh_index.exists_in(str(path)) else None

    def open(self) -> Index:
        path = self.current_dir()
        if path is None:
            raise IndexMissing(f"no index at {self.root}")
        return self._open_dir(path)

    def _open_dir(self, path: Path) -> Index:
        # Never mmap: with it, Whoosh copies each compound segment's whole postings file out of the
        # map into the process's heap when a reader opens (BufferFile): 464 MB in every worker at
        # 100,000 full-length articles, 4.6 GB at a million. Read through the file, the pages are
        # the OS's cache, shared by the workers. Ranking reads a term's postings once into arrays
        # (evaluate.py, columns.Caches), so the copy no longer buys speed (bench/scale).
        return FileStorage(str(path), supports_mmap=False).open_index(schema=self.schema)

    # -- writing -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def write_lock(self, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """Hold the root's write lock; wait at most `timeout` seconds for it."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not flock_within(fd, timeout, poll=0.05):
                raise WriteLockTimeout(f"index {self.root} is busy with another writer")
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _new_generation(self) -> Path:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = self.root / f"gen-{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**9}"
        path.mkdir(parents=True)
        whoosh_index.create_in(str(path), self.schema)
        return path

    def _switch(self, path: Path) -> None:
        tmp = self.root / f".{CURRENT}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(path.name, tmp)
        os.replace(tmp, self.root / CURRENT)  # atomic: readers see the old or the new, never neither
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def open_for_write(self) -> Index:
        """The live index, created (empty) when there is none. Call with the write lock held."""
        path = self.current_dir()
        if path is None:
            path = self._new_generation()
            self._switch(path)
        return self._open_dir(path)

    def new_generation(self) -> Index:
        """A fresh, empty index beside the live one. Call with the write lock held; `switch_to` it when done."""
        return self._open_dir(self._new_generation())

    def switch_to(self, ix: Index) -> None:
        """Make `ix` (from new_generation) the live index, then remove older generations."""
        path = Path(ix.storage.folder)
        self._switch(path)
        self.remove_stale(keep=path.name)

    def discard(self, ix: Index) -> None:
        shutil.rmtree(ix.storage.folder, ignore_errors=True)

    def remove_stale(self, keep: str | None) -> None:
        """Delete every generation but `keep`, and switch links left by a killed writer.

        Call with the write lock held. Readers that still have old segment files open keep
        reading them (POSIX unlink semantics)."""
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("gen-") and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)
            elif child.name.startswith(f".{CURRENT}.") and child.is_symlink():
                with contextlib.suppress(FileNotFoundError):
                    child.unlink()

    def clean_orphans(self, ix: Index) -> list[str]:
        """Remove the files in the live generation that its table of contents does not name: what
        a writer killed during a merge or a commit left (new segment files, Whoosh's `*.tmp` posting
        spills, which a killed merge of a large index left by the hundred megabytes). Call with
        the write lock held, on the index `open_for_write` returned; the names removed."""
        folder = Path(ix.storage.folder)
        live = {segment.segment_id() for segment in ix._segments()}
        generation = ix.latest_generation()
        toc = re.compile(rf"^_{re.escape(ix.indexname)}_([0-9]+)\.toc$")
        segment_file = re.compile(rf"^({re.escape(ix.indexname)}_[0-9a-z]+)\.")
        removed = []
        for child in folder.iterdir():
            name = child.name
            if name.startswith("."):
                continue
            if name.endswith(".tmp") and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            elif (m := toc.match(name)) and int(m.group(1)) != generation:
                child.unlink(missing_ok=True)
            elif (m := segment_file.match(name)) and m.group(1) not in live:
                child.unlink(missing_ok=True)
            else:
                continue
            removed.append(name)
        return removed

    def clean_up(self) -> None:
        """Remove what a killed writer left behind (a half-built `--rebuild` generation, a switch
        link). Call with the write lock held: then no other writer is building a generation."""
        if self.root.is_dir():
            self.remove_stale(keep=self.current_name())
