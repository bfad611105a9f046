"""The server's journal applier process (search/whoosh_backend/applier.py), kept running by
gunicorn's master: started when the server is ready, restarted when it exits, stopped with the server.

Only for a Whoosh index directory (a cluster applies its own writes). The process is the master's
child, in its process group: a signal to the group reaches it, and it stops by itself if the master
disappears. While it is gone (between a crash and the restart a second later), the workers apply
the journal themselves, as they do without it.
"""
from __future__ import annotations

import logging
import subprocess
import sys
import threading

from search.engine import is_cluster

RESTART_AFTER = 1.0  # seconds between an exit and the next start
STOP_WAIT = 15.0  # seconds the applier has to finish its commit when the server stops

log = logging.getLogger(__name__)


class ApplierProcess:
    def __init__(self, index: str, *, log_to=None) -> None:
        self.index = str(index)
        self.log_to = log_to
        self.process: subprocess.Popen | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._keep_running, name="newsearch-applier", daemon=True)

    @classmethod
    def for_location(cls, location, **kwargs) -> "ApplierProcess | None":
        return None if is_cluster(location) else cls(str(location), **kwargs)

    def start(self) -> "ApplierProcess":
        self._thread.start()
        return self

    def _keep_running(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if self._stop.is_set():
                    return
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "search.whoosh_backend.applier", self.index],
                    stdin=subprocess.DEVNULL, stdout=self.log_to, stderr=self.log_to,
                )
            # gunicorn's master reaps every child it is told about (SIGCHLD, waitpid(-1)); wait()
            # then finds the status gone, which Popen treats as an exit: either way, it has exited.
            self.process.wait()
            if not self._stop.wait(RESTART_AFTER):
                log.warning("the journal applier exited (%s); starting it again", self.process.returncode)

    def stop(self) -> None:
        """SIGTERM: the applier finishes its commit and exits (SIGKILL after STOP_WAIT)."""
        with self._lock:
            self._stop.set()
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
