"""Main-text extraction from HTML pages: real news pages (scrapinghub's benchmark, MIT) and small made pages."""

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from indexer.html import extract_main_text

HTML = Path(__file__).resolve().parent.parent / "fixtures" / "html"
AEB = HTML / "aeb"
TRUTH = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))


def page(name: str) -> str:
    return (HTML / name).read_text(encoding="utf-8", errors="replace")


def real_page(prefix: str) -> tuple[str, str, str]:
    """(html, url, ground-truth text) of the benchmark page whose id starts with prefix."""
    (page_id,) = [i for i in TRUTH if i.startswith(prefix)]
    html = (AEB / f"{page_id}.html").read_text(encoding="utf-8")
    return html, TRUTH[page_id]["url"], TRUTH[page_id]["articleBody"]


def shingle_f1(predicted: str, truth: str, n: int = 4) -> float:
    """The benchmark's metric for one page: F1 over multisets of 4-word shingles."""

    def shingles(text: str) -> Counter:
        words = re.findall(r"\w+", text)
        return Counter(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)))

    pred, gold = shingles(predicted), shingles(truth)
    tp = sum((pred & gold).values())
    if not tp:
        return 0.0
    precision, recall = tp / sum(pred.values()), tp / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


@pytest.fixture(scope="module")
def boilerplate_text() -> str:
    return extract_main_text(page("boilerplate.html"), "https://gazette.example/news/riverside-bridge")


def test_article_paragraphs_are_kept_in_order(boilerplate_text):
    first = boilerplate_text.find("The Riverside bridge will stay closed for at least two weeks")
    quote = boilerplate_text.find("“We are not going to reopen a bridge that we cannot fully trust,”")
    last = boilerplate_text.find("Residents near the riverbank were urged to keep sandbags in place")
    assert 0 <= first < quote < last


def test_paragraphs_are_separated_by_one_blank_line(boilerplate_text):
    paragraphs = boilerplate_text.split("\n\n")
    assert len(paragraphs) == 5
    assert all(p == p.strip() and "\n" not in p and "  " not in p for p in paragraphs)
    assert paragraphs[3].startswith("Bus routes 4 and 12 will be rerouted")


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Weather Center",  # navigation
        "Buy discount mattresses",  # ad
        "Share on Facebook",  # share bar
        "Tweet this story",
        "Morning Briefing newsletter",  # call to action
        "Council approves new budget",  # related links
        "detour is a nightmare",  # comments
        "Sponsored: the comfiest mattress",  # caption of unrelated media
        "tracking-script-text",  # scripts
        "poll-inline-script-text",
        "font-family",  # styles
        "All rights reserved",  # footer
    ],
)
def test_boilerplate_is_removed(boilerplate_text, boilerplate):
    assert boilerplate not in boilerplate_text


def test_headline_is_not_repeated_as_body(boilerplate_text):
    assert "River flood closes Riverside bridge" not in boilerplate_text


def test_whitespace_is_collapsed_and_text_is_nfc():
    text = extract_main_text(page("boilerplate.html"))
    assert text == unicodedata.normalize("NFC", text)
    assert not re.search(r"[ \t]{2,}|\n{3,}", text)


def test_jsonld_article_body_is_used_when_the_page_has_no_rendered_text():
    text = extract_main_text(page("jsonld-only.html"))
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("The central library will open on Sundays from April")
    assert "council's culture committee" in paragraphs[1]  # entities decoded
    assert "<p>" not in text and "JavaScript" not in text


def test_real_page_with_jsonld_article_body_matches_the_ground_truth():
    html, url, truth = real_page("92101975")  # Sky News: a JSON-LD articleBody and the rendered article
    text = extract_main_text(html, url)
    assert shingle_f1(text, truth) >= 0.95
    assert "<p>" not in text


def test_embedded_social_posts_quoted_by_the_story_are_kept_and_calls_to_action_dropped():
    html, url, truth = real_page("3f65af7b")  # NJ.com: tweets quoted between paragraphs
    text = extract_main_text(html, url)
    assert "Yes this is real and yes the state spent nearly half a million dollars on it" in text
    assert "Subscribe to NJ.com" not in text
    assert "Have a tip?" not in text
    assert shingle_f1(text, truth) >= 0.95


def test_hover_cards_inside_paragraphs_are_dropped_but_the_name_stays():
    html, url, truth = real_page("6ebac05f")  # The Hill: a pop-up of headlines after each name
    assert "Sanders doubles down on Bolivia" in html
    text = extract_main_text(html, url)
    assert "Sanders doubles down on Bolivia" not in text
    assert "Rep. Alexandria Ocasio-Cortez (D-N.Y.) shortly after the arrest" in text
    assert shingle_f1(text, truth) >= 0.95


def test_listing_page_has_no_article_text():
    assert extract_main_text(page("listing.html")) == ""


def test_truncated_page_gives_the_text_it_has():
    text = extract_main_text(page("truncated.html"))
    assert text.startswith("The Riverside bridge will stay closed")
    assert "said the city’s chief engineer, Marta Okafor" in text


@pytest.mark.parametrize("name", ["empty.html", "odd.html"])
def test_empty_and_odd_documents_do_not_raise(name):
    assert isinstance(extract_main_text(page(name)), str)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "html",
    ["", "   \n", "<", "<html><body></body></html>", "\x00\x00", "<p>hi</p>", "https://example.com/a",
     '<?xml version="1.0"?><rss><channel><item><title>A feed, not a page</title></item></channel></rss>'],
)
def test_degenerate_input_gives_empty_text_without_warnings(html):
    assert extract_main_text(html) == ""


def test_a_short_headline_is_not_repeated_as_the_first_paragraph():
    # "Budget approved" is two words: too short for the <title> pieces' rule, but it is the page's <h1>.
    text = extract_main_text(page("short-headline.html"))
    assert text.startswith("The city council voted on Tuesday")
    assert "Budget approved" not in text
