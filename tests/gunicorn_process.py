"""A real gunicorn with api/gunicorn.conf.py on 127.0.0.1, for the end-to-end, browser and stress
tests and the HTTP benchmark.

    with GunicornProcess(index, tmp_path / "gunicorn.log", workers=2, NEWSEARCH_API_KEYS=key) as server:
        requests.get(f"{server.base}/v1/search", params={"q": "river"})

Standard library only, so `python -m bench` needs none of the test dependencies.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "api" / "gunicorn.conf.py"
APPLIER = "-m api.applier"  # in the command line of the server's journal applier


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GunicornProcess:
    """Starts gunicorn serving `app` over `index` (a directory or an OpenSearch URL) and returns once
    /health answers 200.

    The master leads its own process group (so the workers can be killed with it), and its
    output goes to `log_path` (discarded if None, as a benchmark wants). `workers=None` leaves
    the count to gunicorn.conf.py. Keyword arguments are the server's NEWSEARCH_* settings
    (NEWSEARCH_API_KEYS=..., ...); none is inherited from this process, so a variable set in the
    caller's shell (read keys, a worker count) cannot change what a test or benchmark serves.
    Stop it with `stop()` or by leaving a `with` block.
    """

    def __init__(self, index: Path | str, log_path: Path | None, *, app: str = "api.wsgi:app", workers: int | None = None,
                 ready_timeout: float = 60.0, stop_timeout: float = 30.0, **env: str | None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path) if log_path is not None else None
        self.stop_timeout = stop_timeout
        # An index directory, or an OpenSearch URL (opensearch+http(s)://host:port/alias), served as the app finds it.
        where = "NEWSEARCH_BACKEND" if str(index).startswith("opensearch+") else "NEWSEARCH_INDEX"
        settings: dict[str, str | None] = {where: str(index), "NEWSEARCH_BIND": f"127.0.0.1:{self.port}"}
        if workers is not None:
            settings["NEWSEARCH_WORKERS"] = str(workers)
        settings.update(env)
        environment = {name: value for name, value in os.environ.items() if not name.startswith("NEWSEARCH_")}
        environment.update((name, value) for name, value in settings.items() if value is not None)
        self._log = open(self.log_path if self.log_path else os.devnull, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), app],
            cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            self._wait_until_healthy(ready_timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_until_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:  # refused while binding, or an HTTP error from a worker still starting
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn not healthy in {timeout:g} s:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        """Everything gunicorn has written so far (access log and error log); empty without a log file."""
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def worker_pids(self) -> list[int]:
        """The master's current workers: they change after a HUP or when a worker dies."""
        return [pid for pid, command in self._children() if APPLIER not in command]

    def applier_pids(self) -> list[int]:
        """The master's journal applier process (api/applier.py): one, once the server is ready."""
        return [pid for pid, command in self._children() if APPLIER in command]

    def _children(self) -> list[tuple[int, str]]:
        out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(self.process.pid)], capture_output=True, text=True).stdout
        return [(int(pid), command) for pid, _, command in (line.strip().partition(" ") for line in out.splitlines()) if pid]

    def stop(self) -> None:
        """SIGTERM to the master (it stops its workers gracefully), SIGKILL to the group if that hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):  # it may have exited in between
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def __enter__(self) -> GunicornProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
