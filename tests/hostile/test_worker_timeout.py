"""A worker gunicorn kills for outrunning its timeout answers a 503 problem+json with Retry-After,
never gunicorn's HTML 500 (api/worker_timeout.py, the hooks in api/gunicorn.conf.py)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from tests.gunicorn_process import GunicornProcess

from .conftest import PROBLEM


def test_a_killed_worker_answers_problem_json(tmp_path):
    with GunicornProcess(tmp_path, tmp_path / "gunicorn.log", app="tests.hostile.stuck_app:app", workers=1,
                         NEWSEARCH_TIMEOUT="1") as server:
        started = time.monotonic()
        try:
            urllib.request.urlopen(f"{server.base}/stuck", timeout=30)
            raise AssertionError("a stuck request answered 2xx")
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        elapsed = time.monotonic() - started
        assert status == 503, (status, body[:300], server.log()[-2000:])
        assert headers["Content-Type"] == PROBLEM
        assert headers["Retry-After"]
        problem = json.loads(body)
        assert problem["status"] == 503 and problem["type"].endswith("worker-timeout")
        assert elapsed < 20, elapsed  # gunicorn's timeout (1 s) plus its checks, not the client's 30 s
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
