"""Slow clients against a real gunicorn with api/gunicorn.conf.py: 50 connections that hold on as long
as they can (idle, headers a byte at a time, an answer never read) do not starve the server.
bench/slowclients.py measures the latencies on the 135k index; this checks, with generous bounds,
that /health, searches and writes keep answering while they are connected."""
from __future__ import annotations

import runpy
import socket
import time

import pytest
import requests

from bench.slowclients import SlowClients
from tests.indexes import copy_index

from .conftest import ROOT, WRITE_KEY

GENEROUS_S = 5.0  # per request; unloaded they take milliseconds, starved they never answer


def test_the_server_runs_threaded_workers():
    conf = runpy.run_path(str(ROOT / "api" / "gunicorn.conf.py"))
    assert conf["worker_class"] == "gthread" and conf["threads"] >= 8 and callable(conf["pre_request"])


@pytest.mark.stress
def test_fifty_slow_clients_do_not_starve_health_searches_or_writes(seed_index, tmp_path, gunicorn_factory):
    index = copy_index(seed_index, tmp_path / "index")
    server = gunicorn_factory(index, workers=2)
    session = requests.Session()
    assert session.get(f"{server.base}/v1/search", params={"q": "police"}, timeout=30).status_code == 200
    clients = SlowClients(server.port, 50, "/widget.js")
    try:
        time.sleep(2.0)  # every slow client accepted and parked
        slowest = 0.0
        for n in range(10):
            for method, path, kwargs in (
                ("GET", "/health", {}),
                ("GET", "/v1/search", {"params": {"q": "police", "page": 1 + n % 2}}),
                ("GET", "/v1/suggest", {"params": {"q": "pol"}}),
            ):
                started = time.monotonic()
                response = requests.request(method, f"{server.base}{path}", timeout=GENEROUS_S, **kwargs)
                slowest = max(slowest, time.monotonic() - started)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
        written = requests.post(f"{server.base}/v1/articles", json={"id": "slow-1", "title": "Slow clients", "body": "Still writing."},
                                headers={"Authorization": f"Bearer {WRITE_KEY}"}, timeout=30)
        assert written.status_code == 201, written.text
        still = clients.still_open()
        # The drip and no-read clients are still connected: the server is not simply dropping them.
        assert still["drip"] >= 10 and still["no-read"] >= 10, still
    finally:
        clients.close()
    print(f"slowest of 30 requests with 50 slow clients: {slowest * 1000:.0f} ms")
    assert slowest < GENEROUS_S


@pytest.mark.stress
def test_a_client_that_never_reads_gives_up_its_thread(seed_index, tmp_path, gunicorn_factory):
    # One worker with two threads, both writing answers nobody reads (5 MB pipelined, a 4 KB window):
    # /health can only answer once NEWSEARCH_CLIENT_TIMEOUT has dropped one of them.
    server = gunicorn_factory(copy_index(seed_index, tmp_path / "index"), workers=1,
                              NEWSEARCH_THREADS="2", NEWSEARCH_CLIENT_TIMEOUT="2")
    request = f"GET /widget.js HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode() * 200
    stuck = []
    try:
        for _ in range(2):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(request)
            stuck.append(sock)
        time.sleep(0.5)  # both threads are now blocked writing
        started = time.monotonic()
        response = requests.get(f"{server.base}/health", timeout=20)
        waited = time.monotonic() - started
    finally:
        for sock in stuck:
            sock.close()
    assert response.status_code == 200
    assert waited < 15, waited  # dropped after ~2 s, not held until the client goes away
