"""One writer at a time: an API write that finds the index busy waits for the lock, and when the
wait runs out answers a 503 problem with Retry-After (never a LockError or a 500); a retry succeeds."""
from __future__ import annotations

import threading
import time

from falcon import testing

from api.app import create_app
from api.config import Config
from search.store import IndexStore
from search.writer import BulkWriter

from .conftest import WRITE_KEY

AUTH = {"Authorization": f"Bearer {WRITE_KEY}"}


def test_busy_index_is_a_503_with_retry_after_then_the_retry_succeeds(tmp_path):
    index = tmp_path / "index"
    client = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,), write_lock_timeout=0.3)))
    article = {"id": "busy-1", "title": "Busy index", "body": "Written after another writer let go."}
    held = BulkWriter(IndexStore(index))  # another writer (say, `newsearch index`) holds the lock
    try:
        started = time.monotonic()
        busy = client.simulate_post("/v1/articles", json=article, headers=AUTH)
        assert time.monotonic() - started >= 0.3  # it waited for the lock first
        assert busy.status_code == 503 and busy.headers["content-type"] == "application/problem+json"
        assert busy.headers["retry-after"] == "2" and busy.json["type"].endswith("index-busy")
    finally:
        held.close()
    retried = client.simulate_post("/v1/articles", json=article, headers=AUTH)
    assert retried.status_code == 201 and retried.json["committed"] is True


def test_a_write_waits_for_a_short_lock_instead_of_failing(tmp_path):
    index = tmp_path / "index"
    client = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,), write_lock_timeout=10)))
    held = BulkWriter(IndexStore(index))
    threading.Timer(0.5, held.close).start()  # the other writer finishes half a second later
    started = time.monotonic()
    response = client.simulate_post("/v1/articles", json={"id": "w1", "title": "Waited", "body": "Body."}, headers=AUTH)
    assert response.status_code == 201 and 0.4 < time.monotonic() - started < 10
