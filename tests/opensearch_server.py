"""The OpenSearch cluster the OpenSearch side of the suite runs against.

`opensearch_url` (session-scoped) yields the base URL of a cluster, `opensearch+http(s)://[user:pw@]host:port`
with no alias: a test appends its own alias (`unique_location`), so tests sharing one cluster never
see each other's indexes, and drops it at the end (`drop_alias`). The cluster is
NEWSEARCH_TEST_OPENSEARCH_URL when set (a real cluster: tests: a real cluster to run the OpenSearch
side of the suite against), else an osmem-server started here on 127.0.0.1 (an in-memory imitation
of OpenSearch shipped as a Python wheel; docs/opensearch/groundwork.md says what it does not
reproduce) and stopped at the end of the session. With neither, the tests using it are skipped,
saying why.

Register it in a conftest.py with `from tests.opensearch_server import opensearch_url  # noqa: F401`.
"""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from search.settings import value


def _as_location(url: str) -> str:
    """A cluster URL as the base of backend locations: opensearch+http(s)://[user:pw@]host:port, any path dropped
    (each test names its own alias)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if not scheme.startswith("opensearch+"):
        scheme = "opensearch+" + scheme
    return f"{scheme}://{parts.netloc}"


@pytest.fixture(scope="session")
def opensearch_url():
    configured = value("NEWSEARCH_TEST_OPENSEARCH_URL")
    if configured:
        yield _as_location(configured)
        return
    try:
        from osmem_server import OsmemServer
    except ImportError as error:  # no wheel for this platform (Intel macOS, musl): nothing to run against
        pytest.skip(f"no OpenSearch to test against: NEWSEARCH_TEST_OPENSEARCH_URL is unset and "
                    f"osmem-server cannot be imported ({error})")
    try:
        server = OsmemServer.start(freeze=False, japanese=False)
    except Exception as error:  # noqa: BLE001 - a binary that will not start here: skip, saying why
        pytest.skip(f"no OpenSearch to test against: NEWSEARCH_TEST_OPENSEARCH_URL is unset and "
                    f"osmem-server did not start ({error})")
    try:
        yield _as_location(server.url)
    finally:
        server.close()


def unique_location(base: str, prefix: str = "t") -> str:
    """A location with an alias no other test uses."""
    return f"{base}/{prefix}-{uuid.uuid4().hex[:12]}"


def drop_alias(backend) -> None:
    """Delete every index a test's backend made: the concrete ones behind its alias, its leftovers
    (an aborted rebuild's), and its meta index."""
    client = backend.client
    alias = backend.alias
    client.indices.delete(index=f"{alias}_v*", ignore_unavailable=True, allow_no_indices=True, expand_wildcards="all")
    client.indices.delete(index=backend.meta_index, ignore_unavailable=True)
    backend.close()
