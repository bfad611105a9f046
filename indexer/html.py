"""Main-text extraction from news HTML pages.

trafilatura finds the article; BeautifulSoup (lxml) rules prepare the page before it and clean its
output after it; the page's JSON-LD ``articleBody`` is used as evidence, not as the answer.
Measured by ``python -m bench.extraction``.
"""

from __future__ import annotations

import html as htmllib
import json
import logging
import re
import unicodedata
import warnings
from collections import Counter

import trafilatura
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning
from trafilatura.settings import use_config

log = logging.getLogger(__name__)

# Pages larger than this are cut before parsing: real articles are far smaller, and the cap keeps
# a pathological input from taking seconds.
MAX_HTML_CHARS = 8_000_000

# A page whose every line is shorter than this (headings, link labels) has no article text.
MIN_PROSE_CHARS = 60

_CONFIG = use_config()
# The default timeout uses SIGALRM, which only works in the main thread; workers may be threads.
_CONFIG.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000\r\f\v]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WORD = re.compile(r"\w+")

# The rules below, by name; the benchmark switches them off one at a time (--ablate) to show what
# each is worth. embeds: lift embedded social posts out of their wrappers; popups: drop hover cards
# inside paragraphs; merge: join an article body split into blocks; lines: drop call-to-action
# paragraphs; titles: drop the headline repeated at the top of the text.
RULES = frozenset({"embeds", "popups", "merge", "lines", "titles"})

# Class names of the blocks an article body is written in ("article__body", "story-content").
_BODY_CLASS = re.compile(r"body|content|article|story|entry|text", re.I)
# Inline pop-ups (hover cards, tooltips) nested in a paragraph: hidden until hovered, not prose.
_POPUP_CLASS = re.compile(r"rollover|hovercard|tooltip|popover|popup", re.I)

# Social posts embedded in the story are quoted material the article is about; trafilatura drops
# them by class name, so they are turned into plain block quotes first.
_EMBED_QUOTE_CLASS = re.compile(r"^(twitter-tweet|instagram-media|tiktok-embed)$", re.I)

# A paragraph that is a call to action or a pointer elsewhere, not part of the story.
_BOILERPLATE_LINE = re.compile(
    r"""^(?:
        (?:follow|like)\s+(?:us|@?\w+(?:\s+\w+){0,4})\s+on\s+(?:twitter|facebook|instagram|linkedin|youtube|tiktok)\b
      | (?:sign\s+up|subscribe)\b.{0,80}\b(?:newsletter|updates|inbox)\b
      | get\s+the\s+latest\b.{0,60}\b(?:inbox|newsletter)\b
      | (?:click|tap)\s+here\b
      | (?:read|see|watch)\s+(?:more|also|next)\b\s*(?:[:\-–—|]|$)
      | (?:also\s+read|related|recommended|more\s+on\s+this|don'?t\s+miss|trending)\s*[:\-–—]
      | (?:also\s+on\s+\S+\.\w{2,4})\b
      | like\s+this\s+story\b
      | share\s+(?:this|on)\b
      | tell\s+us\s+what\s+you\s+think\b
      | have\s+a\s+tip\b
      | advertisement$
      | \d*\s*comments?$
      | updated\s+at\s+\d
    )""",
    re.I | re.X,
)
_SHORT_BOILERPLATE = re.compile(r"^(?:don'?t\s+miss|related(?:\s+(?:articles?|stories|posts))?|"
                                r"tags?|share|comments?|advertisement|read\s+more|see\s+more|"
                                r"more\s+stories|leggi\s+anche|lire\s+aussi|lesen\s+sie\s+auch)\s*:?$", re.I)


def extract_main_text(html: str, url: str | None = None, *, rules: frozenset[str] = RULES) -> str:
    """The article's main text: paragraphs separated by a blank line ("\\n\\n"), no navigation, ads, share bars,
    comments, related links, captions of unrelated media, scripts or styles. '' when the page has no article text."""
    try:
        if isinstance(html, bytes):
            html = html.decode("utf-8", errors="replace")
        if not html or not html.strip():
            return ""
        return _extract(html[:MAX_HTML_CHARS], url, rules)
    except Exception as exc:  # a broken page must never stop a batch
        log.warning("html extraction failed for %s: %s", url or "<page>", exc)
        return ""


def _soup(markup: str) -> BeautifulSoup:
    # Feeds, XHTML and bare URLs reach us too; bs4's advice about them is noise here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        return BeautifulSoup(markup, "lxml")


def _extract(html: str, url: str | None, rules: frozenset[str]) -> str:
    soup = _soup(html)
    _cap_attributes(soup)
    bodies = _jsonld_bodies(soup)
    titles = _titles(soup)
    headlines = _headlines(soup)
    _prepare(soup, rules)
    prepared = str(soup)
    text = _trafilatura(prepared, url, favor_precision=True)
    paragraphs = _paragraphs(text)
    paragraphs = _drop_boilerplate(paragraphs, titles, rules, headlines)
    if bodies:
        paragraphs = _weigh_jsonld(paragraphs, max(bodies, key=len))
    if not _has_prose(paragraphs):
        return ""
    return "\n\n".join(paragraphs)


# trafilatura's cost grows faster than linearly with the attributes of one element (100,000 on a
# <p> took minutes); no real element has more than a few dozen.
MAX_ATTRIBUTES = 64


def _cap_attributes(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(True):
        if len(tag.attrs) > MAX_ATTRIBUTES:
            tag.attrs = dict(list(tag.attrs.items())[:MAX_ATTRIBUTES])


def _has_prose(paragraphs: list[str]) -> bool:
    """False for what is left of a listing or navigation page: a few short headings, no sentences."""
    return any(len(p) >= MIN_PROSE_CHARS for p in paragraphs) or sum(map(len, paragraphs)) >= 3 * MIN_PROSE_CHARS


def _weigh_jsonld(paragraphs: list[str], body: str) -> list[str]:
    """The publisher's own articleBody wins only when the page gave us little or none of it.

    Used blindly it loses (it is sometimes a teaser, or carries markup), so it replaces the
    extracted text only when that text is missing or covers a small part of the declared body.
    """
    declared = _paragraphs(_jsonld_text(body))
    declared_words = _WORD.findall(" ".join(declared).lower())
    if len(declared_words) < 50:
        return paragraphs
    ours = Counter(_WORD.findall(" ".join(paragraphs).lower()))
    covered = sum((Counter(declared_words) & ours).values()) / len(declared_words)
    return declared if covered < 0.5 else paragraphs


def _jsonld_text(body: str) -> str:
    if "<" in body and re.search(r"<(?:p|br|div|body)\b", body, re.I):
        fragment = _soup(body)
        for br in fragment.find_all("br"):
            br.replace_with("\n")
        blocks = fragment.find_all(["p", "h2", "h3", "h4", "li", "blockquote"])
        if blocks:
            return "\n".join(b.get_text() for b in blocks if not b.find(["p", "li"]))
        return fragment.get_text("\n")
    return htmllib.unescape(body)


def _trafilatura(html: str, url: str | None, **options) -> str:
    try:
        return trafilatura.extract(
            html, url=url, config=_CONFIG, include_comments=False, include_tables=True,
            include_images=False, deduplicate=False, **options,
        ) or ""
    except Exception as exc:
        log.debug("trafilatura failed: %s", exc)
        return ""


def _prepare(soup: BeautifulSoup, rules: frozenset[str]) -> None:
    """Rewrite the page so that the extractor sees the story the way a reader does."""
    if "embeds" in rules:
        _unwrap_embedded_posts(soup)
    if "popups" in rules:
        _drop_popups(soup)
    if "merge" in rules:
        _merge_split_bodies(soup)


def _unwrap_embedded_posts(soup: BeautifulSoup) -> None:
    # The wrapper of an embed ("social-media-embed") is what extractors discard; lift the quote out.
    for quote in soup.find_all("blockquote", class_=_EMBED_QUOTE_CLASS):
        del quote["class"]
        text = quote.get_text(" ", strip=True)
        outer = quote
        while outer.parent is not None and outer.parent.name in ("div", "figure", "section", "span"):
            if outer.parent.get_text(" ", strip=True) != text:
                break
            outer = outer.parent
        if outer is not quote:
            outer.replace_with(quote.extract())


def _drop_popups(soup: BeautifulSoup) -> None:
    # Innermost first, so that a card goes and the name it hangs on stays.
    popups = [el for p in soup.find_all("p") for el in p.find_all(["span", "div"], class_=_POPUP_CLASS)]
    for popup in reversed(popups):
        if not popup.decomposed and (popup.find("img") is not None or len(popup.find_all("a")) > 1):
            popup.decompose()


def _merge_split_bodies(soup: BeautifulSoup) -> None:
    """An article body cut into several same-class blocks (ads between them) is joined into the first."""
    groups: dict[tuple, list[Tag]] = {}
    for el in soup.find_all(["div", "section"], class_=_BODY_CLASS):
        paras = [p for p in el.find_all("p", recursive=False) if len(p.get_text(strip=True)) >= 80]
        if paras:
            groups.setdefault((el.name, tuple(el.get("class", ()))), []).append(el)
    for blocks in groups.values():
        if len(blocks) < 2:
            continue
        first = blocks[0]
        for block in blocks[1:]:
            if any(parent in blocks for parent in block.parents):
                continue
            for child in list(block.children):
                first.append(child.extract())
            block.decompose()


def _paragraphs(text: str) -> list[str]:
    out = []
    for line in text.split("\n"):
        line = _clean_line(line)
        if line:
            out.append(line)
    return out


def _clean_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line)
    line = _ZERO_WIDTH.sub("", line)
    return _SPACES.sub(" ", line).strip()


def _drop_boilerplate(paragraphs: list[str], titles: set[str], rules: frozenset[str],
                      headlines: frozenset[str] = frozenset()) -> list[str]:
    kept = []
    for i, para in enumerate(paragraphs):
        if "lines" in rules and _BOILERPLATE_LINE.match(para) and len(para) < 300:
            continue
        if "lines" in rules and _SHORT_BOILERPLATE.match(para):
            continue
        if "titles" in rules and i < 3 and (_norm(para) in titles or (not kept and _norm(para) in headlines)):
            continue
        kept.append(para)
    return kept


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _headlines(soup: BeautifulSoup) -> frozenset[str]:
    """The page's own headline (its <h1>, og:title, twitter:title), normalised, whatever its length:
    as the first line of the text it is the headline repeated (and would become the summary), not
    the story. (`_titles` asks three words of a spelling, since it also takes pieces of <title>.)"""
    found = [meta["content"] for attrs in ({"property": "og:title"}, {"name": "twitter:title"}, {"property": "twitter:title"})
             if (meta := soup.find("meta", attrs=attrs)) and meta.get("content")]
    h1 = soup.find("h1")
    if h1:
        found.append(h1.get_text(" "))
    return frozenset(n for n in (_norm(t) for t in found) if n)


def _titles(soup: BeautifulSoup) -> set[str]:
    """The page's headline in its usual spellings, normalised for comparison."""
    found = []
    for attrs in ({"property": "og:title"}, {"name": "twitter:title"}, {"property": "twitter:title"}):
        meta = soup.find("meta", attrs=attrs)
        if meta and meta.get("content"):
            found.append(meta["content"])
    h1 = soup.find("h1")
    if h1:
        found.append(h1.get_text(" "))
    if soup.title and soup.title.string:
        title = soup.title.string
        found.append(title)
        found.extend(re.split(r"\s+[|\-–—:·]\s+", title))
    return {n for n in (_norm(t) for t in found) if len(n.split()) >= 3}


def _jsonld_bodies(soup: BeautifulSoup) -> list[str]:
    bodies = []
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        try:
            data = json.loads(script.string or script.get_text() or "", strict=False)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                body = item.get("articleBody")
                if isinstance(body, str) and body.strip():
                    bodies.append(body)
                stack.extend(v for v in item.values() if isinstance(v, (list, dict)))
    return bodies
