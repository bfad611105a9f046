"""Reads first (api/reads_first.py): a write waits for the reads in flight, in any thread or
process of the server, at most NEWSEARCH_WRITE_YIELD seconds; reads never wait for writes."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import falcon
from falcon import testing

from api.app import create_app
from api.reads_first import ReadsFirst

from .conftest import make_config


def request(method: str) -> falcon.Request:
    return testing.create_req(method=method, path="/v1/search" if method == "GET" else "/v1/articles")


def test_a_write_waits_for_a_read_in_flight_and_goes_on_when_it_ends(tmp_path):
    gate = ReadsFirst(tmp_path / "index", max_wait=10)
    read, response = request("GET"), falcon.Response()
    gate.process_request(read, response)  # a search in flight
    threading.Timer(0.3, gate.process_response, args=(read, response, None, True)).start()
    waited: list[float] = []
    writer = threading.Thread(target=lambda: waited.append(gate.wait_for_reads()))
    writer.start()
    writer.join(20)
    assert 0.25 <= waited[0] < 8  # until the read ended, not the whole 10 s


def test_a_write_waits_at_most_the_yield_then_goes_on(tmp_path):
    gate = ReadsFirst(tmp_path / "index", max_wait=0.2)
    read, response = request("GET"), falcon.Response()
    gate.process_request(read, response)
    try:
        started = time.monotonic()
        result: list[float] = []
        writer = threading.Thread(target=lambda: result.append(gate.wait_for_reads()))
        writer.start()
        writer.join(20)
        assert 0.15 <= result[0] and time.monotonic() - started < 5
    finally:
        gate.process_response(read, response, None, True)
    assert gate.wait_for_reads() < 0.1  # no read in flight: at once


def test_a_read_in_another_process_counts(tmp_path):
    gate = ReadsFirst(tmp_path / "index", max_wait=10)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(gate.path)!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
        "fcntl.flock(fd, fcntl.LOCK_SH)\n"
        "print('held', flush=True)\n"
        "time.sleep(0.5)\n")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert gate.wait_for_reads() >= 0.2  # the other worker's search, until it ended
    holder.wait(10)


def test_reads_never_wait_for_writes_and_zero_turns_it_off(tmp_path):
    gate = ReadsFirst(tmp_path / "index", max_wait=10)
    for _ in range(2):  # two reads at once: shared
        gate.process_request(request("GET"), falcon.Response())
    off = ReadsFirst(tmp_path / "index", max_wait=0)
    started = time.monotonic()
    assert off.wait_for_reads() == 0.0 or time.monotonic() - started < 0.1
    read = request("GET")
    off.process_request(read, falcon.Response())
    assert getattr(read.context, "reading_fd", None) is None


def test_writes_through_the_app_still_answer_while_searches_run(index_copy):
    key = "test-write-key-0123456789"
    client = testing.TestClient(create_app(make_config(index_copy, api_keys=(key,), write_yield=0.05)))
    gate = ReadsFirst(index_copy, max_wait=1)
    read, response = request("GET"), falcon.Response()
    gate.process_request(read, response)  # a search in flight in "another worker"
    try:
        started = time.monotonic()
        written = client.simulate_post("/v1/articles", headers={"Authorization": f"Bearer {key}"},
                                       json={"id": "rf-1", "title": "Reads first", "body": "Herons."})
        assert written.status_code == 201 and time.monotonic() - started >= 0.04
        assert client.simulate_get("/v1/search", params={"q": "herons"}).status_code == 200
    finally:
        gate.process_response(read, response, None, True)
