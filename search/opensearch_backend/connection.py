"""Where a cluster is and how to talk to it: our `opensearch+https://user:pw@host:9200/alias` URL
read into the client's arguments and the alias, the client built with a bounded time budget, and
every error the client raises mapped to one of search/errors.py.

The URL is split here, never handed to the client whole: opensearch-py takes a path in a host URL
as a `url_prefix` for every request, so `/news` would be sent as `/news/_search`'s prefix instead
of naming the index (docs/opensearch/groundwork.md §4). opensearch-py is imported only when a
client is built, so the Whoosh path never imports it.
"""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from ..errors import ArticleNotFound, BackendUnavailable, IndexMissing, SearchError

log = logging.getLogger(__name__)

SCHEMES = {"opensearch+http": "http", "opensearch+https": "https"}
# An alias is an index name: lowercase, no leading _ - +, none of \ / * ? " < > | , # : or space.
_ALIAS = re.compile(r"[a-z0-9][a-z0-9_.-]{0,200}")
DEFAULT_PORT = 9200


@dataclass(frozen=True)
class Target:
    """A cluster and the alias naming the index in it."""

    scheme: str  # http or https
    host: str
    port: int
    alias: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def shown(self) -> str:
        """The location as messages may show it: no credentials."""
        return f"opensearch+{self.scheme}://{self.host}:{self.port}/{self.alias}"


def parse_url(url: str) -> Target:
    """`opensearch+http(s)://[user:password@]host[:port]/alias` -> Target; ValueError naming what is wrong."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise ValueError(f"not an OpenSearch URL ({error})") from None
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise ValueError("an OpenSearch URL starts with opensearch+https:// (or opensearch+http://)")
    if not parts.hostname:
        raise ValueError("an OpenSearch URL names a host: opensearch+https://host:9200/alias")
    if parts.query or parts.fragment:
        raise ValueError("an OpenSearch URL has no query or fragment")
    alias = parts.path.strip("/")
    if not alias:
        raise ValueError("an OpenSearch URL names the index alias as its path: opensearch+https://host:9200/news")
    if not _ALIAS.fullmatch(alias):
        raise ValueError(f"{alias!r} is not an index alias (lowercase letters, digits, _ . -; one path segment)")
    host = parts.hostname
    if ":" in host:  # an IPv6 address: the client wants it bracketed
        host = f"[{host}]"
    return Target(scheme, host, port or DEFAULT_PORT, alias,
                  unquote(parts.username) if parts.username is not None else None,
                  unquote(parts.password) if parts.password is not None else None)


@dataclass(frozen=True)
class ClientOptions:
    """The client's budget and TLS: the settings table's NEWSEARCH_OPENSEARCH_* values."""

    request_timeout: float = 5.0  # seconds per request attempt
    retries: int = 1  # further attempts after a connection error or a 502/503/504
    verify: bool = True  # check the cluster's certificate (https)
    ca_bundle: str | None = None  # a CA file to check it with (None: the system's, via certifi)


def client_kwargs(target: Target, options: ClientOptions) -> dict:
    """The arguments of opensearchpy.OpenSearch for `target` (no path ever: see the module doc)."""
    kwargs: dict = {
        "hosts": [{"host": target.host.strip("[]"), "port": target.port, "scheme": target.scheme}],
        "timeout": options.request_timeout,
        "max_retries": options.retries,
        "retry_on_timeout": False,  # a hung cluster costs one timeout, not (retries + 1) of them
        "http_compress": True,
        "pool_maxsize": 32,  # a gunicorn worker's threads (NEWSEARCH_THREADS) share one client
    }
    if target.username is not None:
        kwargs["http_auth"] = (target.username, target.password or "")
    if target.scheme == "https":
        kwargs.update(use_ssl=True, verify_certs=options.verify, ssl_show_warn=options.verify)
        if options.ca_bundle:
            kwargs["ca_certs"] = options.ca_bundle
    return kwargs


def make_client(target: Target, options: ClientOptions):
    from opensearchpy import OpenSearch  # lazily: ~190 ms of imports the Whoosh path never pays

    return OpenSearch(**client_kwargs(target, options))


# -- errors ---------------------------------------------------------------------------------------
class BackendError(SearchError):
    """The cluster refused a request we built (a bug on our side, or a mapping the cluster will not
    take): not the caller's fault, and not a reason to retry."""


def _error_type(error) -> str:
    info = getattr(error, "info", None)
    if isinstance(info, dict):
        inner = info.get("error")
        if isinstance(inner, dict):
            return str(inner.get("type") or "")
    return str(getattr(error, "error", "") or "")


def translate(error: Exception, where: str, article_id: str | None = None) -> SearchError:
    """The search/errors.py error for an opensearch-py exception (see docs/opensearch/groundwork.md §4)."""
    from opensearchpy import exceptions as ox

    if isinstance(error, (ox.ConnectionError, ox.ConnectionTimeout, ox.SSLError)):  # refused, DNS, TLS, timeout
        return BackendUnavailable(f"the OpenSearch cluster at {where} cannot be reached: {type(error).__name__}")
    if isinstance(error, (ox.AuthenticationException, ox.AuthorizationException)):
        log.error("the OpenSearch cluster at %s refused our credentials: %s", where, error)
        return BackendUnavailable(f"the OpenSearch cluster at {where} refused our credentials")
    if isinstance(error, ox.NotFoundError):
        if _error_type(error) == "index_not_found_exception" or article_id is None:
            return IndexMissing(f"no index at {where}")
        return ArticleNotFound(article_id)
    if isinstance(error, ox.TransportError):
        status = error.status_code
        if status in (408, 429) or (isinstance(status, int) and status >= 500) or not isinstance(status, int):
            return BackendUnavailable(f"the OpenSearch cluster at {where} cannot answer now ({status})")
        log.error("OpenSearch refused a request at %s: %s", where, error)
        return BackendError(f"OpenSearch refused a request ({status} {_error_type(error)})")
    if isinstance(error, ox.OpenSearchException):  # serialization, improperly configured...
        return BackendError(f"OpenSearch client error: {error}")
    raise TypeError(f"not an OpenSearch error: {error!r}")


@contextmanager
def mapped_errors(where: str, article_id: str | None = None):
    """Run a block of client calls: whatever opensearch-py raises leaves as a search/errors.py error."""
    from opensearchpy.exceptions import OpenSearchException

    try:
        yield
    except OpenSearchException as error:
        raise translate(error, where, article_id) from error
