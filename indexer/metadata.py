"""Article metadata (title, published date, publisher, dateline, author) from every evidence available.

Order of precedence, first that says wins, per field:

- title:     fields["title"] > HTML og:title > twitter:title > JSON-LD headline > <h1> > <title> (site-name suffix removed)
             > the text's headline line > the body's lead sentence (dateline removed, cut at a word boundary)
- published: fields["published"] > HTML meta (article:published_time, itemprop/name datePublished, pubdate, ...)
             > JSON-LD datePublished > <time datetime> > text header dates (`date 2020-07-03`, `September 16, 2021`,
             `Posted at ...`) > None
- source:    source_override (the CLI's --source) > fields["source"] > the URL's domain through domain_map (operator
             configuration, so it names a publisher the way the operator wants, e.g. `usatoday` -> `USA Today`)
             > JSON-LD publisher > og:site_name > JSON-LD WebSite name > application-name > the dateline's credit
             (`KANSAS CITY, MO (KCTV)` -> KCTV) > a known page template (data: indexer/data/sources.json)
             > a closing author bio (`X is the Executive Director of Liberty Alliance`) > the URL's bare domain > "unknown"
- dateline:  the body's opening `CITY, Region (CREDIT) —`, without the credit
- author:    fields["author"] > JSON-LD author > meta author / article:author / itemprop author > a `By X` byline
             > the name in a closing author bio > None
"""
from __future__ import annotations

import email.utils
import json
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

from dateutil import parser as date_parser
from dateutil import tz

from indexer.clean import DATELINE, load_sources, normalize_text, split_article

UNKNOWN = "unknown"
TITLE_MAX = 100  # characters, for a title derived from the lead sentence

_TZINFOS = {name: tz.gettz(zone) for name, zone in {
    "EST": "America/New_York", "EDT": "America/New_York", "CST": "America/Chicago", "CDT": "America/Chicago",
    "MST": "America/Denver", "MDT": "America/Denver", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "BST": "Europe/London", "CET": "Europe/Paris", "CEST": "Europe/Paris"}.items()}
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d|2100)(?!\d)")
_RFC822 = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_JS_DATE = re.compile(r"\s*GMT([+-]\d{4})(?:\s*\(.*\))?$")  # `Wed Nov 20 2019 08:00:58 GMT+0000 (UTC)`

_ARTICLE_TYPES = ("Article", "NewsArticle", "BlogPosting", "Report", "ReportageNews", "LiveBlogPosting", "ScholarlyArticle",
                  "AnalysisNewsArticle", "OpinionNewsArticle", "BackgroundNewsArticle", "TechArticle", "SocialMediaPosting")
_PUBLISHED_META = ("article:published_time", "datepublished", "og:published_time", "pubdate", "publishdate",
                   "publish-date", "publication_date", "dc.date.issued", "dc.date", "dcterms.created", "date",
                   "parsely-pub-date", "sailthru.date")
_AUTHOR_META = ("author", "article:author", "byl", "dc.creator", "parsely-author", "sailthru.author")
_TITLE_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|::|·|•|»)\s+")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "sgt", "lt", "col", "gen", "capt", "maj", "det", "ofc", "cpl", "gov",
                  "sen", "rep", "jr", "sr", "inc", "co", "corp", "ltd", "vs", "no", "ave", "blvd", "rd", "mt", "ft",
                  "mo", "kan", "calif", "ill", "fla", "tex", "ariz", "colo", "conn", "mass", "mich", "minn", "okla",
                  "penn", "tenn", "wash", "wis", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
                  "oct", "nov", "dec", "a.m", "p.m", "u.s", "u.k", "e.g", "i.e"}
_TRAILING_FUNCTION_WORDS = {"a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by",
                            "from", "as", "that", "which", "who", "is", "are", "was", "were", "after", "before", "near"}
_NAME = r"[A-Z][\w.'’\-]+(?:\s+[A-Z][\w.'’\-]+){1,3}"
_CLOSING_BIO = re.compile(
    rf"^(?P<name>{_NAME})\s+(?:is|was|serves as)\s+(?:the\s+|an?\s+)?(?P<role>[^.]{{2,80}}?)\s+(?:of|at|for|with)\s+"
    r"(?P<org>(?:the\s+)?[A-Z][\w&'’\-]*(?:\.\w+)*(?:\s+(?:[A-Z][\w&'’\-]*(?:\.\w+)*|of|and|for|the|&))*)")


@dataclass
class Metadata:
    title: str
    published: datetime | None   # timezone-aware (UTC when the source gives no zone), None when nothing says
    source: str                  # publisher; "unknown" only when nothing says
    dateline: str | None         # e.g. "KANSAS CITY, Mo." / "KANSAS CITY, MO"
    author: str | None


def parse_date(value: str) -> datetime | None:
    """The project's one date parser (ISO 8601, RFC 822, 'September 16, 2021', '2020-07-03', ...): aware datetime or None, never raises."""
    try:
        return _parse_date(value)
    except Exception:  # dateutil and the stdlib raise a zoo of errors on odd input; None is the answer to all of them
        return None


def _parse_date(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _plausible(datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=timezone.utc))
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).strip(" ,.;")
    if not text or len(text) > 80 or not _YEAR.search(text):
        return None  # no year: dateutil would silently fill in this year
    try:
        return _plausible(_aware(datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)))
    except ValueError:
        pass
    if _RFC822.match(text):
        try:
            return _plausible(_aware(email.utils.parsedate_to_datetime(text)))
        except (TypeError, ValueError, IndexError):
            pass
    text = _JS_DATE.sub(r" \1", text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = date_parser.parse(text, tzinfos=_TZINFOS, default=datetime(2000, 1, 1))
    return _plausible(_aware(parsed))


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None or value.utcoffset() is None else value


def _plausible(value: datetime) -> datetime | None:
    # Placeholders such as 0001-01-01 (seen in real JSON-LD) say nothing.
    return value if 1900 <= value.year <= 2100 else None


def extract_metadata(*, body: str, raw_text: str | None = None, html: str | None = None, url: str | None = None,
                     fields: Mapping[str, object] | None = None, source_override: str | None = None,
                     domain_map: Mapping[str, str] | None = None) -> Metadata:
    """Metadata from every evidence available, in the order of precedence in this module's docstring.
    body is the cleaned body text (from clean_text or from HTML main-text extraction); raw_text the original plain text when the
    input was text; html the raw page when the input was HTML."""
    fields = fields or {}
    body = body or ""
    page = _html_evidence(html) if html else {}
    parts = split_article(raw_text) if raw_text else None
    dateline, credit = find_dateline(body)
    bio = find_closing_bio(body)
    host = _host(url)

    title = (_text(fields.get("title")) or page.get("title") or (parts.headline if parts else None)
             or derive_title(body) or "")

    published = _parse_date(fields["published"]) if fields.get("published") else None
    if published is None:
        published = page.get("published")
    if published is None and parts:
        published = next((d for d in map(parse_date, parts.dates) if d), None)

    source = (_text(source_override) or _text(fields.get("source"))
              or lookup_domain(host, load_sources()["domains"] if domain_map is None else domain_map)
              or page.get("source") or credit
              or (template_publisher(parts.residue, dateline) if parts else None)
              or (bio[1] if bio else None) or _bare_domain(host) or UNKNOWN)

    author = (_text(fields.get("author")) or page.get("author")
              or (parts.byline if parts and parts.byline else None) or _body_byline(body)
              or (bio[0] if bio else None))
    return Metadata(title=title, published=published, source=source, dateline=dateline, author=author)


def _text(value: object) -> str | None:
    if value is None:
        return None
    # Fields from JSONL are as untrusted as body text: the same clean-up (NFC, no control characters).
    text = " ".join(normalize_text(str(value)).split())
    return text or None


# ---- text cues -------------------------------------------------------------------------------------------------

def find_dateline(body: str) -> tuple[str | None, str | None]:
    """(dateline, credit) from the body's opening `KANSAS CITY, MO (KCTV) –`: ("KANSAS CITY, MO", "KCTV")."""
    first = (body or "").lstrip().split("\n", 1)[0]
    m = DATELINE.match(first)
    if not m or len(m.group("city")) < 3:
        return None, None
    credit = m.group("credit")
    return m.group("dateline").strip(), (credit.strip() if credit else None)


def derive_title(body: str, limit: int = TITLE_MAX) -> str | None:
    """A title from the lead sentence: dateline removed, cut at a word boundary near `limit` characters."""
    lead = next((p for p in (body or "").split("\n\n") if p.strip()), "").strip()
    m = DATELINE.match(lead)
    if m:
        lead = lead[m.end():]
    sentence = _first_sentence(lead).rstrip(" .;:,")
    if not re.search(r"\w", sentence):
        return None
    if len(sentence) <= limit:
        return sentence
    words = sentence[:limit + 1].split()[:-1] or [sentence[:limit]]
    while len(words) > 1 and words[-1].lower().strip(",;:") in _TRAILING_FUNCTION_WORDS:
        words.pop()
    return " ".join(words).rstrip(" ,;:–—-") + "…"


def _first_sentence(text: str) -> str:
    for m in re.finditer(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])", text):
        before = text[:m.start()].rsplit(None, 1)
        word = before[-1].lower().lstrip("\"'“‘(") if before else ""
        if word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
            continue
        return text[:m.end()].strip()
    return text


def find_closing_bio(body: str) -> tuple[str, str] | None:
    """(author, organisation) from a closing bio such as `Chris Vas is the Executive Director of Liberty Alliance.`

    Only the last two paragraphs are read, and only a name the article has not mentioned before: a news story's
    closing paragraph about someone it quoted is not a bio."""
    paragraphs = [p for p in (body or "").split("\n\n") if p.strip()]
    for i in range(len(paragraphs) - 1, max(len(paragraphs) - 3, 0) - 1, -1):
        m = _CLOSING_BIO.match(paragraphs[i].strip())
        if not m:
            continue
        name = m.group("name")
        earlier = "\n".join(paragraphs[:i])
        if name.split()[-1] in earlier:
            return None
        org = re.sub(r"^the\s+", "", m.group("org")).rstrip(" .,")
        org = re.sub(r"\s+(?:of|and|for|the|&)$", "", org)
        return name, org
    return None


def _body_byline(body: str) -> str | None:
    first = (body or "").lstrip().split("\n", 1)[0]
    m = re.match(r"^By:?\s+(" + _NAME + r"(?:\s+and\s+" + _NAME + r")?)\s*$", first)
    return m.group(1) if m else None


def template_publisher(residue: tuple[str, ...], dateline: str | None) -> str | None:
    """The publisher of a known page template recognised from its residue lines (data: sources.json "templates")."""
    if not residue:
        return None
    city = dateline.split(",")[0].strip().upper() if dateline else None
    for template in load_sources().get("templates", []):
        patterns = [re.compile(p) for p in template["signature"]]
        hits = sum(1 for p in patterns if any(p.fullmatch(line) for line in residue))
        if hits >= template.get("min_matches", len(patterns)):
            return template.get("publisher_by_city", {}).get(city) or template.get("publisher")
    return None


# ---- URL -------------------------------------------------------------------------------------------------------

def _host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    return host.lower().removeprefix("www.") if host else None


def lookup_domain(host: str | None, domain_map: Mapping[str, str]) -> str | None:
    """The publisher for a host: the map's entry for the host or its nearest parent domain."""
    if not host:
        return None
    labels = host.split(".")
    for i in range(len(labels) - 1):
        name = domain_map.get(".".join(labels[i:]))
        if name:
            return name
    return None


def _bare_domain(host: str | None) -> str | None:
    return host if host and "." in host and not re.fullmatch(r"[\d.]+", host) else None


# ---- HTML ------------------------------------------------------------------------------------------------------

def _html_evidence(html: str) -> dict:
    try:
        from bs4 import BeautifulSoup
        soup = BeautifulSoup(html, "lxml")
    except Exception:
        return {}
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name") or tag.get("itemprop")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            meta.setdefault(key.strip().lower(), " ".join(content.split()))
    nodes = list(_jsonld_nodes(soup))
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    article = next((n for n in nodes if _is_type(n, _ARTICLE_TYPES)), None)
    webpage = next((n for n in nodes if _is_type(n, ("WebPage",))), None)
    website = next((n for n in nodes if _is_type(n, ("WebSite",))), None)

    publisher = None
    for node in (article, webpage, website):
        if node and publisher is None:
            publisher = _name_of(node.get("publisher"), by_id)
    site_names = [s for s in (publisher, meta.get("og:site_name"), _name_of(website, by_id),
                              meta.get("application-name")) if s]
    names = [n for n in (s.lstrip("@").strip() for s in site_names) if n]
    # A slug such as `detroitnews` or `nj` names the site only when nothing better does.
    source = next((n for n in names if not _is_slug(n)), names[0] if names else None)

    h1 = soup.find("h1")
    html_title = soup.title.get_text(" ", strip=True) if soup.title else None
    titles = [meta.get("og:title"), meta.get("twitter:title"), _text(article.get("headline")) if article else None,
              h1.get_text(" ", strip=True) if h1 else None, html_title]
    title = next((t for t in (strip_site_suffix(" ".join(t.split()), site_names) for t in titles if t) if t), None)

    published = None
    candidates = [meta.get(k) for k in _PUBLISHED_META]
    candidates += [n.get("datePublished") for n in (article, webpage) if n]
    times = soup.find_all("time", attrs={"datetime": True})
    times.sort(key=lambda t: not (t.get("itemprop") == "datePublished" or t.has_attr("pubdate")))
    candidates += [t.get("datetime") for t in times]
    for value in candidates:
        if value and (published := parse_date(str(value))):
            break

    authors = [_name_of(article.get("author"), by_id, people_only=True) if article else None]
    authors += [meta.get(k) for k in _AUTHOR_META]
    author = next((a for a in map(_person, authors) if a), None)
    return {"title": normalize_text(title) if title else None, "published": published, "source": source,
            "author": author}


def _jsonld_nodes(soup) -> list[dict]:
    nodes: list[dict] = []

    def walk(value: object) -> None:
        if isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            nodes.append(value)
            walk(value.get("@graph"))

    for script in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.I)}):
        text = script.string or script.get_text() or ""
        text = re.sub(r"^\s*(?:<!--|/\*\s*<!\[CDATA\[\s*\*/)|(?:-->|/\*\s*\]\]>\s*\*/)\s*$", "", text)
        try:
            walk(json.loads(text, strict=False))
        except ValueError:
            continue
    return nodes


def _is_type(node: dict, names: tuple[str, ...]) -> bool:
    types = node.get("@type")
    types = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t.split("/")[-1] in names for t in types)


def _name_of(value: object, by_id: Mapping[str, dict], people_only: bool = False) -> str | None:
    """The name of a JSON-LD person/organisation (resolving @id references), or names joined by ', '.
    people_only skips organisations (a page naming its own newsroom as author has no byline)."""
    if isinstance(value, list):
        names = [n for n in (_name_of(v, by_id, people_only) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        if "name" not in value and isinstance(value.get("@id"), str) and value["@id"] in by_id:
            value = by_id[value["@id"]]
        if people_only and _is_type(value, ("Organization", "NewsMediaOrganization", "Corporation")):
            return None
        return _text(value.get("name")) if not isinstance(value.get("name"), (dict, list)) else None
    return _text(value) if isinstance(value, str) else None


def _person(value: str | None) -> str | None:
    """A usable author name, or None for URLs, handles and slugs (`kevin-r`) that pages put in author fields."""
    if not value:
        return None
    name = re.sub(r"^by:?\s+", "", value.strip(), flags=re.I).strip(" ,")
    if not name or len(name) > 100 or re.search(r"https?:|www\.|/|@", name):
        return None
    if " " not in name and (name.islower() or "-" in name or "_" in name):
        return None
    return name


def _is_slug(name: str) -> bool:
    return name == name.lower() and " " not in name and "." not in name


def strip_site_suffix(title: str, site_names: list[str]) -> str:
    """`Headline | Site` or `Headline - Site` -> `Headline` when the last part names the site."""
    keys = [k for k in (re.sub(r"\W+", "", s.lower()) for s in site_names) if len(k) >= 3]
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2 or not keys:
        return title.strip()
    seps = _TITLE_SEPARATORS.findall(title)
    last = re.sub(r"\W+", "", parts[-1].lower())
    if last and any(last in k or k in last for k in keys):
        cut = title.rfind(seps[-1])
        title = title[:cut]
        # `Headline | Section | Site`: a short section label before the site name goes too.
        while seps[:-1] and seps[-2].strip() == "|" and len(parts) > 2 and len(parts[-2].split()) <= 3:
            seps, parts = seps[:-1], parts[:-1]
            title = title[:title.rfind(seps[-1])]
    return title.strip()
