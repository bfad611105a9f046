"""The server's journal applier process (search/whoosh_backend/applier.py), kept running by
gunicorn's master: started when the server is ready, restarted when it exits, stopped with the server.

    python -m api.applier INDEX_DIR     (what the master runs)

Only for a Whoosh index directory (a cluster applies its own writes). The process is the master's
child, in its process group: a signal to the group reaches it, and it stops by itself if the master
disappears. While it is gone (between a crash and the restart a second later), the workers apply
the journal themselves, as they do without it.

It is spawned with os.posix_spawn, not subprocess: the master forks workers while this runs in a
thread, and a worker forked during a subprocess.Popen inherits Popen's error pipe, which then never
closes (the Popen, and every restart after it, waited for as long as that worker lived).
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

from search.engine import is_cluster

RESTART_AFTER = 1.0  # seconds between an exit and the next start
STOP_WAIT = 15.0  # seconds the applier has to finish its commit when the server stops

log = logging.getLogger(__name__)


class ApplierProcess:
    def __init__(self, index: str) -> None:
        self.index = str(index)
        self.pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keep_running, name="newsearch-applier", daemon=True)

    @classmethod
    def for_location(cls, location) -> "ApplierProcess | None":
        return None if is_cluster(location) else cls(str(location))

    def start(self) -> "ApplierProcess":
        self._thread.start()
        return self

    def _keep_running(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if self._stop.is_set():
                    return
                self.pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "api.applier", self.index], os.environ)
            status = _wait(self.pid)
            if not self._stop.wait(RESTART_AFTER):
                log.warning("the journal applier exited (%s); starting it again", status)

    def stop(self) -> None:
        """SIGTERM: the applier finishes its commit and exits (SIGKILL after STOP_WAIT)."""
        with self._lock:
            self._stop.set()
            pid = self.pid
        if pid is None or _exited(pid):
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT
        while not _exited(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return
            time.sleep(0.05)


def _wait(pid: int) -> int | None:
    """Until `pid` exits: its wait status, or None when gunicorn's master reaped it first (it reaps
    every child on SIGCHLD)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _exited(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:  # reaped already (by gunicorn, or the waiting thread)
        return True


if __name__ == "__main__":
    from search.whoosh_backend.applier import main

    main()
