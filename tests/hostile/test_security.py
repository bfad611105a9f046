"""Security: keys on every write route, compared in constant time, scoped keys that cannot be
widened, no key in any log line, no path escaping its directory, and the response headers."""
from __future__ import annotations

import hmac
import inspect
import json
import logging
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from falcon import testing

from api.app import create_app
from api.auth import KeyRing
from api.keys import create_scoped_key, verify_scoped_key
from search.errors import IndexMissing
from search.whoosh_backend.store import IndexStore
from tests.gunicorn_process import GunicornProcess

from .conftest import WRITE_KEY, assert_problem, config_for

READ_KEY = "hostile-read-key-77aa01bb"
SECRET = "hostile-scoped-secret-3c9e"
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
ARTICLE = {"title": "Keys test", "body": "An article written with a key."}


@pytest.fixture
def keyed(private_index) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(private_index, read_keys=(READ_KEY,), key_secret=SECRET), clock=lambda: NOW))


@pytest.fixture
def open_reads(private_index) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(private_index, key_secret=SECRET), clock=lambda: NOW))


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


# -- keys on write routes ------------------------------------------------------------------------
def write_operations(client) -> list[tuple[str, str]]:
    document = client.simulate_get("/openapi.json").json
    ops = [(method.upper(), path) for path, item in document["paths"].items() for method in item
           if method in ("post", "put", "patch", "delete")]
    assert {("POST", "/v1/articles"), ("PUT", "/v1/articles/{article_id}"), ("DELETE", "/v1/articles/{article_id}")} <= set(ops)
    return ops


def test_every_write_route_needs_a_write_key(keyed):
    keyed.simulate_post("/v1/articles", json={"id": "keyed-1", **ARTICLE}, headers=bearer(WRITE_KEY))
    for method, path in write_operations(keyed):
        url = path.replace("{article_id}", "keyed-1")
        body = {} if method == "DELETE" else {"json": {"id": "keyed-1", **ARTICLE}}
        missing = keyed.simulate_request(method, url, **body)
        assert_problem(missing, 401)
        assert missing.headers["www-authenticate"].startswith("Bearer")
        for wrong in ("nope", READ_KEY, WRITE_KEY + "x", WRITE_KEY[:-1], create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=None)):
            assert_problem(keyed.simulate_request(method, url, headers=bearer(wrong), **body), 403)
        for malformed in (f"Basic {WRITE_KEY}", f"Bearer  {WRITE_KEY} extra", "Bearer", WRITE_KEY):
            assert_problem(keyed.simulate_request(method, url, headers={"Authorization": malformed}, **body), (401, 403))
        documented = keyed.simulate_get("/openapi.json").json["paths"][path][method.lower()]
        assert documented.get("security") == [{"bearer": []}]
    assert keyed.simulate_delete("/v1/articles/keyed-1", headers=bearer(WRITE_KEY)).status_code == 200


def test_reads_need_a_read_key_when_configured(keyed):
    for path in ("/v1/search", "/v1/stats", "/v1/suggest?q=po", "/v1/facets/person", "/v1/search.atom"):
        assert_problem(keyed.simulate_get(path), 401)
        assert keyed.simulate_get(path, headers=bearer(READ_KEY)).status_code == 200
        assert keyed.simulate_get(path, headers=bearer(WRITE_KEY)).status_code == 200
    assert keyed.simulate_get("/health").status_code == 200  # public
    assert keyed.simulate_get("/openapi.json").status_code == 200


def test_keys_are_compared_in_constant_time(monkeypatch):
    # Every configured key is compared, as a fixed-size digest, whatever the key sent and wherever
    # the match is: no early exit, no comparison of the raw strings.
    source = inspect.getsource(KeyRing.allows)
    assert "hmac.compare_digest" in source and "break" not in source and "return True" not in source
    assert re.findall(r"==", source) == ["=="] and 'scope == "write"' in source  # no == on keys or digests
    assert "hmac.compare_digest" in inspect.getsource(verify_scoped_key)
    calls: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    ring = KeyRing(("k1-aaaaaaaa", "k2-bbbbbbbb", "k3-cccccccc"), ("r1-dddddddd",))
    for key, scope, expected in (("k1-aaaaaaaa", "write", True), ("k3-cccccccc", "write", True), ("x", "write", False),
                                 ("r1-dddddddd", "write", False), ("r1-dddddddd", "read", True), ("y" * 10_000, "read", False)):
        calls.clear()
        assert ring.allows(key, scope) is expected
        assert len(calls) == (3 if scope == "write" else 4)
        assert all(a == b == 32 for a, b in calls)


# -- scoped keys ---------------------------------------------------------------------------------
def test_scoped_key_on_v1_search_cannot_be_widened(open_reads):
    key = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=NOW + timedelta(days=1))
    everything = open_reads.simulate_get("/v1/search", params={"q": ""}).json
    assert {h["source"] for h in everything["hits"]} > {"KCTV"}  # the index has other sources
    scoped = open_reads.simulate_get("/v1/search", params={"q": ""}, headers=bearer(key)).json
    assert scoped["hits"] and {h["source"] for h in scoped["hits"]} == {"KCTV"}
    assert {b["value"] for b in scoped["facets"]["source"]} <= {"KCTV"}
    # Asking for what the key does not allow is refused; asking for more is narrowed to the key.
    assert_problem(open_reads.simulate_get("/v1/search", params={"source": "KSHB"}, headers=bearer(key)), 403)
    assert_problem(open_reads.simulate_get("/v1/search.atom", params={"source": "KSHB", "key": key}), 403)
    mixed = open_reads.simulate_get("/v1/search", params={"source": ["KCTV", "KSHB"]}, headers=bearer(key)).json
    assert {h["source"] for h in mixed["hits"]} == {"KCTV"}
    # The key's filter is applied even when the query tries to go around it.
    for q in ("source:KSHB", "source:KSHB OR source:KCTV", "NOT source:KCTV", "* OR police"):
        result = open_reads.simulate_get("/v1/search", params={"q": q}, headers=bearer(key))
        assert result.status_code == 200 and {h["source"] for h in result.json["hits"]} <= {"KCTV"}, q
    # A tampered key (signature kept, filters widened), a key signed with another secret, an expired one.
    body, signature = key.split(".")
    widened = create_scoped_key(SECRET + "x", filters={"source": ["KCTV", "KSHB"]}, expires=None)
    spliced = widened.split(".")[0] + "." + signature
    expired = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=NOW - timedelta(seconds=1))
    for bad in (spliced, widened, expired, body + "." + signature[:-2], key + "x"):
        assert_problem(open_reads.simulate_get("/v1/search", headers=bearer(bad)), 403)
        assert_problem(open_reads.simulate_get("/v1/search.atom", params={"key": bad}), 403)
    # A scoped key never writes.
    assert_problem(open_reads.simulate_post("/v1/articles", json={"id": "s", **ARTICLE}, headers=bearer(key)), 403)


# -- logs ----------------------------------------------------------------------------------------
def test_no_key_reaches_a_log_line(private_index, caplog):
    scoped = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=None)
    client = testing.TestClient(create_app(config_for(private_index, read_keys=(READ_KEY,), key_secret=SECRET)))
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-key-that-must-not-be-logged-4242"
    client.simulate_post("/v1/articles", json={"id": "log-1", **ARTICLE}, headers=bearer(WRITE_KEY))
    client.simulate_post("/v1/articles", json={"id": "log-2", **ARTICLE}, headers=bearer(wrong))
    client.simulate_get("/v1/search", params={"q": "police"}, headers=bearer(READ_KEY))
    client.simulate_get("/v1/search", headers=bearer(scoped))
    client.simulate_get("/v1/search.atom", params={"key": scoped})
    client.simulate_get("/v1/search.atom", params={"key": wrong})
    client.simulate_put("/v1/articles/x", body=b"{not json", headers=bearer(WRITE_KEY) | {"Content-Type": "application/json"})
    text = caplog.text
    assert "api.access" in text  # the access log did run
    for key in (WRITE_KEY, READ_KEY, scoped, scoped.split(".")[1], wrong):
        assert key not in text
    assert WRITE_KEY not in repr(config_for(private_index)) and READ_KEY not in repr(config_for(private_index, read_keys=(READ_KEY,)))


@pytest.mark.e2e
@pytest.mark.timeout(90)
def test_gunicorn_logs_no_key_and_sends_no_version(private_index, tmp_path):
    server = GunicornProcess(private_index, tmp_path / "gunicorn.log", workers=1, NEWSEARCH_API_KEYS=WRITE_KEY,
                             NEWSEARCH_READ_KEYS=READ_KEY, NEWSEARCH_KEY_SECRET=SECRET, NEWSEARCH_LOG_LEVEL="debug",
                             NEWSEARCH_MAX_BODY_BYTES="4096")
    scoped = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=None)

    def chunked(size: int):  # a body without Content-Length: the limit holds for it too
        article = json.dumps({"id": "chunked", "title": "Chunked", "body": "x" * (size - 48)}).encode()
        yield from (article[i:i + 1000] for i in range(0, len(article), 1000))

    try:
        too_big = requests.post(f"{server.base}/v1/articles", data=chunked(6000), timeout=30,
                                headers=bearer(WRITE_KEY) | {"Content-Type": "application/json"})
        assert too_big.status_code == 413 and too_big.headers["content-type"] == "application/problem+json"
        small = requests.post(f"{server.base}/v1/articles", data=chunked(3000), timeout=30,
                              headers=bearer(WRITE_KEY) | {"Content-Type": "application/json"})
        assert small.status_code == 201, small.text
        responses = [
            requests.get(f"{server.base}/v1/search", params={"q": "police"}, headers=bearer(READ_KEY), timeout=10),
            requests.get(f"{server.base}/v1/search.atom", params={"q": "police", "key": scoped}, timeout=10),
            requests.post(f"{server.base}/v1/articles", json={"id": "g1", **ARTICLE}, headers=bearer(WRITE_KEY), timeout=30),
            requests.post(f"{server.base}/v1/articles", json={"id": "g2", **ARTICLE}, headers=bearer("wrong-" + WRITE_KEY), timeout=10),
            requests.get(f"{server.base}/nowhere", timeout=10),
            requests.get(f"{server.base}/embed", timeout=10),
        ]
    finally:
        server.stop()
    assert [r.status_code for r in responses] == [200, 200, 201, 403, 404, 200]
    log = server.log()
    assert '"GET /v1/search"' in log  # the access log is there
    for key in (READ_KEY, WRITE_KEY, scoped, scoped.split(".")[0], SECRET):
        assert key not in log
    for response in responses:
        # gunicorn 27 always sends `Server: gunicorn` (no setting removes it) but no version.
        assert not re.search(r"\d", response.headers.get("Server", "")), response.headers.get("Server")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- paths ---------------------------------------------------------------------------------------
def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def test_hostile_ids_never_become_paths(private_index, auth):
    client = testing.TestClient(create_app(config_for(private_index)))
    outside = private_index.parent
    before = files_under(outside) - files_under(private_index)
    for article_id in ("../../etc/passwd", "/etc/passwd", "a/../../b", "../", "..\t/x"):
        response = client.simulate_post("/v1/articles", json={"id": article_id, **ARTICLE}, headers=auth)
        assert_problem(response, 400)
    for path in ("/v1/articles/..%2F..%2Fetc%2Fpasswd", "/v1/articles/../../etc/passwd", "/v1/articles/%2e%2e/%2e%2e/etc/passwd"):
        assert client.simulate_get(path).status_code == 404
        assert client.simulate_put(path, json=ARTICLE, headers=auth).status_code in (400, 404)
    # Ids made of dots, or spelling a path without a slash, are ids: stored, never opened.
    for article_id in ("..", "...", "%2e%2e", "etc..passwd", "~root", "NUL", "con"):
        assert client.simulate_post("/v1/articles", json={"id": article_id, **ARTICLE}, headers=auth).status_code == 201
        assert client.simulate_get(f"/v1/articles/{quote(article_id, safe='')}").json["id"] == article_id
    assert files_under(outside) - files_under(private_index) == before  # nothing written outside the index


def test_origins_and_urls_are_never_opened(private_index, auth, tmp_path):
    client = testing.TestClient(create_app(config_for(private_index)))
    for url in ("file:///etc/passwd", "file:///proc/self/environ", "/etc/passwd", "../../etc/passwd"):
        assert_problem(client.simulate_post("/v1/articles", json={"id": "u", "url": url, **ARTICLE}, headers=auth), 400)
        assert_problem(client.simulate_post("/v1/articles", json={"id": "u", "url": url, "text": "T\n\nBody text."}, headers=auth), 400)
    # Through the indexer, a `url` or `origin` field in JSONL is data: the file it names is not read.
    from cli.main import main

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text('{"id": "o1", "title": "Origin", "body": "Body text here.", "url": "file:///etc/passwd", "origin": "/etc/passwd"}\n')
    index = tmp_path / "index2"
    assert main(["index", "--index", str(index), "--workers", "1", "--no-entities", str(corpus)]) == 0
    from search.engine import open_engine

    engine = open_engine(index)
    try:
        article = engine.get("o1")
        assert article.url is None and "root:" not in article.body
        assert article.origin != "/etc/passwd"
    finally:
        engine.close()


@pytest.mark.parametrize("path", [
    "/widget.js/../app.py", "/static/../app.py", "/static/widget.js", "/api/static/widget.js", "/embed/../../etc/passwd",
    "/widget.js%2F..%2F..%2Fapp.py", "/%2e%2e/%2e%2e/etc/passwd", "/embed.html", "/../api/app.py", "/static/embed.html",
])
def test_static_files_cannot_be_traversed(read_client, path):
    response = read_client.simulate_get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert "import" not in response.text and "root:" not in response.text


def test_widget_and_embed_ignore_path_parameters(read_client):
    for params in ({"path": "../app.py"}, {"file": "/etc/passwd"}, {"v": "../../etc/passwd"}):
        widget = read_client.simulate_get("/widget.js", params=params)
        assert widget.status_code == 200 and "root:" not in widget.text and "import falcon" not in widget.text
    page = read_client.simulate_get("/embed", params={"template": "/etc/passwd", "lang": "../../etc/passwd"})
    assert page.status_code == 200 and "root:" not in page.text


def test_current_link_outside_the_root_is_not_an_index(tmp_path, seed_index):
    from tests.indexes import copy_index

    index = copy_index(seed_index, tmp_path / "index")
    elsewhere = copy_index(seed_index, tmp_path / "elsewhere")
    gen = IndexStore(elsewhere).current_name()
    for target in (str(elsewhere / gen), f"../elsewhere/{gen}", "/etc"):
        link = index / "current"
        link.unlink()
        os.symlink(target, link)
        store = IndexStore(index)
        assert store.current_name() is None
        with pytest.raises(IndexMissing):
            store.open()


# -- headers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("method, path", [
    ("GET", "/v1/search?q=police"), ("GET", "/v1/search?page=0"), ("GET", "/v1/articles/nope"), ("GET", "/nowhere"),
    ("DELETE", "/v1/search"), ("POST", "/v1/articles"), ("GET", "/health"), ("GET", "/openapi.json"), ("GET", "/widget.js"),
    ("GET", "/embed"), ("GET", "/opensearch.xml"), ("GET", "/v1/search.atom?q=police"), ("GET", "/v1/suggest/opensearch?q=po"),
    ("OPTIONS", "/v1/search"), ("HEAD", "/v1/search"), ("GET", "/v1/stats"), ("GET", "/v1/facets/person"),
])
def test_nosniff_everywhere_and_csp_on_html(read_client, method, path):
    response = read_client.simulate_request(method, path)
    assert response.headers.get("x-content-type-options") == "nosniff", (method, path, response.status_code)
    assert not re.search(r"\d", response.headers.get("server", ""))
    if response.headers.get("content-type", "").startswith("text/html"):
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors" in csp


def test_304_and_preflight_carry_nosniff(read_client):
    first = read_client.simulate_get("/v1/search", params={"q": "police"})
    again = read_client.simulate_get("/v1/search", params={"q": "police"}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["x-content-type-options"] == "nosniff"
