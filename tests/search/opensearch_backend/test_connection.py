"""Our cluster URL, read without a client (no server needed)."""
import subprocess
import sys

import pytest

from search import settings
from search.engine import open_engine, shown_location
from search.opensearch_backend.connection import ClientOptions, Target, client_kwargs, parse_url


def test_a_url_is_split_into_the_cluster_and_the_alias():
    target = parse_url("opensearch+https://user:p%40ss@search.example:9243/news")
    assert (target.scheme, target.host, target.port, target.alias) == ("https", "search.example", 9243, "news")
    assert (target.username, target.password) == ("user", "p@ss")
    assert "p@ss" not in repr(target) and "p%40ss" not in target.shown
    assert target.shown == "opensearch+https://search.example:9243/news"


def test_defaults_and_forms():
    assert parse_url("opensearch+http://localhost/news").port == 9200
    assert parse_url("OPENSEARCH+HTTPS://h:1/a.b-c_d/").alias == "a.b-c_d"
    assert parse_url("opensearch+http://[::1]:9200/news").host == "[::1]"
    assert parse_url("opensearch+http://h:9200/news").username is None


@pytest.mark.parametrize("url, says", [
    ("opensearch+https://host:9200", "names the index alias"),
    ("opensearch+https://host:9200/", "names the index alias"),
    ("opensearch+https://host:9200/News", "is not an index alias"),
    ("opensearch+https://host:9200/news/more", "is not an index alias"),
    ("opensearch+https://host:9200/_news", "is not an index alias"),
    ("opensearch+https://host:9200/news?x=1", "no query"),
    ("opensearch+https://host:port/news", "not an OpenSearch URL"),
    ("https://host:9200/news", r"starts with opensearch\+https://"),
    ("opensearch+https:///news", "names a host"),
])
def test_a_bad_url_says_what_is_wrong(url, says):
    with pytest.raises(ValueError, match=says):
        parse_url(url)


def test_no_path_ever_reaches_the_client():
    # opensearch-py takes a host URL's path as a url_prefix for every request (groundwork §4.2).
    kwargs = client_kwargs(parse_url("opensearch+https://u:pw@h:9200/news"), ClientOptions(request_timeout=3, retries=2))
    assert kwargs["hosts"] == [{"host": "h", "port": 9200, "scheme": "https"}]
    assert kwargs["http_auth"] == ("u", "pw")
    assert (kwargs["timeout"], kwargs["max_retries"], kwargs["retry_on_timeout"]) == (3, 2, False)
    assert kwargs["use_ssl"] and kwargs["verify_certs"] and "ca_certs" not in kwargs
    tls = client_kwargs(Target("https", "h", 1, "a"), ClientOptions(verify=False, ca_bundle="/etc/ca.pem"))
    assert (tls["verify_certs"], tls["ca_certs"]) == (False, "/etc/ca.pem")
    assert "use_ssl" not in client_kwargs(Target("http", "h", 1, "a"), ClientOptions())


def test_the_client_is_built_as_configured():
    from search.opensearch_backend.connection import make_client

    client = make_client(parse_url("opensearch+http://h:9201/news"), ClientOptions(request_timeout=1.5))
    connection = client.transport.connection_pool.connections[0]
    assert (connection.host, connection.url_prefix, connection.timeout) == ("http://h:9201", "", 1.5)


def test_the_settings_refuse_a_bad_cluster_url_without_repeating_it():
    with pytest.raises(settings.SettingError, match="NEWSEARCH_BACKEND must be an opensearch") as refused:
        settings.value("NEWSEARCH_BACKEND", {"NEWSEARCH_BACKEND": "opensearch+https://u:secret@h:9200"})
    assert "secret" not in str(refused.value)
    assert settings.value("NEWSEARCH_OPENSEARCH_SHARDS", {}) == 1
    assert settings.value("NEWSEARCH_OPENSEARCH_VERIFY", {"NEWSEARCH_OPENSEARCH_VERIFY": "off"}) is False


def test_opening_a_cluster_connects_to_nothing_and_takes_the_tables_settings(monkeypatch):
    monkeypatch.setenv("NEWSEARCH_OPENSEARCH_SHARDS", "3")
    monkeypatch.setenv("NEWSEARCH_OPENSEARCH_TIMEOUT", "0.7")
    engine = open_engine("opensearch+https://u:secret@nowhere.invalid:9200/news", lock_timeout=2, search_timeout=1)
    assert (engine.shards, engine.replicas, engine.options.request_timeout) == (3, 1, 0.7)
    assert engine._client is None  # lazily: nothing is asked before the first use
    assert shown_location("opensearch+https://u:secret@h:9200/news") == "h:9200/news"
    with pytest.raises(ValueError, match="names the index alias") as refused:
        open_engine("opensearch+https://u:secret@h:9200")
    assert "secret" not in str(refused.value)


def test_the_whoosh_path_never_imports_the_client(tmp_path):
    code = ("import sys; from search.engine import open_engine; from search.request import SearchRequest; "
            f"e = open_engine({str(tmp_path / 'ix')!r}); e.add([]); "
            "assert 'opensearchpy' not in sys.modules, 'imported'; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_the_test_cluster_url_is_a_base_for_aliases():
    from tests.opensearch_server import _as_location, unique_location

    assert _as_location("https://u:p@os.example:9200/news/") == "opensearch+https://u:p@os.example:9200"
    assert _as_location("opensearch+http://127.0.0.1:9299") == "opensearch+http://127.0.0.1:9299"
    first, second = unique_location("opensearch+http://h:1"), unique_location("opensearch+http://h:1")
    assert first != second and parse_url(first).alias.startswith("t-")
