"""The HTTP API over the OpenSearch backend, through Falcon's test client: reads, ETags that change
after a write, writes, facets and scoped keys' filters, each as the Whoosh backend serves them."""
import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.engine import open_engine
from tests.opensearch_server import drop_alias, unique_location
from tests.search.opensearch_backend.corpus import CORPUS

KEY = "write-key-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture
def api(opensearch_url, tmp_path):
    location = unique_location(opensearch_url)
    engine = open_engine(location, refresh_interval=0, replicas=0)
    engine.add(CORPUS)
    config = Config(index=tmp_path / "unused", backend=location, api_keys=(KEY,), metrics=False)
    yield testing.TestClient(create_app(config, engine=engine))
    drop_alias(engine)


def test_search_facets_and_highlights(api):
    body = api.simulate_get("/v1/search", params={"q": "strike", "source": "Post", "sort": "newest"}).json
    assert body["total"] == 2 and [h["id"] for h in body["hits"]] == ["rail-2", "port-1"]
    assert {b["value"]: b["count"] for b in body["facets"]["source"]} == {"Wire": 1, "Post": 2, "Gazette": 1}
    assert body["hits"][0]["title_highlight"] == "Railway <mark>strike</mark> talks resume"
    assert api.simulate_get("/v1/articles/bake-1").json["title"] == "Bakery wins award"
    assert api.simulate_get("/v1/articles/nope").status_code == 404
    assert api.simulate_get("/v1/facets/color").status_code == 404
    assert api.simulate_get("/v1/search", params={"q": "strike", "color": "red"}).status_code == 400
    assert api.simulate_get("/health").json["documents"] == 6
    feed = api.simulate_get("/v1/search.atom", params={"q": "strike"})
    assert feed.status_code == 200 and "Railway strike talks resume" in feed.text


def test_an_etag_changes_after_a_write_and_the_write_is_found(api):
    first = api.simulate_get("/v1/search", params={"q": "quorum"})
    assert first.json["total"] == 0
    etag = first.headers["ETag"]
    assert api.simulate_get("/v1/search", params={"q": "quorum"}, headers={"If-None-Match": etag}).status_code == 304
    written = api.simulate_post("/v1/articles", json={"id": "q1", "title": "Quorum meets", "body": "The quorum met."},
                                headers=AUTH)
    assert written.status_code == 201 and written.json["visible"] and written.json["added"] == ["q1"]
    again = api.simulate_get("/v1/search", params={"q": "quorum"}, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.json["total"] == 1
    assert api.simulate_delete("/v1/articles/q1", headers=AUTH).status_code == 200
    assert api.simulate_get("/v1/articles/q1").status_code == 404
    assert api.simulate_delete("/v1/articles/q1", headers=AUTH).status_code == 404


def test_suggest_similar_facet_values_and_stats(api):
    assert "Ann Lee" in api.simulate_get("/v1/suggest", params={"q": "ann"}).json["suggestions"]
    similar = api.simulate_get("/v1/articles/rail-1/similar").json["hits"]
    assert "rail-2" in [h["id"] for h in similar] and "rail-1" not in [h["id"] for h in similar]
    values = api.simulate_get("/v1/facets/person", params={"q": "b"}).json["values"]
    assert [(v["value"], v["count"]) for v in values] == [("Bob Hart", 2)]
    stats = api.simulate_get("/v1/stats").json
    assert stats["documents"] == 6 and stats["generation"].startswith("t-")
