"""Bearer keys: writes need a write key; reads need a read (or write) key only when read keys are set.

Keys are compared as SHA-256 digests with `hmac.compare_digest`, against every configured key
(no early exit), so neither the content nor the position of a key leaks through timing. Keys
never reach a log line or an error message.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Callable

import falcon

from search.keys import Scope

from .problems import Problem

READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class KeyRing:
    def __init__(self, write_keys: tuple[str, ...], read_keys: tuple[str, ...] = ()) -> None:
        self._write = tuple(_digest(k) for k in write_keys)
        self._read = tuple(_digest(k) for k in read_keys) + self._write
        self.reads_open = not read_keys

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


class KeyAuth:
    """Middleware: checks the key before the responder runs. Resources with `public = True` skip reads.

    Resources with `scoped_reads = True` (search, suggest) also take a scoped search key
    (search/keys.py): its verified Scope goes to `req.context.scope` for the resource to apply.
    With scoped keys enabled (a key secret configured), a key that is neither configured nor a valid
    scoped key is refused even when reads are open."""

    def __init__(self, keys: KeyRing, verify_scoped: Callable[[str], Scope | None] | None = None) -> None:
        self.keys = keys
        self.verify_scoped = verify_scoped

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        if resource is None or not hasattr(resource, f"on_{req.method.lower()}"):
            return  # 404/405/OPTIONS are answered without asking for a key
        req.context.scope = None
        if req.method in READ_METHODS and getattr(resource, "scoped_reads", False) and self.verify_scoped:
            token = bearer_token(req)
            if token is not None:
                if self.keys.allows(token, "read"):
                    return
                scope = self.verify_scoped(token)
                if scope is None:
                    raise Problem(403, "Forbidden", "This key is not valid here (unknown, tampered or expired).", slug="forbidden")
                req.context.scope = scope
                return
        if req.method in WRITE_METHODS:
            scope = "write"
        elif req.method in READ_METHODS and not getattr(resource, "public", False) and not self.keys.reads_open:
            scope = "read"
        else:
            return
        token = bearer_token(req)
        if token is None:
            raise Problem(
                401,
                "Authentication required",
                "Send `Authorization: Bearer <key>` with a key configured on this server.",
                slug="unauthorized",
                headers={"WWW-Authenticate": 'Bearer realm="newsearch"'},
            )
        if not self.keys.allows(token, scope):
            raise Problem(403, "Forbidden", f"This key may not {scope} here.", slug="forbidden")
