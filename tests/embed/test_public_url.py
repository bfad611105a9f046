"""NEWSEARCH_PUBLIC_URL: the base of every absolute URL the API writes, so that a `Host` header a
client chose never reaches a body a cache keeps (cache poisoning of /opensearch.xml, the Atom feed)."""
from __future__ import annotations

import re

import pytest
from falcon import testing

from api.app import create_app
from api.config import Config, ConfigError

from .conftest import PUBLIC_URL, make_client

EVIL = "evil.example.net"
WRITE_KEY = "public-url-write-key-0123456789"
URL = re.compile(r"""(?:href|template|src)="([^"]+)\"""")


def _urls(body: str) -> list[str]:
    return URL.findall(body)


@pytest.mark.parametrize("path", ["/opensearch.xml", "/v1/search.atom?q=council", "/v1/search.atom?q=council&page=2&per_page=1", "/embed?q=council"])
def test_the_host_header_never_reaches_a_body(public_client, path):
    response = public_client.simulate_get(path, headers={"Host": EVIL, "X-Forwarded-Host": EVIL})
    assert response.status_code == 200
    assert EVIL not in response.text
    urls = [u for u in _urls(response.text) if "://" in u]
    assert urls and all(u.startswith(PUBLIC_URL + "/") for u in urls if "news.example.org" not in u), urls


def test_with_a_public_url_the_description_is_shared_cacheable(public_client):
    response = public_client.simulate_get("/opensearch.xml", headers={"Host": EVIL})
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.text.count(f'template="{PUBLIC_URL}/') == 4
    other_host = public_client.simulate_get("/opensearch.xml", headers={"Host": "other.example.com"})
    assert other_host.content == response.content and other_host.headers["etag"] == response.headers["etag"]


def test_the_embed_page_loads_its_script_from_the_public_url(public_client):
    page = public_client.simulate_get("/embed").text
    assert f'src="{PUBLIC_URL}/widget.js?v=' in page and f'href="{PUBLIC_URL}/opensearch.xml"' in page


@pytest.mark.parametrize("path", ["/opensearch.xml", "/v1/search.atom?q=council"])
def test_without_a_public_url_host_derived_bodies_are_private(client, path):
    response = client.simulate_get(path, headers={"Host": EVIL})
    assert f"http://{EVIL}/" in response.text  # the only base there is ...
    assert response.headers["cache-control"].startswith("private")  # ... so no shared cache keeps it


def test_without_a_public_url_the_embed_page_is_root_relative(client):
    page = client.simulate_get("/embed", headers={"Host": EVIL}).text
    assert EVIL not in page and 'src="/widget.js?v=' in page


def test_location_headers_use_the_public_url(embed_index, tmp_path):
    from tests.indexes import copy_index

    index = copy_index(embed_index, tmp_path / "index")
    auth = {"Authorization": f"Bearer {WRITE_KEY}", "Host": EVIL}
    public = testing.TestClient(create_app(Config(index=index, api_keys=(WRITE_KEY,), public_url=PUBLIC_URL)))
    created = public.simulate_post("/v1/articles", json={"id": "a?b#c%d", "title": "Located", "body": "Where?"}, headers=auth)
    assert created.status_code == 201
    assert created.headers["location"] == f"{PUBLIC_URL}/v1/articles/a%3Fb%23c%25d"
    put = public.simulate_put("/v1/articles/put-here", json={"title": "Put", "body": "Here."}, headers=auth)
    assert put.status_code == 201 and put.headers["location"] == f"{PUBLIC_URL}/v1/articles/put-here"
    # Without one, a relative Location: the client resolves it against the URL it asked.
    plain = make_client(index, api_keys=(WRITE_KEY,), key_secret=None)
    created = plain.simulate_post("/v1/articles", json={"id": "rel", "title": "Relative", "body": "Here."}, headers=auth)
    assert created.headers["location"] == "/v1/articles/rel"
    assert plain.simulate_get(created.headers["location"]).status_code == 200


@pytest.mark.parametrize("raw", ["news.example.org", "ftp://news.example.org", "https://news.example.org/?q=1",
                                 "https://news.example.org/#top", "https://user:pw@news.example.org", "https://",
                                 "https://news.example.org:99999", "https://news example.org"])
def test_a_public_url_that_is_not_a_base_is_refused(raw):
    with pytest.raises(ConfigError, match="NEWSEARCH_PUBLIC_URL"):
        Config.from_env({"NEWSEARCH_PUBLIC_URL": raw})


def test_a_public_url_keeps_its_path_and_loses_its_trailing_slash():
    assert Config.from_env({"NEWSEARCH_PUBLIC_URL": "https://example.org/search/"}).public_url == "https://example.org/search"
    assert Config(public_url="http://127.0.0.1:8000/").public_url == "http://127.0.0.1:8000"
