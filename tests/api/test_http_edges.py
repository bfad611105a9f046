"""Conditional requests only on what exists, and `Vary: Origin` wherever CORS can change a response."""
from __future__ import annotations

import pytest
from falcon import testing

from api.app import create_app

from .conftest import ALLOWED_ORIGIN, WRITE_KEY, make_config

CACHEABLE = ["/v1/search?q=police", "/v1/suggest?q=pol", "/v1/facets/source", "/v1/stats", "/v1/search.atom?q=police",
             "/v1/suggest/opensearch?q=pol"]


def _first_id(client) -> str:
    return client.simulate_get("/v1/search", params={"q": "police"}).json["hits"][0]["id"]


@pytest.mark.parametrize("path", [
    "/v1/articles/no-such-article", "/v1/articles/no-such-article/similar", "/v1/facets/no-such-facet",
])
@pytest.mark.parametrize("tag", ["*", 'W/"anything"'])
def test_if_none_match_on_a_missing_resource_stays_a_404(client, path, tag):
    response = client.simulate_get(path, headers={"If-None-Match": tag})
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"
    assert "etag" not in response.headers


@pytest.mark.parametrize("path", ["/v1/search?page=0", "/v1/search?bogus=1", "/v1/suggest", "/v1/stats?x=1",
                                  "/v1/search.atom?per_page=0", "/v1/articles/x?y=1"])
def test_if_none_match_on_invalid_parameters_stays_a_400(client, path):
    response = client.simulate_get(path, headers={"If-None-Match": "*"})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"


def test_if_none_match_star_on_an_existing_article_is_a_304(client):
    path = f"/v1/articles/{_first_id(client)}"
    for extra in ("", "/similar"):
        response = client.simulate_get(path + extra, headers={"If-None-Match": "*"})
        assert response.status_code == 304 and response.content == b"" and response.headers["etag"]


@pytest.mark.parametrize("path", CACHEABLE)
def test_a_matching_tag_is_a_304_without_a_body(client, path):
    first = client.simulate_get(path)
    assert first.status_code == 200
    again = client.simulate_get(path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    assert "content-type" not in again.headers


@pytest.fixture(scope="module")
def cors_client(seed_index) -> testing.TestClient:
    return testing.TestClient(create_app(make_config(seed_index)))


VARY_ROUTES = ["/widget.js", "/embed", "/opensearch.xml", "/health", "/openapi.json", "/v1/search?q=police",
               "/v1/search.atom?q=police", "/v1/suggest?q=pol", "/v1/stats", "/v1/search?page=0", "/nowhere",
               "/v1/articles/no-such-article"]


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, "https://elsewhere.example.com", None])
@pytest.mark.parametrize("path", VARY_ROUTES)
def test_every_response_varies_by_origin_when_cors_is_on(cors_client, path, origin):
    headers = {"Origin": origin} if origin else {}
    response = cors_client.simulate_get(path, headers=headers)
    vary = [v.strip().lower() for v in response.headers.get("vary", "").split(",")]
    assert "origin" in vary, (response.status_code, response.headers)
    assert ("access-control-allow-origin" in response.headers) == (origin == ALLOWED_ORIGIN)


def test_the_widget_keeps_both_of_its_vary_headers(cors_client):
    response = cors_client.simulate_get("/widget.js", headers={"Origin": ALLOWED_ORIGIN, "Accept-Encoding": "gzip"})
    assert {v.strip() for v in response.headers["vary"].split(",")} == {"Accept-Encoding", "Origin"}
    again = cors_client.simulate_get("/widget.js", headers={"Origin": ALLOWED_ORIGIN, "If-None-Match": response.headers["etag"],
                                                            "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and "Origin" in again.headers["vary"] and again.headers["access-control-allow-origin"]


def test_revalidations_and_preflights_vary_by_origin(cors_client):
    first = cors_client.simulate_get("/v1/search", params={"q": "police"}, headers={"Origin": ALLOWED_ORIGIN})
    again = cors_client.simulate_get("/v1/search", params={"q": "police"},
                                     headers={"Origin": ALLOWED_ORIGIN, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and "Origin" in again.headers["vary"]
    for origin, status in ((ALLOWED_ORIGIN, 204), ("https://elsewhere.example.com", 403)):
        preflight = cors_client.simulate_options("/v1/articles", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST", "Authorization": f"Bearer {WRITE_KEY}"})
        assert preflight.status_code == status and "Origin" in preflight.headers["vary"]


def test_without_cors_nothing_varies_by_origin(seed_index):
    client = testing.TestClient(create_app(make_config(seed_index, cors_origins=())))
    response = client.simulate_get("/v1/search", params={"q": "police"}, headers={"Origin": ALLOWED_ORIGIN})
    assert "origin" not in response.headers.get("vary", "").lower() and "access-control-allow-origin" not in response.headers
