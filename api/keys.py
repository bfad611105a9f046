"""Scoped search keys, as Typesense and Algolia make them: a self-contained, signed token that
allows searches (and completions) only within fixed filters, until it expires.

A key is `<payload>.<signature>`, both base64url without padding: the payload is the JSON of the
restrictions, the signature HMAC-SHA256 over it with the server's secret. Nothing is stored on
the server; anyone holding the secret can make keys (`newsearch keys create`), and the API
checks them with the same secret. A key is public by design (it sits in a web page): what
protects the data is that its restrictions cannot be changed without breaking the signature.

    >>> key = create_scoped_key("s3cret-s3cret-s3cret", filters={"source": ["KCTV"]}, expires=None)
    >>> scope = verify_scoped_key("s3cret-s3cret-s3cret", key, datetime.now(timezone.utc))
    >>> scope.apply(SearchRequest(q="police")).base_filters
    {'source': ('KCTV',)}

Narrowing, never widening: the key's filters become the request's base filters, which the backend
applies to the hits, every facet count and the facet values listed (search/request.py), as
Meilisearch merges a tenant token's rules into the search. A request that asks only for values
outside the key (source=KSHB with a KCTV key) raises `OutOfScope`, which the API answers with 403,
rather than an empty page that would look like "no such articles".
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from search.errors import OutOfScope
from search.fields import FIELDS
from search.request import SearchRequest
from search.settings import KEY_SECRET_MIN_BYTES

FILTER_NAMES = FIELDS.filter_names  # source, person, org, place, author
VERSION = 1
MIN_SECRET_BYTES = KEY_SECRET_MIN_BYTES  # the settings table refuses a shorter NEWSEARCH_KEY_SECRET
MAX_TOKEN_LENGTH = 4096
# Domain separation: a signature made here is never valid for another use of the same secret.
_CONTEXT = b"newsearch scoped search key v1\x00"


class ScopedKeyError(ValueError):
    """Base of the errors this module raises for bad arguments (not for bad tokens)."""


class WeakSecret(ScopedKeyError):
    """The signing secret is missing or shorter than MIN_SECRET_BYTES."""


class InvalidRestrictions(ScopedKeyError):
    """A filter name the engine does not know, or an empty/blank value list."""


@dataclass(frozen=True)
class Scope:
    """The restrictions a verified key carries."""

    filters: dict[str, tuple[str, ...]]
    expires: datetime | None = None

    def apply(self, request: SearchRequest) -> SearchRequest:
        """The request with the key's filters as its base filters; raises OutOfScope when it asks
        only for values of a facet that the key does not allow."""
        for name, allowed in self.filters.items():
            asked = request.filters.get(name)
            if asked and not any(value in allowed for value in asked):
                raise OutOfScope(name, list(asked))
        return dataclasses.replace(request, base_filters=dict(self.filters))

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and _aware(now) >= self.expires


def create_scoped_key(secret: bytes | str, *, filters: dict[str, list[str]], expires: datetime | date | None) -> str:
    """A signed key allowing searches only within `filters` (names as in the API: source, person,
    org, place, author; values of one name OR-ed) until `expires` (a date means its midnight UTC)."""
    clean: dict[str, list[str]] = {}
    for name, values in sorted(filters.items()):
        if name not in FILTER_NAMES:
            raise InvalidRestrictions(f"unknown filter {name!r}; use one of {', '.join(FILTER_NAMES)}")
        if isinstance(values, str):
            values = [values]
        kept = list(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))
        if not kept:
            raise InvalidRestrictions(f"filter {name!r} has no values")
        clean[name] = kept
    payload: dict = {"v": VERSION, "f": clean}
    if expires is not None:
        payload["exp"] = int(_as_datetime(expires).timestamp())
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return f"{_b64(body)}.{_b64(_sign(_secret_bytes(secret), body))}"


def verify_scoped_key(secret: bytes | str, token: str, now: datetime) -> Scope | None:
    """The key's Scope, or None when the token is malformed, its signature wrong, or it has expired."""
    key = _secret_bytes(secret)
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        return None
    encoded_body, encoded_signature = token.split(".")
    body = _unb64(encoded_body)
    signature = _unb64(encoded_signature)
    if body is None or signature is None:
        return None
    if not hmac.compare_digest(_sign(key, body), signature):
        return None
    # Signed by us, so well-formed unless the format changed: still checked, never trusted blindly.
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("v") != VERSION or not isinstance(payload.get("f"), dict):
        return None
    filters: dict[str, tuple[str, ...]] = {}
    for name, values in payload["f"].items():
        if name not in FILTER_NAMES or not isinstance(values, list) or not values:
            return None
        if not all(isinstance(v, str) and v for v in values):
            return None
        filters[name] = tuple(values)
    expires = None
    if "exp" in payload:
        if not isinstance(payload["exp"], int) or isinstance(payload["exp"], bool):
            return None
        expires = datetime.fromtimestamp(payload["exp"], timezone.utc)
    scope = Scope(filters=filters, expires=expires)
    return None if scope.expired(now) else scope


def _sign(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _CONTEXT + body, hashlib.sha256).digest()


def _secret_bytes(secret: bytes | str | None) -> bytes:
    raw = secret.encode("utf-8") if isinstance(secret, str) else (secret or b"")
    if len(raw) < MIN_SECRET_BYTES:
        raise WeakSecret(f"the key secret must be at least {MIN_SECRET_BYTES} bytes")
    return raw


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    if not text or len(text) % 4 == 1 or not all(c.isalnum() or c in "-_" for c in text) or not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _as_datetime(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return _aware(value)
    return datetime.combine(value, time.min, tzinfo=timezone.utc)
