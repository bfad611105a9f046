"""The Whoosh backend is a SearchBackend: every method of the protocol, with the protocol's
parameters, so a caller written against search/backend.py runs on it unchanged."""
from __future__ import annotations

import inspect

import pytest

from search.backend import SearchBackend, WriteOptions, Writer
from search.engine import open_engine
from search.errors import BackendUnavailable
from search.whoosh_backend import WhooshBackend
from search.whoosh_backend.writer import BulkWriter


def protocol_methods(protocol) -> list[str]:
    return [name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_")]


def parameters(function) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


def test_the_whoosh_backend_implements_the_protocol(tmp_path):
    backend = open_engine(tmp_path / "index")
    assert isinstance(backend, WhooshBackend) and isinstance(backend, SearchBackend)
    for name in protocol_methods(SearchBackend):
        assert parameters(getattr(WhooshBackend, name)) == parameters(getattr(SearchBackend, name)), name


def test_its_writer_implements_the_writer_protocol(tmp_path):
    for name in protocol_methods(Writer):
        ours, theirs = parameters(getattr(BulkWriter, name)), parameters(getattr(Writer, name))
        assert ours[: len(theirs)] == theirs, name  # extra parameters only with defaults
        assert all(default is not inspect.Parameter.empty for _, default in ours[len(theirs):]), name
    with open_engine(tmp_path / "index").writer(WriteOptions()) as writer:
        assert isinstance(writer, Writer)
    assert writer.report.committed


def test_a_cluster_location_is_never_taken_for_a_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(BackendUnavailable, match="search.internal"):
        open_engine("opensearch+https://user:secret@search.internal:9200/news")
    assert list(tmp_path.iterdir()) == []


def test_the_password_of_a_cluster_location_is_never_repeated():
    with pytest.raises(BackendUnavailable) as error:
        open_engine("opensearch+https://user:secret@search.internal:9200/news")
    assert "secret" not in str(error.value)
