"""One writer at a time: an API write that finds the index busy waits for the lock, and when the
wait runs out answers a 503 problem with Retry-After (never a LockError or a 500); a retry succeeds."""
from __future__ import annotations

import threading
import time

from falcon import testing

from api.app import create_app
from api.config import Config
from search.whoosh_backend.store import IndexStore
from search.whoosh_backend.writer import BulkWriter

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


def test_a_long_incremental_run_lets_api_writes_in(tmp_path):
    """A bulk run that shares the lock (what `newsearch index` does) commits and steps aside every
    `share_lock` seconds: API writes with a short lock timeout all get through during it, and the
    run's own articles and the API's are all there afterwards, none twice."""
    from search.article import Article

    from .test_crash import indexed_ids

    index = tmp_path / "index"
    client = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,), write_lock_timeout=1.0)))
    bulk = BulkWriter(IndexStore(index), share_lock=0.2, commit_every=10_000)
    statuses: list[int] = []

    def api_writes() -> None:
        for n in range(15):
            body = {"id": f"api-{n}", "title": f"API {n}", "body": "Written during a bulk run."}
            statuses.append(client.simulate_post("/v1/articles", json=body, headers=AUTH).status_code)
            time.sleep(0.05)

    writer = threading.Thread(target=api_writes)
    writer.start()
    for n in range(80):  # ~4 s of slow articles (NER speed), far beyond the API's 1 s lock timeout
        bulk.add(Article(id=f"bulk-{n}", title=f"Bulk {n}", body="Indexed by a long run."))
        time.sleep(0.05)
    writer.join()
    # The API updates an article the run wrote; the run's close keeps it (no duplicate, no loss).
    bulk.add(Article(id="bulk-0", title="Bulk 0", body="Indexed by a long run."))
    bulk.close()
    assert statuses == [201] * 15
    present = indexed_ids(index)
    assert len(present) == len(set(present))
    assert set(present) == {f"bulk-{n}" for n in range(80)} | {f"api-{n}" for n in range(15)}


def test_a_shared_run_follows_a_rebuild_made_meanwhile(tmp_path):
    from search.article import Article

    from .test_crash import indexed_ids

    index = tmp_path / "index"
    store = IndexStore(index)
    bulk = BulkWriter(store, share_lock=0.0)  # steps aside after every write
    bulk.add(Article(id="before", title="Before", body="Written before the rebuild."))
    with BulkWriter(store, rebuild=True) as rebuild:
        rebuild.add(Article(id="rebuilt", title="Rebuilt", body="From the rebuild."))
    bulk.add(Article(id="after", title="After", body="Written after the rebuild switched."))
    bulk.close()
    assert sorted(indexed_ids(index)) == ["after", "rebuilt"]  # "before" went with the old index, as a rebuild means
