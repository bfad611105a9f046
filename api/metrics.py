"""GET /metrics: what an operator graphs and alerts on, in Prometheus's text format (prometheus_client).

    newsearch_http_requests_total{method, route, status}       counter
    newsearch_http_request_duration_seconds{method, route}     histogram
    newsearch_http_requests_in_progress                        gauge (summed over the workers)
    newsearch_search_timeouts_total{route, outcome}            counter: partial | unanswered
    newsearch_index_up, _documents, _commits, _last_commit_timestamp_seconds, _pending_writes   gauges

`route` is the route's template (`/v1/articles/{article_id}`), never the path a client sent, so
article ids cannot multiply the series; `(none)` for unknown paths and requests answered before
routing (CORS preflights). A method outside HTTP's usual ones is counted as `other`.

Under gunicorn the request metrics are prometheus_client's multiprocess mode: each worker writes its
counts to files in PROMETHEUS_MULTIPROC_DIR (a fresh directory api/gunicorn.conf.py makes for each
server start), and whichever worker answers a scrape sums them all. The index gauges are read from
the engine when scraped (every worker sees the same index), so they are never stale or summed.
Without that variable (the Falcon test client, a single process) the app's own registry answers.
"""
from __future__ import annotations

from typing import Iterator

import falcon
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess, values
from prometheus_client.core import GaugeMetricFamily, Metric

from search.backend import SearchBackend
from search.errors import BackendUnavailable, IndexMissing

from . import schemas
from .resources import Operation, load_query

# Seconds. Searches stop at NEWSEARCH_SEARCH_TIMEOUT (2 s by default); gunicorn kills a request at
# NEWSEARCH_TIMEOUT (30 s); a write with ?wait=true waits up to NEWSEARCH_WRITE_WAIT (5 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 30.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
NO_ROUTE = "(none)"
# Why a search ran out of its budget (search/whoosh_backend/budget.py): answered with the hits found
# in time (`timed_out: true`), or not at all (a 503 `search-timeout`).
PARTIAL, UNANSWERED = "partial", "unanswered"


def multiprocess_mode() -> bool:
    """Whether prometheus_client writes values to PROMETHEUS_MULTIPROC_DIR: decided when it was
    first imported, so this asks the library rather than the environment, which may have changed."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


class Metrics:
    """The app's metrics, and the text a scrape gets. One per app (create_app makes it)."""

    def __init__(self, engine: SearchBackend) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "newsearch_http_requests", "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"), registry=self.registry)
        self.latency = Histogram(
            "newsearch_http_request_duration_seconds", "Time to answer an HTTP request, by method and route template.",
            ("method", "route"), buckets=LATENCY_BUCKETS, registry=self.registry)
        self.in_progress = Gauge(
            "newsearch_http_requests_in_progress", "HTTP requests being answered now, over all workers.",
            multiprocess_mode="livesum", registry=self.registry)
        self.search_timeouts = Counter(
            "newsearch_search_timeouts",
            "Searches that ran out of their time budget (NEWSEARCH_SEARCH_TIMEOUT), by route template and "
            "outcome: partial (answered with timed_out: true) or unanswered (a 503).",
            ("route", "outcome"), registry=self.registry)
        self.index = IndexCollector(engine)
        self.registry.register(self.index)

    def observe(self, method: str, route: str | None, status: int, seconds: float, search_cut: str | None = None) -> None:
        """Count one answered request."""
        method = method if method in METHODS else "other"
        route = route or NO_ROUTE
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if search_cut is not None:
            self.search_timeouts.labels(route, search_cut).inc()

    def exposition(self) -> bytes:
        """Every metric in the text format: under gunicorn, all workers' counts summed."""
        if not multiprocess_mode():
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(self.index)
        return generate_latest(registry)


class IndexCollector:
    """The index's state, read from the engine when scraped (SearchBackend.status: cheap, and it
    never waits behind a running search)."""

    def __init__(self, engine: SearchBackend) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            status = self.engine.status()
        except (IndexMissing, BackendUnavailable):
            yield GaugeMetricFamily("newsearch_index_up", "1 when the index is open and answering, else 0.", value=0)
            return
        yield GaugeMetricFamily("newsearch_index_up", "1 when the index is open and answering, else 0.", value=1)
        yield GaugeMetricFamily("newsearch_index_documents", "Articles in the live index.", value=status.documents)
        yield GaugeMetricFamily(
            "newsearch_index_commits", "Commits to the live index (the generation's number); starts again after a rebuild.",
            value=status.commits)
        yield GaugeMetricFamily(
            "newsearch_index_pending_writes", "API writes accepted (durable in the journal) and not yet in the index.",
            value=status.pending_writes)
        if status.last_commit is not None:
            yield GaugeMetricFamily(
                "newsearch_index_last_commit_timestamp_seconds", "When the live index's last commit was made (Unix time).",
                value=status.last_commit.timestamp())


class MetricsResource:
    """GET /metrics, for Prometheus. Open like /health: read keys do not apply (NEWSEARCH_METRICS=off removes it)."""

    public = True

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.no_params = schemas.NoParams()

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        load_query(self.no_params, req)
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = self.metrics.exposition()

    on_head = on_get

    def operations(self) -> dict[str, Operation]:
        return {
            "get": Operation(
                "Request, latency, search-budget and index metrics in Prometheus's text format",
                {"type": "string", "description": "Prometheus's text exposition format."},
                media_type="text/plain",
                query=self.no_params,
                errors=(400,),
                tags=("service",),
            )
        }
