"""Cross-cutting HTTP behaviour: CORS, conditional GETs tied to the index generation, security
headers, the access log and request metrics. Each class is one Falcon middleware component."""
from __future__ import annotations

import hashlib
import logging
import time

import falcon

from .problems import Problem

access_log = logging.getLogger("api.access")

CORS_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
CORS_HEADERS = frozenset({"authorization", "content-type", "if-none-match", "accept"})
EXPOSED_HEADERS = "ETag, Location, Retry-After"


class SecurityHeaders:
    def process_response(self, req, resp, resource, req_succeeded) -> None:
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Referrer-Policy", "no-referrer")


class AccessLog:
    """One line per request: method, path (no query string, no headers), status, latency."""

    def process_request(self, req, resp) -> None:
        req.context.started = time.perf_counter()

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        started = getattr(req.context, "started", None)
        elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        access_log.info("%s %s %d %.1fms", req.method, req.path, resp.status_code, elapsed)


class RequestMetrics:
    """Counts and times every request by its route template (api/metrics.py), whatever answered it:
    a responder, an error handler, another middleware (a 304, a preflight, a 401)."""

    def __init__(self, metrics) -> None:
        self.metrics = metrics

    def process_request(self, req, resp) -> None:
        req.context.metrics_started = time.perf_counter()
        self.metrics.in_progress.inc()

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        started = req.context.get("metrics_started")
        if started is None:
            return
        self.metrics.in_progress.dec()
        # uri_template: `/v1/articles/{article_id}`, not the id a client sent; None when unrouted.
        # search_cut: set where a search is answered partial or refused for running out of time.
        self.metrics.observe(req.method, req.uri_template, resp.status_code, time.perf_counter() - started,
                             req.context.get("search_cut"))


class CORS:
    """Cross-origin access for the configured origins only; preflights answered here.

    Credentials are never allowed: keys travel in the Authorization header, not cookies.
    """

    def __init__(self, origins: tuple[str, ...]) -> None:
        self.origins = frozenset(origins)

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not self.origins:
            return
        origin = req.get_header("Origin")
        if req.method != "OPTIONS" or origin is None or not req.get_header("Access-Control-Request-Method"):
            return
        if origin not in self.origins:
            raise Problem(403, "Origin not allowed", "This origin may not call the API from a browser.", slug="cors")
        requested = req.get_header("Access-Control-Request-Headers") or ""
        allowed = [h.strip() for h in requested.split(",") if h.strip().lower() in CORS_HEADERS]
        resp.status = falcon.HTTP_204
        resp.set_header("Access-Control-Allow-Origin", origin)
        resp.set_header("Access-Control-Allow-Methods", CORS_METHODS)
        if allowed:
            resp.set_header("Access-Control-Allow-Headers", ", ".join(allowed))
        resp.set_header("Access-Control-Max-Age", "600")
        resp.complete = True  # answered: skip routing and responders

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        if not self.origins:
            return
        # Every response may differ by Origin (Access-Control-Allow-Origin, a preflight's 403): say
        # so on all of them, errors and 304s included, whatever Vary a responder set itself.
        add_vary(resp, "Origin")
        origin = req.get_header("Origin")
        if origin is not None and origin in self.origins:
            resp.set_header("Access-Control-Allow-Origin", origin)
            resp.set_header("Access-Control-Expose-Headers", EXPOSED_HEADERS)


def add_vary(resp: falcon.Response, name: str) -> None:
    """Add `name` to the response's Vary header once, keeping what is there."""
    present = [v.strip() for v in (resp.get_header("Vary") or "").split(",") if v.strip()]
    if name.lower() not in {v.lower() for v in present}:
        resp.set_header("Vary", ", ".join([*present, name]))


class ConditionalGet:
    """ETag and Cache-Control on reads of resources marked `cacheable`; 304 on a matching If-None-Match.

    The tag is weak (the body carries `took_ms`, which varies) and derives from the index
    generation plus the request's path and query, so any commit or rebuild changes every tag.
    If-None-Match is evaluated after the responder, and only on a 200 (RFC 9110 13.2.1: a
    precondition applies to a resource that exists and a request that is otherwise valid): a
    missing article stays a 404 and bad parameters a 400, even with `If-None-Match: *`. A
    revalidation costs the work of the request, not its transfer. Responses are `private` when
    reads need a key or the request carries a scoped key (KeyAuth runs first), else `public`.
    """

    def __init__(self, engine, max_age: int = 0, private: bool = False) -> None:
        self.engine = engine
        self.max_age = max_age
        self.private = private

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params) -> None:
        if req.method not in ("GET", "HEAD") or not getattr(resource, "cacheable", False):
            return
        # The credentials take part (the header here, `?key=` in the query string): a scoped key
        # sees other results than an open read of the same URL.
        key = f"{self.engine.generation()}\x00{req.path}\x00{req.query_string}\x00{req.get_header('Authorization') or ''}"
        tag = 'W/"' + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:24] + '"'
        private = self.private or getattr(req.context, "scope", None) is not None
        resp.set_header("ETag", tag)
        resp.set_header("Cache-Control", f"{'private' if private else 'public'}, max-age={self.max_age}, must-revalidate")
        req.context.etag = tag

    def process_response(self, req, resp, resource, req_succeeded) -> None:
        tag = req.context.get("etag")
        if tag is not None and resp.status_code == 200 and req_succeeded and etag_matches(req.get_header("If-None-Match"), tag):
            resp.status = falcon.HTTP_304
            resp.data = None
            resp.text = None
            resp.content_type = None
        if resp.status_code not in (200, 304):
            resp.delete_header("ETag")
        if resp.get_header("Cache-Control") is None:
            resp.set_header("Cache-Control", "no-store")


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(header: str | None, *tags: str) -> bool:
    """Whether If-None-Match names any of `tags`, by the weak comparison (RFC 9110 13.1.2)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    ours = {_opaque(tag) for tag in tags}
    return any(_opaque(candidate) in ours for candidate in header.split(","))
