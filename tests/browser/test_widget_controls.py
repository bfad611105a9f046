"""The widget's filter chips, sort and date range, name completions, snippet length and its phone
layout, in headless Chromium at a desktop (1280 px) and a phone (390 px) width; screenshots of each
go to test-artifacts/."""
from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.date_buckets import bucket_days

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.timeout(60)]

W = "#news-search"
HITS = f"{W} ol.hits > li"
STATUS = f"{W} .status"
CHIPS = f"{W} ul.chips > li.chip"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None
    return found


def date_buckets(page) -> list[tuple[str, int, str]]:
    """The date facet's buttons as (value, count, label)."""
    return page.locator(f'{W} button[data-facet="date"]').evaluate_all(
        "els => els.map(e => [e.dataset.value, +e.querySelector('.n').textContent, e.querySelector('.v').textContent])")


def searches(page) -> list[dict[str, list[str]]]:
    """The query strings of the /v1/search requests the page makes from now on."""
    sent: list[dict[str, list[str]]] = []
    page.on("request", lambda r: sent.append(parse_qs(urlsplit(r.url).query, keep_blank_values=True)) if "/v1/search?" in r.url else None)
    return sent


def test_active_filters_are_chips_to_remove_one_or_all(page, host, artifacts):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{host}/host.html?q=council")
    expect(page.locator(STATUS)).to_have_text("14 results for “council”")
    expect(page.locator(CHIPS)).to_have_count(0)
    expect(page.locator(f"{W} ul.chips")).to_be_hidden()
    page.locator(f'{W} button[data-facet="source"][data-value="Liberty Alliance"]').click()
    expect(page.locator(STATUS)).to_contain_text("3 results")
    expect(page.locator(CHIPS)).to_have_text(["Source: Liberty Alliance×"])

    # The filter stays on for the next query, and says so above the results.
    box_ = page.get_by_role("combobox", name="Search news")
    box_.fill("meeting")
    box_.press("Enter")
    expect(page.locator(STATUS)).to_have_text("1 result for “meeting”")
    assert params(page)["source"] == ["Liberty Alliance"]
    chips = page.locator(f"{W} ul.chips")
    expect(chips).to_have_attribute("aria-label", "Active filters")
    remove = chips.get_by_role("button", name="Remove Source: Liberty Alliance")
    expect(remove).to_be_visible()
    remove.focus()  # a real button: Enter works from the keyboard
    page.keyboard.press("Enter")
    expect(page.locator(STATUS)).to_have_text("2 results for “meeting”")
    expect(page.locator(CHIPS)).to_have_count(0)
    assert "source" not in params(page) and params(page)["q"] == ["meeting"]

    # Several filters: one chip each, and "Clear all" lifts them all but keeps the query.
    page.goto(f"{host}/host.html?q=council&source=KSHB&source=KCTV&date=2023-05")
    expect(page.locator(STATUS)).to_contain_text("5 results")
    expect(page.locator(CHIPS)).to_have_text(["Source: KSHB×", "Source: KCTV×", "Date: May 2023×"])
    page.screenshot(path=str(artifacts / "widget-chips-1280.png"), full_page=True)
    page.get_by_role("button", name="Remove Source: KCTV").click()
    expect(page.locator(STATUS)).to_contain_text("2 results")  # KSHB in May
    assert params(page)["source"] == ["KSHB"] and params(page)["date"] == ["2023-05"]
    page.get_by_role("button", name="Clear all").click()
    expect(page.locator(STATUS)).to_have_text("14 results for “council”")
    expect(page.locator(CHIPS)).to_have_count(0)
    assert params(page) == {"q": ["council"]}
    expect(page.locator(f'{W} button[data-facet="source"][aria-pressed="true"]')).to_have_count(0)
    # The back button brings the chips back with the URL.
    page.go_back()
    expect(page.locator(CHIPS)).to_have_count(2)
    assert not page.errors


def test_at_1280px_the_facets_stay_beside_the_results(page, host, artifacts):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{host}/host.html?q=council")
    expect(page.locator(HITS)).to_have_count(5)
    expect(page.locator(f"{W} button.ftoggle")).to_be_hidden()
    facets, results = page.locator(f"{W} aside.facets"), page.locator(f"{W} .main")
    expect(facets).to_be_visible()
    f, r = box(facets), box(results)
    assert f["x"] + f["width"] <= r["x"] and abs(f["y"] - r["y"]) < 2  # side by side, tops aligned
    page.screenshot(path=str(artifacts / "widget-1280.png"), full_page=True)


def test_on_a_phone_results_come_first_and_facets_open_from_a_filters_button(page, host, artifacts):
    page.set_viewport_size(PHONE)
    page.goto(f"{host}/host.html?q=council")
    expect(page.locator(HITS)).to_have_count(5)
    facets = page.locator(f"{W} aside.facets")
    toggle = page.get_by_role("button", name="Filters")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", facets.get_attribute("id"))
    expect(facets).to_be_hidden()
    first = box(page.locator(HITS).first)
    assert first["y"] + 60 < PHONE["height"]  # a result on the first screen
    assert box(toggle)["y"] < first["y"]  # the button is above the results
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing scrolls sideways
    page.screenshot(path=str(artifacts / "widget-390.png"), full_page=True)

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(facets).to_be_visible()
    assert box(toggle)["y"] < box(facets)["y"] < box(page.locator(HITS).first)["y"]
    page.locator(f'{W} button[data-facet="source"][data-value="KSHB"]').click()
    expect(page.locator(STATUS)).to_contain_text("5 results")
    expect(page.locator(CHIPS)).to_have_text(["Source: KSHB×"])
    expect(toggle).to_contain_text("1")  # the number of active filters, on the closed button too
    page.screenshot(path=str(artifacts / "widget-390-filters.png"), full_page=True)
    toggle.press("Enter")  # keyboard: closes again
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(facets).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not page.errors


def test_sort_by_newest_and_a_date_range_are_sent_and_kept_in_the_url(page, host, artifacts):
    page.set_viewport_size(DESKTOP)
    sent = searches(page)
    page.goto(f"{host}/host.html?q=council")
    expect(page.locator(STATUS)).to_contain_text("14 results")
    sort = page.get_by_label("Sort by")
    expect(sort).to_have_value("relevance")
    sort.select_option("newest")
    expect(page.locator(f"{W} ol.hits time").first).to_have_attribute("datetime", "2023-05-31T17:00:00+00:00")
    dates = page.locator(f"{W} ol.hits time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates == sorted(dates, reverse=True) and len(dates) == 5
    assert params(page)["sort"] == ["newest"] and sent[-1]["sort"] == ["newest"]

    page.get_by_label("From").fill("2023-04-01")
    page.get_by_label("To").fill("2023-04-30")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(STATUS)).to_contain_text("4 results")
    assert params(page)["from"] == ["2023-04-01"] and params(page)["to"] == ["2023-04-30"]
    assert sent[-1]["from"] == ["2023-04-01"] and sent[-1]["to"] == ["2023-04-30"] and sent[-1]["sort"] == ["newest"]
    expect(page.locator(CHIPS)).to_have_text(["Date: Apr 1, 2023 – Apr 30, 2023×"])
    page.screenshot(path=str(artifacts / "widget-sort-range-1280.png"), full_page=True)

    # A linked URL restores both controls.
    page.goto(f"{host}/host.html?q=council&sort=newest&from=2023-03-01&to=2023-04-30")
    expect(page.locator(STATUS)).to_contain_text("8 results")
    expect(page.get_by_label("Sort by")).to_have_value("newest")
    expect(page.get_by_label("From")).to_have_value("2023-03-01")
    expect(page.get_by_label("To")).to_have_value("2023-04-30")
    # One end is enough; the ends swap when given backwards; a month of the date facet replaces the range.
    page.get_by_label("To").fill("")
    page.get_by_label("From").press("Enter")
    expect(page.locator(STATUS)).to_contain_text("14 results")  # everything from March on
    assert "to" not in params(page) and params(page)["from"] == ["2023-03-01"]
    expect(page.locator(CHIPS)).to_have_text(["Date: From Mar 1, 2023×"])
    page.get_by_label("To").fill("2023-02-01")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(CHIPS)).to_have_text(["Date: Feb 1, 2023 – Mar 1, 2023×"])
    page.goto(f"{host}/host.html?q=council&from=2023-03-01")
    expect(page.locator(STATUS)).to_contain_text("14 results")
    value, count, _ = date_buckets(page)[0]  # whichever bucket the API gives first, at its interval
    first, last = bucket_days(value)
    page.locator(f'{W} button[data-facet="date"][data-value="{value}"]').click()
    expect(page.locator(f'{W} button[data-facet="date"][data-value="{value}"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator(STATUS)).to_have_text(re.compile(rf"^{count} results? for"))
    assert "from" not in params(page) and params(page)["date"] == [value]
    expect(page.get_by_label("From")).to_have_value(first.isoformat())
    expect(page.get_by_label("To")).to_have_value(last.isoformat())
    assert sent[-1]["from"] == [first.isoformat()] and sent[-1]["to"] == [last.isoformat()]
    assert not page.errors


def test_week_day_and_year_buckets_are_labelled_and_filter_by_their_days(page, host, artifacts):
    page.set_viewport_size(DESKTOP)
    sent = searches(page)
    # Three months of council news: the API answers in ISO weeks.
    page.goto(f"{host}/host.html?q=council")
    expect(page.locator(STATUS)).to_contain_text("14 results")
    buckets = date_buckets(page)
    assert buckets and all(re.fullmatch(r"\d{4}-W\d{2}", value) for value, _, _ in buckets), buckets
    assert sum(count for _, count, _ in buckets) == 14 and "date_interval" not in sent[-1]
    for value, _, label in buckets:
        monday = bucket_days(value)[0]
        assert label == f"Week of {monday:%B} {monday.day}, {monday.year}", (value, label)
    value, count, label = max(buckets, key=lambda b: b[1])
    first, last = bucket_days(value)
    button = page.locator(f'{W} button[data-facet="date"][data-value="{value}"]')
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")  # still listed at its interval, to be lifted
    expect(page.locator(STATUS)).to_have_text(re.compile(rf"^{count} results? for “council”$"))
    assert sent[-1]["from"] == [first.isoformat()] and sent[-1]["to"] == [last.isoformat()]
    assert sent[-1]["date_interval"] == ["week"] and params(page)["date"] == [value]
    published = page.locator(f"{W} ol.hits time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert len(published) == count and all(first <= date.fromisoformat(p[:10]) <= last for p in published), published
    expect(page.locator(CHIPS)).to_have_text([f"Date: {label}×"])
    page.screenshot(path=str(artifacts / "widget-week-1280.png"), full_page=True)
    button.click()
    expect(page.locator(STATUS)).to_contain_text("14 results")
    assert "date" not in params(page) and "from" not in sent[-1]

    # Two days of shootings: by day.
    page.goto(f"{host}/host.html?q=shot")
    expect(page.locator(STATUS)).to_contain_text("2 results")
    buckets = date_buckets(page)
    assert [value for value, _, _ in buckets] == ["2020-07-03", "2020-07-02"]
    assert [label for _, _, label in buckets] == ["July 3, 2020", "July 2, 2020"]
    page.locator(f'{W} button[data-facet="date"][data-value="2020-07-02"]').click()
    expect(page.locator(STATUS)).to_have_text("1 result for “shot”")
    assert sent[-1]["from"] == ["2020-07-02"] and sent[-1]["to"] == ["2020-07-02"]
    expect(page.locator(f"{W} ol.hits time")).to_have_attribute("datetime", re.compile(r"^2020-07-02"))

    # A site that asks for years (data-date-interval="year"); police news from 2020 to 2023.
    page.goto(f"{host}/years.html?q=police")
    expect(page.locator(STATUS)).to_contain_text("results for “police”")
    assert sent[-1]["date_interval"] == ["year"]
    buckets = date_buckets(page)
    assert len(buckets) >= 2 and all(re.fullmatch(r"\d{4}", value) and label == value for value, _, label in buckets), buckets
    value, count, _ = buckets[-1]  # the oldest year
    page.locator(f'{W} button[data-facet="date"][data-value="{value}"]').click()
    expect(page.locator(CHIPS)).to_have_text([f"Date: {value}×"])
    expect(page.locator(STATUS)).to_have_text(re.compile(rf"^{count} results? for “police”$"))
    assert sent[-1]["from"] == [f"{value}-01-01"] and sent[-1]["to"] == [f"{value}-12-31"]
    published = page.locator(f"{W} ol.hits time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert len(published) == count and all(p.startswith(value) for p in published), published
    expect(page.get_by_label("From")).to_have_value(f"{value}-01-01")

    # In the widget's language, as Intl writes it: a German page's weeks.
    page.goto(f"{host}/fixed.html?suche=council")
    expect(page.locator(STATUS)).to_have_text("6 Treffer für „council“")
    value, _, label = date_buckets(page)[0]
    monday = bucket_days(value)[0]
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"]
    assert label == f"Woche ab {monday.day}. {months[monday.month - 1]} {monday.year}", label
    assert not page.errors


def test_an_unreadable_date_or_sort_in_the_url_is_ignored(page, host):
    sent = searches(page)
    page.goto(f"{host}/host.html?q=council&from=2023-02-30&to=yesterday&sort=random")
    expect(page.locator(STATUS)).to_contain_text("14 results")
    assert "from" not in sent[-1] and "to" not in sent[-1] and "sort" not in sent[-1]
    expect(page.locator(CHIPS)).to_have_count(0)
    for bucket in ("2021-W53", "2023-W00", "2023-13", "2023-02-29", "2023-W18-01", "0000"):  # no such week, month, day
        page.goto(f"{host}/host.html?q=council&date={bucket}")
        expect(page.locator(STATUS)).to_contain_text("14 results")
        assert "from" not in sent[-1] and "date_interval" not in sent[-1], bucket
        expect(page.locator(CHIPS)).to_have_count(0)
    page.goto(f"{host}/host.html?q=council&date=2020-W53")  # 2020 has a week 53, ending on 3 January 2021
    expect(page.locator(CHIPS)).to_have_text(["Date: Week of December 28, 2020×"])
    expect(page.locator(STATUS)).to_have_text("0 results for “council”")
    assert sent[-1]["from"] == ["2020-12-28"] and sent[-1]["to"] == ["2021-01-03"] and sent[-1]["date_interval"] == ["week"]
    assert not page.errors


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["1280", "390"])
def test_choosing_a_name_completion_applies_it_as_its_filter(page, host, artifacts, width):
    page.set_viewport_size(width)
    sent = searches(page)
    page.goto(f"{host}/host.html?q=council")
    expect(page.locator(STATUS)).to_contain_text("14 results")
    combo = page.get_by_role("combobox", name="Search news")
    combo.fill("")
    combo.press_sequentially("rick", delay=20)
    option = page.locator(f"{W} [role=option]").filter(has_text="Rick Smith")
    expect(option).to_have_attribute("data-facet", "person")
    expect(option.locator(".k")).to_have_text("People")  # the kind is shown beside the name
    page.screenshot(path=str(artifacts / f"widget-completion-{width['width']}.png"))
    combo.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    combo.press("Enter")
    expect(page.locator(STATUS)).to_have_text("2 articles")
    assert params(page) == {"person": ["Rick Smith"]}  # a filter, not a text query
    assert sent[-1]["person"] == ["Rick Smith"] and sent[-1]["q"] == [""]
    expect(combo).to_have_value("")
    expect(page.locator(CHIPS)).to_have_text(["People: Rick Smith×"])
    expect(page.locator(HITS)).to_have_count(2)
    expect(page.locator(f'{W} button[data-facet="person"][data-value="Rick Smith"]')).to_have_attribute("aria-pressed", "true")
    assert not page.errors


def test_snippets_are_three_lines_at_most_with_one_ellipsis_between_fragments(page, host, artifacts):
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.goto(f"{host}/host.html?q=police")
        expect(page.locator(HITS)).to_have_count(5)
        snippets = page.locator(f"{W} ol.hits p.s")
        shapes = snippets.evaluate_all(
            "els => els.map(e => ({lines: Math.round(e.clientHeight / parseFloat(getComputedStyle(e).lineHeight)),"
            " clipped: e.scrollHeight > e.clientHeight + 1, text: e.textContent}))"
        )
        assert all(1 <= s["lines"] <= 3 for s in shapes), shapes
        assert any(s["clipped"] for s in shapes), shapes  # these snippets are longer than three lines
        for s in shapes:
            assert "… …" not in s["text"] and "……" not in s["text"], s["text"]
        page.screenshot(path=str(artifacts / f"widget-snippets-{size['width']}.png"), full_page=True)
    assert not page.errors


FOCUSED = """() => {
  const el = document.querySelector('#news-search').shadowRoot.activeElement;
  return el ? (el.getAttribute('aria-label') || el.getAttribute('type') || el.tagName.toLowerCase()) + ':' + el.textContent.trim() : '';
}"""
UNLABELLED = """() => {
  const root = document.querySelector('#news-search').shadowRoot;
  return [...root.querySelectorAll('input, select, button')].filter(el => {
    const named = el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent.trim());
    return !named && !(el.id && root.querySelector(`label[for="${el.id}"]`));
  }).map(el => el.outerHTML);
}"""


@pytest.mark.parametrize("width", [DESKTOP, PHONE], ids=["1280", "390"])
def test_every_control_is_labelled_and_reached_by_tab_before_the_results(page, host, width):
    page.set_viewport_size(width)
    page.goto(f"{host}/host.html?q=council&source=KSHB")
    expect(page.locator(STATUS)).to_contain_text("5 results")
    assert page.evaluate(UNLABELLED) == []
    page.get_by_role("combobox", name="Search news").focus()
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUSED))
    controls = ["submit:Search", "select:RelevanceNewest first", "Remove Source: KSHB:×", "button:Clear all"]
    if width is PHONE:  # the Filters button, then, with the facets closed, the first result's link
        assert order[:6] == [controls[0], "button:Filters1", *controls[1:], "a:" + page.locator(HITS).first.locator("h3").inner_text()]
    else:  # no Filters button at 1280 px; the facets follow the chips
        assert order[:5] == [*controls, "button:KCTV6"]


def test_a_folded_story_shows_its_versions_and_opens_on_them(page, host, api, artifacts):
    """Three papers carry one wire story under their own headlines: one hit, "3 versions", which
    opens on the other two with their sources, dates and links."""
    import json
    import urllib.request

    from tests.browser.conftest import WRITE_KEY

    body = ("The zeppelin museum in the harbour town reopened on Saturday after a two-year restoration of its "
            "airship hangar, with a new gallery on the first transatlantic flights, a rebuilt gondola and a "
            "workshop where visitors can watch restorers repair the fabric skin of the old ships.")
    papers = [("zep-1", "Harbour Gazette", "Zeppelin museum reopens after restoration", "2023-03-01T08:00:00Z"),
              ("zep-2", "Valley Courier", "Airship museum reopens its hangar", "2023-03-01T10:00:00Z"),
              ("zep-3", "Coast Herald", "Restored zeppelin hangar welcomes visitors", "2023-03-01T12:00:00Z")]

    def call(method: str, path: str, data: object | None = None) -> int:
        request = urllib.request.Request(f"{api}{path}", method=method, data=None if data is None else json.dumps(data).encode(),
                                         headers={"Content-Type": "application/json", "Authorization": f"Bearer {WRITE_KEY}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status

    for article_id, source, title, published in papers:
        assert call("PUT", f"/v1/articles/{article_id}?wait=true", {
            "title": title, "body": body, "source": source, "published": published,
            "url": f"https://news.example.org/{article_id}"}) == 201
    try:
        page.set_viewport_size(DESKTOP)
        page.goto(f"{host}/host.html")
        box = page.get_by_role("combobox", name="Search news")
        box.fill("zeppelin museum")
        box.press("Enter")
        expect(page.locator(STATUS)).to_have_text("1 result for “zeppelin museum”")
        hit = page.locator(HITS).first
        expect(hit.locator("h3 a")).to_have_attribute("href", "https://news.example.org/zep-1")
        summary = hit.locator("details.v summary")
        expect(summary).to_have_text("3 versions")
        versions = hit.locator("details.v li")
        expect(versions.first).not_to_be_visible()
        summary.click()
        expect(versions).to_have_count(2)
        expect(versions.nth(0)).to_contain_text("Coast Herald")
        expect(versions.nth(1)).to_contain_text("Valley Courier")
        expect(versions.nth(1).locator("a")).to_have_attribute("href", "https://news.example.org/zep-2")
        page.screenshot(path=str(artifacts / "widget-versions.png"), full_page=True)
        assert not page.errors
    finally:
        for article_id, *_ in papers:
            call("DELETE", f"/v1/articles/{article_id}?wait=true")
