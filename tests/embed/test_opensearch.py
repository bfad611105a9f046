"""GET /opensearch.xml (OpenSearch 1.1 description) and its suggestions URL."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from lxml import etree

OS = "{http://a9.com/-/spec/opensearch/1.1/}"
TEMPLATE_PARAM = re.compile(r"\{([^}]+)\}")
# Template parameters OpenSearch 1.1 defines (a trailing ? marks an optional one).
KNOWN_PARAMS = {"searchTerms", "count", "startIndex", "startPage", "language", "inputEncoding", "outputEncoding"}


def description(client):
    response = client.simulate_get("/opensearch.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/opensearchdescription+xml")
    return response, etree.fromstring(response.content)


def test_the_description_has_what_the_spec_requires(client):
    _, root = description(client)
    assert root.tag == f"{OS}OpenSearchDescription"
    short = root.find(f"{OS}ShortName").text
    assert 0 < len(short) <= 16
    assert 0 < len(root.find(f"{OS}Description").text) <= 1024
    assert root.find(f"{OS}InputEncoding").text == "UTF-8"


def test_urls_for_html_results_suggestions_and_atom(client):
    _, root = description(client)
    urls = {u.get("type"): u for u in root.findall(f"{OS}Url")}
    assert {"text/html", "application/x-suggestions+json", "application/atom+xml"} <= set(urls)
    assert urls["application/x-suggestions+json"].get("rel") == "suggestions"
    for url in urls.values():
        template = url.get("template")
        assert urlsplit(template).scheme in ("http", "https"), template
        for param in TEMPLATE_PARAM.findall(template):
            assert param.rstrip("?") in KNOWN_PARAMS, param
    assert "{searchTerms}" in urls["text/html"].get("template")
    assert urlsplit(urls["text/html"].get("template")).path == "/embed"
    assert urlsplit(urls["application/atom+xml"].get("template")).path == "/v1/search.atom"


def test_every_template_answers_when_filled_in(client):
    _, root = description(client)
    for url in root.findall(f"{OS}Url"):
        filled = TEMPLATE_PARAM.sub(lambda m: "police" if m.group(1) == "searchTerms" else "1", url.get("template"))
        parts = urlsplit(filled)
        response = client.simulate_get(parts.path, query_string=parts.query)
        assert response.status_code == 200, filled
        assert response.headers["content-type"].startswith(url.get("type")), filled


def test_suggestions_in_the_opensearch_form(client):
    response = client.simulate_get("/v1/suggest/opensearch", query_string="q=pol")
    assert response.headers["content-type"] == "application/x-suggestions+json"
    query, completions = json.loads(response.text)
    assert query == "pol"
    assert completions and all(isinstance(c, str) for c in completions)
    assert any(c.lower().startswith("pol") for c in completions)


def test_suggestions_validate_like_v1_suggest(client):
    assert client.simulate_get("/v1/suggest/opensearch").status_code == 400
    assert client.simulate_get("/v1/suggest/opensearch", query_string="q=a&limit=0").status_code == 400


def test_the_description_is_cacheable_and_revalidates(client):
    response, _ = description(client)
    again = client.simulate_get("/opensearch.xml", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
