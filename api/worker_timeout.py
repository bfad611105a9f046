"""A request that outruns gunicorn's timeout still gets a problem+json answer.

The search budget (NEWSEARCH_SEARCH_TIMEOUT, a few seconds) is what keeps a request well inside
gunicorn's `timeout` (NEWSEARCH_TIMEOUT, 30 s). This is the net under it, for whatever else runs
too long. Two ways a worker ends up stopped:

- gunicorn's master sends SIGABRT to a worker whose main loop stopped reporting for `timeout`
  seconds; the worker runs the `worker_abort` hook and exits, and gunicorn would then write its own
  HTML "500 Internal Server Error" to the client;
- with threaded workers (gthread, api/gunicorn.conf.py) the main loop keeps reporting while a
  request thread is stuck, so the master never stops it: `watch` (a thread started by
  `post_worker_init`) notices a request older than `timeout`, answers, and ends the worker
  (`os._exit`: a Python thread cannot be stopped), which the master replaces.

Either way:

- `InFlight` wraps the WSGI app (api/gunicorn.conf.py's `post_worker_init`) and remembers the
  client socket and start of each request the worker's threads are computing (until the app
  returns its body);
- `answer_killed` writes a 503 problem+json with `Retry-After` to every one of those sockets and
  shuts them for writing, so gunicorn's HTML page cannot follow.

A worker stuck inside one C call never runs the hook: the master kills it with SIGKILL and the
client sees the connection close. A buffering proxy in front answers those (502/504).
"""
from __future__ import annotations

import json
import os
import socket
import threading
import time

from .problems import PROBLEM_JSON, problem_document

RETRY_AFTER = 5


class InFlight:
    """A WSGI app that records, per thread, the client socket (gunicorn's `gunicorn.socket` in the
    environ) and start of the request being computed, until the app returns its body."""

    def __init__(self, app, clock=time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.requests: dict[int, tuple[object, float]] = {}  # thread id -> (socket, started)

    def __call__(self, environ, start_response):
        thread = threading.get_ident()
        self.requests[thread] = (environ.get("gunicorn.socket"), self.clock())
        try:
            return self.app(environ, start_response)
        finally:
            self.requests.pop(thread, None)

    @property
    def socket(self):
        """The socket of one request in flight (a sync worker has at most one), or None."""
        for client, _ in list(self.requests.values()):
            return client
        return None

    def oldest(self) -> float | None:
        """Seconds the longest request in flight has run, or None when there is none."""
        starts = [started for _, started in list(self.requests.values())]
        return self.clock() - min(starts) if starts else None

    def take(self) -> list:
        """The sockets of every request in flight, forgotten here (each is answered once)."""
        taken = [client for client, _ in list(self.requests.values()) if client is not None]
        self.requests.clear()
        return taken


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
    """Answer every request `inflight` is computing with a 503 problem; whether there was one."""
    if inflight is None:
        return False
    answered = False
    for client in inflight.take():
        try:
            client.settimeout(1.0)  # a client that does not read cannot hold the dying worker
            client.sendall(killed_response(seconds))
            client.shutdown(socket.SHUT_WR)  # gunicorn's own error page now fails to send
            answered = True
        except OSError:
            pass
    return answered


def watch(worker, inflight: InFlight, seconds: int, every: float = 0.5) -> threading.Thread:
    """For threaded workers: a daemon thread that, once a request has run past `seconds`, answers
    every request in flight with a 503 problem and ends the worker for the master to replace."""

    def run() -> None:
        while worker.alive:
            time.sleep(every)
            age = inflight.oldest()
            if age is not None and age > seconds:
                answered = answer_killed(inflight, seconds)
                worker.log.warning("worker %s ran past the %s s timeout: %s", worker.pid, seconds,
                                   "answered 503" if answered else "no client to answer")
                os._exit(1)  # a stuck thread cannot be stopped; the master starts a new worker

    thread = threading.Thread(target=run, name="newsearch-timeout-watch", daemon=True)
    thread.start()
    return thread
