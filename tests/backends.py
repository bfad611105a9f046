"""The backends the contract suite runs on, each test on an index of its own.

`whoosh`: an index directory under the test's temporary directory. `opensearch`: an alias of its own
(a fresh name per index) on the test server, osmem-server started on 127.0.0.1 or the real cluster
named by NEWSEARCH_TEST_OPENSEARCH_URL (tests/opensearch_server.py); its indexes are deleted at the
end. A test that uses the `backend` fixture (or a fixture built on it: seed_engine, fresh_engine,
engines, the API's client and writer) runs once per backend, unless it is marked `whoosh_only`
(tests/conftest.py).
"""
from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Iterator

from search.backend import SearchBackend, WriteOptions
from search.engine import open_engine
from tests.opensearch_server import drop_alias, unique_location

BACKENDS = ("whoosh", "opensearch")


class Engines:
    """Opens engines of one backend on fresh indexes; `close()` closes them and removes their indexes."""

    def __init__(self, kind: str, folder: Path, server_url: str | None = None) -> None:
        assert kind in BACKENDS, kind
        self.kind, self.folder, self.server_url = kind, Path(folder), server_url
        self._opened: list[SearchBackend] = []
        self._clusters: list[str] = []

    def location(self) -> str | Path:
        """A location no index is at yet."""
        if self.kind == "whoosh":
            return self.folder / f"index-{uuid.uuid4().hex[:8]}"
        location = unique_location(self.server_url, "newsearch-test")
        self._clusters.append(location)
        return location

    def open(self, location: str | Path | None = None, **options) -> SearchBackend:
        """An engine on `location` (a fresh one by default) whose reads see every write at once, made
        by any engine (refresh_interval=0: both backends' knob); other options are the backend's own."""
        location = self.location() if location is None else location
        options.setdefault("refresh_interval", 0)
        engine = open_engine(location, **options)
        self._opened.append(engine)
        return engine

    def copy(self, source: SearchBackend, location: str | Path | None = None, **options) -> SearchBackend:
        """A new index (at `location`, else a fresh one) holding every article of `source` as stored
        (checksums, origins, entity mentions) and its archive knowledge (write_meta): what
        tests.indexes.copy_index does for a Whoosh directory, through the protocol, for any backend."""
        engine = self.open(location, **options)
        with engine.writer(WriteOptions()) as writer:
            for row in source.scan(["id"]):
                writer.add(source.get(row["id"]))
        from indexer.archive import META_NAME

        meta = source.read_meta(META_NAME)
        if meta is not None:
            engine.write_meta(META_NAME, meta)
        return engine

    def close(self) -> None:
        for engine in self._opened:
            engine.close()
        for location in self._clusters:  # each alias's indexes, through a backend of its own
            drop_alias(open_engine(location))


@contextlib.contextmanager
def engines_for(kind: str, request, folder: Path) -> Iterator[Engines]:
    """Engines of `kind`, starting the test server (the `opensearch_url` fixture) only for OpenSearch."""
    server = request.getfixturevalue("opensearch_url") if kind == "opensearch" else None
    engines = Engines(kind, folder, server)
    try:
        yield engines
    finally:
        engines.close()
