"""A worker that gunicorn kills for running past its timeout still answers problem+json.

The search budget (NEWSEARCH_SEARCH_TIMEOUT, a few seconds) is what keeps a request well inside
gunicorn's `timeout` (NEWSEARCH_TIMEOUT, 30 s). This is the net under it, for whatever else runs
too long: gunicorn's master sends SIGABRT to a worker stuck past its timeout, the worker runs the
`worker_abort` hook and exits, and gunicorn would then write its own HTML "500 Internal Server
Error" to the client. Instead:

- `InFlight` wraps the WSGI app (api/gunicorn.conf.py's `post_worker_init`) and remembers the
  client socket of the request the worker is computing (until the app returns its body);
- `answer_killed` (the `worker_abort` hook) writes a 503 problem+json with `Retry-After` to that
  socket and shuts it for writing, so gunicorn's HTML page cannot follow.

A worker stuck inside one C call never runs the hook: the master kills it with SIGKILL and the
client sees the connection close. A buffering proxy in front answers those (502/504).
"""
from __future__ import annotations

import json
import socket

from .problems import PROBLEM_JSON, problem_document

RETRY_AFTER = 5


class InFlight:
    """A WSGI app that records the client socket of the request being computed (gunicorn's
    `gunicorn.socket` in the environ); None between requests and once the body is returned."""

    def __init__(self, app) -> None:
        self.app = app
        self.socket = None

    def __call__(self, environ, start_response):
        self.socket = environ.get("gunicorn.socket")
        try:
            return self.app(environ, start_response)
        finally:
            self.socket = None


def killed_response(seconds: int | None = None) -> bytes:
    """The whole HTTP response a killed worker sends: 503 problem+json, Retry-After, no caching."""
    detail = "The server stopped this request because it ran too long"
    detail += f" (over {seconds} s); retry shortly." if seconds else "; retry shortly."
    body = json.dumps(problem_document(503, "Request took too long", detail, "worker-timeout", {})).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Retry-After: {RETRY_AFTER}\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def answer_killed(inflight: InFlight | None, seconds: int | None = None) -> bool:
    """Answer the request `inflight` is computing with a 503 problem; whether there was one."""
    client = inflight.socket if inflight is not None else None
    if client is None:
        return False
    inflight.socket = None
    try:
        client.settimeout(1.0)  # a client that does not read cannot hold the dying worker
        client.sendall(killed_response(seconds))
        client.shutdown(socket.SHUT_WR)  # gunicorn's own error page now fails to send
    except OSError:
        return False
    return True
