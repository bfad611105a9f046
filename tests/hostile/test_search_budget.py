"""A search past its time budget (NEWSEARCH_SEARCH_TIMEOUT) through the API: partial hits flagged
`timed_out: true` (not cached), or a 503 problem+json with Retry-After when there is no answer yet;
never a 500. The budget's own tests: tests/search/whoosh_backend/test_budget.py."""
from __future__ import annotations

from falcon import testing

from api.app import create_app
from search.engine import open_engine

from .conftest import assert_problem, config_for


class StepClock:
    """A clock that moves one second every time it is read."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_no_time_for_a_search_is_a_503_problem_with_retry_after(seed_index):
    client = testing.TestClient(create_app(config_for(seed_index, search_timeout=0.0)))
    response = client.simulate_get("/v1/search", params={"q": "police"})
    problem = assert_problem(response, 503)
    assert problem["type"].endswith("search-timeout")
    assert response.headers["retry-after"]
    assert "etag" not in response.headers


def test_results_say_whether_they_timed_out(read_client):
    body = read_client.simulate_get("/v1/search", params={"q": "police"}).json
    assert body["timed_out"] is False
    schema = read_client.simulate_get("/openapi.json").json["components"]["schemas"]
    results = next(s for name, s in schema.items() if name.startswith("SearchResults"))
    assert results["properties"]["timed_out"]["type"] == "boolean"


def test_a_search_cut_short_answers_its_hits_flagged_and_uncached(seed_index):
    engine = open_engine(seed_index, timer=StepClock(), search_timeout=None)
    client = testing.TestClient(create_app(config_for(seed_index), engine=engine))
    complete = client.simulate_get("/v1/search", params={"q": "police OR council"}).json
    assert complete["total"] > 1 and complete["timed_out"] is False
    seen = set()
    for k in range(20):  # deadlines after 1, 2, 4, ... readings of the clock
        engine.search_timeout = 2 ** k
        response = client.simulate_get("/v1/search", params={"q": "police OR council"})
        assert response.status_code in (200, 503), response.text
        if response.status_code == 503:
            assert_problem(response, 503)
            seen.add("503")
            continue
        body = response.json
        if body["timed_out"]:
            seen.add("partial")
            # Cut while matching: the alternatives that finished (a lower bound); while ranking: all of them.
            assert 0 < body["total"] <= complete["total"] and 0 < len(body["hits"]) <= len(complete["hits"])
            assert "etag" not in response.headers and response.headers["cache-control"] == "no-store"
        else:
            seen.add("complete")
            assert [h["id"] for h in body["hits"]] == [h["id"] for h in complete["hits"]]
            assert response.headers["etag"]
    assert seen == {"503", "partial", "complete"}
    engine.close()
