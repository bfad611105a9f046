"""Reuters-21578's curated PLACES / ORGS codes and the names an article may give them (for bench/facets.py).

How the table is made:

- ORGS: parsed at run time from the collection's own `cat-descriptions_120396.txt` (the "Organization
  Codes" section: `European Community (EC)@*`): the code's full name, plus the code itself as an
  acronym (`ec` -> "European Community", "EC"), and "Organisation" also spelt "Organization". `ORG_EXTRA` adds, by hand, the other names and
  acronyms the stories use for the same body (the EC as "European Economic Community", "EEC";
  the World Bank, which the list names only by its legal name).
- PLACES: each code of `all-places-strings.lc.txt` read as a name (`west-germany` -> "west germany",
  `hong-kong` -> "hong kong"); `PLACE_EXTRA` adds, by hand, the codes that are not names or whose
  countries go by other names (usa, uk, ussr, uae, the two Yemens) and common other names (Holland,
  Myanmar for burma, Cambodia for kampuchea, Côte d'Ivoire). No gazetteer package: the list is small and
  written for 1987's map.
- PEOPLE: no table; a tag (`reagan`, `de-larosiere`) matches a person value whose last words, folded,
  are the tag (see `people_match`).

This table belongs to the bench: the product never sees it.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

PLACE_EXTRA: dict[str, tuple[str, ...]] = {
    "usa": ("United States", "US", "U.S.", "U.S", "USA", "U.S.A.", "America", "United States of America"),
    "uk": ("United Kingdom", "UK", "U.K.", "U.K", "Britain", "Great Britain", "England"),
    "ussr": ("Soviet Union", "USSR", "U.S.S.R.", "Russia"),
    "uae": ("United Arab Emirates", "UAE", "U.A.E."),
    "west-germany": ("West Germany", "Germany", "Federal Republic of Germany"),
    "east-germany": ("East Germany", "German Democratic Republic", "GDR"),
    "netherlands": ("Netherlands", "The Netherlands", "Holland"),
    "burma": ("Burma", "Myanmar"),
    "kampuchea": ("Kampuchea", "Cambodia"),
    "ivory-coast": ("Ivory Coast", "Côte d'Ivoire", "Cote d'Ivoire"),
    "china": ("China", "People's Republic of China"),
    "taiwan": ("Taiwan", "Republic of China"),
    "south-korea": ("South Korea", "Korea", "Republic of Korea"),
    "north-korea": ("North Korea",),
    "yemen-arab-republic": ("Yemen", "North Yemen", "Yemen Arab Republic"),
    "yemen-demo-republic": ("South Yemen", "Yemen"),
    "trinidad-tobago": ("Trinidad and Tobago", "Trinidad"),
    "us-virgin-islands": ("U.S. Virgin Islands", "US Virgin Islands", "Virgin Islands"),
    "vatican": ("Vatican", "Vatican City", "Holy See"),
    "zaire": ("Zaire",),
    "macao": ("Macao", "Macau"),
    "philippines": ("Philippines", "The Philippines"),
}

ORG_EXTRA: dict[str, tuple[str, ...]] = {
    "ec": ("European Economic Community", "EEC", "E.C.", "European Communities", "Common Market", "European Commission",
           "EC Commission"),
    "worldbank": ("World Bank",),
    "un": ("U.N.", "U.N", "UN", "United Nations"),
    "imf": ("IMF", "I.M.F."),
    "gatt": ("GATT",),
    "opec": ("OPEC",),
    "oecd": ("OECD",),
    "ico-coffee": ("ICO", "International Coffee Organization"),
    "ico-islam": ("Organization of the Islamic Conference", "OIC"),
    "iwc-whale": ("IWC",),
    "iwc-wheat": ("IWC",),
    "adb-asia": ("ADB",),
    "adb-africa": ("ADB", "AfDB"),
    "fao": ("Food and Agriculture Organization",),
    "who": ("World Health Organization",),
    "ilo": ("International Labour Organization", "International Labor Organization"),
    "iaea": ("International Atomic Energy Agency",),
    "icco": ("International Cocoa Organization",),
    "aid": ("USAID", "U.S. Agency for International Development"),
    "comecon": ("Comecon", "CMEA"),
    "asean": ("ASEAN", "Association of Southeast Asian Nations"),
}


def fold(value: str) -> str:
    """Lower case, no diacritics, words joined by '-' (the codes' spelling): "Jacques de Larosière" ->
    "jacques-de-larosiere". Dots go ("U.S." -> "us"); other punctuation separates words."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower().replace("’", "'").replace(".", "")
    return "-".join(w for w in re.split(r"[^a-z0-9']+", text) if w)


def load(data: Path) -> dict[str, dict[str, set[str]]]:
    """{"places": {code: folded names}, "organizations": {...}} from the collection's lists and the extras."""
    places: dict[str, set[str]] = {}
    for code in (data / "all-places-strings.lc.txt").read_text(encoding="latin-1").split():
        places[code] = {fold(code)} | {fold(n) for n in PLACE_EXTRA.get(code, ())}
    orgs: dict[str, set[str]] = {}
    text = (data / "cat-descriptions_120396.txt").read_text(encoding="latin-1")
    section = text.split("@heading[Organization Codes", 1)[1].split("@end[format]", 1)[0]
    for name, code in re.findall(r"([^\n@\]]+?)\s*\(([A-Z][A-Z0-9-]*)\)@\*", section.replace("]\n(", "] (")):
        names = {fold(name.strip()), fold(code)}
        orgs[code.lower()] = {n for n in names | {n.replace("organisation", "organization") for n in names} if n}
    for code in (data / "all-orgs-strings.lc.txt").read_text(encoding="latin-1").split():
        orgs.setdefault(code, {fold(code)})
        orgs[code] |= {fold(n) for n in ORG_EXTRA.get(code, ())}
    return {"places": places, "organizations": orgs}


def people_match(tag: str, values: list[str]) -> bool:
    """A people tag ("reagan", "de-larosiere") is found when a person value ends with it, word-wise."""
    for value in values:
        folded = fold(value)
        if folded == tag or folded.endswith("-" + tag):
            return True
    return False


def code_match(names: set[str], values: list[str]) -> bool:
    return any(fold(v) in names for v in values)
