"""An XSS corpus (tests/fixtures/hostile/xss.jsonl: script tags, event handlers, javascript: URLs,
entity-encoded and broken markup, SVG, style, a premature </mark>) indexed by `newsearch index` as
titles, bodies, sources and authors. Every response carries it as text: in JSON highlights the only
tags are <mark> and </mark>; Atom and /embed never carry a tag from article text or parameters."""
from __future__ import annotations

import json
import re

import pytest
from falcon import testing
from lxml import etree
from lxml import html as lxml_html

from api.app import create_app

from .conftest import HOSTILE, config_for

CORPUS = HOSTILE / "xss.jsonl"
ANY_TAG = re.compile(r"<\s*/?\s*([^\s>/]*)")
QUERIES = ["zebra", "script", "alert", "onerror", "svg", "javascript", "mark", "img", "style", "zebra script", '"zebra council"', "zeb*"]


@pytest.fixture(scope="module")
def xss_client(tmp_path_factory) -> testing.TestClient:
    from cli.main import main

    index = tmp_path_factory.mktemp("xss") / "index"
    assert main(["index", "--index", str(index), "--workers", "1", "--no-entities", str(CORPUS)]) == 0
    return testing.TestClient(create_app(config_for(index)))


def only_marks(fragment: str) -> None:
    tags = ANY_TAG.findall(fragment)
    assert set(tags) <= {"mark"}, fragment
    assert "<" not in fragment.replace("<mark>", "").replace("</mark>", ""), fragment


def test_corpus_is_indexed(xss_client):
    ids = {json.loads(line)["id"] for line in CORPUS.read_text().splitlines()}
    found = xss_client.simulate_get("/v1/search", params={"q": "", "per_page": 50}).json
    assert {hit["id"] for hit in found["hits"]} == ids


@pytest.mark.parametrize("q", QUERIES)
def test_json_highlights_carry_only_marks(xss_client, q):
    response = xss_client.simulate_get("/v1/search", params={"q": q, "per_page": 50})
    assert response.status_code == 200
    hits = response.json["hits"]
    if q in ("zebra", "zeb*"):
        assert len(hits) >= 9
    marked = 0
    for hit in hits:
        for fragment in [hit["title_highlight"], hit["snippet"], *hit["snippets"]]:
            only_marks(fragment)
            marked += fragment.count("<mark>")
        # Raw fields are JSON strings (text), returned as stored; the widget renders them as text.
        assert hit["url"] is None or hit["url"].startswith("https://")
    if hits:
        assert marked > 0


def test_highlight_of_payload_text_is_escaped(xss_client):
    hit = next(h for h in xss_client.simulate_get("/v1/search", params={"q": "council"}).json["hits"] if h["id"] == "xss-script")
    assert "&lt;script&gt;" in hit["title_highlight"] and "<mark>council</mark>" in hit["title_highlight"]
    hit = next(h for h in xss_client.simulate_get("/v1/search", params={"q": "escape"}).json["hits"] if h["id"] == "xss-mark")
    # A </mark> in the text cannot close ours early: it is escaped.
    assert "&lt;/mark&gt;" in hit["title_highlight"]


def test_javascript_url_is_not_kept_as_a_link(xss_client):
    article = xss_client.simulate_get("/v1/articles/xss-url").json
    assert article["url"] is None


@pytest.mark.parametrize("q", ["zebra", "script", "alert"])
def test_atom_carries_the_corpus_as_text(xss_client, q):
    response = xss_client.simulate_get("/v1/search.atom", params={"q": q})
    assert response.status_code == 200
    data = response.content
    for needle in (b"<script", b"<img", b"<svg", b"<style", b"<a ", b"<b>", b"<mark"):
        assert needle not in data.lower(), needle
    feed = etree.fromstring(data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert entries
    for entry in entries:
        for element in entry.iter():
            # Text constructs are type="text" (never html/xhtml); no element from outside Atom/OpenSearch.
            assert element.get("type") in (None, "text", "text/html", "application/json")
            assert etree.QName(element).namespace in ("http://www.w3.org/2005/Atom", "http://a9.com/-/spec/opensearch/1.1/")
        for link in entry.findall("a:link", ns):
            assert link.get("href").startswith(("https://", "http://"))
    titles = [e.findtext("a:title", namespaces=ns) for e in entries]
    assert any("<script>" in t for t in titles) or q != "script"  # the text itself survives, as text


@pytest.mark.parametrize("params", [
    {"q": "<script>alert(1)</script>"},
    {"q": '"><svg onload=alert(1)>', "placeholder": '"><script>alert(1)</script>'},
    {"facets": "' onmouseover='alert(1)", "key": '"><img src=x onerror=alert(1)>', "lang": "<b>"},
    {"per_page": "1\"><script>alert(1)</script>"},
])
def test_embed_page_reflects_parameters_only_as_attribute_text(xss_client, params):
    response = xss_client.simulate_get("/embed", params=params)
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = lxml_html.fromstring(response.text)
    scripts = page.xpath("//script")
    assert len(scripts) == 1 and scripts[0].get("src").startswith("/widget.js")
    for element in page.iter():
        if not isinstance(element.tag, str):
            continue
        assert element.tag not in ("svg", "img", "iframe", "object", "embed", "style"), element.tag
        assert not [name for name in element.attrib if name.lower().startswith("on")], element.attrib
