"""The Whoosh backend: an index directory on this machine (the embedded default).

Only this package imports Whoosh. `WhooshBackend` implements search.backend.SearchBackend; the
modules here: schema (the Whoosh schema built from search.fields), store (generations of the index
on disk and the write lock), writer (the bulk writer), compile (our query representation to Whoosh
queries), columns (facet and date columns as numpy arrays), matching (match sets as masks),
searching (ranking, paging, facets, highlights), suggest (completion, did you mean), ranking (BM25).
"""
from .backend import WhooshBackend

__all__ = ["WhooshBackend"]
