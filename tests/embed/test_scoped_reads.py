"""Keys on the embedding routes: checked by the app's KeyAuth (api/auth.py) as on /v1/search, with
`?key=` for feed readers and browsers; completions that stay within a scoped key."""
from __future__ import annotations

import json
import logging

import pytest

from api.keys import create_scoped_key

from .conftest import READ_KEY, SECRET

KCTV = create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=None)
KSHB = create_scoped_key(SECRET, filters={"source": ["KSHB"]}, expires=None)
# Completions that only KSHB articles hold: a person, a title word, the source's own name.
ONLY_IN_KSHB = {"jazz": "Jazzlyn Strickland", "sko": "skool", "ksh": "KSHB"}


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def completions(client, path: str, prefix: str, key: str | None = None, in_query: bool = False) -> list[str]:
    params = {"q": prefix}
    headers = {}
    if key and in_query:
        params["key"] = key
    elif key:
        headers = bearer(key)
    response = client.simulate_get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json["suggestions"] if path == "/v1/suggest" else json.loads(response.text)[1]


@pytest.mark.parametrize("path, in_query", [("/v1/suggest", False), ("/v1/suggest/opensearch", False), ("/v1/suggest/opensearch", True)])
def test_completions_stay_within_a_scoped_key(client, path, in_query):
    for prefix, only_in_kshb in ONLY_IN_KSHB.items():
        assert only_in_kshb in completions(client, path, prefix), prefix  # the index has it
        assert only_in_kshb in completions(client, path, prefix, KSHB, in_query), prefix
        assert only_in_kshb not in completions(client, path, prefix, KCTV, in_query), prefix
    assert "Rick Smith" in completions(client, path, "rick", KCTV, in_query)  # a KCTV name still completes


def test_did_you_mean_stays_within_a_scoped_key(client):
    def suggestion(key: str | None) -> str | None:
        response = client.simulate_get("/v1/search", params={"q": "skoool"}, headers=bearer(key) if key else {})
        assert response.status_code == 200, response.text
        return response.json["suggestion"]

    assert suggestion(None) == suggestion(KSHB) == "skool"  # a word of the KSHB article's title
    assert suggestion(KCTV) is None


@pytest.mark.parametrize("path", ["/v1/search.atom", "/v1/suggest/opensearch"])
def test_a_repeated_key_is_a_400_naming_key(client, path):
    response = client.simulate_get(path, query_string=f"q=council&key={KCTV}&key={KSHB}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert [p["name"] for p in response.json["invalid_params"]] == ["key"]
    assert KCTV not in response.text and KSHB not in response.text


@pytest.mark.parametrize("path", ["/v1/search", "/v1/suggest"])
def test_routes_that_can_take_headers_take_no_key_in_the_query(client, path):
    response = client.simulate_get(path, params={"q": "council", "key": KCTV})
    assert response.status_code == 400
    assert [p["name"] for p in response.json["invalid_params"]] == ["key"]


def test_unverified_keys_are_refused_on_suggestions_even_when_reads_are_open(client):
    for key in (KCTV[:-2] + ("AA" if not KCTV.endswith("AA") else "BB"), "not-a-key"):
        for request in ({"params": {"q": "po", "key": key}}, {"params": {"q": "po"}, "headers": bearer(key)}):
            response = client.simulate_get("/v1/suggest/opensearch", **request)
            assert response.status_code == 403, request
            assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/v1/search.atom", "/v1/suggest/opensearch"])
def test_closed_reads_take_a_read_key_or_a_scoped_key_in_the_query(closed_client, path):
    missing = closed_client.simulate_get(path, params={"q": "council"})
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "key=" in missing.json["detail"]
    for key in (READ_KEY, KCTV):
        assert closed_client.simulate_get(path, params={"q": "council", "key": key}).status_code == 200
        assert closed_client.simulate_get(path, params={"q": "council"}, headers=bearer(key)).status_code == 200
    assert closed_client.simulate_get(path, params={"q": "council", "key": "wrong-key-0123456789"}).status_code == 403


@pytest.mark.parametrize("path", ["/v1/search.atom", "/v1/suggest/opensearch", "/v1/search", "/v1/suggest"])
def test_a_scoped_answer_is_private_and_tagged_for_its_key(public_client, path):
    # With NEWSEARCH_PUBLIC_URL, so that the feed's links do not come from Host (which keeps it private).
    client = public_client
    key_in_query = path in ("/v1/search.atom", "/v1/suggest/opensearch")
    scoped = {"params": {"q": "council", "key": KCTV}} if key_in_query else {"params": {"q": "council"}, "headers": bearer(KCTV)}
    open_read = client.simulate_get(path, params={"q": "council"})
    first = client.simulate_get(path, **scoped)
    assert open_read.headers["cache-control"].startswith("public")
    assert first.headers["cache-control"].startswith("private")
    assert first.headers["etag"] != open_read.headers["etag"]
    scoped.setdefault("headers", {})["If-None-Match"] = first.headers["etag"]
    assert client.simulate_get(path, **scoped).status_code == 304


def test_a_key_in_the_query_never_reaches_the_access_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-key-that-must-not-be-logged-4242"
    for key in (KCTV, wrong):
        client.simulate_get("/v1/search.atom", params={"q": "council", "key": key})
        client.simulate_get("/v1/suggest/opensearch", params={"q": "co", "key": key})
    lines = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    assert [line.rsplit(" ", 1)[0] for line in lines] == [
        "GET /v1/search.atom 200", "GET /v1/suggest/opensearch 200", "GET /v1/search.atom 403", "GET /v1/suggest/opensearch 403",
    ]
    for secret in (KCTV, KCTV.split(".")[0], KCTV.split(".")[1], wrong, "key="):
        assert secret not in caplog.text
