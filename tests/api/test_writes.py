"""Writing over HTTP: keys, single and batch writes, raw text through the indexer pipeline, PUT, DELETE;
on every backend (tests/api/conftest.py), but for the Whoosh store's own lock."""
import time

import falcon
import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.engine import open_engine
from search.whoosh_backend.store import IndexStore

from .conftest import make_config

ARTICLE = {
    "id": "api-test-1",
    "title": "Zanzibar ferry schedule changes",
    "body": "The Zanzibar ferry will leave earlier from Kansas City, officials said.\n\nMore details follow.",
    "url": "https://example.org/news/zanzibar",
    "published": "2022-03-04T10:00:00-06:00",
    "source": "Example News",
    "people": ["Ada Lovelace"],
}


def generation_of(location) -> str:
    engine = open_engine(location)
    try:
        return engine.generation()
    finally:
        engine.close()


def total(client, q, **params):
    return client.simulate_get("/v1/search", params={"q": q, **params}).json["total"]


def test_write_with_key_is_found_by_the_next_search(writer, auth):
    assert total(writer, "zanzibar") == 0
    response = writer.simulate_post("/v1/articles", json=ARTICLE, headers=auth)
    assert response.status_code == 201, response.text
    assert response.json["committed"] is True and response.json["visible"] is True
    assert response.json["added"] == ["api-test-1"] and response.json["ids"] == ["api-test-1"]
    assert response.headers["location"] == "/v1/articles/api-test-1"
    assert total(writer, "zanzibar") == 1
    assert total(writer, "", person="Ada Lovelace") == 1
    stored = writer.simulate_get("/v1/articles/api-test-1").json
    assert stored["published"] == "2022-03-04T10:00:00-06:00" or stored["published"].startswith("2022-03-04T16:00")

    again = writer.simulate_post("/v1/articles", json=ARTICLE, headers=auth)
    assert again.status_code == 200 and again.json["unchanged"] == ["api-test-1"]


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ({"Authorization": "Bearer"}, 401),
        ({"Authorization": "Bearer two words"}, 401),
        ({"Authorization": "Bearer wrong-key"}, 403),
        ({"Authorization": "Bearer test-write-key-012345678"}, 403),  # a prefix of the real key
    ],
)
def test_writes_without_a_valid_key_change_nothing(writer, seed_copy, headers, status):
    generation = generation_of(seed_copy)
    response = writer.simulate_post("/v1/articles", json=ARTICLE, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert writer.simulate_delete("/v1/articles/000_cd26570f11a59a8a", headers=headers).status_code == status
    assert writer.simulate_put("/v1/articles/x1", json=ARTICLE | {"id": "x1"}, headers=headers).status_code == status
    assert total(writer, "zanzibar") == 0 and total(writer, "") == 5
    assert generation_of(seed_copy) == generation


def test_no_configured_keys_means_no_writes(seed_copy):
    client = testing.TestClient(create_app(make_config(seed_copy, api_keys=())))
    response = client.simulate_post("/v1/articles", json=ARTICLE, headers={"Authorization": "Bearer anything"})
    assert response.status_code == 403


def test_delete_then_404(writer, auth):
    response = writer.simulate_delete("/v1/articles/000_cd26570f11a59a8a", headers=auth)
    assert response.status_code == 200 and response.json["deleted"] == ["000_cd26570f11a59a8a"]
    assert response.json["committed"] is True
    assert writer.simulate_get("/v1/articles/000_cd26570f11a59a8a").status_code == 404
    assert writer.simulate_delete("/v1/articles/000_cd26570f11a59a8a", headers=auth).status_code == 404
    assert total(writer, '"peer counseling"') == 0


def test_put_creates_then_updates(writer, auth):
    body = {k: v for k, v in ARTICLE.items() if k != "id"}
    created = writer.simulate_put("/v1/articles/put-1", json=body, headers=auth)
    assert created.status_code == 201 and created.json["added"] == ["put-1"]
    updated = writer.simulate_put("/v1/articles/put-1", json=body | {"title": "Zanzibar ferry cancelled"}, headers=auth)
    assert updated.status_code == 200 and updated.json["updated"] == ["put-1"]
    assert writer.simulate_get("/v1/articles/put-1").json["title"] == "Zanzibar ferry cancelled"
    mismatch = writer.simulate_put("/v1/articles/put-1", json=ARTICLE, headers=auth)
    assert mismatch.status_code == 400


def test_batch_writes_good_items_and_reports_bad_ones(writer, auth):
    batch = {
        "articles": [
            ARTICLE,
            {"id": "b2", "title": "Second", "body": "Quokka sightings rise."},
            {"id": "b3", "body": "no title"},
            ARTICLE | {"title": "Same id again"},
            "not an object",
            {"id": "b6", "title": "Bad date", "body": "x", "published": "yesterday"},
        ]
    }
    response = writer.simulate_post("/v1/articles", json=batch, headers=auth)
    assert response.status_code == 201, response.text
    assert sorted(response.json["added"]) == ["api-test-1", "b2"]
    errors = {e["index"]: e for e in response.json["errors"]}
    assert sorted(errors) == [2, 3, 4, 5]
    assert "title" in errors[2]["reason"]
    assert "Duplicate id" in errors[3]["reason"] and errors[3]["id"] == "api-test-1"
    assert "published" in errors[5]["reason"]
    assert total(writer, "quokka") == 1


def test_batch_with_nothing_good_is_a_400(writer, auth):
    response = writer.simulate_post("/v1/articles", json={"articles": [{"title": "x"}, 7]}, headers=auth)
    assert response.status_code == 400
    assert response.json["title"] == "Invalid articles"
    assert [e["index"] for e in response.json["errors"]] == [0, 1]


def test_batch_size_limit(seed_copy, auth):
    client = testing.TestClient(create_app(make_config(seed_copy, max_batch_size=2)))
    items = [{"id": f"n{i}", "title": "t", "body": "b"} for i in range(3)]
    response = client.simulate_post("/v1/articles", json={"articles": items}, headers=auth)
    assert response.status_code == 413 and response.json["title"] == "Batch too large"


def test_raw_text_goes_through_the_indexer_pipeline(writer, auth):
    text = (
        "Wombat crossing opens downtown\n\n"
        "KANSAS CITY, Mo. - Mayor Quinton Lucas opened a wombat crossing on Main Street on Tuesday, "
        "the Kansas City Police Department said."
    )
    response = writer.simulate_post(
        "/v1/articles", json={"text": text, "url": "https://example.org/wombats", "source": "Example News"}, headers=auth
    )
    assert response.status_code == 201, response.text
    [article_id] = response.json["added"]
    article = writer.simulate_get(f"/v1/articles/{article_id}").json
    assert article["source"] == "Example News"
    assert "wombat crossing" in article["body"]
    assert "Quinton Lucas" in article["people"]
    assert total(writer, "wombat") == 1


def test_one_url_gives_one_id_whether_sent_raw_ready_or_indexed_from_a_file(writer, auth):
    from indexer.pipeline import build_article
    from indexer.readers import RawDocument

    url = "https://example.org/news/one-url"
    ready = writer.simulate_post("/v1/articles", json={"url": url, "title": "Heron count rises", "body": "Herons."}, headers=auth)
    assert ready.status_code == 201, ready.text
    [article_id] = ready.json["added"]
    raw = writer.simulate_post("/v1/articles", json={"url": url, "text": "Heron count rises\n\nMore herons this year."}, headers=auth)
    assert raw.status_code == 200 and raw.json["updated"] == [article_id]  # the same article, not a second one
    assert total(writer, "herons") == 1
    line = RawDocument(origin="feed.jsonl:1", kind="text", content="Heron count rises\n\nHerons.", fields={"url": url})
    assert build_article(line).id == article_id  # `newsearch index` on a JSONL line with this URL


def test_raw_html_summary_is_the_first_paragraph_not_the_headline(writer, auth, fixtures):
    html = (fixtures / "html" / "short-headline.html").read_text(encoding="utf-8")
    response = writer.simulate_post("/v1/articles", json={"html": html, "url": "https://example.org/budget"}, headers=auth)
    assert response.status_code == 201, response.text
    article = writer.simulate_get(f"/v1/articles/{response.json['added'][0]}").json
    assert article["title"] == "Budget approved"
    assert article["summary"].startswith("The city council voted on Tuesday")
    assert not article["body"].startswith("Budget approved")


def test_a_source_with_a_comma_is_kept_as_given(writer, auth):
    response = writer.simulate_post("/v1/articles", json={
        "id": "comma-source", "title": "Otter census", "body": "Otters counted along the river.",
        "source": "Smith, Jones & Co", "people": ["Martin Luther King, Jr."]}, headers=auth)
    assert response.status_code == 201, response.text
    article = writer.simulate_get("/v1/articles/comma-source").json
    assert article["source"] == "Smith, Jones & Co" and article["people"] == ["Martin Luther King, Jr."]
    found = writer.simulate_get("/v1/search", params={"source": "Smith, Jones & Co", "facets": "source,person"}).json
    assert [h["id"] for h in found["hits"]] == ["comma-source"]
    assert {"value": "Smith, Jones & Co", "count": 1, "selected": True} in found["facets"]["source"]
    assert "Martin Luther King, Jr." in [b["value"] for b in found["facets"]["person"]]


def test_with_no_write_key_configured_a_write_says_writes_are_disabled(seed_copy):
    client = testing.TestClient(create_app(make_config(seed_copy, api_keys=())))
    for headers, status in (({}, 401), ({"Authorization": "Bearer some-key-0123456789"}, 403)):
        response = client.simulate_post("/v1/articles", json=ARTICLE, headers=headers)
        assert response.status_code == status, response.text
        assert "Writes are disabled" in response.json["detail"] and "no write key is configured" in response.json["detail"]
        assert "configured on this server" not in response.json["detail"].replace("no write key is configured", "")


def test_raw_html_without_article_text_is_rejected(writer, auth):
    response = writer.simulate_post("/v1/articles", json={"html": "<html><body></body></html>"}, headers=auth)
    assert response.status_code == 400 and response.json["title"] == "Invalid article"


@pytest.mark.whoosh_only("another writer holding the Whoosh store's lock, and its journal")
def test_a_busy_index_still_acknowledges_a_durable_write_that_lands_when_free(index_copy, auth):
    client = testing.TestClient(create_app(Config(index=index_copy, api_keys=("test-write-key-0123456789",), write_wait=0.3)))
    with IndexStore(index_copy).write_lock():  # another writer (e.g. `newsearch index`) holds the index
        started = time.monotonic()
        response = client.simulate_post("/v1/articles", json=ARTICLE, headers=auth)
        assert time.monotonic() - started < 5  # it never waited for the lock
        assert response.status_code == 201, response.text
        assert response.json["committed"] is True and response.json["visible"] is False
        assert response.json["added"] == ["api-test-1"]
        waited = client.simulate_put("/v1/articles/api-test-2", params={"wait": "true"}, headers=auth,
                                     json={**ARTICLE, "id": "api-test-2"})
        assert waited.status_code == 201 and waited.json["visible"] is False  # waited 0.3 s, then answered
        assert client.simulate_get("/v1/articles/api-test-1").status_code == 404
    # Released: the next write applies the journal in order, ours and the earlier ones.
    response = client.simulate_post("/v1/articles", params={"wait": "true"}, headers=auth,
                                    json={**ARTICLE, "id": "api-test-3"})
    assert response.json["visible"] is True
    for article_id in ("api-test-1", "api-test-2", "api-test-3"):
        assert client.simulate_get(f"/v1/articles/{article_id}").status_code == 200


def test_wait_must_be_a_boolean(writer, auth):
    response = writer.simulate_post("/v1/articles", params={"wait": "soon"}, json=ARTICLE, headers=auth)
    assert response.status_code == 400 and response.json["invalid_params"][0]["name"] == "wait"


def test_ready_fields_without_entities_get_them_as_raw_text_does(writer, auth):
    body = ("KANSAS CITY, Mo. - Mayor Quinton Lucas opened a wombat crossing on Main Street on Tuesday, "
            "the Kansas City Police Department said.")
    items = [{"id": "ready-1", "title": "Wombat crossing opens downtown", "body": body},
             {"id": "ready-2", "title": "Wombat crossing opens downtown", "body": body, "people": []}]
    response = writer.simulate_post("/v1/articles", json={"articles": items}, headers=auth)
    assert response.status_code == 201, response.text
    extracted = writer.simulate_get("/v1/articles/ready-1").json
    assert "Quinton Lucas" in extracted["people"]
    assert "Kansas City Police Department" in extracted["organizations"]
    as_given = writer.simulate_get("/v1/articles/ready-2").json  # an entity field given, even empty: as given
    assert (as_given["people"], as_given["organizations"], as_given["places"]) == ([], [], [])
    assert total(writer, "wombat", person="Quinton Lucas") == 1


def test_ready_fields_without_id_or_url_take_their_contents_id(writer, auth):
    from indexer.pipeline import build_article
    from indexer.readers import RawDocument

    item = {"title": "Heron count rises", "body": "More herons this year.", "people": []}
    first = writer.simulate_post("/v1/articles", json=item, headers=auth)
    assert first.status_code == 201, first.text
    [article_id] = first.json["added"]
    again = writer.simulate_post("/v1/articles", json=item, headers=auth)
    assert again.status_code == 200 and again.json["unchanged"] == [article_id]  # not a duplicate
    edited = writer.simulate_post("/v1/articles", json=item | {"body": "Fewer herons this year."}, headers=auth)
    assert edited.json["added"] != [article_id]  # other content, another article
    line = RawDocument(origin="feed.jsonl:1", kind="fields", content=item["body"], fields={"title": item["title"]})
    assert build_article(line).id == article_id  # `newsearch index` on a JSONL line with neither id nor url
    assert total(writer, "herons") == 2


def test_raw_articles_past_the_time_budget_are_listed_to_send_again_not_lost(seed_copy, auth):
    """A large raw batch takes minutes of entity extraction; the request writes what it processed in
    NEWSEARCH_RAW_SECONDS and lists the rest, instead of being killed with nothing written."""
    from api.app import pipeline_prepare

    config = make_config(seed_copy, raw_seconds=0)  # time runs out after the first chunk
    client = testing.TestClient(create_app(config, prepare=pipeline_prepare(entities=False)))
    items = [{"text": f"Budget item {n}\n\nThe council met about budget item {n}.", "url": f"https://example.org/budget/{n}"}
             for n in range(20)]
    response = client.simulate_post("/v1/articles", json={"articles": items}, headers=auth)
    assert response.status_code == 201, response.text
    written, skipped = response.json["added"], response.json["errors"]
    assert len(written) == 8 and [e["index"] for e in skipped] == list(range(8, 20))
    assert all("send the 12 not processed again" in e["reason"] for e in skipped)
    for article_id in written:
        assert client.simulate_get(f"/v1/articles/{article_id}").status_code == 200
