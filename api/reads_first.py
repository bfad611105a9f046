"""Reads first: an API write waits, a bounded moment, for the reads in flight to finish.

The server's workers share the machine's cores, and each worker's threads share one interpreter
lock. A write request costs CPU in a worker (parsing, validation, the article's record, the
journal), and writers posting as fast as they are answered keep that CPU busy: every search then
shares the cores, and its worker's interpreter, with them. Measured with `python -m bench.writes
--index DIR --seconds 20` (4 unpaced writers, 3 workers, 135k articles, 2 cores): search p95 rose
to 2.2-3.2x its unloaded value, whoever applied the journal; applying no write at all still left
1.5x. Writes are what can wait: an acknowledged write is durable, and its visibility already trails
by up to a second.

So every read holds a shared `flock` on one file per index (in the temporary directory, shared by
the server's workers), and a write, before any work, waits until it can take that lock exclusively
(no read in flight, in any worker), for at most `max_wait` seconds (NEWSEARCH_WRITE_YIELD), then
goes ahead anyway: writes are delayed, never refused, however busy the searches keep the server.
With it, the same bench: search p95 1.25-1.35x unloaded, writes at about 90 a second (p50 36 ms)
instead of 270-350; 0 (no yield) measured 2.7x.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import threading
import time
from pathlib import Path

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READS = frozenset({"GET", "HEAD"})
POLL = 0.002  # seconds between a waiting write's looks


class ReadsFirst:
    """Falcon middleware: reads hold the shared lock for the whole request; a write waits (at most
    `max_wait` seconds) until no read holds it. `max_wait` 0: off."""

    def __init__(self, location, max_wait: float) -> None:
        self.max_wait = max_wait
        key = hashlib.sha1(str(Path(str(location)).absolute()).encode()).hexdigest()[:16]
        self.path = Path(tempfile.gettempdir()) / f"newsearch-reads-{key}.lock"
        self._local = threading.local()  # one open file per thread: flock is per open file

    def _fd(self) -> int | None:
        fd = getattr(self._local, "fd", None)
        if fd is None or getattr(self._local, "pid", None) != os.getpid():
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None  # no temporary directory to share: reads and writes as they come
            self._local.fd, self._local.pid = fd, os.getpid()
        return fd

    def process_request(self, req, resp) -> None:
        if not self.max_wait:
            return
        if req.method in READS:
            fd = self._fd()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_SH)  # only a write's instantaneous probe ever holds it exclusively
                req.context.reading_fd = fd
        elif req.method in WRITES:
            self.wait_for_reads()

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        fd = getattr(req.context, "reading_fd", None)
        if fd is not None:
            req.context.reading_fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)

    def wait_for_reads(self) -> float:
        """Wait until no read is in flight (or `max_wait` passed); the seconds waited."""
        fd = self._fd()
        if fd is None:
            return 0.0
        started = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    return 0.0
                if time.monotonic() - started >= self.max_wait:
                    return time.monotonic() - started
                time.sleep(POLL)
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return time.monotonic() - started
