"""Inputs at the edges: the calendar's first and last days with offsets, the smallest and largest
numbers a parameter takes, ids in the path of PUT, a weak key secret. Each is a 2xx or a 4xx
problem+json naming what was wrong, never a 500, and a bad item never takes its batch down."""
from __future__ import annotations

import os
import random
from datetime import timedelta, timezone

import pytest
from falcon import testing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.config import Config, ConfigError
from tests.gunicorn_process import GunicornProcess
from tests.indexes import copy_index

from .conftest import WRITE_KEY, assert_problem, config_for

AUTH = {"Authorization": f"Bearer {WRITE_KEY}"}
# Valid ISO 8601 date-times whose UTC instant falls outside 0001-01-01 .. 9999-12-31.
NO_UTC_INSTANT = ("0001-01-01T00:00:00+01:00", "0001-01-01T00:59:59+01:00", "9999-12-31T23:59:59-01:00", "9999-12-31T23:00:00-23:59")
# At the edge, and inside it.
EDGE_BUT_VALID = ("0001-01-01", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00-01:00", "9999-12-31T23:59:59",
                  "9999-12-31T23:59:59.999999+00:00", "9999-12-31T12:00:00+11:00")


@pytest.fixture
def writer(private_index) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(private_index)))


# -- published at the calendar's edges -----------------------------------------------------------
@pytest.mark.parametrize("published", NO_UTC_INSTANT)
@pytest.mark.parametrize("kind", ["fields", "text"])
def test_a_published_without_a_utc_instant_rejects_its_item_not_its_batch(writer, published, kind):
    bad = {"id": "edge-bad", "published": published}
    bad.update({"title": "Edge", "body": "Out of range."} if kind == "fields" else {"text": "Edge\n\nOut of range."})
    good = {"id": "edge-good", "title": "Fine", "body": "A valid neighbour."}
    response = writer.simulate_post("/v1/articles", json={"articles": [good, bad]}, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json["ids"] == ["edge-good"]
    (error,) = response.json["errors"]
    assert error["index"] == 1 and error["id"] == "edge-bad" and error["reason"].startswith("published: Out of range")
    assert writer.simulate_get("/v1/articles/edge-bad").status_code == 404
    # Alone, the same item is a 400 naming the field.
    alone = assert_problem(writer.simulate_post("/v1/articles", json=bad, headers=AUTH), 400)
    assert [p["name"] for p in alone["invalid_params"]] == ["published"]
    put = assert_problem(writer.simulate_put("/v1/articles/edge-bad", json={k: v for k, v in bad.items() if k != "id"}, headers=AUTH), 400)
    assert [p["name"] for p in put["invalid_params"]] == ["published"]


OFFSETS = st.builds(lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-(24 * 60 - 1), 24 * 60 - 1))
PUBLISHED = st.one_of(
    st.datetimes(timezones=st.one_of(st.none(), OFFSETS)).map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.sampled_from([*NO_UTC_INSTANT, *EDGE_BUT_VALID, "0000-01-01", "10000-01-01", "9999-12-31T24:00:00"]),
)


@pytest.fixture(scope="module")
def module_writer(seed_index, tmp_path_factory) -> testing.TestClient:
    return testing.TestClient(create_app(config_for(copy_index(seed_index, tmp_path_factory.mktemp("edges") / "index"))))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(published=PUBLISHED, raw=st.booleans())
def test_any_published_is_written_or_a_400_naming_it(module_writer, published, raw):
    # Hypothesis seeds the global `random` alike for every example, and Whoosh names new segments
    # with it: without this, a later example's segment would reuse an earlier one's name.
    random.seed(os.urandom(16))
    item = {"id": "any-published", "published": published}
    item.update({"text": "Any date\n\nA body."} if raw else {"title": "Any date", "body": "A body."})
    response = module_writer.simulate_post("/v1/articles", json=item, headers=AUTH)
    assert response.status_code in (200, 201, 400), (published, response.status_code, response.text[:300])
    if response.status_code == 400:
        assert [p["name"] for p in response.json["invalid_params"]] == ["published"], response.json


@pytest.mark.parametrize("published", EDGE_BUT_VALID)
def test_a_published_at_the_edge_is_written_and_read_back(writer, published):
    response = writer.simulate_post("/v1/articles", json={"id": "edge", "title": "Edge", "body": "At the edge.", "published": published}, headers=AUTH)
    assert response.status_code == 201, response.text
    stored = writer.simulate_get("/v1/articles/edge").json["published"]
    assert stored[:4] in ("0001", "9999")
    for params in ({"q": "edge"}, {"q": "edge", "sort": "newest"}, {"q": "edge", "recency_days": "1"}, {"facets": "date"}):
        assert writer.simulate_get("/v1/search", params=params).status_code == 200, params


# -- dates and numbers in searches -----------------------------------------------------------------
EDGE_SEARCHES = [
    {"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "0001-01-01", "to": "9999-12-31"},
    {"from": "0001-01-01T00:00:00+01:00"}, {"to": "9999-12-31T23:59:59-14:00"}, {"from": "9999-12-31", "to": "9999-12-31"},
    {"q": "published:[0001-01-01 TO 9999-12-31]"}, {"q": "published:[* TO 0001-01-01]"}, {"q": "published:[9999-12-31 TO *]"},
    {"q": "published:[0001-01-01T00:00:00+01:00 TO 9999-12-31T23:59:59-01:00]"}, {"q": "published:0001"},
    {"q": "published:9999-12-31"}, {"q": "published:>=9999-12-31T23:59:59.999999"}, {"q": "published:<0001-01-01"},
    {"q": "published:[9999-12 TO 0001-01]"},
    {"q": "police", "recency_days": "1e-300"}, {"q": "police", "recency_days": "5e-324"},
    {"q": "police", "recency_days": "36500"}, {"q": "police", "recency_days": "1e-300", "from": "0001-01-01"},
    {"q": "police", "recency_days": "0.000001", "sort": "relevance"},
]


@pytest.mark.parametrize("params", EDGE_SEARCHES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()))
@pytest.mark.parametrize("path", ["/v1/search", "/v1/search.atom"])
def test_dates_and_scales_at_the_edges_answer(read_client, path, params):
    response = read_client.simulate_get(path, params=params)
    assert response.status_code == 200, response.text[:500]


@pytest.mark.parametrize("path", ["/v1/search", "/v1/search.atom"])
def test_a_date_range_past_the_calendar_is_a_400_naming_q(read_client, path):
    # Year 0 and year 10000 are no dates: the range is refused, not dropped (which searched every date).
    response = read_client.simulate_get(path, params={"q": "published:[0000-01-01 TO 10000-01-01]"})
    assert response.status_code == 400 and [p["name"] for p in response.json["invalid_params"]] == ["q"]


def test_a_vanishing_recency_scale_keeps_every_match(read_client):
    plain = read_client.simulate_get("/v1/search", params={"q": "police"}).json
    tiny = read_client.simulate_get("/v1/search", params={"q": "police", "recency_days": "1e-300"}).json
    assert tiny["total"] == plain["total"] > 0
    assert {h["id"] for h in tiny["hits"]} == {h["id"] for h in plain["hits"]}


@pytest.mark.parametrize("params", [
    {"recency_days": "0"}, {"recency_days": "-1e-300"}, {"recency_days": "nan"}, {"recency_days": "inf"}, {"recency_days": "1e309"},
    {"page": "0"}, {"page": str(2**63)}, {"page": "-1"}, {"per_page": "0"}, {"per_page": str(10**30)}, {"page": "1e3"},
    {"from": "0000-12-31"}, {"to": "10000-01-01"}, {"from": "9999-12-31", "to": "0001-01-01"},
])
def test_numbers_and_dates_past_the_edges_are_400s_naming_the_parameter(read_client, params):
    problem = assert_problem(read_client.simulate_get("/v1/search", params=params), 400)
    assert {p["name"] for p in problem["invalid_params"]} & {"recency_days", "page", "per_page", "from", "to"}


def test_the_deepest_page_of_the_window_answers(read_client):
    window = Config().result_window
    per_page = Config().max_per_page
    assert read_client.simulate_get("/v1/search", params={"per_page": per_page, "page": window // per_page}).status_code == 200
    assert_problem(read_client.simulate_get("/v1/search", params={"per_page": per_page, "page": window // per_page + 1}), 400)


# -- ids in the path of PUT --------------------------------------------------------------------------
@pytest.mark.parametrize("article_id", ["a\x00b", "a b", "x" * 8000, "tab\there", "nbsp\u00a0id", "\ufeffbom", "del\x7f"])
def test_put_checks_the_path_id_like_post_checks_a_body_id(writer, article_id):
    body = {"title": "Path id", "body": "Written through PUT."}
    post = assert_problem(writer.simulate_post("/v1/articles", json={"id": article_id, **body}, headers=AUTH), 400)
    assert [p["name"] for p in post["invalid_params"]] == ["id"]
    put = assert_problem(writer.simulate_put(f"/v1/articles/{article_id}", json=body, headers=AUTH), 400)
    assert [p["name"] for p in put["invalid_params"]] == ["article_id"]
    raw = assert_problem(writer.simulate_put(f"/v1/articles/{article_id}", json={"text": "Path id\n\nRaw."}, headers=AUTH), 400)
    assert [p["name"] for p in raw["invalid_params"]] == ["article_id"]
    assert writer.simulate_get("/v1/search", params={"q": "\"written through put\""}).json["total"] == 0


def test_put_takes_the_longest_id_post_takes(writer):
    article_id = "i" * 256
    assert writer.simulate_put(f"/v1/articles/{article_id}", json={"title": "Long", "body": "Long id."}, headers=AUTH).status_code == 201
    assert writer.simulate_get(f"/v1/articles/{article_id}").status_code == 200


# -- a weak key secret -------------------------------------------------------------------------------
def test_a_short_key_secret_is_refused_by_the_settings_and_by_config(private_index):
    with pytest.raises(ConfigError) as refused:
        Config.from_env({"NEWSEARCH_KEY_SECRET": "fifteen-bytes!!"})
    message = str(refused.value)
    assert message.startswith("NEWSEARCH_KEY_SECRET ") and "16 bytes" in message and "fifteen" not in message
    with pytest.raises(ConfigError, match="NEWSEARCH_KEY_SECRET"):
        create_app(config_for(private_index, key_secret="short"))
    assert Config.from_env({"NEWSEARCH_KEY_SECRET": "sixteen-bytes!!!"}).key_secret == "sixteen-bytes!!!"


def test_the_server_refuses_to_start_with_a_short_key_secret(private_index, tmp_path):
    with pytest.raises(RuntimeError) as failed:
        GunicornProcess(private_index, tmp_path / "gunicorn.log", workers=1, ready_timeout=30, NEWSEARCH_KEY_SECRET="too-short")
    assert "exited with 2" in str(failed.value)
    lines = (tmp_path / "gunicorn.log").read_text().strip().splitlines()
    assert lines == ["newsearch: NEWSEARCH_KEY_SECRET must be at least 16 bytes (the one given is shorter)"]


def test_an_unknown_bearer_token_with_scoped_keys_on_is_a_403(private_index):
    client = testing.TestClient(create_app(config_for(private_index, key_secret="s" * 16)))
    for path in ("/v1/search", "/v1/suggest?q=po", "/v1/search.atom"):
        assert_problem(client.simulate_get(path, headers={"Authorization": "Bearer not-a-key"}), 403)
