"""A worker gunicorn aborts (SIGABRT, what its master sends past the timeout) answers the requests it
was computing with a 503 problem+json with Retry-After, never gunicorn's HTML 500 or a bare reset
(api/worker_timeout.py, the hooks in api/gunicorn.conf.py)."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request

from tests.gunicorn_process import GunicornProcess

from .conftest import PROBLEM


def _abort_when_stuck(server) -> None:
    # What gunicorn's master does to a worker past its timeout: SIGABRT. (With threaded workers the
    # heartbeat comes from the worker's main thread, so a stuck request alone does not trigger it.)
    time.sleep(1.0)
    for pid in server.worker_pids():
        os.kill(pid, signal.SIGABRT)


def test_an_aborted_worker_answers_problem_json(tmp_path):
    with GunicornProcess(tmp_path, tmp_path / "gunicorn.log", app="tests.hostile.stuck_app:app", workers=1,
                         NEWSEARCH_TIMEOUT="2") as server:  # the master SIGKILLs what the abort left
        started = time.monotonic()
        killer = threading.Thread(target=_abort_when_stuck, args=(server,))
        killer.start()
        try:
            urllib.request.urlopen(f"{server.base}/stuck", timeout=30)
            raise AssertionError("a stuck request answered 2xx")
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        finally:
            killer.join()
        elapsed = time.monotonic() - started
        assert status == 503, (status, body[:300], server.log()[-2000:])
        assert headers["Content-Type"] == PROBLEM
        assert headers["Retry-After"]
        problem = json.loads(body)
        assert problem["status"] == 503 and problem["type"].endswith("worker-timeout")
        assert elapsed < 20, elapsed  # answered when aborted, not at the client's 30 s
        # The master replaced the worker: the server answers again.
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{server.base}/health", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert "answered 503" in server.log()
