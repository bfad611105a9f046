"""End to end: a real gunicorn with api/gunicorn.conf.py on 127.0.0.1, spoken to over HTTP."""
import time

import pytest
import requests

from tests.gunicorn_process import GunicornProcess

KEY = "e2e-write-key-0123456789"


@pytest.fixture
def server(index_copy, tmp_path):
    # Short waits: start, test and stop all fit in the test's 60 s timeout.
    with GunicornProcess(index_copy, tmp_path / "gunicorn.log", workers=2, ready_timeout=30, stop_timeout=15,
                         NEWSEARCH_API_KEYS=KEY) as gunicorn:
        yield gunicorn.base
    print(gunicorn.log()[-3000:])  # shown by pytest when the test fails


@pytest.mark.e2e
@pytest.mark.timeout(60)
def test_search_and_write_over_real_http(server):
    response = requests.get(f"{server}/v1/search", params={"q": "Van Brunt"}, timeout=10)
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert {hit["id"][:3] for hit in response.json()["hits"]} >= {"000", "001"}
    etag = response.headers["etag"]
    assert requests.get(f"{server}/v1/search", params={"q": "Van Brunt"}, headers={"If-None-Match": etag}, timeout=10).status_code == 304

    article = {"id": "e2e-1", "title": "Okapi seen in Kansas City", "body": "An okapi was seen near the river."}
    denied = requests.post(f"{server}/v1/articles", json=article, timeout=10)
    assert denied.status_code == 401
    written = requests.post(f"{server}/v1/articles", json=article, headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert written.status_code == 201 and written.json()["committed"] is True

    # Every worker (not only the one that wrote) sees the commit within its refresh interval.
    deadline = time.monotonic() + 5
    seen = 0
    while seen < 6 and time.monotonic() < deadline:
        found = requests.get(f"{server}/v1/search", params={"q": "okapi"}, timeout=10).json()["total"]
        seen = seen + 1 if found == 1 else 0
        time.sleep(0.05)
    assert seen >= 6

    bad = requests.get(f"{server}/v1/search", params={"per_page": 1000}, timeout=10)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    long_query = requests.get(f"{server}/v1/search", params={"q": "é" * 600}, timeout=10)
    assert long_query.status_code == 400  # reaches the app (limit_request_line) and is refused there
    assert requests.get(f"{server}/openapi.json", timeout=10).status_code == 200
