"""Scoped search keys (api/keys.py); `newsearch keys create` is tested in tests/cli/test_keys.py."""
from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta, timezone

import pytest

import api.keys as keys
from api.keys import InvalidRestrictions, OutOfScope, WeakSecret, create_scoped_key, verify_scoped_key
from search.engine import open_engine
from search.request import SearchRequest

SECRET = "test-key-secret-0123456789abcdef"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def kctv_key(**kwargs) -> str:
    return create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=kwargs.get("expires"))


def test_a_key_carries_its_filters_and_expiry():
    token = create_scoped_key(SECRET, filters={"source": ["KCTV"], "place": ["Kansas City"]}, expires=date(2027, 1, 1))
    scope = verify_scoped_key(SECRET, token, NOW)
    assert scope.filters == {"place": ("Kansas City",), "source": ("KCTV",)}
    assert scope.expires == datetime(2027, 1, 1, tzinfo=timezone.utc)


def test_a_key_becomes_the_base_filters_of_the_request():
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    request = scope.apply(SearchRequest(q="police", filters={"person": ["Rick Smith"]}))
    assert request.base_filters == {"source": ("KCTV",)}
    assert request.filters == {"person": ["Rick Smith"]}  # the caller's own filters, untouched


def test_a_key_cannot_widen_to_another_source():
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    with pytest.raises(OutOfScope):
        scope.apply(SearchRequest(q="police", filters={"source": ["KSHB"]}))


@pytest.fixture(scope="module")
def engine(embed_location):
    engine = open_engine(embed_location)
    yield engine
    engine.close()


def kctv_search(engine, **kwargs):
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    return engine.search(scope.apply(SearchRequest(**kwargs)))


def test_a_request_is_narrowed_to_the_intersection(engine):
    wide = engine.search(SearchRequest(q="council", filters={"source": ["KSHB", "KCTV"]}, facets=("source",)))
    assert {h.source for h in wide.hits} == {"KSHB", "KCTV"}
    results = kctv_search(engine, q="council", filters={"source": ["KSHB", "KCTV"]}, facets=("source",))
    assert results.total and {h.source for h in results.hits} == {"KCTV"}
    assert results.total == engine.search(SearchRequest(q="council", filters={"source": ["KCTV"]})).total
    assert [b.value for b in results.facets["source"]] == ["KCTV"]  # KSHB was asked for, and stays hidden


def test_an_empty_filter_list_in_the_request_does_not_remove_the_key_filter(engine):
    # The engine reads an empty list as "no filter": the key's base filter still applies.
    results = kctv_search(engine, q="council", filters={"source": []})
    assert results.total and {h.source for h in results.hits} == {"KCTV"}


def test_facet_values_outside_the_key_are_hidden_and_counts_stay_within_it(engine):
    everything = engine.search(SearchRequest(q="council", facets=("source", "place")))
    assert len(everything.facets["source"]) > 1
    results = kctv_search(engine, q="council", facets=("source", "place"))
    assert [(b.value, b.count) for b in results.facets["source"]] == [("KCTV", results.total)]
    kctv_only = engine.search(SearchRequest(q="council", filters={"source": ["KCTV"]}, facets=("place",)))
    assert results.facets["place"] == kctv_only.facets["place"]  # places of KCTV's articles only


def test_completions_and_suggestions_keep_to_the_key(engine):
    names = engine.suggest("k", limit=50, base_filters={"source": ("KCTV",)})
    assert "KSHB" not in names


def test_an_expired_key_is_rejected():
    token = kctv_key(expires=NOW - timedelta(seconds=1))
    assert verify_scoped_key(SECRET, token, NOW) is None
    assert verify_scoped_key(SECRET, token, NOW - timedelta(seconds=2)) is not None


def test_a_key_with_its_filter_rewritten_is_rejected():
    payload, signature = kctv_key().split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["f"]["source"] = ["KCTV", "KSHB"]
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    assert verify_scoped_key(SECRET, f"{forged}.{signature}", NOW) is None


def test_a_key_without_its_filter_is_rejected():
    payload, signature = kctv_key().split(".")
    bare = base64.urlsafe_b64encode(b'{"f":{},"v":1}').rstrip(b"=").decode()
    assert verify_scoped_key(SECRET, f"{bare}.{signature}", NOW) is None


@pytest.mark.parametrize(
    "token",
    ["", ".", "abc", "a.b.c", "!!!.???", "eyJ2IjoxfQ", "eyJ2IjoxfQ.", ".c2ln", "é.é", "a" * 5000 + ".b"],
)
def test_malformed_keys_are_rejected(token):
    assert verify_scoped_key(SECRET, token, NOW) is None


def test_a_key_signed_with_another_secret_is_rejected():
    other = create_scoped_key("another-secret-0123456789", filters={"source": ["KCTV"]}, expires=None)
    assert verify_scoped_key(SECRET, other, NOW) is None


def test_a_flipped_signature_bit_is_rejected():
    payload, signature = kctv_key().split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "="))
    raw[0] ^= 1
    flipped = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert verify_scoped_key(SECRET, f"{payload}.{flipped}", NOW) is None


def test_signatures_are_compared_in_constant_time(monkeypatch):
    calls = []
    real = keys.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", spy)
    assert verify_scoped_key(SECRET, kctv_key(), NOW) is not None
    assert len(calls) == 1


def test_weak_secrets_and_unknown_filters_are_refused():
    with pytest.raises(WeakSecret):
        create_scoped_key("short", filters={"source": ["KCTV"]}, expires=None)
    with pytest.raises(InvalidRestrictions):
        create_scoped_key(SECRET, filters={"url": ["x"]}, expires=None)
    with pytest.raises(InvalidRestrictions):
        create_scoped_key(SECRET, filters={"source": [" "]}, expires=None)
