"""Every limit is configurable and answered at its edge: the edge passes, one past it is a 400 or
413 problem+json. Non-default values throughout, so a hard-coded limit would fail."""
from __future__ import annotations

import json

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config

from .conftest import WRITE_KEY, assert_problem, config_for

LIMITS = dict(max_query_length=40, max_per_page=7, result_window=35, max_body_bytes=4096, max_batch_size=3)
AUTH = {"Authorization": f"Bearer {WRITE_KEY}", "Content-Type": "application/json"}


@pytest.fixture
def limited(private_index) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(private_index, **LIMITS)))


@pytest.fixture(scope="module")
def limited_reads(seed_index) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(seed_index, **LIMITS)))


def test_limits_come_from_the_environment():
    config = Config.from_env({
        "NEWSEARCH_MAX_QUERY_LENGTH": "40", "NEWSEARCH_MAX_PER_PAGE": "7", "NEWSEARCH_RESULT_WINDOW": "35",
        "NEWSEARCH_MAX_BODY_BYTES": "4096", "NEWSEARCH_MAX_BATCH_SIZE": "3",
    })
    assert {name: getattr(config, name) for name in LIMITS} == LIMITS


@pytest.mark.parametrize("path", ["/v1/search", "/v1/suggest", "/v1/facets/person", "/v1/search.atom", "/v1/suggest/opensearch"])
def test_query_length_edge(limited_reads, path):
    assert limited_reads.simulate_get(path, params={"q": "p" * 40}).status_code == 200
    problem = assert_problem(limited_reads.simulate_get(path, params={"q": "p" * 41}), 400)
    assert [p["name"] for p in problem["invalid_params"]] == ["q"]
    # Characters, not bytes: 40 two-byte characters are still within the limit.
    assert limited_reads.simulate_get(path, params={"q": "é" * 40}).status_code == 200


def test_per_page_edge(limited_reads):
    assert limited_reads.simulate_get("/v1/search", params={"per_page": 7}).status_code == 200
    problem = assert_problem(limited_reads.simulate_get("/v1/search", params={"per_page": 8}), 400)
    assert problem["invalid_params"][0]["name"] == "per_page"


def test_result_window_edge(limited_reads):
    # per_page 7: page 5 reaches result 35 (the window), page 6 would reach 42.
    assert limited_reads.simulate_get("/v1/search", params={"per_page": 7, "page": 5}).status_code == 200
    problem = assert_problem(limited_reads.simulate_get("/v1/search", params={"per_page": 7, "page": 6}), 400)
    assert problem["invalid_params"][0]["name"] == "page"
    assert "35" in problem["invalid_params"][0]["reason"]
    assert_problem(limited_reads.simulate_get("/v1/search.atom", params={"per_page": 7, "page": 6}), 400)


def _body_of_size(size: int) -> bytes:
    article = {"id": "sized", "title": "Sized article", "body": ""}
    base = len(json.dumps(article).encode())
    article["body"] = "x" * (size - base)
    data = json.dumps(article).encode()
    assert len(data) == size
    return data


def test_body_size_edge(limited):
    ok = limited.simulate_post("/v1/articles", body=_body_of_size(4096), headers=AUTH)
    assert ok.status_code == 201, ok.text
    problem = assert_problem(limited.simulate_post("/v1/articles", body=_body_of_size(4097), headers=AUTH), 413)
    assert "4096" in problem["detail"]
    # Same edge on PUT.
    assert_problem(limited.simulate_put("/v1/articles/sized", body=_body_of_size(4097), headers=AUTH), 413)


def test_limits_of_one_app_do_not_leak_into_another(seed_index, limited_reads):
    # marshmallow shares a field's validator list between schema instances: an app with a larger
    # limit must not inherit a smaller one from another app built in the same process.
    roomy = testing.TestClient(create_app(config_for(seed_index, max_query_length=100, max_per_page=50)))
    assert roomy.simulate_get("/v1/search", params={"q": "p" * 100, "per_page": 50}).status_code == 200
    assert limited_reads.simulate_get("/v1/search", params={"q": "p" * 41}).status_code == 400


def test_batch_size_edge(limited):
    def batch(n: int) -> dict:
        return {"articles": [{"id": f"b{i}", "title": f"Batch {i}", "body": "Text."} for i in range(n)]}

    ok = limited.simulate_post("/v1/articles", json=batch(3), headers=AUTH)
    assert ok.status_code == 201 and len(ok.json["added"]) == 3
    problem = assert_problem(limited.simulate_post("/v1/articles", json=batch(4), headers=AUTH), 413)
    assert "At most 3" in problem["detail"]
