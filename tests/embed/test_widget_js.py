"""GET /widget.js: the size budget, caching with a strong ETag, revalidation."""
from __future__ import annotations

import gzip
from pathlib import Path

import api

WIDGET = Path(api.__file__).resolve().parent / "static" / "widget.js"
BUDGET = 15 * 1024


def test_the_widget_fits_the_size_budget_gzipped():
    size = len(gzip.compress(WIDGET.read_bytes(), compresslevel=9))
    assert size <= BUDGET, f"widget.js is {size} bytes gzipped; the budget is {BUDGET}"


def test_served_as_javascript_with_an_hour_of_caching_and_a_strong_etag(client):
    response = client.simulate_get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert response.content == WIDGET.read_bytes()
    assert response.headers["cache-control"] == "public, max-age=3600"  # unversioned URL: not immutable
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")


def test_if_none_match_gives_304_without_a_body(client):
    etag = client.simulate_get("/widget.js").headers["etag"]
    again = client.simulate_get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.simulate_get("/widget.js", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_gzip_when_accepted_and_its_size_as_sent(client):
    response = client.simulate_get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    assert len(response.content) <= BUDGET
    assert gzip.decompress(response.content) == WIDGET.read_bytes()
    assert response.headers["etag"] != client.simulate_get("/widget.js").headers["etag"]


def test_the_versioned_url_is_immutable(client):
    from lxml import html as lxml_html

    src = lxml_html.fromstring(client.simulate_get("/embed").text).xpath("//script/@src")[0]
    path, _, query = src.partition("?")
    response = client.simulate_get(path, query_string=query)
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = client.simulate_get("/widget.js", query_string="v=0000")
    assert stale.headers["cache-control"] == "public, max-age=3600"


def test_readable_without_a_key_when_reads_are_closed(closed_client):
    for path in ("/widget.js", "/embed", "/opensearch.xml"):
        assert closed_client.simulate_get(path).status_code == 200, path
