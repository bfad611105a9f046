"""HTTP behaviour around the resources: caching, CORS, headers, read keys, logs, the OpenAPI document."""
import logging

import pytest
from falcon import testing
from openapi_spec_validator import validate

from api.app import create_app
from api.config import Config

from .conftest import make_config

READ_ROUTES = [
    "/v1/search?q=police",
    "/v1/articles/000_cd26570f11a59a8a",
    "/v1/articles/000_cd26570f11a59a8a/similar",
    "/v1/suggest?q=pol",
    "/v1/facets/source",
    "/v1/stats",
]


@pytest.mark.parametrize("url", READ_ROUTES)
def test_reads_carry_an_etag_and_answer_304_when_it_matches(client, url):
    path, _, query = url.partition("?")
    first = client.simulate_get(path, query_string=query)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and "max-age" in first.headers["cache-control"]
    again = client.simulate_get(path, query_string=query, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.simulate_get(path, query_string=query + "&x" if query else "", headers={"If-None-Match": '"nope"'})
    assert other.status_code != 304


def test_etag_depends_on_the_query(client):
    a = client.simulate_get("/v1/search", params={"q": "police"}).headers["etag"]
    b = client.simulate_get("/v1/search", params={"q": "officer"}).headers["etag"]
    assert a != b


def test_a_write_changes_the_etag(writer, auth):
    etag = writer.simulate_get("/v1/search", params={"q": "police"}).headers["etag"]
    article = {"id": "etag-1", "title": "Police news", "body": "Police said things."}
    assert writer.simulate_post("/v1/articles", json=article, headers=auth).status_code == 201
    response = writer.simulate_get("/v1/search", params={"q": "police"}, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["etag"] != etag


def test_errors_and_writes_are_not_cached(client, writer, auth):
    bad = client.simulate_get("/v1/search", params={"page": "x"})
    assert "etag" not in bad.headers and bad.headers["cache-control"] == "no-store"
    missing = client.simulate_get("/v1/articles/nope")
    assert "etag" not in missing.headers
    write = writer.simulate_post("/v1/articles", json={"id": "c1", "title": "t", "body": "b"}, headers=auth)
    assert write.headers["cache-control"] == "no-store"
    assert client.simulate_get("/health").headers["cache-control"] == "no-store"


def test_head_is_answered_like_get_without_a_body(client):
    response = client.simulate_head("/v1/search", params={"q": "police"})
    assert response.status_code == 200 and response.content == b"" and response.headers["etag"]


def test_cors_preflight_for_an_allowed_origin(client, allowed_origin):
    response = client.simulate_options(
        "/v1/articles",
        headers={
            "Origin": allowed_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, x-evil",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == allowed_origin
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "x-evil" not in allowed
    assert "origin" in response.headers["vary"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_cors_preflight_for_a_refused_origin(client):
    response = client.simulate_options(
        "/v1/search", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def test_cors_on_simple_requests(client, allowed_origin):
    ok = client.simulate_get("/v1/search", headers={"Origin": allowed_origin})
    assert ok.headers["access-control-allow-origin"] == allowed_origin
    assert "ETag" in ok.headers["access-control-expose-headers"]
    assert "origin" in ok.headers["vary"].lower()
    refused = client.simulate_get("/v1/search", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 200 and "access-control-allow-origin" not in refused.headers
    error = client.simulate_get("/v1/search", params={"zz": 1}, headers={"Origin": allowed_origin})
    assert error.headers["access-control-allow-origin"] == allowed_origin


def test_no_cors_unless_configured(seed_index):
    client = testing.TestClient(create_app(Config(index=seed_index)))
    response = client.simulate_get("/v1/search", headers={"Origin": "https://news.example.org"})
    assert "access-control-allow-origin" not in response.headers
    preflight = client.simulate_options(
        "/v1/search", headers={"Origin": "https://news.example.org", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize("url", ["/v1/search", "/v1/articles/nope", "/nowhere", "/health", "/openapi.json"])
def test_security_headers_everywhere(client, url):
    response = client.simulate_get(url)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "server" not in response.headers  # gunicorn adds a bare "Server: gunicorn", no version


def test_read_keys_when_configured(seed_index):
    app = create_app(Config(index=seed_index, api_keys=("w" * 20,), read_keys=("r" * 20,)))
    client = testing.TestClient(app)
    assert client.simulate_get("/v1/search").status_code == 401
    assert client.simulate_get("/v1/search", headers={"Authorization": "Bearer nope"}).status_code == 403
    for key in ("r" * 20, "w" * 20):
        response = client.simulate_get("/v1/search", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
        assert response.headers["cache-control"].startswith("private")
    assert client.simulate_get("/health").status_code == 200
    assert client.simulate_get("/openapi.json").status_code == 200
    assert client.simulate_post("/v1/articles", json={}, headers={"Authorization": f"Bearer {'r' * 20}"}).status_code == 403


def test_access_log_has_method_path_status_latency_and_no_secrets(client, caplog):
    caplog.set_level(logging.INFO, logger="api.access")
    client.simulate_get("/v1/search", params={"q": "police"}, headers={"Authorization": "Bearer very-secret-key"})
    client.simulate_post("/v1/articles", json={}, headers={"Authorization": "Bearer other-secret"})
    lines = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    assert lines[0].startswith("GET /v1/search 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("POST /v1/articles 403 ")
    assert "secret" not in caplog.text


def test_missing_index_is_503_for_reads_and_health(engines):
    client = testing.TestClient(create_app(make_config(engines.location())))  # no index there (yet)
    for url in ("/health", "/v1/search", "/v1/stats", "/v1/articles/000_cd26570f11a59a8a", "/v1/suggest?q=po"):
        response = client.simulate_get(url)
        assert response.status_code == 503, url
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"]
    assert client.simulate_get("/openapi.json").status_code == 200


def test_openapi_document_is_valid_and_complete(client):
    response = client.simulate_get("/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    paths = spec["paths"]
    assert set(paths) >= {
        "/v1/search", "/v1/articles", "/v1/articles/{article_id}", "/v1/articles/{article_id}/similar",
        "/v1/suggest", "/v1/facets/{name}", "/v1/stats", "/health",
    }
    search = paths["/v1/search"]["get"]
    names = {p["name"] for p in search["parameters"]}
    assert names >= {"q", "page", "per_page", "sort", "source", "person", "org", "place", "author", "from", "to", "facets"}
    per_page = next(p for p in search["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100
    assert "application/problem+json" in search["responses"]["400"]["content"]
    assert set(paths["/v1/articles/{article_id}"]) == {"get", "put", "delete"}
    assert "requestBody" in paths["/v1/articles"]["post"]
    assert "Problem" in spec["components"]["schemas"]


def test_openapi_documents_the_embedding_routes_with_their_media_types(client):
    paths = client.simulate_get("/openapi.json").json["paths"]
    media = {path: set(paths[path]["get"]["responses"]["200"]["content"]) for path in (
        "/v1/search.atom", "/v1/suggest/opensearch", "/opensearch.xml", "/embed", "/widget.js")}
    assert media == {
        "/v1/search.atom": {"application/atom+xml"},
        "/v1/suggest/opensearch": {"application/x-suggestions+json"},
        "/opensearch.xml": {"application/opensearchdescription+xml"},
        "/embed": {"text/html"},
        "/widget.js": {"application/javascript"},
    }
    params = {path: {p["name"] for p in item["get"].get("parameters", [])} for path, item in paths.items() if "get" in item}
    assert params["/v1/search.atom"] == params["/v1/search"] | {"key"}  # the parameters of /v1/search, and a key
    assert params["/v1/suggest/opensearch"] == params["/v1/suggest"] | {"key"}
    assert {path for path, names in params.items() if "key" in names} == {"/v1/search.atom", "/v1/suggest/opensearch", "/embed"}
    for path in ("/v1/search", "/v1/suggest", "/v1/search.atom", "/v1/suggest/opensearch"):
        operation = paths[path]["get"]
        assert {"401", "403"} <= set(operation["responses"]), path
        assert {} in operation["security"], path  # a key only when the server asks for one
