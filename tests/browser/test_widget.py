"""The widget and the /embed page in headless Chromium, against a real gunicorn, from another origin."""
from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(60)]

HITS = "#news-search ol.hits > li"
STATUS = "#news-search .status"


def search(page, url: str, query: str) -> None:
    page.goto(url)
    box = page.get_by_role("combobox", name="Search news")
    box.fill(query)
    box.press("Enter")


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_typing_a_query_renders_highlighted_hits(page, host, artifacts):
    search(page, f"{host}/host.html", "council")
    expect(page.locator(STATUS)).to_have_text("14 results for “council”")
    expect(page.locator(HITS)).to_have_count(5)
    first = page.locator(HITS).first
    expect(first.locator("h3 a")).to_have_attribute("href", re.compile(r"^https://news\.example\.org/council/"))
    expect(first.locator("time")).to_have_count(1)
    marks = page.locator("#news-search ol.hits mark")
    assert marks.count() >= 5
    assert {t.lower() for t in marks.all_inner_texts()} == {"council"}
    assert params(page)["q"] == ["council"]
    expect(page.locator("#news-search .facets section")).to_have_count(4)  # source, people, places, date
    page.screenshot(path=str(artifacts / "widget.png"), full_page=True)
    assert not page.errors


def test_a_facet_toggle_narrows_and_widens(page, host):
    search(page, f"{host}/host.html", "council")
    expect(page.locator(STATUS)).to_contain_text("14 results")
    toggle = page.locator('#news-search button[data-facet="source"][data-value="Liberty Alliance"]')
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(page.locator(STATUS)).to_contain_text("3 results")
    expect(page.locator(HITS)).to_have_count(3)
    assert set(page.locator("#news-search ol.hits .src").all_inner_texts()) == {"Liberty Alliance"}
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert params(page)["source"] == ["Liberty Alliance"]
    # Disjunctive counts: another source can still be added, widening the results.
    page.locator('#news-search button[data-facet="source"][data-value="KSHB"]').click()
    expect(page.locator(STATUS)).to_contain_text("8 results")
    # A bucket of the date facet, whatever interval the API picked for these matches.
    bucket = page.locator('#news-search button[data-facet="date"]').first
    value, count = bucket.get_attribute("data-value"), int(bucket.locator(".n").inner_text())
    assert count < 8
    bucket.click()
    expect(page.locator(f'#news-search button[data-facet="date"][data-value="{value}"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator(STATUS)).to_have_text(re.compile(rf"^{count} results? for “council”$"))
    expect(page.locator(HITS)).to_have_count(count)
    assert params(page)["date"] == [value]


def test_paging_url_state_and_the_back_button(page, host):
    search(page, f"{host}/host.html", "council")
    expect(page.locator(STATUS)).to_contain_text("14 results")
    page_one = page.locator("#news-search ol.hits h3").all_inner_texts()
    page.locator("#news-search nav.pg button.next").click()
    expect(page.locator("#news-search ol.hits")).to_have_attribute("start", "6")
    expect(page.locator('#news-search nav.pg button[aria-current="page"]')).to_have_text("2")
    assert params(page)["page"] == ["2"]
    page_two = page.locator("#news-search ol.hits h3").all_inner_texts()
    assert len(page_two) == 5 and not set(page_one) & set(page_two)
    page.go_back()
    expect(page.locator("#news-search ol.hits")).to_have_attribute("start", "1")
    assert page.locator("#news-search ol.hits h3").all_inner_texts() == page_one
    assert "page" not in params(page)
    page.go_back()
    expect(page.locator("#news-search .msg")).to_have_text("Type a query and press Enter.")
    expect(page.get_by_role("combobox", name="Search news")).to_have_value("")


def test_a_linked_url_restores_query_and_filters(page, host):
    page.goto(f"{host}/host.html?q=council&source=KCTV&page=2")
    expect(page.locator(STATUS)).to_contain_text("6 results")
    expect(page.locator(HITS)).to_have_count(1)
    expect(page.get_by_role("combobox", name="Search news")).to_have_value("council")
    expect(page.locator('#news-search button[data-facet="source"][data-value="KCTV"]')).to_have_attribute("aria-pressed", "true")


STYLE_PROBES = {
    "input": "#news-search input",
    "title": "#news-search ol.hits h3 a",
    "mark": "#news-search ol.hits p.s mark",
    "facet": "#news-search .facets button",
    "snippet": "#news-search ol.hits p.s",
}
PROPERTIES = ("color", "font-size", "font-family", "display", "background-color", "border-top-style", "padding-top")


def computed(page) -> dict:
    out = {}
    for name, selector in STYLE_PROBES.items():
        out[name] = page.locator(selector).first.evaluate(
            "(el, props) => { const s = getComputedStyle(el); return Object.fromEntries(props.map(p => [p, s.getPropertyValue(p)])); }",
            list(PROPERTIES),
        )
    return out


def test_the_host_pages_css_does_not_reach_the_widget(page, host):
    page.goto(f"{host}/clean.html?q=council")
    expect(page.locator(HITS)).to_have_count(5)
    clean = computed(page)
    page.goto(f"{host}/host.html?q=council")
    expect(page.locator(HITS)).to_have_count(5)
    hostile = computed(page)
    assert page.locator("h1").evaluate("el => getComputedStyle(el).color") == "rgb(255, 0, 0)"  # the host style is live
    assert hostile == clean
    assert hostile["mark"]["display"] == "inline" and hostile["snippet"]["color"] != "rgb(255, 0, 0)"
    assert hostile["snippet"]["font-size"] == "16px"


def test_markup_in_articles_is_shown_as_text_and_never_runs(page, host):
    search(page, f"{host}/host.html", "zoning")
    expect(page.locator(HITS).filter(has_text="Zoning appeal")).to_have_count(1)  # added through POST /v1/articles
    expect(page.locator(HITS).filter(has_text="Zoning board")).to_have_count(1)  # indexed from the fixture
    text = " ".join(page.locator("#news-search ol.hits").all_inner_texts())
    assert '<img src=x onerror="window.__xss=1">' in text
    assert "<script>window.__xss=1</script>" in text
    assert page.evaluate("window.__xss") is None
    shadow_tags = page.evaluate(
        "() => [...document.querySelector('#news-search').shadowRoot.querySelectorAll('ol.hits *')].map(e => e.tagName.toLowerCase())"
    )
    assert set(shadow_tags) <= {"li", "h3", "a", "div", "time", "span", "p", "mark"}
    assert not page.errors


def test_completion_is_a_keyboard_listbox(page, host):
    page.goto(f"{host}/host.html")
    box = page.get_by_role("combobox", name="Search news")
    box.press_sequentially("polic", delay=20)
    listbox = page.locator("#news-search [role=listbox]")
    expect(listbox).to_be_visible()
    options = listbox.locator("[role=option]")
    expect(options.first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    first_id = options.first.get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Backspace")
    box.press("c")
    expect(options.first).to_be_visible()
    # A plain word (no facet) stays a text query; names are filters (test_widget_controls.py).
    facets = [o.get_attribute("data-facet") for o in options.all()]
    word = facets.index(None)
    for _ in range(word + 1):
        box.press("ArrowDown")
    chosen = options.nth(word).inner_text()
    box.press("Enter")
    expect(box).to_have_value(chosen)
    assert params(page)["q"] == [chosen]
    expect(page.locator(STATUS)).to_contain_text("for “" + chosen)


def test_no_results_and_did_you_mean(page, host):
    search(page, f"{host}/host.html", "councel")
    dym = page.locator("#news-search .dym button")
    expect(dym).to_have_text("council")
    dym.click()
    expect(page.locator(STATUS)).to_contain_text("14 results")
    search(page, f"{host}/host.html", "xqzvwk")
    expect(page.locator("#news-search .msg")).to_have_text("No results for “xqzvwk”.")


def test_the_embed_page_renders_results_for_q(page, api):
    page.goto(f"{api}/embed?q=council&lang=es")
    expect(page.locator(STATUS)).to_contain_text("14 resultados")
    expect(page.locator(HITS)).to_have_count(10)
    # Styles apply under the page's strict CSP (style-src 'self', no inline styles).
    background = page.locator("#news-search ol.hits mark").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(255, 241, 168)"
    expect(page.locator("#news-search ol.hits h3 a").first).to_have_attribute("target", "_blank")
    assert not page.errors


def test_the_embed_page_is_framed_only_by_a_configured_origin(page, host, host_port):
    page.goto(f"{host}/frame.html")  # http://127.0.0.1:<port>: configured
    frame = page.frame_locator("#ns")
    expect(frame.locator(HITS)).to_have_count(10)
    page.goto(f"http://localhost:{host_port}/frame.html")  # same server, another origin: not configured
    page.wait_for_timeout(500)
    child = page.frames[1]
    assert child.evaluate("() => document.querySelector('#news-search')") is None
    assert not child.url.startswith("http://127.0.0.1") or child.locator(HITS).count() == 0


def test_fixed_filter_language_param_name_and_key_header(page, host):
    sent = []
    page.on("request", lambda r: sent.append(r) if "/v1/search" in r.url else None)
    page.goto(f"{host}/fixed.html?suche=council")
    expect(page.locator(STATUS)).to_have_text("6 Treffer für „council“")
    assert set(page.locator("#news-search ol.hits .src").all_inner_texts()) == {"KCTV"}
    expect(page.locator('#news-search button[data-facet="source"]')).to_have_count(0)  # fixed: not a toggle
    expect(page.locator("#news-search ul.chips > li")).to_have_count(0)  # nor a chip to remove
    expect(page.get_by_label("Sortieren nach")).to_have_value("relevance")
    search_request = [r for r in sent if r.method == "GET"][-1]
    assert search_request.headers.get("authorization") == "Bearer partner-key-sent-as-bearer"  # CORS preflight passed
    assert "source=KCTV" in search_request.url


def test_an_unreachable_api_shows_the_error_state(page, host):
    page.goto(f"{host}/down.html?q=council")
    expect(page.locator("#news-search .msg.err")).to_contain_text("Search is unavailable right now.")
    expect(page.locator("#news-search .msg.err button")).to_have_text("Try again")


@pytest.fixture(scope="module")
def xss_api(tmp_path_factory):
    """gunicorn over an index of the whole XSS corpus (tests/fixtures/hostile/xss.jsonl) and nothing else."""
    from pathlib import Path

    from cli.main import main
    from tests.gunicorn_process import GunicornProcess

    corpus = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "xss.jsonl"
    index = tmp_path_factory.mktemp("xss-index") / "index"
    assert main(["index", "--index", str(index), "--workers", "1", "--no-entities", str(corpus)]) == 0
    with GunicornProcess(index, tmp_path_factory.mktemp("xss-gunicorn") / "gunicorn.log", workers=1,
                         ready_timeout=30, stop_timeout=10, NEWSEARCH_LOG_LEVEL="warning") as gunicorn:
        yield gunicorn.base


def test_the_whole_xss_corpus_renders_as_text_and_never_runs(page, xss_api):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{xss_api}/embed?q=zebra")
    expect(page.locator(STATUS)).to_contain_text("10 results")
    expect(page.locator(HITS)).to_have_count(10)  # every article of the corpus, on one page
    text = " ".join(page.locator("#news-search ol.hits").all_inner_texts())
    for payload in ("<script>alert('xss')</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
                    '"><script>alert(1)</script>'):
        assert payload in text, payload  # shown as the article's own text
    facets = " ".join(page.locator("#news-search .facets").all_inner_texts())
    assert "KSHB <b>bold</b>" in facets  # a source name with markup is a facet label, as text
    page.wait_for_timeout(300)  # let any injected handler (onload, onerror) fire, if one got in
    assert dialogs == [] and not page.errors
    shadow = "document.querySelector('#news-search').shadowRoot"
    tags = page.evaluate(f"() => [...{shadow}.querySelectorAll('ol.hits *')].map(e => e.tagName.toLowerCase())")
    assert set(tags) <= {"li", "h3", "a", "div", "time", "span", "p", "mark"}
    hrefs = page.evaluate(f"() => [...{shadow}.querySelectorAll('a[href]')].map(a => a.href)")
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    handlers = page.evaluate(f"() => [...{shadow}.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on'))")
    assert handlers == []
