"""Entities: canonicalisation rules on tables of raw spans, and the real model on the seeds."""
import json
from pathlib import Path

import pytest

from indexer.entities import Entities, EntityExtractor, canonicalize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "entities"
SEEDS = Path(__file__).resolve().parent.parent.parent / "seeds"
CASES = json.loads((FIXTURES / "canonicalize_cases.json").read_text("utf-8"))


# ---------------------------------------------------------------- canonicalize (no model)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_canonicalize(case):
    got = canonicalize(case["people"], case["organizations"], case["places"], case["text"])
    assert got == Entities(**case["expected"])


def test_canonicalize_does_not_change_its_inputs():
    people, orgs = ["Chief Smith", "Rick Smith"], ["KCPD"]
    canonicalize(people, orgs, [], "Rick Smith of the KCPD. Chief Smith said.")
    assert people == ["Chief Smith", "Rick Smith"] and orgs == ["KCPD"]


def test_canonicalize_nothing():
    assert canonicalize([], [], [], "") == Entities([], [], [])


# ---------------------------------------------------------------- the model on the seeds


@pytest.fixture(scope="module")
def extractor() -> EntityExtractor:
    return EntityExtractor(batch_size=8)


@pytest.fixture(scope="module")
def seeds(extractor) -> dict[str, Entities]:
    """Each seed file's entities, keyed by its number ('000'...), from one extract_many call."""
    paths = sorted(SEEDS.glob("*.txt"))
    results = extractor.extract_many(("", p.read_text("utf-8")) for p in paths)
    return {p.name[:3]: e for p, e in zip(paths, results)}


def test_only_the_ner_pipe_is_loaded(extractor):
    assert extractor.nlp.pipe_names == ["ner"]
    assert extractor.nlp.disabled == []  # excluded, not merely disabled


@pytest.mark.parametrize("seed, people", [
    ("000", ["Rick Smith", "Brad Lemon"]),
    ("001", ["Quinton Lucas"]),
    ("002", ["Kari Thompson"]),
    ("003", ["Rick Smith", "Quinton Lucas"]),
    ("004", ["Stacy Graves", "Kari Thompson"]),
])
def test_seed_people(seeds, seed, people):
    assert set(people) <= set(seeds[seed].people)


@pytest.mark.parametrize("seed, organizations", [
    ("000", ["Kansas City Police Department", "Fraternal Order of Police", "KCTV"]),
    ("001", ["Kansas City Police Department", "Missouri State Highway Patrol", "KCTV"]),
    ("002", ["Kansas City Police Department"]),
    ("003", ["Kansas City Police Department", "Liberty Alliance"]),
    ("004", ["Kansas City Police Department"]),
])
def test_seed_organizations(seeds, seed, organizations):
    assert set(organizations) <= set(seeds[seed].organizations)


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_seed_kansas_city_is_a_place(seeds, seed):
    assert "Kansas City" in seeds[seed].places
    assert "Kansas City" not in seeds[seed].organizations + seeds[seed].people


def test_seed_000_acronyms_join_their_expansion(seeds):
    orgs = seeds["000"].organizations
    assert "F.O.P." not in orgs and "KCPD" not in orgs
    assert orgs.count("Fraternal Order of Police") == 1


def test_seed_000_titles_and_surnames(seeds):
    # "Chief of Police Rick Smith", then "Smith" and "Chief Smith"; "said Lemon" is labelled ORG.
    people = seeds["000"].people
    assert people[0] == "Rick Smith"
    assert not {"Smith", "Chief Smith", "Lemon"} & set(people + seeds["000"].organizations)


@pytest.mark.parametrize("seed", ["000", "001"])
def test_seed_intersections_are_not_people(seeds, seed):
    people = seeds[seed].people
    assert "Van Brunt" not in people and "Hardesty" not in people


def test_seed_000_intersection_is_not_a_place(seeds):
    assert "Independence" not in seeds["000"].places


def test_seed_001_handle_and_state(seeds):
    e = seeds["001"]
    assert not any(name.startswith("@") for name in e.people + e.organizations + e.places)
    assert "Missouri" in e.places and "MO" not in e.places


def test_seed_002_major_thompson(seeds):
    # "Major Kari Thompson", later "Maj. Thompson", which the model labels ORG once.
    e = seeds["002"]
    assert "Kari Thompson" in e.people
    assert "Thompson" not in e.people + e.organizations


def test_seed_003_possessive_and_alliance(seeds):
    e = seeds["003"]
    assert "Quinton Lucas" in e.people  # "Kansas City Mayor Quinton Lucas’ illegal defunding"
    assert "Liberty Alliance" not in e.people  # the model labels it PERSON once


def test_seed_004_acronym_with_title_is_not_a_person(seeds):
    # "KCPD Det. Kari Thompson said" gives the span "KCPD Det".
    e = seeds["004"]
    assert e.people[:2] == ["Stacy Graves", "Kari Thompson"]
    assert not any("KCPD" in name or "Det" in name for name in e.people)


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_seed_values_are_clean(seeds, seed):
    e = seeds[seed]
    for name in e.people + e.organizations + e.places:
        assert name == name.strip() and "\n" not in name and "  " not in name, name
        assert not name.startswith(("the ", "The ")) and not name.endswith(("'", "’", ".", ",")), name
    for name in e.people:
        assert "," not in name and not any(ch.isdigit() for ch in name), name
    everything = [n.casefold() for n in e.people + e.organizations + e.places]
    assert len(everything) == len(set(everything))


@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_seed_no_bare_surname_next_to_its_full_name(seeds, seed):
    people = seeds[seed].people
    surnames = {p.split()[-1] for p in people if len(p.split()) > 1}
    assert not [p for p in people if len(p.split()) == 1 and p in surnames]


def test_extract_many_keeps_order_and_matches_extract(extractor, seeds):
    paths = sorted(SEEDS.glob("*.txt"))
    reversed_results = extractor.extract_many(("", p.read_text("utf-8")) for p in reversed(paths))
    assert reversed_results == [seeds[p.name[:3]] for p in reversed(paths)]
    assert extractor.extract("", paths[3].read_text("utf-8")) == seeds["003"]


def test_title_counts_as_text(extractor):
    e = extractor.extract("Chief Rick Smith retires from the Kansas City Police Department",
                          "Smith said goodbye to his officers on Friday.")
    assert e.people == ["Rick Smith"]
    assert e.organizations == ["Kansas City Police Department"]


def test_empty_article(extractor):
    assert extractor.extract("", "") == Entities([], [], [])
    assert extractor.extract_many([]) == []


def test_soft_wrapped_name_is_one_entity(extractor):
    # Paragraphs separated by blank lines; a name wrapped inside a paragraph.
    body = (FIXTURES / "wrapped.txt").read_text("utf-8")
    e = extractor.extract("", body)
    assert "Quinton Lucas" in e.people
    assert "Quinton" not in e.people and "Lucas" not in e.people
