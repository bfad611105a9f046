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


@pytest.fixture
def own_cluster():
    """An osmem-server of this test's own on 127.0.0.1, since the test stops it: the shared test server
    (tests/opensearch_server.py) and a real cluster must outlive it."""
    osmem = pytest.importorskip("osmem_server", reason="osmem-server has no wheel for this platform")
    server = osmem.OsmemServer.start(freeze=False, japanese=False)
    try:
        yield server
    finally:
        server.close()


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_the_api_on_an_opensearch_cluster_over_real_http(own_cluster, tmp_path):
    import subprocess
    import sys
    from xml.etree import ElementTree

    from api.keys import create_scoped_key
    from tests.gunicorn_process import ROOT

    location = f"opensearch+{own_cluster.url}/news"
    indexed = subprocess.run([sys.executable, "-m", "cli", "index", "--backend", location, "--workers", "1",
                              str(ROOT / "seeds")], capture_output=True, text=True, timeout=90, cwd=ROOT)
    assert indexed.returncode == 0, indexed.stderr
    secret = "e2e-key-secret-0123456789abcdef"
    with GunicornProcess(location, tmp_path / "gunicorn.log", workers=2, ready_timeout=30, stop_timeout=15,
                         NEWSEARCH_API_KEYS=KEY, NEWSEARCH_KEY_SECRET=secret) as gunicorn:
        server = gunicorn.base
        try:
            health = requests.get(f"{server}/health", timeout=10).json()
            assert health["status"] == "ok" and health["documents"] == 5
            query = {"q": "Van Brunt", "facets": "source,person,date"}
            found = requests.get(f"{server}/v1/search", params=query, timeout=10)
            assert found.status_code == 200, found.text
            body = found.json()
            assert {hit["id"][:3] for hit in body["hits"]} == {"000", "001"}
            assert all("<mark>" in hit["snippet"] for hit in body["hits"])
            assert {b["value"]: b["count"] for b in body["facets"]["source"]} == {"KCTV": 2}
            assert any(b["value"] == "Rick Smith" for b in body["facets"]["person"])
            assert body["date_interval"] == "day"  # the two matches are a day apart
            assert {b["value"]: b["count"] for b in body["facets"]["date"]} == {"2020-07-03": 1, "2020-07-02": 1}
            picked = requests.get(f"{server}/v1/search", params={"source": "KCTV", "facets": "source"}, timeout=10).json()
            assert picked["total"] == 2 and {"value": "KSHB", "count": 1, "selected": False} in picked["facets"]["source"]
            for _ in range(4):  # whichever worker answers
                assert requests.get(f"{server}/v1/search", params=query, timeout=10,
                                    headers={"If-None-Match": found.headers["etag"]}).status_code == 304

            article = {"id": "e2e-os-1", "title": "Okapi seen in Kansas City", "body": "An okapi was seen near the river.",
                       "source": "Example News", "published": "2022-03-04T10:00:00Z", "people": []}
            assert requests.post(f"{server}/v1/articles", json=article, timeout=10).status_code == 401
            written = requests.post(f"{server}/v1/articles", json=article, params={"wait": "true"}, timeout=30,
                                    headers={"Authorization": f"Bearer {KEY}"})
            assert written.status_code == 201, written.text
            assert written.json()["committed"] is True and written.json()["added"] == ["e2e-os-1"]
            # Every worker, not only the one that wrote, finds it, and the ETags move on.
            for _ in range(6):
                okapi = requests.get(f"{server}/v1/search", params={"q": "okapi"}, timeout=10)
                assert okapi.json()["total"] == 1 and "<mark>okapi</mark>" in okapi.json()["hits"][0]["snippet"]
            time.sleep(0.5)  # past the workers' refresh of the generation (a quarter of a second)
            for _ in range(4):
                assert requests.get(f"{server}/v1/search", params=query, timeout=10,
                                    headers={"If-None-Match": found.headers["etag"]}).status_code == 200
            stored = requests.get(f"{server}/v1/articles/e2e-os-1", timeout=10)
            assert stored.status_code == 200 and stored.json()["title"] == "Okapi seen in Kansas City"
            assert requests.get(f"{server}/v1/articles/no-such-article", timeout=10).status_code == 404

            atom = requests.get(f"{server}/v1/search.atom", params={"q": "okapi"}, timeout=10)
            assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
            entries = ElementTree.fromstring(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
            assert [e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries] == ["Okapi seen in Kansas City"]

            # A scoped key (a partner's page): its filter is the search's, and it cannot widen it.
            kshb = create_scoped_key(secret, filters={"source": ["KSHB"]}, expires=None)
            partner = {"Authorization": f"Bearer {kshb}"}
            scoped = requests.get(f"{server}/v1/search", params={"facets": "source"}, headers=partner, timeout=10)
            assert scoped.status_code == 200 and scoped.json()["total"] == 1
            assert [b["value"] for b in scoped.json()["facets"]["source"]] == ["KSHB"]
            assert requests.get(f"{server}/v1/search", params={"source": "KCTV"}, headers=partner, timeout=10).status_code == 403
            feed = requests.get(f"{server}/v1/search.atom", params={"key": kshb}, timeout=10)  # a feed reader's key
            assert feed.status_code == 200 and len(ElementTree.fromstring(feed.content).findall(
                "{http://www.w3.org/2005/Atom}entry")) == 1
            # The widget and its page.
            widget = requests.get(f"{server}/widget.js", timeout=10)
            assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
            assert requests.get(f"{server}/embed", params={"q": "police"}, timeout=10).status_code == 200

            # A rebuild while the server runs: a new index behind the alias, the API's article carried over.
            before = requests.get(f"{server}/health", timeout=10).json()["generation"]
            rebuilt = subprocess.run([sys.executable, "-m", "cli", "index", "--backend", location, "--rebuild",
                                      "--workers", "1", str(ROOT / "seeds")], capture_output=True, text=True, timeout=90, cwd=ROOT)
            assert rebuilt.returncode == 0, rebuilt.stderr
            time.sleep(0.5)  # the workers' refresh of the generation
            health = requests.get(f"{server}/health", timeout=10).json()
            assert health["documents"] == 6 and health["generation"] != before
            assert requests.get(f"{server}/v1/search", params={"q": "okapi"}, timeout=10).json()["total"] == 1

            own_cluster.close()  # the cluster goes away under a running server
            for path in ("/v1/search?q=okapi", "/v1/articles/e2e-os-1", "/v1/search.atom?q=okapi", "/health"):
                down = requests.get(f"{server}{path}", timeout=30)
                assert down.status_code == 503, (path, down.status_code, down.text[:300])
                assert down.headers["content-type"] == "application/problem+json" and down.headers["retry-after"], path
            refused = requests.post(f"{server}/v1/articles", json=article | {"id": "e2e-os-2"}, timeout=30,
                                    headers={"Authorization": f"Bearer {KEY}"})
            assert refused.status_code == 503 and refused.headers["retry-after"]
        finally:
            print(gunicorn.log()[-3000:])  # shown by pytest when the test fails
