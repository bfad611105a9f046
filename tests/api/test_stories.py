"""Folded stories through the API: /v1/search's `collapse`, the hits' versions, /v1/articles/{id}/versions
and the Atom feed (search/stories.py decides; tests/search/whoosh_backend/test_stories.py holds the cases)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest
from falcon import testing

from api.app import create_app
from search.article import Article
from search.engine import open_engine
from tests.api.conftest import make_config

T0 = datetime(2023, 2, 6, 8, 0, tzinfo=timezone.utc)
WIRE = ("A powerful earthquake struck southern Turkey and northern Syria before dawn on Monday, toppling "
        "buildings across the region and trapping residents under the rubble as rescuers searched through "
        "the night in freezing rain. Officials said the quake was followed by strong aftershocks and that "
        "hospitals in several cities were overwhelmed.")
PAPERS = [("Reuters", "Earthquake kills hundreds in Turkey and Syria"), ("Daily Planet", "Quake topples buildings in Turkey and Syria"),
          ("Evening Star", "Hundreds dead as powerful quake hits region")]


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> testing.TestClient:
    index = tmp_path_factory.mktemp("stories") / "index"
    engine = open_engine(index)
    engine.add([Article(id=f"wire-{i}", title=title, body=WIRE, source=source, published=T0 + timedelta(hours=2 * i))
                for i, (source, title) in enumerate(PAPERS)]
               + [Article(id="other", title="Aid reaches Turkey after the earthquake", source="Reuters", published=T0 + timedelta(days=1),
                          body="Aid convoys reached the towns of southern Turkey on Tuesday with tents, food and blankets for survivors.")])
    engine.close()
    return testing.TestClient(create_app(make_config(index)))


def test_search_folds_copies_by_default_and_collapse_none_shows_them(client):
    folded = client.simulate_get("/v1/search", params={"q": "earthquake Turkey", "sort": "oldest"}).json
    assert [(h["id"], h["versions"]) for h in folded["hits"]] == [("wire-0", 3), ("other", 1)]
    assert folded["total"] == 2 and folded["articles"] == 4
    assert [(v["id"], v["source"]) for v in folded["hits"][0]["other_versions"]] == [("wire-2", "Evening Star"), ("wire-1", "Daily Planet")]
    assert folded["hits"][0]["other_versions"][0]["published"].startswith("2023-02-06T12:00:00")
    assert {b["value"]: b["count"] for b in folded["facets"]["source"]} == {"Reuters": 2, "Daily Planet": 1, "Evening Star": 1}
    every = client.simulate_get("/v1/search", params={"q": "earthquake Turkey", "collapse": "none"}).json
    assert every["total"] == every["articles"] == 4
    assert all(h["versions"] == 1 and h["other_versions"] == [] for h in every["hits"])


def test_a_bad_collapse_is_a_400_naming_it(client):
    resp = client.simulate_get("/v1/search", params={"q": "quake", "collapse": "stories"})
    assert resp.status_code == 400 and resp.headers["content-type"] == "application/problem+json"
    assert "collapse" in resp.json["invalid_params"][0]["name"]


def test_versions_lists_the_story_newest_first(client):
    resp = client.simulate_get("/v1/articles/wire-1/versions")
    assert resp.status_code == 200
    assert [(v["id"], v["title"]) for v in resp.json["versions"]] == [
        ("wire-2", PAPERS[2][1]), ("wire-1", PAPERS[1][1]), ("wire-0", PAPERS[0][1])]
    assert [v["id"] for v in client.simulate_get("/v1/articles/other/versions").json["versions"]] == ["other"]
    missing = client.simulate_get("/v1/articles/nope/versions")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_the_atom_feed_folds_too(client):
    feed = ElementTree.fromstring(client.simulate_get("/v1/search.atom", params={"q": "earthquake Turkey"}).content)
    ids = [e.findtext("{http://www.w3.org/2005/Atom}id") for e in feed.findall("{http://www.w3.org/2005/Atom}entry")]
    assert len(ids) == 2
    every = ElementTree.fromstring(client.simulate_get("/v1/search.atom", params={"q": "earthquake Turkey", "collapse": "none"}).content)
    assert len(every.findall("{http://www.w3.org/2005/Atom}entry")) == 4
