"""A worker that gunicorn kills for running past its timeout still answers problem+json.

The search budget (NEWSEARCH_SEARCH_TIMEOUT, a few seconds) is what keeps a request well inside
gunicorn's `timeout` (NEWSEARCH_TIMEOUT, 30 s). This is the net under it, for whatever else runs
too long: gunicorn's master sends SIGABRT to a worker stuck past its timeout, the worker runs the
`worker_abort` hook and exits, and gunicorn would then write its own HTML "500 Internal Server
Error" to the client. Instead:

- `InFlight` wraps the WSGI app (api/gunicorn.conf.py's `post_worker_init`) and remembers the
  client sockets of the requests the worker is computing (one per thread, until the app returns
  its body);
- `answer_killed` (the `worker_abort` hook) writes a 503 problem+json with `Retry-After` to each
  and shuts it for writing, so gunicorn's HTML page (or a bare reset) cannot follow.

With threaded workers (gthread) the master's heartbeat comes from the worker's main thread, so a
long request alone never gets its worker killed; the hook still answers whatever was in flight
when a worker is aborted.

A worker stuck inside one C call never runs the hook: the master kills it with SIGKILL and the
client sees the connection close. A buffering proxy in front answers those (502/504).
"""
from __future__ import annotations

import json
import socket
import threading

from .problems import PROBLEM_JSON, problem_document

RETRY_AFTER = 5


class InFlight:
    """A WSGI app that records the client sockets of the requests being computed (gunicorn's
    `gunicorn.socket` in the environ), by thread; a request leaves once its body is returned."""

    def __init__(self, app) -> None:
        self.app = app
        self.sockets: dict[int, object] = {}

    def __call__(self, environ, start_response):
        me = threading.get_ident()
        self.sockets[me] = environ.get("gunicorn.socket")
        try:
            return self.app(environ, start_response)
        finally:
            self.sockets.pop(me, None)


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


def answer_killed(inflight: InFlight | None, seconds: int | None = None) -> int:
    """Answer the requests `inflight` is computing with a 503 problem; how many there were."""
    if inflight is None:
        return 0
    answered = 0
    for client in list(inflight.sockets.values()):
        if client is None:
            continue
        try:
            client.settimeout(1.0)  # a client that does not read cannot hold the dying worker
            client.sendall(killed_response(seconds))
            client.shutdown(socket.SHUT_WR)  # gunicorn's own error page now fails to send
            answered += 1
        except OSError:
            pass
    inflight.sockets.clear()
    return answered
