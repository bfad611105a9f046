"""One writer at a time, and no API write waits for it: a write that finds the index busy is
journaled, acknowledged as durable, and applied by whichever writer holds the lock next."""
from __future__ import annotations

import threading
import time

from falcon import testing

from api.app import create_app
from api.config import Config
from search.backend import WriteOptions
from search.engine import open_engine
from search.request import SearchRequest
from search.whoosh_backend.store import IndexStore
from search.whoosh_backend.writer import BulkWriter

from tests.polling import wait_for

from .conftest import AUTH, WRITE_KEY




def test_a_busy_index_acknowledges_at_once_and_the_write_lands_when_it_is_free(tmp_path):
    """No API write waits for the lock: it is journaled (durable) and acknowledged at once; the
    worker's background drainer applies it as soon as the other writer lets go, with no further
    request."""
    index = tmp_path / "index"
    client = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,))))
    article = {"id": "busy-1", "title": "Busy index", "body": "Written after another writer let go."}
    held = BulkWriter(IndexStore(index))  # another writer (say, `newsearch index`) holds the lock
    try:
        started = time.monotonic()
        busy = client.simulate_post("/v1/articles", json=article, headers=AUTH)
        assert time.monotonic() - started < 5
        assert busy.status_code == 201 and busy.json["committed"] is True and busy.json["visible"] is False
    finally:
        held.close()
    assert wait_for(lambda: client.simulate_get("/v1/articles/busy-1").status_code == 200)


def test_wait_true_answers_once_a_short_lock_is_released_and_the_write_visible(tmp_path):
    index = tmp_path / "index"
    client = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,), write_wait=10)))
    held = BulkWriter(IndexStore(index))
    threading.Timer(0.5, held.close).start()  # the other writer finishes half a second later
    started = time.monotonic()
    response = client.simulate_post("/v1/articles", params={"wait": "true"}, headers=AUTH,
                                    json={"id": "w1", "title": "Waited", "body": "Body."})
    assert response.status_code == 201 and 0.4 < time.monotonic() - started < 10
    assert response.json["visible"] is True
    assert client.simulate_get("/v1/articles/w1").status_code == 200


def test_an_unshared_run_applies_api_writes_at_each_of_its_commits(tmp_path):
    """`newsearch index` applies the journal whenever it commits: API writes land during a long run
    even when it never lets go of the lock, in the order they were acknowledged."""
    from search.article import Article
    from search.engine import open_engine
    from search.backend import WriteOptions

    index = tmp_path / "index"
    client = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,))))
    engine = open_engine(index, refresh_interval=0)
    with engine.writer(WriteOptions(commit_every=20)) as bulk:
        for n in range(10):
            bulk.add(Article(id=f"bulk-{n}", title=f"Bulk {n}", body="Indexed by a long run.", origin=f"/corpus/{n}.txt"))
        for version in ("first", "second"):
            response = client.simulate_put("/v1/articles/api-1", headers=AUTH, json={"title": f"API {version}", "body": version})
            assert response.json["committed"] is True and response.json["visible"] is False
        for n in range(10, 30):  # the run's next commit (at 20 changes) takes the API's writes with it
            bulk.add(Article(id=f"bulk-{n}", title=f"Bulk {n}", body="Indexed by a long run.", origin=f"/corpus/{n}.txt"))
        assert engine.get("api-1").title == "API second"
        assert engine.journal.names() == []
    assert engine.search(SearchRequest()).total == 31


def test_a_long_incremental_run_lets_api_writes_in(tmp_path):
    """A bulk run that shares the lock (what `newsearch index` does) commits and steps aside every
    `share_lock` seconds: API writes with a short lock timeout all get through during it, and the
    run's own articles and the API's are all there afterwards, none twice."""
    from search.article import Article

    from .test_crash import indexed_ids

    index = tmp_path / "index"
    client = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,), write_lock_timeout=1.0)))
    # The writer `newsearch index` gets: it applies the API's journaled writes at its commits.
    bulk = open_engine(index, share_lock=0.2).writer(WriteOptions(commit_every=10_000))
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
    bulk.add(Article(id="before", title="Before", body="Written before the rebuild.", origin="/corpus/before.txt"))
    with BulkWriter(store, rebuild=True) as rebuild:
        rebuild.add(Article(id="rebuilt", title="Rebuilt", body="From the rebuild."))
    bulk.add(Article(id="after", title="After", body="Written after the rebuild switched."))
    bulk.close()
    assert sorted(indexed_ids(index)) == ["after", "rebuilt"]  # "before" went with the old index, as a rebuild means
