"""Adding a facet is one declaration entry plus the record field that holds it (search/fields.py):
the index, the search, the filters, the counts, the round trip, the checksum, the API's parameters
and schemas, the statistics and the widget's labels all follow from it, on each backend."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.article import Article
from search.fields import FIELDS, Facet, Fields
from search.request import SearchRequest

WRITE_KEY = "test-write-key-0123456789"


@dataclass
class TopicArticle(Article):
    topics: list[str] = field(default_factory=list)


TOPICS = Fields(
    text=FIELDS.text,
    facets=FIELDS.facets + (Facet("topic", "topics", multi=True, labels={"en": "Topics", "fr": "Sujets"}),),
    record=TopicArticle,
)
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def articles() -> list[TopicArticle]:
    return [
        TopicArticle(id="a1", title="Council votes on the budget", body="The city council voted on the budget.",
                     source="KCTV", published=WHEN, topics=["Politics", "Budget"]),
        TopicArticle(id="a2", title="Council race heats up", body="Two candidates for the council debated.",
                     source="KSHB", published=WHEN, topics=["Politics", "Elections"]),
        TopicArticle(id="a3", title="Council meets on parks", body="The council heard about parks and trails.",
                     source="KCTV", published=WHEN, topics=["Parks"]),
    ]


@pytest.fixture()
def engine(engines):
    """The declaration with a topic facet, on each backend: the Whoosh schema or the OpenSearch mapping follows."""
    engine = engines.open(fields=TOPICS)
    report = engine.add(articles(), wait=30)
    assert report.committed and sorted(report.added) == ["a1", "a2", "a3"]
    return engine


@pytest.fixture()
def client(engine, tmp_path) -> testing.TestClient:
    return testing.TestClient(create_app(Config(index=tmp_path / "index", api_keys=(WRITE_KEY,)), engine=engine))


def test_the_new_facet_is_counted_and_filtered(engine):
    results = engine.search(SearchRequest(q="council", facets=("topic", "source")))
    assert results.total == 3
    assert {(b.value, b.count) for b in results.facets["topic"]} == {("Politics", 2), ("Budget", 1), ("Elections", 1), ("Parks", 1)}
    narrowed = engine.search(SearchRequest(q="council", filters={"topic": ["Politics"]}, facets=("topic",)))
    assert sorted(h.id for h in narrowed.hits) == ["a1", "a2"]
    # Disjunctive like every facet: its own counts ignore its own selection.
    assert {b.value for b in narrowed.facets["topic"]} == {"Politics", "Budget", "Elections", "Parks"}
    assert {h.id: h.topics for h in narrowed.hits}["a2"] == ["Politics", "Elections"]


def test_the_new_facet_is_searched_by_name(engine):
    assert [h.id for h in engine.search(SearchRequest(q="topic:elections")).hits] == ["a2"]


def test_the_new_facet_round_trips_and_is_listed(engine):
    assert engine.get("a2").topics == ["Politics", "Elections"]
    assert isinstance(engine.get("a2"), TopicArticle)
    assert [b.value for b in engine.facet_values("topic", prefix="el")] == ["Elections"]
    assert engine.stats().facets["topic"][0].value == "Politics"


def test_an_update_of_only_the_new_facet_is_an_update(engine):
    before = engine.get("a3")
    changed = dataclasses.replace(before, topics=["Parks", "Environment"], checksum="")
    assert changed.checksum != before.checksum
    report = engine.add([changed])
    assert report.updated == ["a3"] and not report.unchanged
    assert engine.get("a3").topics == ["Parks", "Environment"]
    again = engine.add([dataclasses.replace(changed)])
    assert again.unchanged == ["a3"]


def test_the_api_takes_the_new_facet_everywhere(client):
    response = client.simulate_get("/v1/search", params={"q": "council", "topic": "Politics", "facets": "topic"})
    assert response.status_code == 200, response.text
    assert sorted(h["id"] for h in response.json["hits"]) == ["a1", "a2"]
    assert {b["value"] for b in response.json["facets"]["topic"] if b["selected"]} == {"Politics"}
    assert response.json["hits"][0]["topics"]

    assert client.simulate_get("/v1/articles/a1").json["topics"] == ["Politics", "Budget"]
    values = client.simulate_get("/v1/facets/topic").json["values"]
    assert values[0] == {"value": "Politics", "count": 2, "selected": False}
    assert "topic" in client.simulate_get("/v1/stats").json["facets"]

    written = client.simulate_put(
        "/v1/articles/a4", json={"title": "Council on trails", "body": "Trails again.", "topics": ["Parks"]},
        headers={"Authorization": f"Bearer {WRITE_KEY}"},
    )
    assert written.status_code == 201, written.text
    assert client.simulate_get("/v1/articles/a4").json["topics"] == ["Parks"]

    bad = client.simulate_get("/v1/search", params={"facets": "topics"})
    assert bad.status_code == 400 and bad.json["invalid_params"][0]["name"].startswith("facets")

    spec = client.simulate_get("/openapi.json").json
    assert "topic" in {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    widget = client.simulate_get("/widget.js").text
    assert '"topic":"Sujets"' in widget and '"filters":["source","person","org","place","author","topic"]' in widget


def test_the_default_declaration_is_what_the_widget_file_ships():
    from pathlib import Path

    import api
    from api.embed import widget_source

    source = (Path(api.__file__).parent / "static" / "widget.js").read_text(encoding="utf-8")
    assert widget_source(source, FIELDS) == source


def test_a_facet_without_a_record_field_is_refused():
    with pytest.raises(TypeError, match="topics"):
        Fields(text=FIELDS.text, facets=FIELDS.facets + (Facet("topic", "topics", multi=True, labels={"en": "Topics"}),))
