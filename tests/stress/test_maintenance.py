"""Maintenance never drops an acknowledged write: `newsearch index --prune` removes only articles read
from files under the pruned paths; `--rebuild` keeps what the API wrote, including writes
acknowledged while it ran; a rebuild killed with SIGKILL loses none of them either."""
from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.whoosh_backend.journal import Journal
from search.whoosh_backend.store import IndexStore

from .conftest import AUTH, ROOT, WRITE_KEY, index_command, run_index, write_corpus
from .test_crash import indexed_ids



def api_client(index: Path) -> testing.TestClient:
    return testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,)), prepare=None))


def post(client: testing.TestClient, article_id: str, text: str = "Written through the API.") -> dict:
    response = client.simulate_post("/v1/articles", headers=AUTH, json={
        "id": article_id, "title": f"API {article_id}", "body": text, "url": f"https://example.org/{article_id}"})
    assert response.status_code in (200, 201), response.text
    assert response.json["committed"] is True
    return response.json


def lock_is_held(index: Path) -> bool:
    try:
        with IndexStore(index).write_lock(timeout=0):
            return False
    except Exception:
        return True


def settle(index: Path, seconds: float = 30) -> None:
    """Apply what is journaled (what a server's drainer does within a second) and wait for it."""
    from search.engine import open_engine

    engine = open_engine(index)
    try:
        deadline = time.monotonic() + seconds
        while Journal(index).names() and time.monotonic() < deadline:
            engine.drain()
            time.sleep(0.05)
    finally:
        engine.close()
    assert not Journal(index).names(), "the journal was not applied"


@pytest.mark.stress
@pytest.mark.timeout(300)
def test_prune_removes_only_articles_from_the_pruned_paths(tmp_path):
    index = tmp_path / "index"
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    write_corpus(here / "a.jsonl", [f"a-{n}" for n in range(20)])
    write_corpus(here / "b.jsonl", [f"b-{n}" for n in range(20)], start=20)
    write_corpus(there / "c.jsonl", [f"c-{n}" for n in range(20)], start=40)
    run_index(index, here, there)
    client = api_client(index)
    for n in range(5):
        post(client, f"api-{n}")
    (here / "b.jsonl").unlink()  # b's articles are gone from `here`
    run_index(index, here, extra=("--prune",))
    present = set(indexed_ids(index))
    assert present == {f"a-{n}" for n in range(20)} | {f"c-{n}" for n in range(20)} | {f"api-{n}" for n in range(5)}


@pytest.mark.stress
@pytest.mark.timeout(300)
def test_rebuild_keeps_api_writes_made_before_and_during_it(tmp_path):
    index = tmp_path / "index"
    corpus = write_corpus(tmp_path / "corpus.jsonl", [f"doc-{n:05d}" for n in range(4000)])
    run_index(index, write_corpus(tmp_path / "old.jsonl", [f"old-{n}" for n in range(50)]))
    client = api_client(index)
    before = [f"before-{n}" for n in range(5)]
    for article_id in before:
        post(client, article_id)
    post(client, "doc-00001", "The API's version of an article the rebuild reads from its corpus.")
    rebuild = subprocess.Popen(index_command(index, corpus, extra=("--rebuild",)), cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    during = []
    try:
        deadline = time.monotonic() + 120
        while not lock_is_held(index) and rebuild.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        for n in range(5):
            if rebuild.poll() is not None:
                break
            reply = post(client, f"during-{n}")
            during.append(f"during-{n}")
            assert reply["visible"] is False  # acknowledged as durable while the rebuild held the index
        out, _ = rebuild.communicate(timeout=240)
    finally:
        if rebuild.poll() is None:
            rebuild.kill()
    assert rebuild.returncode == 0, out
    assert during, "the rebuild finished before any write could be made during it"
    settle(index)
    present = indexed_ids(index)
    assert len(present) == len(set(present))
    expected = {f"doc-{n:05d}" for n in range(4000)} | set(before) | set(during)
    assert set(present) == expected  # the old corpus went with the old index; nothing the API wrote did
    # The rebuild's corpus wins over an API version of the same id: it is what a rebuild means.
    assert "API's version" not in client.simulate_get("/v1/articles/doc-00001").json["body"]


@pytest.mark.stress
@pytest.mark.timeout(300)
def test_killed_rebuild_loses_no_write_acknowledged_during_it(tmp_path):
    index = tmp_path / "index"
    run_index(index, write_corpus(tmp_path / "old.jsonl", [f"old-{n}" for n in range(50)]))
    corpus = write_corpus(tmp_path / "corpus.jsonl", [f"doc-{n:05d}" for n in range(6000)])
    client = api_client(index)
    rebuild = subprocess.Popen(index_command(index, corpus, extra=("--rebuild",)), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    during = []
    try:
        deadline = time.monotonic() + 120
        while not lock_is_held(index) and time.monotonic() < deadline:
            time.sleep(0.01)
        for n in range(5):
            post(client, f"during-{n}")
            during.append(f"during-{n}")
    finally:
        rebuild.send_signal(signal.SIGKILL)
        status = rebuild.wait()
    assert status == -signal.SIGKILL, "the rebuild ended before it was killed"
    settle(index)  # the next writer (here a drain) applies the journal to the live index
    assert set(indexed_ids(index)) == {f"old-{n}" for n in range(50)} | set(during)
