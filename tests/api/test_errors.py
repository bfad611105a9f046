"""Bad input: every row is a request and the status and problem title it must get. And a hunt for 500s."""
import json

import pytest
from falcon import testing

from api.app import create_app

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    "path, query, status, title, param",
    [
        ("/v1/search", "bogus=1", 400, "Invalid parameters", "bogus"),
        ("/v1/search", "page=abc", 400, "Invalid parameters", "page"),
        ("/v1/search", "page=0", 400, "Invalid parameters", "page"),
        ("/v1/search", "page=-3", 400, "Invalid parameters", "page"),
        ("/v1/search", "page=1.5", 400, "Invalid parameters", "page"),
        ("/v1/search", "page=" + "9" * 5000, 400, "Invalid parameters", "page"),
        ("/v1/search", "page=99999999999999999999999999", 400, "Invalid parameters", "page"),
        ("/v1/search", "page=101&per_page=10", 400, "Invalid parameters", "page"),
        ("/v1/search", "per_page=101", 400, "Invalid parameters", "per_page"),
        ("/v1/search", "per_page=0", 400, "Invalid parameters", "per_page"),
        ("/v1/search", "per_page=1e3", 400, "Invalid parameters", "per_page"),
        ("/v1/search", "page=1&page=2", 400, "Invalid parameters", "page"),
        ("/v1/search", "q=a&q=b", 400, "Invalid parameters", "q"),
        ("/v1/search", "sort=random", 400, "Invalid parameters", "sort"),
        ("/v1/search", "date_interval=fortnight", 400, "Invalid parameters", "date_interval"),
        ("/v1/search", "date_interval=", 400, "Invalid parameters", "date_interval"),
        ("/v1/search", "page=%D9%A1", 400, "Invalid parameters", "page"),  # Arabic-Indic 1
        ("/v1/search", "per_page=%EF%BC%95", 400, "Invalid parameters", "per_page"),  # fullwidth 5
        ("/v1/search", "page=1_0", 400, "Invalid parameters", "page"),
        ("/v1/search", "q=published:%5B0000-01+TO+10000-01%5D", 400, "Invalid parameters", "q"),
        ("/v1/search", "q=police+published:%5B2020-13+TO+*%5D", 400, "Invalid parameters", "q"),
        ("/v1/facets/person", "limit=%D9%A3", 400, "Invalid parameters", "limit"),
        ("/v1/search", "from=yesterday", 400, "Invalid parameters", "from"),
        ("/v1/search", "from=2020-13-01", 400, "Invalid parameters", "from"),
        ("/v1/search", "to=2020-02-30", 400, "Invalid parameters", "to"),
        ("/v1/search", "from=2021-01-01&to=2020-01-01", 400, "Invalid parameters", "from"),
        ("/v1/search", "facets=source,colour", 400, "Invalid parameters", "facets[1]"),
        ("/v1/search", "q=" + "x" * 513, 400, "Invalid parameters", "q"),
        ("/v1/search", "q=police%00", 400, "Invalid parameters", "q"),
        ("/v1/search", "source=KCTV%07", 400, "Invalid parameters", "source[0]"),
        ("/v1/search", "org=%1CKCTV", 400, "Invalid parameters", "org[0]"),  # str.strip() would eat \x1c
        ("/v1/search.atom", "source=KCTV&place=%1F", 400, "Invalid parameters", "place[0]"),
        ("/v1/search", "recency_days=nan", 400, "Invalid parameters", "recency_days"),
        ("/v1/search", "recency_days=inf", 400, "Invalid parameters", "recency_days"),
        ("/v1/search", "recency_days=-1", 400, "Invalid parameters", "recency_days"),
        ("/v1/search", "facet_size=1000", 400, "Invalid parameters", "facet_size"),
        ("/v1/search", "highlight=perhaps", 400, "Invalid parameters", "highlight"),
        ("/v1/search", "&".join(f"source=s{i}" for i in range(51)), 400, "Invalid parameters", "source"),
        ("/v1/suggest", "", 400, "Invalid parameters", "q"),
        ("/v1/suggest", "q=po&limit=500", 400, "Invalid parameters", "limit"),
        ("/v1/facets/person", "limit=x", 400, "Invalid parameters", "limit"),
        ("/v1/articles/000_cd26570f11a59a8a/similar", "limit=0", 400, "Invalid parameters", "limit"),
        ("/v1/articles/000_cd26570f11a59a8a", "fields=title", 400, "Invalid parameters", "fields"),
        ("/v1/stats", "verbose=1", 400, "Invalid parameters", "verbose"),
        ("/v1/articles/no-such-article", "", 404, "Article not found", None),
        ("/v1/articles/no-such-article/similar", "", 404, "Article not found", None),
        ("/v1/facets/colour", "", 404, "Unknown facet", None),
        ("/v2/search", "", 404, "Not found", None),
        ("/v1", "", 404, "Not found", None),
    ],
)
def test_bad_reads(client, path, query, status, title, param):
    response = client.simulate_get(path, query_string=query)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json
    assert problem["title"] == title and problem["status"] == status and problem["type"]
    if param is not None:
        assert param in [p["name"] for p in problem["invalid_params"]]


@pytest.mark.parametrize(
    "method, path, body, content_type, status, title",
    [
        ("POST", "/v1/articles", b"{not json", "application/json", 400, "Malformed JSON"),
        ("POST", "/v1/articles", b"", "application/json", 400, "Malformed JSON"),
        ("POST", "/v1/articles", b"\xff\xfe{}", "application/json", 400, "Malformed JSON"),
        ("POST", "/v1/articles", b'{"id": NaN}', "application/json", 400, "Malformed JSON"),
        ("POST", "/v1/articles", b"[" * 100000 + b"]" * 100000, "application/json", 400, "Malformed JSON"),
        ("POST", "/v1/articles", b"title=x", "application/x-www-form-urlencoded", 415, "Unsupported media type"),
        ("POST", "/v1/articles", b"{}", "text/plain", 415, "Unsupported media type"),
        ("POST", "/v1/articles", b"{}", None, 415, "Unsupported media type"),
        ("POST", "/v1/articles", b"{}", "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b"[]", "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b"null", "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'"a string"', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"articles": []}', "application/json", 400, "Invalid request body"),
        ("POST", "/v1/articles", b'{"articles": {"id": 1}}', "application/json", 400, "Invalid request body"),
        ("POST", "/v1/articles", b'{"articles": [], "extra": 1}', "application/json", 400, "Invalid request body"),
        ("POST", "/v1/articles", b'{"id": "a/b", "title": "t", "body": "b"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"id": "a", "title": ["t"], "body": "b"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"id": "a", "title": "t", "body": "b", "colour": 1}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"id": "a", "title": "t", "body": "b", "url": "javascript:alert(1)"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"id": "a", "title": "t", "body": "b", "people": "Rick"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"id": "a", "title": "t\\u0000", "body": "b"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"id": "a", "title": "\\ud800", "body": "b"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"id": 12345678901234567890123, "title": "t", "body": "b"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"title": "t", "url": "https://example.org/a"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles", b'{"text": "x", "html": "<p>x</p>"}', "application/json", 400, "Invalid article"),
        ("POST", "/v1/articles?dry_run=1", b'{"id": "a", "title": "t", "body": "b"}', "application/json", 400, "Invalid parameters"),
        ("PUT", "/v1/articles/a", b'{"id": "b", "title": "t", "body": "b"}', "application/json", 400, "Invalid article"),
        ("DELETE", "/v1/articles/no-such-article", b"", None, 404, "Article not found"),
        ("PATCH", "/v1/articles/a", b"{}", "application/json", 405, "Method Not Allowed"),
        ("DELETE", "/v1/search", b"", None, 405, "Method Not Allowed"),
        ("POST", "/v1/search", b"{}", "application/json", 405, "Method Not Allowed"),
        ("PUT", "/health", b"{}", "application/json", 405, "Method Not Allowed"),
    ],
)
def test_bad_writes(writer, auth, method, path, body, content_type, status, title):
    headers = dict(auth)
    if content_type:
        headers["Content-Type"] = content_type
    response = writer.simulate_request(method, path, body=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json["title"] == title and response.json["status"] == status
    assert writer.simulate_get("/v1/search").json["total"] == 5


def test_oversized_body_is_413(index_copy, auth):
    from api.config import Config

    client = testing.TestClient(create_app(Config(index=index_copy, api_keys=("test-write-key-0123456789",), max_body_bytes=1000)))
    body = json.dumps({"id": "a", "title": "t", "body": "x" * 2000})
    response = client.simulate_post("/v1/articles", body=body, headers=auth | {"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json["title"] == "Request body too large"


def test_an_unreadable_date_range_in_the_query_is_a_400_that_says_why(client):
    response = client.simulate_get("/v1/search", params={"q": "police published:[2020-13 TO 2021-02]"})
    assert response.status_code == 400 and response.headers["content-type"] == PROBLEM
    [param] = response.json["invalid_params"]
    assert param["name"] == "q" and "'2020-13' is not a date" in param["reason"] and "YYYY-MM-DD" in param["reason"]
    # Readable ranges, open ends and the calendar's last month included, search within them: not
    # everything, as an unreadable range once did.
    for q, total in (("published:[2020-07 TO 2020-07]", 2), ("published:[* TO 2020-07-31]", 2), ("published:[2021 TO *]", 1),
                     ("published:[9999-12 TO 9999-12]", 0), ("published:[2020-07-02T12:00:00Z TO 2020-07-31]", 1)):
        response = client.simulate_get("/v1/search", params={"q": q})
        assert response.status_code == 200 and response.json["total"] == total, q


def test_non_ascii_digits_are_refused_by_name(client):
    response = client.simulate_get("/v1/search", query_string="page=%D9%A2")  # Arabic-Indic 2
    [param] = response.json["invalid_params"]
    assert response.status_code == 400 and param["name"] == "page" and "ASCII digits" in param["reason"]


def test_an_unknown_facet_lists_the_names_without_an_empty_one(client):
    response = client.simulate_get("/v1/search", params={"facets": "colour"})
    [param] = response.json["invalid_params"]
    assert response.status_code == 400 and param["name"] == "facets[0]"
    assert "source, person, org, place, author, date" in param["reason"]
    assert ", ." not in param["reason"] and ", ," not in param["reason"]


def test_405_says_what_is_allowed(client):
    response = client.simulate_delete("/v1/search")
    assert response.status_code == 405 and "GET" in response.headers["allow"]


WEIRD = [
    "\u202e\u0645\u0631\u062d\u0628\u0627",  # right-to-left override, Arabic
    "e\u0301\u0301\u0301\u0301",  # stacked combining accents
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",  # a ZWJ emoji family
    "\ufeff\ufffe\uffff",  # BOM and non-characters
    "police" + "\u0000",
    "%00%ff",
    "(((((((((((((((((((((((((((((((((((((((((((((((((x",
    '"unterminated phrase',
    "title:",
    "published:[2020 TO",
    "published:[9999-99-99 TO 0000-00-00]",
    "*",
    "a*",
    "*x*",
    "police~99",
    "x~",
    "NOT",
    "OR OR OR AND NOT",
    "-",
    "source:",
    "person:\"\"",
    "\\\\\\",
    "9" * 400,
    "police " * 70,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../../etc/passwd",
]


@pytest.mark.parametrize("q", WEIRD)
def test_no_query_string_makes_a_500(client, q):
    for path, params in (
        ("/v1/search", {"q": q, "facets": "source,person,date"}),
        ("/v1/search", {"q": q, "source": q, "person": q, "from": q}),
        ("/v1/suggest", {"q": q}),
        ("/v1/facets/person", {"q": q}),
        (f"/v1/articles/{q}", {}),
        (f"/v1/articles/{q}/similar", {}),
    ):
        response = client.simulate_get(path, params=params)
        assert response.status_code < 500, (path, q, response.text)


@pytest.mark.parametrize("raw", ["q=%ED%A0%80", "q=%FF%FE", "q=%C0%AF", "q=%", "q=%%%", "source=%E2%80", "from=%00", "page=%EF%BC%91"])
def test_undecodable_query_bytes_make_no_500(client, raw):
    response = client.simulate_get("/v1/search", query_string=raw)
    assert response.status_code < 500, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"id": "w", "title": t, "body": t + " body"}
        for t in ("\u202e\u0645\u0631\u062d\u0628\u0627", "e\u0301\u0301", "\U0001f469\u200d\U0001f469", "x" * 1000, "<b>bold</b>", "a,b,c")
    ]
    + [
        {"id": "w", "title": "t", "body": "b", "people": ["a,b", " ", ""]},
        {"id": "w", "title": "t", "body": "b", "published": "0001-01-01"},
        {"id": "w", "title": "t", "body": "b", "published": "9999-12-31T23:59:59+14:00"},
        {"id": "w", "title": "t", "body": "b", "published": 1_600_000_000},
        {"id": "w", "title": "t", "body": "b", "source": None},
        {"id": "w", "title": 1e308, "body": "b"},
        {"id": ["w"], "title": "t", "body": "b"},
        {"id": {"$gt": ""}, "title": "t", "body": "b"},
        {"text": 7},
        {"text": "\u0000"},
        {"html": "<" * 300},  # NB: 10,000 of them cost spaCy ~12 s (quadratic affix splitting)
        {"html": "<html><body><article><p>" + "Long wombat text. " * 200 + "</p></article></body></html>", "url": "https://e.org/a"},
        {"articles": [{"text": "Wombats\n\nA short wombat story from Kansas City."}, {"html": ""}, None, [], 1.5]},
    ],
)
def test_no_body_makes_a_500(writer, auth, body):
    response = writer.simulate_post("/v1/articles", json=body, headers=auth)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM


def test_an_unexpected_error_is_a_logged_500_problem(seed_index, caplog):
    from api.config import Config

    class Broken:
        def on_get(self, req, resp):
            raise ZeroDivisionError("boom")

    app = create_app(Config(index=seed_index))
    app.add_route("/broken", Broken())
    response = testing.TestClient(app).simulate_get("/broken", headers={"Authorization": "Bearer s3cret-value"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json["title"] == "Internal server error" and "boom" not in response.text
    assert "ZeroDivisionError" in caplog.text
    assert "s3cret-value" not in caplog.text
