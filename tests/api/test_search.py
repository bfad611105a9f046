"""Searching the seeds over HTTP: what a user of /v1/search sees."""
import re

import pytest

from tests.date_buckets import bucket_days


def search(client, **params):
    response = client.simulate_get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return response.json


def ids(body):
    return [hit["id"][:3] for hit in body["hits"]]


def test_phrase_of_a_street_name_finds_both_shooting_reports_with_marks(client):
    body = search(client, q="Van Brunt")
    assert set(ids(body)) >= {"000", "001"}
    for hit in body["hits"]:
        if hit["id"][:3] in ("000", "001"):
            assert re.search(r"<mark>Van Brunt</mark>|<mark>Van</mark> <mark>Brunt</mark>", hit["snippet"])
            assert "… …" not in hit["snippet"]
            assert [part.strip() for part in hit["snippet"].split("…") if part.strip()] == [
                part.strip() for s in hit["snippets"] for part in s.split("…") if part.strip()]
            assert hit["matched_terms"]
    assert isinstance(body["took_ms"], (int, float))


def test_source_filter(client):
    body = search(client, source="KCTV")
    assert body["total"] == 2
    assert {hit["source"] for hit in body["hits"]} == {"KCTV"}


def test_source_facet_counts_are_disjunctive(client):
    plain = search(client, facets="source")["facets"]["source"]
    counts = {b["value"]: b["count"] for b in plain}
    assert counts["KCTV"] == 2 and counts["KSHB"] == 1 and counts["Liberty Alliance"] == 1
    picked = search(client, facets="source", source="KCTV")["facets"]["source"]
    by_value = {b["value"]: b for b in picked}
    assert by_value["KCTV"]["selected"] is True and by_value["KCTV"]["count"] == 2
    assert by_value["KSHB"]["count"] == 1 and by_value["KSHB"]["selected"] is False


def test_repeated_filter_values_are_ored(client):
    assert search(client, source=["KCTV", "KSHB"])["total"] == 3


def test_person_filter(client):
    body = search(client, person="Rick Smith")
    assert body["total"] >= 2
    assert all("Rick Smith" in hit["people"] for hit in body["hits"])


def test_sort_newest(client):
    order = ids(search(client, q="Van Brunt", sort="newest"))
    assert order.index("000") < order.index("001")
    oldest = ids(search(client, q="Van Brunt", sort="oldest"))
    assert oldest.index("001") < oldest.index("000")


def test_phrase(client):
    assert ids(search(client, q='"peer counseling"')) == ["000"]


def test_did_you_mean(client):
    assert search(client, q="polise")["suggestion"] == "police"


def test_a_relaxed_query_says_which_words_it_dropped_and_suggests_a_correction(client):
    body = search(client, q="officers injred")
    assert body["relaxed"] is True and body["dropped"] == ["injred"]
    assert body["suggestion"] == "officers injured" and body["total"] > 0
    assert all("injred" not in hit["matched_terms"] for hit in body["hits"])
    exact = search(client, q="officers injured")
    assert exact["relaxed"] is False and exact["dropped"] == [] and exact["suggestion"] is None
    document = client.simulate_get("/openapi.json").json
    results = document["components"]["schemas"]["SearchResults"]["properties"]
    assert results["relaxed"]["type"] == "boolean" and results["dropped"]["items"]["type"] == "string"


def test_date_facet_values_honour_the_prefix(client):
    every = client.simulate_get("/v1/facets/date").json["values"]
    assert {b["value"][:4] for b in every} == {"2020", "2021"}
    only_2020 = client.simulate_get("/v1/facets/date", params={"q": "2020"}).json["values"]
    assert only_2020 and all(b["value"].startswith("2020") for b in only_2020)
    assert client.simulate_get("/v1/facets/date", params={"q": "1999"}).json["values"] == []


def test_stats_lists_carry_values_and_counts_only(client):
    stats = client.simulate_get("/v1/stats").json
    buckets = [b for values in stats["facets"].values() for b in values]
    assert buckets and all(set(b) == {"value", "count"} for b in buckets)
    schemas = client.simulate_get("/openapi.json").json["components"]["schemas"]
    item = schemas["Stats"]["properties"]["facets"]["additionalProperties"]["items"]["$ref"].split("/")[-1]
    assert set(schemas[item]["properties"]) == {"value", "count"}


def test_similar_hits_carry_the_title_and_a_leading_snippet(client):
    hits = client.simulate_get("/v1/articles/000_cd26570f11a59a8a/similar", params={"limit": 3}).json["hits"]
    assert hits
    for hit in hits:
        assert hit["title_highlight"] and "<mark>" not in hit["title_highlight"]
        assert hit["snippet"] and hit["snippet"] == hit["snippets"][0] and "<mark>" not in hit["snippet"]
        assert hit["snippet"].rstrip(" …")[:40] in hit["summary"] or hit["summary"][:40] in hit["snippet"]


def test_date_histogram(client):
    buckets = {b["value"]: b["count"] for b in search(client, facets="date")["facets"]["date"]}
    assert buckets.get("2020-07") == 2 and buckets.get("2021-09") == 1


def test_date_histogram_interval_is_picked_or_asked_for_and_said(client):
    auto = search(client, facets="date")
    assert auto["date_interval"] == "month"  # July 2020 to September 2021: 15 months
    by_year = search(client, facets="date", date_interval="year")
    assert by_year["date_interval"] == "year"
    assert {b["value"]: b["count"] for b in by_year["facets"]["date"]} == {"2020": 2, "2021": 1}
    by_day = search(client, facets="date", date_interval="day", **{"from": "2020-07-01", "to": "2020-07-31"})
    assert [b["value"] for b in by_day["facets"]["date"]] == ["2020-07-03", "2020-07-02"]
    assert search(client, facets="source")["date_interval"] is None
    parameter = [p for p in client.simulate_get("/openapi.json").json["paths"]["/v1/search"]["get"]["parameters"]
                 if p["name"] == "date_interval"]
    assert parameter and parameter[0]["schema"]["enum"] == ["auto", "day", "week", "month", "year"]


NEW_YEAR = ["2020-12-31T21:00:00-05:00", "2021-01-03T12:00:00Z", "2021-01-04T00:30:00+01:00", "2021-01-04T12:00:00Z"]


@pytest.mark.parametrize("interval", ["day", "week", "month", "year"])
def test_every_date_bucket_is_selected_by_from_and_to_its_first_and_last_day(writer, auth, interval):
    # What the widget sends for a bucket. Around a new year and in zones off UTC (the first is
    # 1 January in UTC, the third 3 January), which the histogram and the filter both count in UTC.
    articles = [{"id": f"new-year-{i}", "title": "Fireworks over the river", "body": "Fireworks lit the river.",
                 "published": published, "source": "Example News"} for i, published in enumerate(NEW_YEAR)]
    assert writer.simulate_post("/v1/articles", json={"articles": articles}, headers=auth, params={"wait": "true"}).status_code == 201
    body = search(writer, facets="date", date_interval=interval)
    buckets = {b["value"]: b["count"] for b in body["facets"]["date"]}
    assert body["date_interval"] == interval and sum(buckets.values()) == 7  # 3 seeds are dated
    assert {"day": "2021-01-01", "week": "2020-W53", "month": "2021-01", "year": "2021"}[interval] in buckets
    for value, count in buckets.items():
        first, last = bucket_days(value)
        # Buckets count articles (stories fold copies: `total` counts stories).
        assert search(writer, **{"from": first.isoformat(), "to": last.isoformat()})["articles"] == count, value


def test_date_range_filter(client):
    body = search(client, **{"from": "2020-07-01", "to": "2020-07-31"})
    assert body["total"] == 2
    assert search(client, **{"from": "2020-07-03T00:00:00+00:00", "to": "2020-07-03"})["total"] == 1


def test_facets_parameter_picks_facets(client):
    assert set(search(client, facets="source,person")["facets"]) == {"source", "person"}
    assert search(client, facets="")["facets"] == {}
    assert set(search(client)["facets"]) >= {"source", "person", "date"}


def test_paging(client):
    first = search(client, per_page=2, page=1)
    second = search(client, per_page=2, page=2)
    assert first["total"] == 5 and len(first["hits"]) == 2
    assert not set(ids(first)) & set(ids(second))


def test_search_text_is_html_escaped(client):
    body = search(client, q="<script>alert(1)</script> police")
    for hit in body["hits"]:
        assert "<script>" not in hit["snippet"] and "<script>" not in hit["title_highlight"]


def test_article_similar_suggest_facets_stats(client):
    article = client.simulate_get("/v1/articles/000_cd26570f11a59a8a")
    assert article.status_code == 200
    assert article.json["source"] == "KCTV" and "peer counseling" in article.json["body"]
    assert "origin" not in article.json  # server paths stay on the server

    similar = client.simulate_get("/v1/articles/000_cd26570f11a59a8a/similar", params={"limit": 2})
    assert similar.status_code == 200 and 0 < len(similar.json["hits"]) <= 2
    assert all(hit["id"] != "000_cd26570f11a59a8a" for hit in similar.json["hits"])

    suggest = client.simulate_get("/v1/suggest", params={"q": "pol"})
    assert suggest.status_code == 200 and "police" in [s.lower() for s in suggest.json["suggestions"]]
    assert [c["text"] for c in suggest.json["completions"]] == suggest.json["suggestions"]
    names = client.simulate_get("/v1/suggest", params={"q": "rick"}).json["completions"]
    assert {"text": "Rick Smith", "facet": "person"} in names
    assert all(c["facet"] is None for c in suggest.json["completions"] if c["text"].lower() == "police")

    facet = client.simulate_get("/v1/facets/person", params={"q": "Ri"})
    assert facet.status_code == 200 and "Rick Smith" in [b["value"] for b in facet.json["values"]]

    stats = client.simulate_get("/v1/stats")
    assert stats.status_code == 200 and stats.json["documents"] == 5


def test_health(client):
    response = client.simulate_get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["documents"] == 5 and response.json["generation"]
