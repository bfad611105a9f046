"""A cluster that is down, hung or overloaded: BackendUnavailable from the backend (the API's 503
with Retry-After), quickly and within the configured budget; never a 500. No real cluster needed:
a closed port, a socket that never answers and a tiny HTTP server are the clusters."""
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config
from search.errors import BackendUnavailable, IndexMissing
from search.opensearch_backend import OpenSearchBackend
from search.request import SearchRequest
from tests.search.opensearch_backend.corpus import CORPUS


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.fixture
def hung_port():
    """A socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


class Stub:
    """An HTTP server answering every request with one status (and counting the requests)."""

    def __init__(self, status: int) -> None:
        stub = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                stub.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                body = b'{"error":{"type":"stub","reason":"stub"},"status":%d}' % status
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub(request):
    server = Stub(request.param)
    yield server
    server.close()


def backend(port: int, **options) -> OpenSearchBackend:
    return OpenSearchBackend(f"opensearch+http://127.0.0.1:{port}/news", refresh_interval=0, **options)


def every_call(engine):
    yield lambda: engine.search(SearchRequest(q="strike"))
    yield lambda: engine.get("rail-1")
    yield engine.generation
    yield engine.stats
    yield engine.status
    yield lambda: engine.add(CORPUS[:1])
    yield lambda: engine.delete("rail-1")
    yield lambda: engine.completions("ra")
    yield lambda: engine.read_meta("registry")


def test_a_closed_port_is_unavailable_at_once():
    engine = backend(closed_port(), retries=1)
    for call in every_call(engine):
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="127.0.0.1"):
            call()
        assert time.monotonic() - started < 2
    assert engine.is_ready() is False  # not ready, rather than an error: /health says so


def test_a_cluster_that_never_answers_times_out_within_the_budget(hung_port):
    engine = backend(hung_port, request_timeout=0.3, retries=2)  # a timeout is not retried
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        engine.search(SearchRequest(q="strike"))
    assert 0.25 < time.monotonic() - started < 1.5


@pytest.mark.parametrize("stub", [503, 502, 429, 500, 401, 403], indirect=True)
def test_an_overloaded_or_refusing_cluster_is_unavailable(stub):
    engine = backend(stub.port, retries=1)
    for call in every_call(engine):
        with pytest.raises(BackendUnavailable):
            call()
    assert engine.is_ready() is False
    assert stub.requests >= 10


@pytest.mark.parametrize("stub", [503], indirect=True)
def test_a_503_is_retried_as_configured(stub):
    with pytest.raises(BackendUnavailable):
        backend(stub.port, retries=2).search(SearchRequest())
    assert stub.requests == 3


def test_a_missing_alias_is_index_missing(opensearch_url):
    from search.engine import open_engine
    from tests.opensearch_server import unique_location

    engine = open_engine(unique_location(opensearch_url))
    assert not engine.is_ready()
    for call in (lambda: engine.search(SearchRequest()), engine.generation, engine.stats, lambda: engine.get("x")):
        with pytest.raises(IndexMissing):
            call()
    assert engine.read_meta("registry") is None


@pytest.fixture
def down_api():
    engine = backend(closed_port())
    config = Config(backend=engine.target.shown, api_keys=("k" * 20,), metrics=False)
    return testing.TestClient(create_app(config, engine=engine))


@pytest.mark.parametrize("path", ["/v1/search?q=strike", "/v1/articles/rail-1", "/v1/stats", "/health",
                                  "/v1/suggest?q=ra", "/v1/facets/person", "/v1/articles/rail-1/similar",
                                  "/v1/search.atom?q=strike"])
def test_the_api_answers_503_with_retry_after_when_the_cluster_is_down(down_api, path):
    response = down_api.simulate_get(path)
    assert response.status_code == 503, response.text
    assert response.headers.get("Retry-After")
    assert response.headers["Content-Type"].startswith("application/problem+json")


def test_an_api_write_to_a_down_cluster_is_503(down_api):
    response = down_api.simulate_post("/v1/articles", json={"id": "x", "title": "T", "body": "B"},
                                      headers={"Authorization": "Bearer " + "k" * 20})
    assert response.status_code == 503 and response.headers.get("Retry-After")
    response = down_api.simulate_delete("/v1/articles/x", headers={"Authorization": "Bearer " + "k" * 20})
    assert response.status_code == 503 and response.headers.get("Retry-After")


def test_a_cluster_location_is_never_a_directory_and_its_password_never_repeated(tmp_path, monkeypatch):
    from search.engine import open_engine

    monkeypatch.chdir(tmp_path)
    engine = open_engine(f"opensearch+http://user:secret@127.0.0.1:{closed_port()}/news")
    with pytest.raises(BackendUnavailable, match="127.0.0.1") as error:
        engine.search(SearchRequest())
    assert "secret" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
