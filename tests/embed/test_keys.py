"""Scoped search keys (search/keys.py) and `newsearch keys create` (indexer/keys_cli.py)."""
from __future__ import annotations

import argparse
import base64
import json
from datetime import date, datetime, timedelta, timezone

import pytest

import search.keys as keys
from indexer.keys_cli import add_keys_command
from search.keys import InvalidRestrictions, OutOfScope, WeakSecret, create_scoped_key, verify_scoped_key
from search.request import SearchRequest
from search.results import Bucket, SearchResults

SECRET = "test-key-secret-0123456789abcdef"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc)


def kctv_key(**kwargs) -> str:
    return create_scoped_key(SECRET, filters={"source": ["KCTV"]}, expires=kwargs.get("expires"))


def test_a_key_carries_its_filters_and_expiry():
    token = create_scoped_key(SECRET, filters={"source": ["KCTV"], "place": ["Kansas City"]}, expires=date(2027, 1, 1))
    scope = verify_scoped_key(SECRET, token, NOW)
    assert scope.filters == {"place": ("Kansas City",), "source": ("KCTV",)}
    assert scope.expires == datetime(2027, 1, 1, tzinfo=timezone.utc)


def test_a_key_fills_in_its_filter_when_the_request_has_none():
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    assert scope.apply(SearchRequest(q="police")).filters == {"source": ["KCTV"]}


def test_a_key_cannot_widen_to_another_source():
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    with pytest.raises(OutOfScope):
        scope.apply(SearchRequest(q="police", filters={"source": ["KSHB"]}))


def test_a_request_is_narrowed_to_the_intersection():
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    request = scope.apply(SearchRequest(q="x", filters={"source": ["KSHB", "KCTV"], "person": ["Rick Smith"]}))
    assert request.filters == {"source": ["KCTV"], "person": ["Rick Smith"]}


def test_an_empty_filter_list_in_the_request_does_not_remove_the_key_filter():
    # The engine reads an empty list as "no filter": the key's values must replace it.
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    assert scope.apply(SearchRequest(filters={"source": []})).filters == {"source": ["KCTV"]}


def test_facet_values_outside_the_key_are_hidden():
    scope = verify_scoped_key(SECRET, kctv_key(), NOW)
    results = SearchResults(
        total=1, page=1, per_page=10, took_ms=1.0, hits=[],
        facets={"source": [Bucket("KCTV", 3, True), Bucket("KSHB", 9)], "place": [Bucket("Westport", 2)]},
    )
    facets = scope.restrict(results).facets
    assert facets == {"source": [Bucket("KCTV", 3, True)], "place": [Bucket("Westport", 2)]}


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


# -- newsearch keys create --------------------------------------------------------------------------
def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="newsearch")
    add_keys_command(p.add_subparsers(dest="command", required=True))
    return p


def test_cli_prints_a_key_that_verifies(capsys):
    args = parser().parse_args(["keys", "create", "--filter", "source=KCTV", "--filter", "source=KSHB", "--expires", "2027-01-01"])
    assert args.run(args, environ={"NEWSEARCH_KEY_SECRET": SECRET}, now=NOW) == 0
    out, err = capsys.readouterr()
    scope = verify_scoped_key(SECRET, out.strip(), NOW)
    assert scope.filters == {"source": ("KCTV", "KSHB")}
    assert scope.expires == datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert SECRET not in out + err


def test_cli_reads_the_secret_from_the_named_variable(capsys):
    args = parser().parse_args(["keys", "create", "--filter", "place=Kansas City", "--secret-env", "PARTNER_SECRET"])
    assert args.run(args, environ={"PARTNER_SECRET": SECRET}, now=NOW) == 0
    assert verify_scoped_key(SECRET, capsys.readouterr().out.strip(), NOW).filters == {"place": ("Kansas City",)}


def test_cli_refuses_without_a_secret_or_with_a_past_expiry(capsys):
    args = parser().parse_args(["keys", "create", "--filter", "source=KCTV"])
    assert args.run(args, environ={}, now=NOW) == 2
    args = parser().parse_args(["keys", "create", "--filter", "source=KCTV", "--expires", "2020-01-01"])
    assert args.run(args, environ={"NEWSEARCH_KEY_SECRET": SECRET}, now=NOW) == 2
    assert capsys.readouterr().out == ""


def test_cli_rejects_an_unknown_filter_name(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["keys", "create", "--filter", "url=x"])
