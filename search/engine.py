"""Open the backend a location names: everything a caller can do, with no HTTP in it.

    >>> from search.engine import open_engine
    >>> from search.request import SearchRequest
    >>> engine = open_engine("data/index")
    >>> engine.search(SearchRequest(q="police", filters={"source": ["KCTV"]})).total

A path is a Whoosh index directory (the embedded default); an `opensearch+https://host:9200/alias`
URL names an OpenSearch cluster.
"""
from __future__ import annotations

import os

from .backend import SearchBackend
from .fields import FIELDS, Fields

OPENSEARCH_SCHEMES = ("opensearch+http://", "opensearch+https://")


def is_cluster(location: str | os.PathLike) -> bool:
    return isinstance(location, str) and location.lower().startswith(OPENSEARCH_SCHEMES)


def shown_location(location: str | os.PathLike) -> str:
    """A location as messages may show it: a directory made absolute, a cluster URL without its
    credentials (user:password@ is dropped)."""
    return location.split("@")[-1] if is_cluster(location) else os.path.abspath(location)


def open_engine(location: str | os.PathLike, *, fields: Fields = FIELDS, **options) -> SearchBackend:
    """The backend for `location`. `options` are the backend's own tuning (for Whoosh: see
    search.whoosh_backend.WhooshBackend); the engine opens its index lazily, on first use."""
    if is_cluster(location):
        return _open_cluster(str(location), fields, options)
    from .whoosh_backend import WhooshBackend

    return WhooshBackend(location, fields=fields, **options)


def _open_cluster(location: str, fields: Fields, options: dict) -> SearchBackend:
    """The OpenSearch backend (imported only now: the Whoosh path never loads opensearch-py), with
    the cluster settings of the table (search/settings.py) unless `options` name them."""
    from .opensearch_backend import OpenSearchBackend
    from .settings import values

    env = values("opensearch")
    tuned = {
        "shards": env["NEWSEARCH_OPENSEARCH_SHARDS"],
        "replicas": env["NEWSEARCH_OPENSEARCH_REPLICAS"],
        "request_timeout": env["NEWSEARCH_OPENSEARCH_TIMEOUT"],
        "retries": env["NEWSEARCH_OPENSEARCH_RETRIES"],
        "verify": env["NEWSEARCH_OPENSEARCH_VERIFY"],
        "ca_bundle": env["NEWSEARCH_OPENSEARCH_CA_BUNDLE"],
    }
    tuned.update(options)
    try:
        return OpenSearchBackend(location, fields=fields, **tuned)
    except ValueError as error:  # the URL: say what is wrong with it, without its credentials
        raise ValueError(f"{shown_location(location)}: {error}") from None
