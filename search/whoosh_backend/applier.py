"""The journal's applier: one low-priority process beside the server that applies the API's writes.

An API write is made durable in the journal (journal.py) by the request; someone holding the
index's write lock must then apply it. Without an applier, each server worker runs a background
drainer thread that does it. That thread computes in the worker's own interpreter: while it
analyses, commits and merges, the searches of that worker wait for the GIL, and with 2 cores the
commit's CPU is taken from the searches too. Measured with `python -m bench.writes --index DIR
--seconds 20` (4 unpaced writers, 3 workers, 135k articles, 2 cores): search p95 rose 2.2-2.6x over
unloaded with the drainer threads, 1.5x with no write applied at all. The applier alone did not
bring that down (2.7x: cheaper writes, so more of them); what does is that writes yield to
searches (api/reads_first.py, 1.25-1.35x). The applier keeps commits and merges, which grow with
the writes, out of every worker's interpreter.

So the server (api/applier.py, started by gunicorn's master) runs one applier process:

- niced (NICE): it takes the CPU the searches leave, not theirs, and holds no worker's GIL;
- it commits at most every `interval` seconds, everything pending in one commit (a lone write after
  a quiet spell is applied within `poll`);
- it holds `applier.lock` (an flock) in the index root while it runs. A worker that sees the lock
  held leaves the journal to it (no drainer thread, no applying on the request path); when the
  process is gone, the flock is released with it and the workers apply the journal as before, so
  no write waits on a dead applier.

Nothing about durability changes: entries leave the journal only once committed, whoever applies
them (`newsearch index` still applies them at each of its commits and shares the lock with this
process as it does with any writer).

    python -m api.applier INDEX_DIR [--interval 1.0]      (what gunicorn's master runs; see main())
"""
from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import logging
import os
import signal
import threading
import time
from pathlib import Path

from ..fields import FIELDS, Fields
from .store import flock_within

LOCK_NAME = "applier.lock"
APPLY_EVERY = 1.0  # seconds between commits while writes keep coming
POLL = 0.05  # seconds between looks at the journal
NICE = 10  # the applier's CPU priority, below the workers' (0)
log = logging.getLogger(__name__)


def lock_path(root: str | os.PathLike) -> Path:
    return Path(root).absolute() / LOCK_NAME


def running(root: str | os.PathLike) -> bool:
    """Whether an applier holds this index root's applier lock now (a shared flock attempt that
    fails while the applier holds it exclusively; released at once)."""
    try:
        fd = os.open(lock_path(root), os.O_RDONLY)  # a reader never creates anything in the index
    except OSError:  # no applier ever ran there
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return True
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive(root: Path, patience: float = 1.0):
    """Yield True holding the applier lock, or False when another applier holds it. Workers probe the
    lock (shared, for microseconds), so a busy lock is retried for `patience` seconds first."""
    fd = os.open(lock_path(root), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not flock_within(fd, patience, poll=0.01):
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class Applier:
    """Applies the journal of the index at `path` until stopped (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike, *, fields: Fields = FIELDS, interval: float = APPLY_EVERY,
                 poll: float = POLL, parent: int | None = None) -> None:
        from .backend import WhooshBackend

        self.backend = WhooshBackend(path, fields=fields)
        self.interval = interval
        self.poll = poll
        self.parent = parent  # the server's pid: the applier stops when it is gone
        self.commits = 0

    def run(self, stop: threading.Event | None = None, nice: int = 0) -> bool:
        """Apply until `stop` is set (or the parent exits); False at once if another applier runs."""
        stop = stop or threading.Event()
        root = Path(self.backend.store.root)
        while not root.is_dir():  # no index yet (a server started before `newsearch index`): never make one
            if stop.wait(1.0) or self._orphaned():
                return True
        with _exclusive(root) as mine:
            if not mine:
                log.info("another applier runs for %s", root)
                return False
            if nice:
                os.nice(nice)
            last = -float("inf")
            while not stop.is_set() and not self._orphaned():
                if not self.backend.journal.names():
                    self._save_stories()  # idle: the stories a budgeted commit deferred, when due
                    stop.wait(self.poll)
                    continue
                rest = self.interval - (time.monotonic() - last)
                if rest > 0:  # writes keep coming: gather them into the next commit
                    stop.wait(min(rest, self.interval))
                    continue
                started = time.monotonic()
                if self._apply() is None:  # another writer holds the index: look again soon
                    stop.wait(self.poll)
                else:
                    last = started
            self._apply()  # what was acknowledged before the stop, when the lock is free
            return True

    def _apply(self) -> dict | None:
        """The entries applied (None when another writer holds the index, or the commit failed)."""
        try:
            applied = self.backend.drain(merge="small")
        except Exception:  # a full disk, say: the entries stay journaled; the next round retries
            log.exception("applying the write journal failed; retrying")
            time.sleep(self.interval)
            return None
        if applied:
            self.commits += 1
        return applied

    def _save_stories(self) -> None:
        try:
            self.backend.save_stories_if_due()
        except Exception:  # a full disk, say: searches fold as last saved; the next round retries
            log.exception("saving the stories failed; retrying")

    def _orphaned(self) -> bool:
        return self.parent is not None and os.getppid() != self.parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Apply an index's write journal until stopped (SIGTERM).")
    parser.add_argument("index", type=Path)
    parser.add_argument("--interval", type=float, default=APPLY_EVERY)
    parser.add_argument("--nice", type=int, default=NICE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="newsearch-applier: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    Applier(args.index, interval=args.interval, parent=os.getppid()).run(stop, nice=args.nice)


if __name__ == "__main__":
    main()
