"""The OpenSearch backend: an index alias on an OpenSearch cluster, for archives and traffic past one machine.

Only this package imports opensearch-py, and only when a backend is used (connection.py). Modules:
connection (our URL, the client, errors mapped to search/errors.py), mapping (the index layout from
search/fields.py), dsl (our query representation to the query DSL; facets, histogram, highlights),
writer (bulk writes, prune, the write lock, the rebuild's alias swap), backend (search.backend.SearchBackend).
`OpenSearchBackend` is imported on first use: reading a URL (search/settings.py) loads connection.py alone.
"""

__all__ = ["OpenSearchBackend"]


def __getattr__(name: str):
    if name == "OpenSearchBackend":
        from .backend import OpenSearchBackend

        return OpenSearchBackend
    raise AttributeError(name)
