"""Entities at the level of the archive: what every article's mentions say about a name, together.

One sentence's NER label is weak evidence; the archive's is strong. `ArchiveEntities` gathers,
from every article's mentions (Article.entity_mentions, written by indexer/entities.py):

- the kinds each name was given, one vote per article (the article's own decision), plus the
  gazetteer (indexer/gazetteer.py): "Biden" labelled a place in one article is a person here;
- its spellings: one form per name, whatever the case or diacritics ("Pelé" and "Pele");
- the full names of people by surname and by leading words: a lone "McCarthy" takes the full name
  that dominates that surname across the archive ("Kevin McCarthy"), "Lisa Marie" the longer
  name it starts ("Lisa Marie Presley"); a single name that is never part of a longer one and is a
  person in several articles is a mononym ("Pelé") and stays; any other lone name stays out;
- how often a single capitalised word is also written in lower case ("Budget", "Digital").

Where it lives: with the index (`SearchBackend.write_meta("entities")`), rebuilt from the stored
mentions by `refresh_entities` at the end of each `newsearch index` run that changed something,
and by `newsearch entities --refresh`. Articles written through the API are decided with the
registry as it stands; older articles follow at the next refresh, which rewrites only the articles
whose facet values change.
"""
from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from .entities import (KINDS, ORGS, PEOPLE, PLACES, Archive, Mention, _has_org_word, _initials, _is_club, decide,
                       local_kind, mentions_from_json)
from .gazetteer import fold, is_certain_place, place

if TYPE_CHECKING:
    from search.backend import SearchBackend

META_NAME = "entities"
VERSION = 3

LOWER_WORD = re.compile(r"(?<![\w.'’-])[a-z][a-z]+(?![\w'’-])")

# A surname resolves to the full name holding at least this share of that surname's articles.
DOMINANT = 0.6
# A single name is a mononym when it is a person in at least this many articles and never the
# first or last word of a longer name.
MONONYM_ARTICLES = 2


class ArchiveEntities(Archive):
    """The registry: plain counters, built from mentions, saved as JSON with the index."""

    def __init__(self) -> None:
        self.kinds: dict[str, Counter] = defaultdict(Counter)  # key -> kind -> articles
        self.forced: dict[str, str] = {}
        self.spellings: dict[str, Counter] = defaultdict(Counter)
        self.lower: Counter = Counter()  # single-word key -> articles writing it in lower case
        self.by_last: dict[str, Counter] = defaultdict(Counter)  # surname key -> full-name key -> articles
        self.by_first: dict[str, Counter] = defaultdict(Counter)  # first-word key -> full-name key -> articles
        self.by_prefix: dict[str, Counter] = defaultdict(Counter)  # leading words -> full-name key -> articles
        self.works: Counter = Counter()  # key -> articles naming it as a work
        self.in_text: Counter = Counter()  # key -> articles naming it outside a Title Case headline
        # Organisations' full names by their initials and by their first and last words: what an
        # acronym ("FAA") or a short name ("Bengals", "Wagner") of the archive stands for.
        self.org_initials: dict[str, Counter] = defaultdict(Counter)
        self.org_words: dict[str, Counter] = defaultdict(Counter)
        self.lower_text: Counter = Counter()  # word -> articles whose text writes it in lower case
        self.articles = 0

    # -- building --------------------------------------------------------------------------------
    def add(self, mentions: Iterable[Mention]) -> None:
        """One article's mentions."""
        self.articles += 1
        for m in mentions:
            key = fold(m.name)
            kind = local_kind(m)
            self.kinds[key][kind] += 1
            if m.forced:
                self.forced.setdefault(key, m.forced)
            self.spellings[key][m.name] += 1
            words = key.split()
            if m.lower:
                self.lower[key] += 1
            if m.work:
                self.works[key] += 1
            if not m.headline:
                self.in_text[key] += 1
            if kind == ORGS and len(words) > 1 and not m.work:
                initials = _initials(m.name)
                if len(initials) >= 2:
                    self.org_initials[initials.casefold()][key] += 1
                if len(words) == 2:
                    self.org_words[words[0]][key] += 1
                    self.org_words[words[-1]][key] += 1
            if kind == PEOPLE and len(words) > 1 and not m.forced and not m.work:
                self.by_last[words[-1]][key] += 1
                self.by_first[words[0]][key] += 1
                for n in range(2, len(words)):
                    self.by_prefix[" ".join(words[:n])][key] += 1

    def add_text(self, text: str) -> None:
        """One article's text: which words it writes in lower case (for `is_word`)."""
        self.lower_text.update(set(LOWER_WORD.findall(text)))

    @classmethod
    def build(cls, articles: Iterable[Iterable[Mention]], texts: Iterable[str] = ()) -> "ArchiveEntities":
        registry = cls()
        for mentions in articles:
            registry.add(mentions)
        for text in texts:
            registry.add_text(text)
        return registry

    # -- what it says ----------------------------------------------------------------------------
    def kind(self, key: str) -> str | None:
        if key in self.forced:
            return self.forced[key]
        votes = self.kinds.get(key)
        if not votes:
            return None
        if is_certain_place(key):
            return PLACES
        votes = Counter(votes)
        if _is_club(self.spelling(key) or key):
            return ORGS
        spelling = self.spelling(key) or key
        if votes[ORGS] and _has_org_word(spelling) and votes[ORGS] >= votes[PEOPLE]:
            return ORGS
        words = key.split()
        if place(key):
            # A big city outweighs its mislabels as a person (cities are rarely people's names:
            # half its person votes, and one), not its use for a club ("Newcastle beat Leeds").
            votes[PLACES] += votes[PEOPLE] // 2 + 1
        elif len(words) > 1 and not _has_org_word(spelling) and self._first_name(words[0], key):
            # "Nicola Sturgeon", often labelled an organisation: its first word starts other
            # people's names across the archive, so it reads as a person's name.
            votes[PEOPLE] += votes[ORGS]
        if len(words) == 1 and self.by_last.get(key):
            # A surname: the articles naming its people in full are evidence for a person.
            votes[PEOPLE] += sum(self.by_last[key].values())
        return max(KINDS, key=lambda k: (votes[k], -(PEOPLE, PLACES, ORGS).index(k)))

    def _first_name(self, word: str, besides: str) -> bool:
        """Other people's names across the archive start with this word (two at least)."""
        names = self.by_first.get(word)
        return bool(names) and len(names) - (besides in names) >= 2

    def spelling(self, key: str) -> str | None:
        forms = self.spellings.get(key)
        if not forms:
            return None
        # The most used form; among equals, one with diacritics, then one not shouted.
        return max(forms, key=lambda f: (forms[f], not f.isascii(), not f.isupper(), f))

    def person(self, key: str) -> str | None | bool:
        words = key.split()
        if len(words) > 1:
            longer = self.by_prefix.get(key)
            if longer:
                full, n = longer.most_common(1)[0]
                if n >= DOMINANT * sum(longer.values()) and self.trim(full) is None:
                    return self.spelling(full) or True
            return True
        fulls = self.by_last.get(key)
        if fulls:
            full, n = fulls.most_common(1)[0]
            if n >= DOMINANT * sum(fulls.values()):
                return self.spelling(full)
            return None  # several people share the surname: no value of its own
        if self.by_first.get(key):
            return None  # a first name alone: whose?
        if self.kinds.get(key, Counter())[PEOPLE] >= MONONYM_ARTICLES:
            return True
        return None

    def trim(self, key: str) -> str | None:
        """A name that ran on into a Title Case headline ("Jair Bolsonaro Hospitalized", "Jill Biden
        Faces Call to Be Investigated"): its trailing words that the archive writes in lower case
        dropped, when what is left is a name of the archive of two words or more ("Gordon Brown"
        is never cut). The key of what is left, or None."""
        words = key.split()
        end = len(words)
        while end > 2 and self._headline_word(words[end - 1]):
            end -= 1
        if end == len(words):
            return None
        for cut in range(end, 1, -1):  # the longest name of two articles or more that is left
            shorter = " ".join(words[:cut])
            if sum(self.kinds.get(shorter, Counter()).values()) >= 2:
                return shorter
        return None

    def _headline_word(self, word: str) -> bool:
        return self.lower_text.get(word, 0) >= 1

    def organisation(self, key: str) -> str | None:
        """For an acronym or a one-word name of an organisation: the full name of the archive that
        dominates it (its initials, or a two-word name it starts or ends), else None."""
        if len(key.split()) != 1:
            return None
        spelling = self.spelling(key) or key
        # An acronym stands for its initials' name, never for a longer name it is part of ("GATT
        # Council"); a one-word name for the two-word name it starts or ends.
        fulls = (self.org_initials if spelling.isupper() else self.org_words).get(key)
        if fulls:
            full, n = fulls.most_common(1)[0]
            # The full name must be the archive's usual name for it: "Cincinnati Bengals" (52
            # articles) for "Bengals" (21), never "Henry's Arsenal" (2) for "Arsenal" (135) nor an
            # odd expansion of an acronym ("Clinton News Network" for CNN).
            own = sum(self.kinds.get(key, Counter()).values())
            if (n >= 2 and n >= DOMINANT * sum(fulls.values()) and full != key and self.trim(full) is None
                    and sum(self.kinds.get(full, Counter()).values()) >= own):
                return self.spelling(full)
        return None

    def named_in_text(self, key: str) -> bool:
        return self.in_text.get(key, 0) > 0

    def is_work(self, key: str) -> bool:
        """A third of the articles naming it call it a film, book, album or show ("Sideways")."""
        seen = sum(self.kinds.get(key, Counter()).values())
        return bool(seen) and self.works.get(key, 0) * 3 >= seen

    def is_word(self, key: str) -> bool:
        """The archive writes the word in lower case in at least half as many articles as it names
        it: "united", "house", "breakfast" are words; "arsenal" (41 named, 3 lower) is a name."""
        seen = sum(self.kinds.get(key, Counter()).values())
        return bool(seen) and max(self.lower.get(key, 0), self.lower_text.get(key, 0)) * 2 >= seen

    def _name_words(self) -> set[str]:
        return {word for key in self.kinds for word in key.split()}

    # -- storage ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        name_words = self._name_words()
        return {
            "version": VERSION,
            "articles": self.articles,
            "kinds": {k: [v[PEOPLE], v[ORGS], v[PLACES]] for k, v in self.kinds.items()},
            "forced": self.forced,
            "spellings": {k: dict(v) for k, v in self.spellings.items()},
            "lower": dict(self.lower),
            "works": dict(self.works),
            "in_text": dict(self.in_text),
            "org_initials": {k: dict(v) for k, v in self.org_initials.items()},
            "org_words": {k: dict(v) for k, v in self.org_words.items()},
            # Only the words `is_word` and `trim` ask about: single-word names and words of names.
            "lower_text": {k: n for k, n in self.lower_text.items() if k in name_words},
            "by_last": {k: dict(v) for k, v in self.by_last.items()},
            "by_first": {k: dict(v) for k, v in self.by_first.items()},
            "by_prefix": {k: dict(v) for k, v in self.by_prefix.items()},
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> "ArchiveEntities | None":
        if not data or data.get("version") != VERSION:
            return None
        registry = cls()
        registry.articles = data["articles"]
        for key, (p, o, l) in data["kinds"].items():
            registry.kinds[key] = Counter({k: n for k, n in ((PEOPLE, p), (ORGS, o), (PLACES, l)) if n})
        registry.forced = dict(data["forced"])
        for key, forms in data["spellings"].items():
            registry.spellings[key] = Counter(forms)
        registry.lower = Counter(data["lower"])
        registry.works = Counter(data["works"])
        registry.in_text = Counter(data["in_text"])
        registry.org_initials = defaultdict(Counter, {k: Counter(v) for k, v in data["org_initials"].items()})
        registry.org_words = defaultdict(Counter, {k: Counter(v) for k, v in data["org_words"].items()})
        registry.lower_text = Counter(data["lower_text"])
        registry.by_last = defaultdict(Counter, {k: Counter(v) for k, v in data["by_last"].items()})
        registry.by_first = defaultdict(Counter, {k: Counter(v) for k, v in data["by_first"].items()})
        registry.by_prefix = defaultdict(Counter, {k: Counter(v) for k, v in data["by_prefix"].items()})
        return registry


def load(engine: "SearchBackend") -> ArchiveEntities | None:
    """The registry kept with the index, or None (an index made before it, or never refreshed)."""
    return ArchiveEntities.from_dict(engine.read_meta(META_NAME))


@dataclass
class RefreshReport:
    articles: int = 0  # articles with stored mentions
    changed: int = 0  # articles whose facet values were rewritten
    seconds: float = 0.0


FACET_ATTRIBUTES = ("people", "organizations", "places")


def refresh_entities(engine: "SearchBackend", *, commit_every: int = 5000) -> RefreshReport:
    """Rebuild the registry from every article's stored mentions, keep it with the index, and
    rewrite the articles whose people/organizations/places it decides differently.

    Writes go through the index's one writer, each only if the stored version is still the one it
    was made from (`Writer.add(expect=...)`): an API write that lands meanwhile is newer and stays."""
    from search.backend import WriteOptions

    from .pipeline import decide_entities

    started = time.perf_counter()
    report = RefreshReport()
    stored: list[tuple[str, list[Mention], tuple]] = []
    registry = ArchiveEntities()
    for row in engine.scan(("entity_mentions", "body", *FACET_ATTRIBUTES)):
        registry.add_text(row.get("body") or "")
        mentions = mentions_from_json(row.get("entity_mentions") or "")
        if mentions:
            registry.add(mentions)
            stored.append((row["id"], mentions, tuple(tuple(row.get(a) or ()) for a in FACET_ATTRIBUTES)))
    engine.write_meta(META_NAME, registry.to_dict())
    report.articles = len(stored)
    changed = []
    for article_id, mentions, current in stored:
        decided = decide(mentions, registry)
        if tuple(tuple(getattr(decided, a)) for a in FACET_ATTRIBUTES) != current:
            changed.append(article_id)
    del stored
    if changed:
        from search.errors import ArticleNotFound

        with engine.writer(WriteOptions(commit_every=commit_every)) as writer:
            for article_id in changed:
                try:
                    article = engine.get(article_id)
                except ArticleNotFound:
                    continue  # deleted since the scan
                read_as = article.checksum
                decide_entities(article, registry)
                if writer.add(article, expect=read_as) in ("added", "updated"):
                    report.changed += 1
    report.seconds = time.perf_counter() - started
    return report
