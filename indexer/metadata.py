"""Article metadata (title, published date, publisher, dateline, author) from evidence only.

A publisher or a byline comes from something that says so, never from a capitalised phrase of running text;
an article with no evidence has no source (None) and no author. Order of precedence, first that says wins:

- title:     fields["title"] > HTML og:title > twitter:title > JSON-LD headline > <h1> > <title> (site-name suffix removed)
             > the text's headline line > the body's lead sentence (dateline removed, cut at a word boundary)
- published: fields["published"] > HTML: every meta form (article:published_time, article:published,
             itemprop=datePublished on any element, og:/dc/parsely/sailthru meta), JSON-LD datePublished (@graph too),
             <time datetime>, then htmldate's reading of the markup and URL > text header dates (`date 2020-07-03`,
             `September 16, 2021`, `Posted at ...`) > None
- source:    source_override (the CLI's --source) > fields["source"] (JSONL source/publisher/site_name) > the feed's
             `source_domain` or the URL's domain through domain_map (the outlets' own names, operator-editable:
             indexer/data/sources.json) > JSON-LD publisher > og:site_name > JSON-LD WebSite name > application-name
             > the dateline's credit (`KANSAS CITY, MO (KCTV) -` -> KCTV) > a known page template > an organisation's
             own closing statement (`X is the Executive Director of Liberty Alliance. Liberty Alliance is ...`)
             > one form of the feed's or URL's domain (`feeds.bbci.co.uk` -> `bbci.co.uk`) > None
- dateline:  the body's opening `CITY, Region (CREDIT) —`, without the credit
- author:    fields["author"] > JSON-LD author (people only) > meta author / article:author / byl / sailthru.author
             > byline markup (rel=author, itemprop=author, class *byline*) > a `By X` / `Written by X` line
             > the name in a closing author bio (`X is a technology correspondent for ...`) > None.
             A byline is a person's name: `By` and an agency suffix (`, Reuters`) go; a role or title before the name
             (`Actor Bruce Willis`, `Prime Minister Tony Blair`), a possessive, `The ...`, a newsroom (`Science X staff`)
             mean it is no byline at all.
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
_PUBLISHED_META = ("article:published_time", "article:published", "datepublished", "og:published_time",
                   "og:article:published_time", "article.published", "published_time", "pubdate", "publishdate",
                   "publish-date", "publication_date", "dc.date.issued", "dc.date", "dc.date.created", "dcterms.created",
                   "dcterms.issued", "dcterms.date", "date", "parsely-pub-date", "sailthru.date", "datecreated", "pdate")
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


@dataclass
class Metadata:
    title: str
    published: datetime | None   # timezone-aware (UTC when the source gives no zone), None when nothing says
    source: str | None           # publisher; None when nothing says
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
    page = _html_evidence(html, url) if html else {}
    parts = split_article(raw_text) if raw_text else None
    dateline, credit = find_dateline(body)
    host = _host(url)
    feed_host = _host(_text(fields.get("source_domain")))
    domains = load_sources()["domains"] if domain_map is None else domain_map

    title = (_text(fields.get("title")) or page.get("title") or (parts.headline if parts else None)
             or derive_title(body) or "")

    # A date field that cannot be read (a wire archive's "27-MAR-1987 02:17:09.88T C") leaves the
    # article dated by its markup or text instead of failing it.
    published = parse_date(fields["published"]) if fields.get("published") else None
    if published is None:
        published = page.get("published")
    if published is None and parts:
        published = next((d for d in map(parse_date, parts.dates) if d), None)

    source = (_text(source_override) or _text(fields.get("source"))
              or lookup_domain(feed_host, domains) or lookup_domain(host, domains)
              or page.get("source") or (_credit(credit) if credit else None)
              or (template_publisher(parts.residue, dateline) if parts else None)
              or sign_off_agency(body) or find_statement_publisher(body) or domain_form(feed_host or host))

    bio = find_closing_bio(body)
    author = (byline_name(_text(fields.get("author"))) or page.get("author")
              or (byline_name(parts.byline) if parts and parts.byline else None) or _body_byline(body)
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


_BIO = re.compile(
    rf"^(?P<name>{_NAME})\s+(?:is|writes|serves as)\s+(?:the\s+|an?\s+)?(?P<role>[^.]{{2,80}}?)\s+(?:of|at|for|with)\s+"
    r"(?P<org>(?:the\s+)?[A-Z][\w&'’\-]*(?:\.\w+)*(?:\s+(?:[A-Z][\w&'’\-]*(?:\.\w+)*|of|and|for|the|&))*)")
# What a writer's closing bio says its author is; heads of an organisation can also speak for it (below).
_WRITER_ROLE = re.compile(
    r"\b(?:writer|journalist|correspondent|reporter|editor|columnist|contributor|author|critic|analyst|commentator"
    r"|blogger|presenter|broadcaster|producer|director|president|founder|co-founder|chief executive|ceo|chair(?:man|woman)?"
    r"|professor|lecturer|fellow|researcher|economist|consultant|strategist|head)\b", re.I)
_HEAD_ROLE = re.compile(r"\b(?:executive director|director|president|founder|co-founder|chief executive|ceo"
                        r"|chair(?:man|woman)?)\b", re.I)
_BIO_MAX = 400  # characters: a bio is a short closing paragraph, not a story's last paragraph of news


def _closing_bio(body: str) -> tuple[str, str, str, str] | None:
    """(name, role, organisation, paragraph) of a writer's closing bio: one of the last two paragraphs (never the
    first), short, opening with a person's name the article has not mentioned before, `is a <writer role> of/for X`."""
    paragraphs = [p.strip() for p in (body or "").split("\n\n") if p.strip()]
    for i in range(len(paragraphs) - 1, max(len(paragraphs) - 3, 0), -1):
        paragraph = paragraphs[i]
        m = _BIO.match(paragraph)
        if not m or len(paragraph) > _BIO_MAX or not _WRITER_ROLE.search(m.group("role")):
            continue
        name = m.group("name")
        if not is_person_name(name) or name.split()[-1] in "\n".join(paragraphs[:i]):
            return None
        org = re.sub(r"^the\s+", "", m.group("org")).rstrip(" .,")
        org = re.sub(r"\s+(?:of|and|for|the|&)$", "", org)
        return name, m.group("role"), org, paragraph
    return None


def find_closing_bio(body: str) -> tuple[str, str] | None:
    """(author, organisation) from a writer's closing bio such as `Clark Boyd is a technology correspondent for The World`.

    Only the last two paragraphs are read (never the first), only a short one, only a writer's or an officer's role, and
    only a person's name the article has not mentioned before: a story's closing paragraph about someone it quoted is
    not a bio."""
    bio = _closing_bio(body)
    return (bio[0], bio[2]) if bio else None


def find_statement_publisher(body: str) -> str | None:
    """The organisation that publishes a piece signed by its head: `Chris Vas is the Executive Director of Liberty
    Alliance. Liberty Alliance is dedicated to ...`. The bio must name the organisation again, as an organisation's
    own statement does; a contributor's employer (`X is the editor of Develop magazine`) is not the publisher."""
    bio = _closing_bio(body)
    if not bio or not _HEAD_ROLE.search(bio[1]):
        return None
    _, _, org, paragraph = bio
    rest = paragraph.split(".", 1)[1] if "." in paragraph else ""
    return org if org and org in rest else None


# Words that make a capitalised phrase a role, a title or a description rather than a person's name.
_NOT_NAME_WORDS = frozenset("""
actor actress singer star rapper comedian director producer writer author presenter host model designer artist
minister prime president vice governor gov senator sen rep representative congressman congresswoman mayor chancellor
secretary judge justice attorney mr mrs ms miss mx dr sir dame lord lady prince princess king queen pope rev reverend
father sister brother archbishop bishop cardinal coach manager boss captain skipper striker midfielder defender
goalkeeper keeper winger wing flanker prop hooker lock fly-half scrum-half centre full-back fullback forward driver
rider player chairman chairwoman chair chief ceo former ex veteran shadow deputy general gen col sgt lt capt officer
detective inspector superintendent supt professor prof analyst economist spokesman spokeswoman spokesperson
republican democrat democratic conservative labour liberal tory tories youtuber influencer officials police
staff team desk newsroom editors reporters correspondents contributors agency wire wires news service
the a an this that his her their its our my
""".split())
_ALWAYS_NOT_NAME = frozenset({"the", "staff", "team", "desk", "newsroom", "editors", "reporters", "wire", "service"})
_AGENCY = re.compile(r"^(?:reuters|the associated press|associated press|ap|afp|agence france-presse|bloomberg(?: news)?"
                     r"|upi|pa|press association|dpa|xinhua|cnn|bbc(?: news)?|staff|staff writer|staff reporter"
                     r"|(?:senior |chief |special |technology |political |business |sports? )?(?:writer|correspondent"
                     r"|reporter|editor|contributor|columnist))$", re.I)
_PARTICLES = frozenset("de da di del della der den van von la le du dos das bin ibn al el st. y".split())


def is_person_name(name: str) -> bool:
    """True for what reads as a person's name (`Jamelle Bouie`, `J.P. Smith`, `Ludwig van Beethoven`); False for
    roles and titles before a name (`Actor Bruce Willis`), possessives (`Sweden's Robert Kronberg`), `The Kenyan`,
    newsrooms (`Science X staff`) and phrases of running text."""
    tokens = name.split()
    if not 2 <= len(tokens) <= 5 or len(name) > 60 or re.search(r"[\d@/:|()\[\]{}\"“”]", name):
        return False
    for i, token in enumerate(tokens):
        bare = token.strip(",").casefold()
        bare = bare.rstrip(".") if len(bare.rstrip(".")) > 1 else bare  # `Gov.` is `gov`; the initial `A.` stays `a.`
        if re.search(r"['’]s$", token) or bare.endswith("-hit"):
            return False
        # A surname may be a role word (King, Bishop, Judge); no other part of a name is.
        if bare in _NOT_NAME_WORDS and (i < len(tokens) - 1 or bare in _ALWAYS_NOT_NAME):
            return False
        if not token[0].isupper() and bare not in _PARTICLES:
            return False
    return True


def byline_name(value: str | None) -> str | None:
    """A byline's name(s) from what a page or record says: `By WALKER SIMON, Reuters` -> `Walker Simon`,
    `By Stefan Becket, Kathryn Watson, Grace Segers` as is; None when it names no person (`Science X staff`,
    `Actor Bruce Willis`, `The FBI`)."""
    if not value:
        return None
    text = " ".join(normalize_text(str(value)).split()).strip(" ,;|")
    text = re.sub(r"^(?:(?:written|reported|posted|story|words|text)\s+)?by:?\s+", "", text, flags=re.I).strip(" ,;|")
    if not text:
        return None
    kept: list[str] = []
    for part in re.split(r"\s*,\s*|\s*;\s*|\s+and\s+|\s*&\s*|\s+\|\s+|\s+[-–—]\s+", text):
        if not part:
            continue
        if (part.isupper() and len(part) > 4) or (part.islower() and " " in part):  # `WALKER SIMON`
            part = " ".join(w if re.fullmatch(r"(?:[A-Za-z]\.)+", w) else w.capitalize() for w in part.split())
        if _AGENCY.match(part) or re.match(r"^(?:for|of|at)\s", part, re.I):
            continue  # `, Reuters`, `, Staff Writer`, `for CNN`: who they write for, not who they are
        if not is_person_name(part):
            return None
        kept.append(part)
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return ", ".join(kept[:-1]) + " and " + kept[-1] if re.search(r"\s(?:and|&)\s", text) else ", ".join(kept)


def _body_byline(body: str) -> str | None:
    first = (body or "").lstrip().split("\n", 1)[0]
    m = re.match(r"^(?:Written\s+by|By):?\s+(" + _NAME + r"(?:(?:,\s+|\s+and\s+)" + _NAME + r")*)\s*$", first)
    return byline_name(m.group(1)) if m else None


# Wire stories end with the agency's sign-off (Reuters' `Reuter`, as in Reuters-21578).
_SIGN_OFF = re.compile(r"(?:^|\s)(?P<agency>Reuters?|REUTERS?)\s*$")


def sign_off_agency(body: str) -> str | None:
    """The agency whose sign-off ends the story: `... the company said.  Reuter` -> `Reuters`."""
    return "Reuters" if _SIGN_OFF.search((body or "")[-40:]) else None


def _credit(credit: str) -> str | None:
    """A dateline's credit names an agency or a station (`AP`, `Reuters`, `KCTV`), not a phrase of text."""
    return credit if _AGENCY.match(credit) or (len(credit.split()) <= 3 and credit.split()[0].isupper()) else None


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


_SLD = frozenset({"co", "com", "org", "net", "gov", "ac", "edu", "ne", "or", "go", "gob", "nic"})


def domain_form(host: str | None) -> str | None:
    """One form of a publisher's domain: the registered name, without `www.`, feed or section hosts
    (`feeds.bbci.co.uk` -> `bbci.co.uk`, `news.sky.com` -> `sky.com`); None for IP addresses and bare names."""
    if not host or "." not in host or re.fullmatch(r"[\d.]+", host):
        return None
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SLD else 2
    return ".".join(labels[-keep:])


# ---- HTML ------------------------------------------------------------------------------------------------------

def _html_evidence(html: str, url: str | None = None) -> dict:
    try:
        from bs4 import BeautifulSoup
        soup = BeautifulSoup(html, "lxml")
    except Exception:
        return {}
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        content = tag.get("content")
        if not isinstance(content, str) or not content.strip():
            continue
        # One tag may say it twice: `property="article:published" itemprop="datePublished dateCreated"`.
        keys = [tag.get("property"), tag.get("name"), *(str(tag.get("itemprop") or "").split())]
        for key in keys:
            if isinstance(key, str) and key.strip():
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

    authors = [_name_of(article.get("author"), by_id, people_only=True) if article else None]
    authors += [meta.get(k) for k in _AUTHOR_META]
    authors += _byline_markup(soup)
    author = next((a for a in map(_person, authors) if a), None)

    published = _page_published(soup, meta, nodes, article, webpage, url)  # last: may cap the soup's attributes
    return {"title": normalize_text(title) if title else None, "published": published, "source": source,
            "author": author}


def _page_published(soup, meta: Mapping[str, str], nodes: list[dict], article: dict | None, webpage: dict | None,
                    url: str | None) -> datetime | None:
    """The publication date a page states: meta tags, JSON-LD, microdata on any element, <time datetime>, then
    htmldate's reading of the markup and the URL (it knows more CMS conventions than we list)."""
    candidates: list[object] = [meta.get(k) for k in _PUBLISHED_META]
    candidates += [n.get("datePublished") for n in (article, webpage) if n]
    candidates += [n.get("datePublished") or n.get("dateCreated") for n in nodes]
    candidates += _parsely_dates(meta)
    for el in soup.find_all(attrs={"itemprop": re.compile(r"\bdate(?:Published|Created)\b|^published$", re.I)}):
        candidates += [el.get("content"), el.get("datetime"), el.get_text(" ", strip=True)]
    times = soup.find_all("time", attrs={"datetime": True})
    times.sort(key=lambda t: not (t.get("itemprop") == "datePublished" or t.has_attr("pubdate")))
    candidates += [t.get("datetime") for t in times if "updated" not in " ".join(t.get("class") or []).lower()]
    for value in candidates:
        if value and (published := parse_date(str(value))):
            return published
    return _htmldate(soup, url)


def _parsely_dates(meta: Mapping[str, str]) -> list[object]:
    raw = meta.get("parsely-page")
    if not raw:
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    return [data.get("pub_date")] if isinstance(data, dict) else []


# htmldate's XPath cost grows with the attributes of an element (100,000 on one <p>: a minute); no
# real element has more than a few dozen (indexer/html.py caps them the same way for trafilatura).
_MAX_ATTRIBUTES = 64


def _htmldate(soup, url: str | None) -> datetime | None:
    """htmldate's reading of the page (markup and URL only, no guessing from the text). It is given the page
    re-serialised from our soup with attributes capped, parsed into a tree: lxml's own parser takes tens of
    seconds on an element with 100,000 attributes, and htmldate downloads a str that looks like a URL."""
    try:
        import lxml.html
        from htmldate import find_date

        for tag in soup.find_all(True):
            if len(tag.attrs) > _MAX_ATTRIBUTES:
                tag.attrs = dict(list(tag.attrs.items())[:_MAX_ATTRIBUTES])
        tree = lxml.html.fromstring(str(soup).encode("utf-8", "surrogatepass"))
        found = find_date(tree, url=url, original_date=True, extensive_search=False,
                          outputformat="%Y-%m-%dT%H:%M:%S%z")
    except Exception:  # lxml and htmldate raise on odd markup; no date is the answer
        return None
    return parse_date(found) if found else None


_BYLINE_CLASS = re.compile(r"byline|author-?name|article-author|story-author|c-byline__author", re.I)


def _byline_markup(soup) -> list[str]:
    """Names in byline markup: rel=author links, itemprop=author elements, elements whose class says byline/author."""
    found: list[str] = []
    for el in soup.find_all(attrs={"itemprop": "author"}):
        name = el.find(attrs={"itemprop": "name"})
        found.append((name or el).get("content") or (name or el).get_text(" ", strip=True))
    for el in soup.find_all("a", attrs={"rel": "author"}):
        found.append(el.get_text(" ", strip=True))
    for el in soup.find_all(["span", "div", "p", "a"], class_=_BYLINE_CLASS, limit=10):
        text = el.get_text(" ", strip=True)
        if 3 <= len(text) <= 120:
            found.append(text)
    return [f for f in found if f]


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
    return byline_name(name)


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
