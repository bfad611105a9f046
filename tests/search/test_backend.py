"""Each backend is a SearchBackend: every method of the protocol, with the protocol's parameters, so a
caller written against search/backend.py runs on it unchanged."""
from __future__ import annotations

import inspect
import socket
import sys

import pytest

from search.backend import SearchBackend, WriteOptions, Writer
from search.engine import open_engine
from search.errors import BackendUnavailable
from search.request import SearchRequest
from search.opensearch_backend import OpenSearchBackend
from search.opensearch_backend.writer import BulkWriter as ClusterWriter
from search.whoosh_backend import WhooshBackend
from search.whoosh_backend.writer import BulkWriter

CLASSES = {"whoosh": (WhooshBackend, BulkWriter), "opensearch": (OpenSearchBackend, ClusterWriter)}


def protocol_methods(protocol) -> list[str]:
    return [name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_")]


def parameters(function) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_each_backend_implements_the_protocol(engines, backend):
    engine = engines.open()
    assert isinstance(engine, CLASSES[backend][0]) and isinstance(engine, SearchBackend)
    for name in protocol_methods(SearchBackend):
        assert parameters(getattr(type(engine), name)) == parameters(getattr(SearchBackend, name)), name


def test_its_writer_implements_the_writer_protocol(engines, backend):
    for name in protocol_methods(Writer):
        ours, theirs = parameters(getattr(CLASSES[backend][1], name)), parameters(getattr(Writer, name))
        assert ours[: len(theirs)] == theirs, name  # extra parameters only with defaults
        assert all(default is not inspect.Parameter.empty for _, default in ours[len(theirs):]), name
    with engines.open().writer(WriteOptions()) as writer:
        assert isinstance(writer, Writer) and isinstance(writer, CLASSES[backend][1])
    assert writer.report.committed


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_cluster_location_is_never_taken_for_a_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = open_engine(f"opensearch+http://user:secret@127.0.0.1:{closed_port()}/news")
    assert isinstance(engine, OpenSearchBackend)
    with pytest.raises(BackendUnavailable, match="127.0.0.1"):
        engine.search(SearchRequest(q="council"))
    assert not engine.is_ready()
    assert list(tmp_path.iterdir()) == []


def test_the_password_of_a_cluster_location_is_never_repeated():
    engine = open_engine(f"opensearch+http://user:secret@127.0.0.1:{closed_port()}/news")
    with pytest.raises(BackendUnavailable) as error:
        engine.search(SearchRequest(q="council"))
    assert "secret" not in str(error.value) and "secret" not in repr(engine)


def test_the_whoosh_path_never_imports_the_opensearch_client(tmp_path):
    import subprocess

    code = ("import sys; from search.article import Article; from search.engine import open_engine; "
            "from search.request import SearchRequest; "
            f"e = open_engine({str(tmp_path / 'index')!r}); e.add(Article(id='a', title='t', body='b')); "
            "e.search(SearchRequest()); "
            "print(sorted(m for m in sys.modules if m.startswith(('opensearchpy', 'grpc', 'google.protobuf'))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
