"""Every error a backend raises, whichever backend it is; the API maps each to an HTTP status and
the command line to a message. Nothing a backend library raises reaches a caller unmapped."""


class SearchError(Exception):
    """Base of the errors below."""


class ArticleNotFound(SearchError, KeyError):
    """No article with that id."""


class UnknownFacet(SearchError, ValueError):
    """A facet name the field declaration does not have."""


class IndexMissing(SearchError):
    """No index has been built at this location yet."""


class WriteLockTimeout(SearchError):
    """Another writer held the index for longer than the caller agreed to wait."""


class StorageFull(SearchError):
    """The disk (or quota) that holds the index has no room left: the write was not committed."""


class BackendUnavailable(SearchError):
    """The backend cannot be reached or cannot answer now (a cluster down, a timeout): retry later."""


class SearchTimeout(BackendUnavailable):
    """A search ran out of its time budget before it had any answer worth returning: retry later,
    or ask for less (fewer expansions, shorter phrases)."""

    def __init__(self, seconds: float | None = None) -> None:
        super().__init__(f"the search did not finish within {seconds:g} s" if seconds else "the search ran out of time")
        self.seconds = seconds


class OutOfScope(SearchError, PermissionError):
    """A request asks only for filter values that its base filters (a scoped key's) do not allow."""

    def __init__(self, name: str, values: list[str]) -> None:
        super().__init__(f"this key does not allow {name}={', '.join(values)}")
        self.name = name
        self.values = values
