"""Errors the engine raises; the API maps each to an HTTP status."""


class ArticleNotFound(KeyError):
    """No article with that id."""


class UnknownFacet(ValueError):
    """A facet name the schema does not declare."""
