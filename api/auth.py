"""Keys: writes need a write key; reads need a read (or write) key only when read keys are set;
search routes also take scoped search keys. `KeyAuth` is the one place a key is checked.

Keys are compared as SHA-256 digests with `hmac.compare_digest`, against every configured key
(no early exit), so neither the content nor the position of a key leaks through timing. Keys
never reach a log line or an error message.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Callable

import falcon

from .keys import Scope

from .problems import Problem, invalid_params

QUERY_KEY = "key"  # the query parameter that carries a key on `key_in_query` resources
READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class KeyRing:
    def __init__(self, write_keys: tuple[str, ...], read_keys: tuple[str, ...] = ()) -> None:
        self._write = tuple(_digest(k) for k in write_keys)
        self._read = tuple(_digest(k) for k in read_keys) + self._write
        self.reads_open = not read_keys
        self.writes_enabled = bool(write_keys)

    def allows(self, key: str, scope: str) -> bool:
        digest = _digest(key)
        found = False
        for candidate in self._write if scope == "write" else self._read:
            found |= hmac.compare_digest(digest, candidate)
        return found


def bearer_token(req: falcon.Request) -> str | None:
    """The key in `Authorization: Bearer <key>`, or None when absent or malformed."""
    header = req.get_header("Authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def read_token(req: falcon.Request, resource) -> str | None:
    """The key a read carries: the bearer token, else `?key=` where the resource takes one there."""
    token = bearer_token(req)
    if not getattr(resource, "key_in_query", False):
        return token
    value = req.params.get(QUERY_KEY)
    if isinstance(value, list):
        raise invalid_params({QUERY_KEY: ["Give one key."]})
    return token or value or None


class KeyAuth:
    """Middleware, and the only place keys are checked: before the responder runs.

    Writes need a write key. Reads need a read (or write) key when read keys are configured;
    resources with `public = True` never do. Resources with `scoped_reads = True` (search, suggest,
    the Atom feed, OpenSearch suggestions) also take a scoped search key (search/keys.py): its
    verified Scope goes to `req.context.scope` (None for a configured key, or no key) for the
    resource to apply. With scoped keys enabled (a key secret configured), a key sent to such a
    resource that is neither configured nor a valid scoped key is refused, even when reads are open,
    so an expired or tampered key never passes silently. Resources with `key_in_query = True` (for
    feed readers and browsers, which cannot send headers) also accept the key as `?key=`; the
    Authorization header wins when both are sent, and the resource leaves `key` out of the
    parameters it validates."""

    def __init__(self, keys: KeyRing, verify_scoped: Callable[[str], Scope | None] | None = None) -> None:
        self.keys = keys
        self.verify_scoped = verify_scoped

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        if resource is None or not hasattr(resource, f"on_{req.method.lower()}"):
            return  # 404/405/OPTIONS are answered without asking for a key
        req.context.scope = None
        if req.method in WRITE_METHODS:
            self._require(bearer_token(req), "write", resource)
        elif req.method in READ_METHODS and not getattr(resource, "public", False):
            token = read_token(req, resource)
            if token is not None and getattr(resource, "scoped_reads", False) and self.verify_scoped is not None:
                req.context.scope = self._scope(token)
            elif not self.keys.reads_open:
                self._require(token, "read", resource)

    def _scope(self, token: str) -> Scope | None:
        """None for a configured key (no restriction), the Scope of a valid scoped key, else 403."""
        if self.keys.allows(token, "read"):
            return None
        scope = self.verify_scoped(token)
        if scope is None:
            raise Problem(403, "Forbidden", "This key is not valid here (unknown, tampered or expired).", slug="forbidden")
        return scope

    def _require(self, token: str | None, scope: str, resource) -> None:
        if scope == "write" and not self.keys.writes_enabled:
            # No key can help: say why rather than ask for one. 401 without a key, as for any write
            # sent without one; 403 with one.
            detail = "Writes are disabled on this server: no write key is configured (NEWSEARCH_API_KEYS)."
            if token is None:
                raise Problem(401, "Authentication required", detail, slug="unauthorized",
                              headers={"WWW-Authenticate": 'Bearer realm="newsearch"'})
            raise Problem(403, "Forbidden", detail, slug="forbidden")
        if token is None:
            where = "`Authorization: Bearer <key>`"
            if getattr(resource, "key_in_query", False):
                where += f" (or `{QUERY_KEY}=`)"
            which = "a key configured on this server"
            if getattr(resource, "scoped_reads", False) and self.verify_scoped is not None:
                which = "a read key or a scoped search key"
            raise Problem(
                401,
                "Authentication required",
                f"Send {where} with {which}.",
                slug="unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="newsearch"'},
            )
        if not self.keys.allows(token, scope):
            raise Problem(403, "Forbidden", f"This key may not {scope} here.", slug="forbidden")
