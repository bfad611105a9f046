"""Plain-text cleaning: Unicode and whitespace normalisation, and removal of web-template residue.

A plain-text article is read as a header (the lines before the first paragraph of prose: breadcrumbs, share
buttons, a date, the headline, a byline, a photo credit) followed by the body. `split_article` separates the two
and keeps what the header said (headline, dates, byline, the residue lines it removed) for `indexer.metadata`;
`clean_text` returns only the body. The residue patterns are data, in `indexer/data/sources.json`.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SOURCES_FILE = Path(__file__).resolve().parent / "data" / "sources.json"

# Characters that are spaces in all but name, and characters that should not be there at all.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\v\f"
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
_TRANSLATE = {ord(c): " " for c in _SPACES} | {ord(c): None for c in _INVISIBLE} | {ord(k): v for k, v in _LIGATURES.items()}
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_RUN_OF_SPACES = re.compile(r" {2,}")
_BLANK_LINES = re.compile(r"\n\s*\n")

# Dates as they appear in headers; metadata.parse_date turns the matched text into a datetime.
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*[A-Z]{2,4}\b)?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
DATE_PATTERN = (
    rf"(?:(?:{_WEEKDAY}\s+)?(?:{_TIME},?\s+(?:on\s+)?)?"
    rf"(?:{_MONTH}\s+{_DAY},?\s+\d{{4}}|{_DAY}\s+{_MONTH},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?(?:Z|[+-]\d{{2}}:?\d{{2}})?)?"
    rf"|\d{{1,2}}/\d{{1,2}}/\d{{4}})"
    rf"(?:,?\s+(?:at\s+)?{_TIME})?)"
)
_DATE_SEARCH = re.compile(DATE_PATTERN, re.IGNORECASE)
_DATE_LINE = re.compile(
    rf"(?:(?:published|posted|updated|last updated|date|dated)\s*(?::|on|at)?\s*)?{DATE_PATTERN}\.?", re.IGNORECASE)
# A `date 2020-07-03` header glued to the front of the first line, as in the seeds.
_DATE_PREFIX = re.compile(rf"^\s*date\s*[:=]?\s*(?P<date>{DATE_PATTERN})\s*", re.IGNORECASE)
_BYLINE = re.compile(r"^by:?\s+(?P<name>[^\W\d_][\w.'’\- ]*(?:,\s*[\w.'’\- ]+)?)$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[\-–—―‒_*•·~=#]+$")

# A dateline opens a paragraph: `KANSAS CITY, Mo. —`, `KANSAS CITY, MO (KCTV) –`, `LONDON (Reuters) -`.
DATELINE = re.compile(
    r"^(?P<dateline>(?P<city>[A-Z][A-Z.'’\-]*(?:\s+[A-Z][A-Z.'’\-]*){0,3})"
    r"(?:,\s*(?P<region>[A-Z][A-Za-z.]*(?:\s+[A-Z][A-Za-z.]*){0,2}))?)"
    r"\s*(?:\((?P<credit>[A-Z][\w&.'’\- ]{0,30})\))?\s*(?:—|–|--|-)\s+"
)
_SENTENCE_END = re.compile(r"[.…:;,][\"'”’)\]]*$")
_ELLIPSIS_END = re.compile(r"(?:\.\.\.|…)[\"'”’)\]]*$")  # `Rivals of the £400 Apple...`: a teaser headline
_HEADER_LIMIT = 10  # header lines looked at before giving up on finding a header


@dataclass(frozen=True)
class TextParts:
    """What a plain-text article is made of: its cleaned body and what its header said."""
    body: str
    headline: str | None
    dates: tuple[str, ...]      # date texts found in the header, first one first
    byline: str | None          # the name from a `By ...` header line
    residue: tuple[str, ...]    # template lines removed, for recognising known page templates


@lru_cache(maxsize=1)
def load_sources() -> dict:
    """indexer/data/sources.json: domain map, residue lines, section names, known page templates."""
    with open(SOURCES_FILE, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _residue_pattern() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in load_sources()["residue_lines"]).join(["^(?:", ")$"]))


@lru_cache(maxsize=1)
def _breadcrumb_pattern() -> re.Pattern[str]:
    names = sorted(load_sources()["sections"], key=len, reverse=True)
    one = "|".join(re.escape(n) for n in names)
    return re.compile(rf"^(?:(?:{one})\s*[>/|›»:]?\s*)+$")


def normalize_text(text: str) -> str:
    """NFC, typographic/whitespace normalisation (non-breaking spaces, zero-width chars, runs of spaces), paragraphs kept
    as blocks separated by exactly one blank line. Used for any body text, from text or HTML.

    Each line is a paragraph, unless the text is hard-wrapped (blank-line separated blocks of 30-100 character lines that
    mostly do not end sentences), in which case a block's lines are joined into one paragraph."""
    return "\n\n".join(_paragraphs(text or ""))


def _lines(text: str) -> list[str]:
    text = _NEWLINES.sub("\n", text)
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    text = _CONTROL.sub("", text)
    return [_RUN_OF_SPACES.sub(" ", line).strip() for line in text.split("\n")]


def _paragraphs(text: str) -> list[str]:
    lines = _lines(text)
    blocks = [[ln for ln in block.split("\n") if ln] for block in _BLANK_LINES.split("\n".join(lines))]
    blocks = [b for b in blocks if b]
    if _hard_wrapped(blocks):
        return [" ".join(b) for b in blocks]
    return [ln for b in blocks for ln in b]


def _hard_wrapped(blocks: list[list[str]]) -> bool:
    multi = [b for b in blocks if len(b) >= 2]
    if not multi:
        return False
    wrapped = 0
    for block in multi:
        inner = block[:-1]
        open_ended = sum(1 for ln in inner if not re.search(r"[.!?:…][\"'”’)]*$", ln))
        if all(30 <= len(ln) <= 100 for ln in inner) and open_ended * 2 >= len(inner):
            wrapped += 1
    return wrapped * 2 > len(multi)


def clean_text(raw: str) -> str:
    """The body of a plain-text article: web-template residue removed (lines such as `NewsLocal News`, `Actions`, `Posted`,
    `and last updated`, a leading `date 2020-07-03` header, a leading date line like `September 16, 2021`, a trailing lone dash,
    indentation), the headline line removed when the text has one (it becomes the title), normalised, paragraphs separated by "\n\n"
    (in the seeds, each line is a paragraph)."""
    return split_article(raw).body


def is_prose(line: str) -> bool:
    """A line that reads as a paragraph of running text rather than a headline, label or credit."""
    words = len(line.split())
    if DATELINE.match(line) and words >= 4:
        return True
    ends_sentence = bool(_SENTENCE_END.search(line)) and not (words <= 12 and _ELLIPSIS_END.search(line))
    return words >= 30 or (words >= 4 and ends_sentence) or (
        words > 12 and line.rstrip("\"'”’").endswith(("?", "!")))


def split_article(raw: str) -> TextParts:
    """Split a plain-text article into its cleaned body and what its header said (headline, dates, byline, residue)."""
    paragraphs = _paragraphs(raw or "")
    dates: list[str] = []
    residue: list[str] = []
    byline: str | None = None

    if paragraphs:
        m = _DATE_PREFIX.match(paragraphs[0])
        if m:
            dates.append(m.group("date"))
            paragraphs[0] = paragraphs[0][m.end():]
            residue.append(m.group(0).strip())

    residue_re = _residue_pattern()
    kept: list[str] = []
    for para in paragraphs:
        if not para or _SEPARATOR.match(para):
            continue
        if residue_re.match(para):
            residue.append(para)
            dates.extend(m.group(0) for m in _DATE_SEARCH.finditer(para))
            continue
        kept.append(para)

    # The header: the lines before the first paragraph of prose.
    start = next((i for i, p in enumerate(kept[:_HEADER_LIMIT]) if is_prose(p)), None)
    if start is None and residue and len(kept) <= _HEADER_LIMIT:
        start = len(kept)  # template residue and no prose: what is left is header too (credits, labels)
    elif start is None:
        # No prose near the top: only a headline over a body can be told apart (e.g. a one-line-per-fact text).
        start = 1 if len(kept) >= 2 and _looks_like_headline(kept[0]) else 0
    header, body = kept[:start], kept[start:]

    headline: str | None = None
    lead: list[str] = []
    breadcrumb = _breadcrumb_pattern()
    for line in header:
        if _DATE_LINE.fullmatch(line):
            dates.append(line)
        elif breadcrumb.match(line):
            residue.append(line)
        elif (m := _BYLINE.match(line)) and len(line.split()) <= 8:
            byline = byline or m.group("name").strip()
        elif headline is None and body and _looks_like_headline(line):
            headline = line
        elif len(line.split()) > 6:
            lead.append(line)  # a standfirst or subheading: text, not header
        # Other short header lines (a photo credit such as `KCPD`, a section label) are dropped.
    body = lead + body

    # A date line right at the top of the body (after a headline) is a header too.
    while body and _DATE_LINE.fullmatch(body[0]):
        dates.append(body.pop(0))
    return TextParts(body="\n\n".join(body), headline=headline, dates=tuple(dates), byline=byline,
                     residue=tuple(residue))


def _looks_like_headline(line: str) -> bool:
    words = len(line.split())
    if words < 2 or words > 25 or DATELINE.match(line):
        return False
    if _SENTENCE_END.search(line) and not (words <= 12 and _ELLIPSIS_END.search(line)):
        return False
    return not (line.rstrip("\"'”’").endswith("?") and words > 12)
