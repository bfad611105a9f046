"""Metadata from the seeds (through clean_text, as the pipeline does it), other real text, real HTML pages and odd input."""
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from indexer.clean import clean_text
from indexer.metadata import (Metadata, byline_name, domain_form, extract_metadata, find_statement_publisher, parse_date,
                              strip_site_suffix)

SEEDS = {"000": "000_cd26570f11a59a8a", "001": "001_b20fda21bfeeb18c", "002": "002_bd1a7639317eeb3a",
         "003": "003_db9d275e6a739cde", "004": "004_a8b559b7e96d520f"}
PAGES = {  # fixture -> the URL the crawler saved it from
    "232a43fb": "https://www.macrumors.com/2019/11/18/13-inch-macbook-pro-scissor-keyboard-2020/",
    "4648a420": "https://www.expapp.com/blog/introducing-junior-gaspard-new-ceo-experience/",
    "7916ecca": "https://www.aljazeera.com/news/2019/11/service-members-killed-afghanistan-helicopter-crash-191120070028895.html",
    "7de52419": "https://www.detroitnews.com/story/news/nation/2019/11/19/thousands-teachers-pack-indiana-statehouse-protest/40651467/",
}


def seed_metadata(seeds_dir: Path, key: str, **kwargs) -> Metadata:
    raw = (seeds_dir / f"{SEEDS[key]}.txt").read_text(encoding="utf-8")
    return extract_metadata(body=clean_text(raw), raw_text=raw, **kwargs)


def page(fixtures: Path, key: str) -> str:
    return (fixtures / "meta" / f"{key}.html").read_text(encoding="utf-8")


# ---- the seeds ------------------------------------------------------------------------------------------------

def test_seed_000(seeds_dir):
    meta = seed_metadata(seeds_dir, "000")
    assert meta.published == datetime(2020, 7, 3, tzinfo=timezone.utc)
    assert meta.source == "KCTV"
    assert meta.dateline == "KANSAS CITY, MO"
    assert meta.title.startswith("On Thursday, two separate shootings in Kansas City left two police officers injured")
    assert "KCTV" not in meta.title and "KANSAS CITY" not in meta.title


def test_seed_001(seeds_dir):
    meta = seed_metadata(seeds_dir, "001")
    assert meta.published.date() == date(2020, 7, 2)
    assert meta.published.tzinfo is not None
    assert meta.source == "KCTV"
    assert meta.dateline == "KANSAS CITY, MO"
    # The lead sentence is longer than a title: cut at a word boundary, marked with an ellipsis.
    assert meta.title.startswith("The Kansas City Police Department is saying that one of their officers")
    assert meta.title.endswith("…") and len(meta.title) <= 101
    assert meta.title[:-1] == meta.title[:-1].rstrip() and not meta.title[:-1].endswith(" the")


def test_seed_002_is_a_kshb_page(seeds_dir):
    meta = seed_metadata(seeds_dir, "002")
    assert meta.source == "KSHB"
    assert meta.title == "'It shows we're here to help, not destroy,' KCPD hosts Ol' Skool Block Party"
    assert meta.published is None
    assert meta.dateline == "KANSAS CITY, Mo."


def test_seed_003_closing_bio_names_author_and_publisher(seeds_dir):
    meta = seed_metadata(seeds_dir, "003")
    assert meta.published == datetime(2021, 9, 16, tzinfo=timezone.utc)
    assert meta.source == "Liberty Alliance"
    assert meta.author == "Chris Vas"
    assert meta.title == "Community Interaction Officers and the Narcotics Division"
    assert meta.dateline is None


def test_seed_004(seeds_dir):
    meta = seed_metadata(seeds_dir, "004")
    assert meta.published is None
    assert meta.dateline == "KANSAS CITY, Mo."
    assert meta.title.startswith("Police say it’s not often people are jumping at the opportunity")
    assert meta.source is None  # nothing in the text names a publisher: no source, not one called "unknown"


def test_override_beats_fields_beats_text_cues(seeds_dir):
    assert seed_metadata(seeds_dir, "000", source_override="KCTV5 News").source == "KCTV5 News"
    fields = {"source": "Feed Source", "title": "A JSONL title", "published": "2020-07-04T10:00:00-05:00",
              "author": "A. Reporter"}
    meta = seed_metadata(seeds_dir, "000", fields=fields)
    assert (meta.source, meta.title, meta.author) == ("Feed Source", "A JSONL title", "A. Reporter")
    assert meta.published == datetime(2020, 7, 4, 15, tzinfo=timezone.utc)
    assert seed_metadata(seeds_dir, "000", fields=fields, source_override="CLI").source == "CLI"


def test_domain_map_names_the_publisher(seeds_dir):
    meta = seed_metadata(seeds_dir, "004", url="https://www.kshb.com/news/local-news/x", domain_map={"kshb.com": "KSHB 41"})
    assert meta.source == "KSHB 41"
    # The default map (indexer/data/sources.json) knows the station too, for any subdomain.
    assert seed_metadata(seeds_dir, "004", url="https://m.kshb.com/news/x").source == "KSHB"
    # An unmapped URL still says something: its domain.
    assert seed_metadata(seeds_dir, "004", url="https://example.org/a", domain_map={}).source == "example.org"


# ---- other real text -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, title", [
    ("bbc_business_001", "Ad sales boost Time Warner profit"),
    ("bbc_politics_250", "What the election should really be about?"),
])
def test_bbc_headline_becomes_the_title(fixtures, name, title):
    raw = (fixtures / "text" / f"{name}.txt").read_text(encoding="utf-8")
    meta = extract_metadata(body=clean_text(raw), raw_text=raw, url="http://news.bbc.co.uk/1/hi/business/4178021.stm")
    assert meta.title == title
    assert meta.source == "BBC News"  # through the default domain map
    assert meta.published is None and meta.dateline is None and meta.author is None


# ---- HTML pages ------------------------------------------------------------------------------------------------

def test_html_open_graph_meta(fixtures):
    meta = extract_metadata(body="", html=page(fixtures, "4648a420"))
    assert meta.title == "Introducing Junior Gaspard, New CEO at Experience"
    assert meta.published == datetime(2018, 4, 9, 16, 2, 25, tzinfo=timezone.utc)
    assert meta.source == "Experience"


def test_html_json_ld_only(fixtures):
    meta = extract_metadata(body="", html=page(fixtures, "232a43fb"))
    assert meta.title == "13-Inch MacBook Pro With Scissor Keyboard Expected in First Half of 2020"
    assert meta.published == datetime(2019, 11, 18, 10, 45, tzinfo=timezone.utc)
    assert meta.source == "MacRumors.com"
    assert meta.author == "Joe Rossignol"


def test_html_organisation_author_is_no_byline_and_gmt_dates_parse(fixtures):
    meta = extract_metadata(body="", html=page(fixtures, "7916ecca"), url=PAGES["7916ecca"])
    assert meta.published == datetime(2019, 11, 20, 8, 2, tzinfo=timezone.utc)
    assert meta.source == "Al Jazeera"
    assert meta.author is None


def test_html_placeholder_date_and_slug_site_name(fixtures):
    # datePublished is 0001-01-01 (a CMS placeholder), og:site_name is the slug `detroitnews`.
    meta = extract_metadata(body="", html=page(fixtures, "7de52419"), url=PAGES["7de52419"])
    assert meta.published == datetime(2019, 11, 19, tzinfo=timezone.utc)  # not year 1: the day in the page's URL
    assert meta.source == "The Detroit News"  # JSON-LD publisher
    assert meta.title == "Thousands of teachers pack Indiana Statehouse for protest"
    mapped = extract_metadata(body="", html=page(fixtures, "7de52419"), url=PAGES["7de52419"],
                              domain_map={"detroitnews.com": "Detroit News"})
    assert mapped.source == "Detroit News"  # the operator's map beats the page


def test_html_title_element_loses_its_site_suffix(fixtures):
    from bs4 import BeautifulSoup
    titles = {k: BeautifulSoup(page(fixtures, k), "lxml").title.get_text(strip=True) for k in ("4648a420", "7916ecca")}
    assert titles["4648a420"] == "Introducing Junior Gaspard, New CEO at Experience - Experience"
    assert strip_site_suffix(titles["4648a420"], ["Experience"]) == "Introducing Junior Gaspard, New CEO at Experience"
    assert strip_site_suffix(titles["7916ecca"], ["Al Jazeera"]) == "US service members killed in Afghanistan helicopter crash"
    # A dash inside a headline that does not name the site stays.
    assert strip_site_suffix("Star Wars Jedi: Fallen Order review - shoots for the moon", ["VG247"]).endswith("for the moon")


def test_html_page_with_seed_body_takes_title_from_page_and_dateline_from_body(fixtures, seeds_dir):
    raw = (seeds_dir / f"{SEEDS['004']}.txt").read_text(encoding="utf-8")
    meta = extract_metadata(body=clean_text(raw), html=page(fixtures, "232a43fb"))
    assert meta.title.startswith("13-Inch MacBook Pro")
    assert meta.dateline == "KANSAS CITY, Mo."


# ---- dates and odd input -----------------------------------------------------------------------------------------

def date_cases(fixtures_dir: Path) -> list[tuple[str, str]]:
    lines = (fixtures_dir / "meta" / "dates.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line]


@pytest.mark.parametrize("value, expected", date_cases(Path(__file__).resolve().parent.parent / "fixtures"))
def test_parse_date(value, expected):
    parsed = parse_date(value)
    if expected == "None":
        assert parsed is None
    else:
        assert parsed is not None and parsed.tzinfo is not None
        assert parsed == datetime.fromisoformat(expected)
        assert parsed.utcoffset() == datetime.fromisoformat(expected).utcoffset()


@pytest.mark.parametrize("value", ["", "   ", "\x00", "9" * 500, "2020-07-03" * 20, "99999-01-01", "-1", None, 12.5e30])
def test_parse_date_never_raises(value):
    assert parse_date(value) is None


@pytest.mark.parametrize("body, raw", [("", ""), ("", "   \n\n  "), ("—", "—\n"), ("\x00", None)])
def test_nothing_to_go_on(body, raw):
    meta = extract_metadata(body=body, raw_text=raw)
    assert meta == Metadata(title="", published=None, source=None, dateline=None, author=None)


def test_template_residue_alone_still_names_no_date(fixtures):
    raw = (fixtures / "text" / "kshb_template_only.txt").read_text(encoding="utf-8")
    meta = extract_metadata(body=clean_text(raw), raw_text=raw)
    assert meta.published is None and meta.title == ""
    assert meta.source == "Scripps"  # the template is known, the station (no dateline city) is not


@pytest.mark.parametrize("html", ["", "<html", "<script type='application/ld+json'>{not json</script>",
                                  "<meta property='og:title'><time datetime='soon'>soon</time>", "\x00\xff<h1></h1>"])
def test_broken_html_never_raises(html):
    meta = extract_metadata(body="", html=html, url="not a url://")
    assert meta.published is None
    assert meta.source is None


# ---- evidence only: sources and bylines from something that says so ---------------------------------------------

@pytest.mark.parametrize("name", ["bbc_politics_092", "bbc_entertainment_075"])
def test_running_text_names_no_publisher_and_no_byline(fixtures, name):
    raw = (fixtures / "text" / f"{name}.txt").read_text(encoding="utf-8")
    meta = extract_metadata(body=clean_text(raw), raw_text=raw)
    assert (meta.source, meta.author) == (None, None)


def test_a_writers_closing_bio_names_the_author_not_the_publisher(fixtures):
    raw = (fixtures / "text" / "bbc_tech_396.txt").read_text(encoding="utf-8")
    meta = extract_metadata(body=clean_text(raw), raw_text=raw)
    assert meta.author == "Owain Bennallack"
    assert meta.source is None  # "the editor of Develop magazine": his magazine, not this article's publisher
    assert find_statement_publisher(clean_text(raw)) is None


@pytest.mark.parametrize("text", [
    "Actor Bruce Willis", "Prime Minister Tony Blair", "Scrum-half Matt Dawson", "Florida Governor Ron DeSantis",
    "Kentucky Gov. Andy Beshear", "The Kenyan", "The UK", "The FBI", "Sweden's Robert Kronberg", "Mr Kohberger",
    "Science X staff", "Republican Kevin McCarthy", "Trouble-hit Mitsubishi Motors", "kevin-r", "AS",
])
def test_roles_titles_and_newsrooms_are_no_byline(text):
    assert byline_name(text) is None


@pytest.mark.parametrize("text, name", [
    ("By WALKER SIMON, Reuters", "Walker Simon"),
    ("By Allan Saunderson and Antonia Sharpe, Reuters", "Allan Saunderson and Antonia Sharpe"),
    ("By Stefan Becket, Kathryn Watson, Grace Segers", "Stefan Becket, Kathryn Watson, Grace Segers"),
    ("By David Jeans ", "David Jeans"),
    ("Written by Jane Doe, Staff Writer", "Jane Doe"),
    ("A. Reporter", "A. Reporter"),
    ("Martin Luther King", "Martin Luther King"),  # a role word as a surname is still a name
    ("Ludwig van Beethoven", "Ludwig van Beethoven"),
])
def test_bylines_keep_the_names_and_drop_the_rest(text, name):
    assert byline_name(text) == name


def test_one_form_of_a_domain():
    assert domain_form("feeds.bbci.co.uk") == "bbci.co.uk"
    assert domain_form("news.sky.com") == "sky.com"
    assert domain_form("example.org") == "example.org"
    assert domain_form("127.0.0.1") is None and domain_form(None) is None


# ---- dates wherever pages put them -----------------------------------------------------------------------------

@pytest.mark.parametrize("key, day", [
    ("04a6711c-cut", date(2019, 11, 19)),   # property="article:published" itemprop="datePublished dateCreated"
    ("3ce1c8fd-cut", date(2018, 2, 16)),    # <span itemprop="datePublished">Fri 6:45 PM, Feb 16, 2018</span>
    ("8380689f-cut", date(2019, 11, 18)),  # JSON-LD ClaimReview datePublished
])
def test_dates_wherever_pages_put_them(fixtures, key, day):
    meta = extract_metadata(body="", html=page(fixtures, key))
    assert meta.published is not None and meta.published.date() == day


def test_nyt_meta_gives_date_byline_and_publisher(fixtures):
    meta = extract_metadata(body="", html=page(fixtures, "04a6711c-cut"),
                            url="https://www.nytimes.com/2019/11/19/opinion/republicans-elections-impeachment.html")
    assert meta.published == datetime(2019, 11, 19, 11, 0, 9, tzinfo=timezone.utc)
    assert (meta.author, meta.source) == ("Jamelle Bouie", "The New York Times")


def test_a_page_that_is_only_a_url_is_never_fetched():
    """htmldate downloads a string that looks like a URL; an API client's `html` must not make us fetch it."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<html><head><meta property="article:published_time" content="2019-11-19"></head></html>')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        meta = extract_metadata(body="", html=f"http://127.0.0.1:{server.server_port}/2019/11/19/page")
    finally:
        server.shutdown()
        server.server_close()
    assert asked == [] and meta.published is None
