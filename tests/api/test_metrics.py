"""GET /metrics (api/metrics.py): request counts by route template, latency, searches cut by their
budget and the index's state, in Prometheus's text format; through the Falcon test client, and
through a real gunicorn whose two workers' counts are summed."""
from __future__ import annotations

import os
import re
import runpy
import shutil
import signal
import time
from pathlib import Path

import pytest
import requests
from falcon import testing
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from search.engine import open_engine
from tests.gunicorn_process import CONFIG, GunicornProcess
from tests.hostile.test_search_budget import StepClock

from .conftest import READ_KEY, make_config

ARTICLE = "000_cd26570f11a59a8a"
ARTICLE_ROUTE = "/v1/articles/{article_id}"


def scrape(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a /metrics answer, read with prometheus_client's parser."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def requests_of(samples: dict, route: str, status: str, method: str = "GET") -> float:
    return samples.get(("newsearch_http_requests_total", (("method", method), ("route", route), ("status", status))), 0.0)


@pytest.fixture
def fresh(seed_location) -> testing.TestClient:
    """An app of its own (its counters start at zero), on each backend."""
    return testing.TestClient(create_app(make_config(seed_location)))


def test_requests_are_counted_by_route_template_and_status_never_by_path(fresh):
    assert fresh.simulate_get(f"/v1/articles/{ARTICLE}").status_code == 200
    for missing in ("no-such-article-1", "no-such-article-2", "no-such-article-3"):
        assert fresh.simulate_get(f"/v1/articles/{missing}").status_code == 404
    assert fresh.simulate_get("/v1/search", params={"q": "police"}).status_code == 200
    assert fresh.simulate_get("/v1/search", params={"page": "x"}).status_code == 400
    etag = fresh.simulate_get("/v1/search", params={"q": "council"}).headers["etag"]
    assert fresh.simulate_get("/v1/search", params={"q": "council"}, headers={"If-None-Match": etag}).status_code == 304
    assert fresh.simulate_get("/nowhere/no-such-article-4").status_code == 404
    response = fresh.simulate_get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = scrape(response.text)
    assert requests_of(samples, ARTICLE_ROUTE, "200") == 1
    assert requests_of(samples, ARTICLE_ROUTE, "404") == 3
    assert requests_of(samples, "/v1/search", "200") == 2
    assert requests_of(samples, "/v1/search", "400") == requests_of(samples, "/v1/search", "304") == 1  # the final status
    assert requests_of(samples, "(none)", "404") == 1  # an unknown path: one series, whatever the path
    assert "no-such-article" not in response.text and ARTICLE not in response.text
    latency = (("method", "GET"), ("route", ARTICLE_ROUTE))
    assert samples[("newsearch_http_request_duration_seconds_count", latency)] == 4
    assert samples[("newsearch_http_request_duration_seconds_bucket", (("le", "+Inf"), *latency))] == 4
    assert 0 < samples[("newsearch_http_request_duration_seconds_sum", latency)] < 60

    # Counters only go up: the next scrape counts the one before it.
    again = scrape(fresh.simulate_get("/metrics").text)
    assert requests_of(again, "/metrics", "200") == 1 and requests_of(again, ARTICLE_ROUTE, "404") == 3
    assert again[("newsearch_http_requests_in_progress", ())] == 1  # the scrape itself


def test_the_index_gauges_are_the_engines(fresh):
    stats = fresh.simulate_get("/v1/stats").json
    samples = scrape(fresh.simulate_get("/metrics").text)
    assert samples[("newsearch_index_up", ())] == 1
    assert samples[("newsearch_index_documents", ())] == stats["documents"] > 0
    assert samples[("newsearch_index_pending_writes", ())] == 0
    assert samples[("newsearch_index_commits", ())] >= 1
    assert 0 < time.time() - samples[("newsearch_index_last_commit_timestamp_seconds", ())] < 24 * 3600


def test_writes_pending_and_commits_follow_the_index(index_copy, auth):
    engine = open_engine(index_copy, refresh_interval=0, lock_timeout=0.2)
    client = testing.TestClient(create_app(make_config(index_copy), engine=engine))
    before = scrape(client.simulate_get("/metrics").text)
    article = {"id": "metrics-1", "title": "Okapi seen downtown", "body": "An okapi was seen near the river."}
    with engine.writer():  # another writer (a long `newsearch index`) holds the index
        assert client.simulate_post("/v1/articles", json=article, headers=auth).status_code == 201
        waiting = scrape(client.simulate_get("/metrics").text)
        assert waiting[("newsearch_index_pending_writes", ())] == 1
    deadline = time.monotonic() + 30
    while engine.status().pending_writes and time.monotonic() < deadline:
        time.sleep(0.05)
    after = scrape(client.simulate_get("/metrics").text)
    assert after[("newsearch_index_pending_writes", ())] == 0
    assert after[("newsearch_index_documents", ())] == before[("newsearch_index_documents", ())] + 1
    assert after[("newsearch_index_commits", ())] > before[("newsearch_index_commits", ())]
    assert requests_of(after, "/v1/articles", "201", method="POST") == 1
    engine.close()


def test_searches_cut_by_their_budget_are_counted_by_outcome(seed_index):
    engine = open_engine(seed_index, timer=StepClock(), search_timeout=None)
    client = testing.TestClient(create_app(make_config(seed_index), engine=engine))
    seen = {"partial": 0, "unanswered": 0}
    for k in range(20):  # deadlines after 1, 2, 4, ... readings of the clock (as tests/hostile/test_search_budget.py)
        engine.search_timeout = 2 ** k
        response = client.simulate_get("/v1/search", params={"q": "police OR council"})
        if response.status_code == 503:
            seen["unanswered"] += 1
        elif response.json["timed_out"]:
            seen["partial"] += 1
    assert seen["partial"] and seen["unanswered"]
    samples = scrape(client.simulate_get("/metrics").text)
    for outcome, count in seen.items():
        assert samples[("newsearch_search_timeouts_total", (("outcome", outcome), ("route", "/v1/search")))] == count
    engine.close()


def test_metrics_need_no_read_key_and_take_no_parameters(seed_index):
    client = testing.TestClient(create_app(make_config(seed_index, read_keys=(READ_KEY,))))
    assert client.simulate_get("/v1/search").status_code == 401
    response = client.simulate_get("/metrics")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert requests_of(scrape(response.text), "/v1/search", "401") == 1
    bad = client.simulate_get("/metrics", params={"name": "x"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json["invalid_params"][0]["name"] == "name"
    assert "/metrics" in client.simulate_get("/openapi.json").json["paths"]


def test_metrics_off_is_a_404(seed_index):
    client = testing.TestClient(create_app(make_config(seed_index, metrics=False)))
    response = client.simulate_get("/metrics")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert "/metrics" not in client.simulate_get("/openapi.json").json["paths"]


def test_no_index_yet_says_so_rather_than_failing(tmp_path):
    client = testing.TestClient(create_app(make_config(tmp_path / "none")))
    assert client.simulate_get("/health").status_code == 503
    response = client.simulate_get("/metrics")
    assert response.status_code == 200
    samples = scrape(response.text)
    assert samples[("newsearch_index_up", ())] == 0 and ("newsearch_index_documents", ()) not in samples
    assert requests_of(samples, "/health", "503") == 1


# -- under gunicorn: the workers' counts, summed ------------------------------------------------------
SUMMED_FROM = re.compile(r"metrics: the workers' counts are summed from (\S+)")


def metrics_dir(server: GunicornProcess) -> Path:
    """The PROMETHEUS_MULTIPROC_DIR gunicorn.conf.py made for this server, as its log says."""
    found = SUMMED_FROM.findall(server.log())
    assert len(found) == 1, server.log()[-3000:]
    return Path(found[0])


def test_the_server_config_makes_a_fresh_directory_per_start_and_keeps_it_on_reload(monkeypatch, tmp_path):
    stale = tmp_path / "left-by-another-run"
    stale.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(stale))  # restored after the test
    monkeypatch.setenv("NEWSEARCH_METRICS", "on")
    conf = runpy.run_path(str(CONFIG))
    made = Path(conf["_metrics_dir"])
    try:
        assert made != stale and made.is_dir() and os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(made)
        assert [p.name for p in made.glob("*.db")] == []
        assert runpy.run_path(str(CONFIG))["_metrics_dir"] == str(made)  # a HUP reads the file again: same directory
        assert callable(conf["child_exit"])
        conf["_remove_metrics_directory"](str(stale))  # at the master's exit (atexit)
        conf["_remove_metrics_directory"](str(made))
        assert not made.exists() and stale.is_dir()  # only its own directory is removed
    finally:
        shutil.rmtree(made, ignore_errors=True)
    monkeypatch.setenv("NEWSEARCH_METRICS", "off")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    assert runpy.run_path(str(CONFIG))["_metrics_dir"] is None and "PROMETHEUS_MULTIPROC_DIR" not in os.environ


@pytest.mark.e2e
@pytest.mark.timeout(90)
def test_two_workers_counts_are_summed_across_restarts(index_copy, tmp_path):
    with GunicornProcess(index_copy, tmp_path / "gunicorn.log", workers=2, ready_timeout=30, stop_timeout=15) as server:
        directory = metrics_dir(server)
        assert directory.is_dir() and directory.name.startswith("newsearch-metrics-")
        deadline = time.monotonic() + 30
        first = server.worker_pids()
        while len(first) != 2 and time.monotonic() < deadline:  # /health needed only one
            time.sleep(0.1)
            first = server.worker_pids()
        assert len(first) == 2
        sent = 0
        with requests.Session() as one, requests.Session() as other:  # two kept-alive connections
            for _ in range(10):
                for session in (one, other):
                    assert session.get(f"{server.base}/v1/articles/{ARTICLE}", timeout=10).status_code == 200
                    sent += 1
        # Both workers stop (gracefully) and the master starts two new ones: every request above was
        # answered by a process that no longer exists, so only their files can still count them.
        for pid in first:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        second = server.worker_pids()
        while (len(second) != 2 or set(second) & set(first)) and time.monotonic() < deadline:
            time.sleep(0.1)
            second = server.worker_pids()
        assert len(second) == 2 and not set(second) & set(first), (first, second, server.log()[-3000:])
        counted = 0.0
        deadline = time.monotonic() + 30
        while counted != sent and time.monotonic() < deadline:  # until a new worker answers
            response = requests.get(f"{server.base}/metrics", timeout=10)
            if response.status_code == 200:
                samples = scrape(response.text)
                counted = requests_of(samples, ARTICLE_ROUTE, "200")
            else:
                time.sleep(0.1)
        assert counted == sent == 20
        # Answered by many workers, scraped from any: each scrape sees them all.
        for _ in range(6):
            samples = scrape(requests.get(f"{server.base}/metrics", timeout=10).text)
            assert requests_of(samples, ARTICLE_ROUTE, "200") == sent
            assert samples[("newsearch_index_documents", ())] > 0
        # child_exit marked the old workers dead: their live gauge went, their counts stayed.
        files = {p.name for p in directory.iterdir()}
        assert not {f"gauge_livesum_{pid}.db" for pid in first} & files
        assert {f"counter_{pid}.db" for pid in first} & files  # (a worker that answered nothing wrote none)
        assert samples[("newsearch_http_requests_in_progress", ())] == 1  # this scrape, in one live worker
    assert not directory.exists()  # removed when the server stopped


@pytest.mark.e2e
@pytest.mark.timeout(60)
def test_metrics_off_under_gunicorn(index_copy, tmp_path):
    with GunicornProcess(index_copy, tmp_path / "gunicorn.log", workers=1, ready_timeout=30, stop_timeout=15,
                         NEWSEARCH_METRICS="off") as server:
        assert requests.get(f"{server.base}/metrics", timeout=10).status_code == 404
        assert requests.get(f"{server.base}/health", timeout=10).status_code == 200
        assert not SUMMED_FROM.search(server.log())


@pytest.mark.e2e
@pytest.mark.timeout(60)
def test_a_server_that_fails_to_start_leaves_no_metrics_directory(index_copy, tmp_path):
    temporary = tmp_path / "tmp"  # the server's temporary directory (tempfile follows TMPDIR)
    temporary.mkdir()
    with pytest.raises(RuntimeError, match="gunicorn exited"):  # the app cannot be imported: no on_exit
        GunicornProcess(index_copy, tmp_path / "gunicorn.log", app="api.no_such_module:app", workers=1,
                        ready_timeout=30, stop_timeout=15, TMPDIR=str(temporary))
    assert "No module named 'api.no_such_module'" in (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert list(temporary.iterdir()) == []
