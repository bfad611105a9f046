"""GET /v1/search.atom: a valid Atom feed (RFC 4287) with OpenSearch 1.1 response elements."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from api.keys import create_scoped_key

from .conftest import NOW, READ_KEY, SECRET

A = "{http://www.w3.org/2005/Atom}"
OS = "{http://a9.com/-/spec/opensearch/1.1/}"


def feed(client, query: str, **kwargs):
    response = client.simulate_get("/v1/search.atom", query_string=query, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    return etree.fromstring(response.content)


def links(root) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}


def page_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query).get("page", ["1"])[0])


def test_the_feed_has_what_rfc_4287_requires(client):
    root = feed(client, "q=council&per_page=5")
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{name}")) == 1, name
    assert root.find(f"{A}author/{A}name").text
    assert root.find(f"{A}id").text.startswith("urn:")
    assert root.find(f"{A}updated").text.endswith("Z")
    entries = root.findall(f"{A}entry")
    assert len(entries) == 5
    for entry in entries:
        assert entry.find(f"{A}id").text.startswith(("urn:", "tag:"))
        assert entry.find(f"{A}title").text
        assert entry.find(f"{A}updated").text
        alternate = [l for l in entry.findall(f"{A}link") if l.get("rel", "alternate") == "alternate"]
        assert alternate and alternate[0].get("href").startswith("https://news.example.org/council/")
        assert entry.find(f"{A}summary").get("type") == "text"
    assert len({e.find(f"{A}id").text for e in entries}) == 5


def test_opensearch_counts_and_query(client):
    root = feed(client, "q=council&per_page=5&page=2")
    assert root.find(f"{OS}totalResults").text == "14"
    assert root.find(f"{OS}startIndex").text == "6"
    assert root.find(f"{OS}itemsPerPage").text == "5"
    query = root.find(f"{OS}Query")
    assert (query.get("role"), query.get("searchTerms"), query.get("startPage")) == ("request", "council", "2")


def test_paging_links_walk_every_result_once(client):
    root = feed(client, "q=council&per_page=5")
    first = links(root)
    assert "previous" not in first
    assert page_of(first["first"]) == 1 and page_of(first["last"]) == 3 and page_of(first["next"]) == 2
    seen, url = [], first["self"]
    while url:
        root = feed(client, urlsplit(url).query)
        seen += [e.find(f"{A}id").text for e in root.findall(f"{A}entry")]
        url = links(root).get("next")
    assert len(seen) == len(set(seen)) == 14
    last = links(root)
    assert page_of(last["previous"]) == 2 and "next" not in last
    assert parse_qs(urlsplit(last["self"]).query)["q"] == ["council"]  # other parameters carried over


def test_summary_is_plain_text_from_the_snippet(client):
    root = feed(client, "q=zoning")
    entry = root.find(f"{A}entry")
    summary = entry.find(f"{A}summary")
    assert len(summary) == 0  # no child elements: markup stays text
    assert "<img src=x onerror=" in summary.text and "<mark>" not in summary.text and "&lt;" not in summary.text
    assert entry.find(f"{A}title").text == "Zoning board <script>window.__xss=1</script> hearing"


def test_invalid_parameters_are_problems_as_on_v1_search(client):
    for query in ("per_page=0", "page=abc", "sort=sideways", "bogus=1", "from=2020-02-30"):
        response = client.simulate_get("/v1/search.atom", query_string=query)
        assert response.status_code == 400, query
        assert response.headers["content-type"] == "application/problem+json"


def test_filters_apply_as_on_v1_search(client):
    root = feed(client, "q=council&source=Liberty Alliance")
    assert root.find(f"{OS}totalResults").text == "3"
    assert {c.get("term") for c in root.iter(f"{A}category")} == {"Liberty Alliance"}


def test_revalidation_with_the_etag(client):
    first = client.simulate_get("/v1/search.atom", query_string="q=council")
    again = client.simulate_get("/v1/search.atom", query_string="q=council", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


# -- keys --------------------------------------------------------------------------------------------
def test_a_scoped_key_narrows_the_feed(client):
    key = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=NOW + timedelta(days=1))
    root = feed(client, f"q=council&key={key}")
    assert root.find(f"{OS}totalResults").text == "6"
    assert {c.get("term") for c in root.iter(f"{A}category")} == {"KCTV"}


def test_a_scoped_key_in_the_authorization_header(client):
    key = create_scoped_key(SECRET, filters={"source": ["KSHB"]}, expires=None)
    root = feed(client, "q=council", headers={"Authorization": f"Bearer {key}"})
    assert root.find(f"{OS}totalResults").text == "5"


def test_a_scoped_key_cannot_ask_for_another_source(client):
    key = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=None)
    response = client.simulate_get("/v1/search.atom", query_string=f"q=council&source=KSHB&key={key}")
    assert response.status_code == 403
    assert response.json["type"].endswith("out-of-scope")


def test_expired_and_tampered_keys_are_refused_even_when_reads_are_open(client):
    expired = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=NOW - timedelta(minutes=1))
    good = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=None)
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for key in (expired, tampered, "not-a-key"):
        response = client.simulate_get("/v1/search.atom", query_string=f"q=council&key={key}")
        assert response.status_code == 403, key
        assert response.headers["content-type"] == "application/problem+json"
        assert key not in response.text


def test_closed_reads_need_a_read_key_or_a_scoped_key(closed_client):
    assert closed_client.simulate_get("/v1/search.atom", query_string="q=council").status_code == 401
    assert closed_client.simulate_get("/v1/search.atom", query_string="q=council", headers={"Authorization": f"Bearer {READ_KEY}"}).status_code == 200
    key = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=None)
    root = feed(closed_client, f"q=council&key={key}")
    assert root.find(f"{OS}totalResults").text == "6"
    assert "private" in closed_client.simulate_get("/v1/search.atom", query_string=f"q=council&key={key}").headers["cache-control"]


def test_an_article_with_no_publisher_has_no_category(client):
    # seeds/004 names no publisher: it has no source (null in JSON), not a publisher called "unknown".
    hits = client.simulate_get("/v1/search", query_string="q=\"jumping at the opportunity\"&facets=source").json
    assert [(h["id"], h["source"]) for h in hits["hits"]] == [("004_a8b559b7e96d520f", None)]
    assert hits["facets"]["source"] == []
    entries = feed(client, "q=\"jumping at the opportunity\"").findall(f"{A}entry")
    assert len(entries) == 1 and entries[0].find(f"{A}category") is None
    everything = client.simulate_get("/v1/search", query_string="facets=source&per_page=1").json
    assert "unknown" not in {b["value"] for b in everything["facets"]["source"]}


def test_an_entry_summary_joins_its_fragments_with_one_ellipsis(client):
    summaries = [e.find(f"{A}summary").text for e in feed(client, "q=police&per_page=10").findall(f"{A}entry")]
    assert any(s.count("…") >= 2 for s in summaries)  # several fragments, joined
    assert not any("… …" in s for s in summaries)
