"""The server's journal applier process (api/applier.py) under a real gunicorn: it applies the API's
writes, a killed applier is replaced and loses nothing (the workers apply meanwhile), and it stops
with the server."""
from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from search.whoosh_backend.journal import Journal

from tests.polling import wait_for

from .conftest import AUTH, run_index, write_corpus




def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except FileNotFoundError:
        return False


def post(base: str, article_id: str, **params) -> dict:
    response = requests.post(f"{base}/v1/articles", params=params, headers=AUTH, timeout=30,
                             json={"id": article_id, "title": f"Applier {article_id} heron", "body": "Herons."})
    assert response.status_code == 201, response.text
    assert response.json()["committed"] is True
    return response.json()


def searchable(base: str, ids: list[str]) -> bool:
    hits = requests.get(f"{base}/v1/search", params={"q": "heron", "per_page": 100}, timeout=30).json()["hits"]
    return {hit["id"] for hit in hits} >= set(ids)


@pytest.mark.stress
@pytest.mark.timeout(180)
def test_the_applier_applies_writes_is_replaced_when_killed_and_stops_with_the_server(tmp_path, gunicorn_factory):
    index = tmp_path / "index"
    run_index(index, write_corpus(tmp_path / "base.jsonl", [f"base-{n}" for n in range(50)]))
    server = gunicorn_factory(index)
    assert wait_for(lambda: len(server.applier_pids()) == 1, 20), server.log()[-2000:]
    first = server.applier_pids()[0]

    ids = [f"ap-{n}" for n in range(40)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: post(server.base, i), ids))
    assert wait_for(lambda: Journal(index).names() == [] and searchable(server.base, ids))
    waited = post(server.base, "ap-waited", wait="true")  # read-your-writes through the applier
    assert waited["visible"] is True

    # Killed mid-stream: nothing acknowledged is lost, and the master starts another applier.
    os.kill(first, signal.SIGKILL)
    more = [f"ap-after-{n}" for n in range(10)]
    for article_id in more:
        post(server.base, article_id)
    assert wait_for(lambda: server.applier_pids() not in ([], [first]), 20), server.log()[-2000:]
    assert wait_for(lambda: Journal(index).names() == [] and searchable(server.base, ids + more + ["ap-waited"]))

    second = server.applier_pids()[0]
    server.stop()
    assert wait_for(lambda: not alive(second), 20)
