"""Cleaning plain-text articles: the seeds' template residue, other real text, and odd input."""
from pathlib import Path

import pytest

from indexer.clean import clean_text, normalize_text, split_article

SEED_NAMES = ["000_cd26570f11a59a8a", "001_b20fda21bfeeb18c", "002_bd1a7639317eeb3a", "003_db9d275e6a739cde",
              "004_a8b559b7e96d520f"]
RESIDUE_LINES = {"NewsLocal News", "Actions", "Posted", "and last updated", "KCPD"}


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SEED_NAMES)
def test_seed_bodies_carry_no_template_residue(seeds_dir, name):
    body = clean_text(read(seeds_dir / f"{name}.txt"))
    paragraphs = body.split("\n\n")
    assert not RESIDUE_LINES & set(paragraphs)
    assert "date 2020-07-0" not in body
    assert not body.startswith(("date", "September 16, 2021"))
    assert all(p == p.strip() and p for p in paragraphs)  # no indentation, no empty paragraphs
    assert "\n\n\n" not in body and "  " not in body
    assert paragraphs[-1][-1] not in "—–-"  # seed 004 ends with a lone em dash


@pytest.mark.parametrize("name", SEED_NAMES)
def test_each_seed_line_stays_a_paragraph(seeds_dir, name):
    raw = read(seeds_dir / f"{name}.txt")
    body = clean_text(raw)
    # Every sentence-ending line in the file survives as its own paragraph, whitespace aside.
    prose = [ln.strip() for ln in raw.splitlines() if len(ln.split()) > 12 and ln.rstrip()[-1] in ".\"”"]
    paragraphs = body.split("\n\n")
    for line in prose:
        assert any(line.endswith(p) for p in paragraphs), line


def test_seed_000_loses_only_its_date_header(seeds_dir):
    body = clean_text(read(seeds_dir / "000_cd26570f11a59a8a.txt"))
    assert body.startswith("KANSAS CITY, MO (KCTV) – On Thursday, two separate shootings")
    assert len(body.split("\n\n")) == 21


def test_seed_002_headline_and_template_are_removed(seeds_dir):
    parts = split_article(read(seeds_dir / "002_bd1a7639317eeb3a.txt"))
    assert parts.headline == "'It shows we're here to help, not destroy,' KCPD hosts Ol' Skool Block Party"
    assert parts.body.startswith("KANSAS CITY, Mo. — A south Kansas City neighborhood")
    assert parts.headline not in parts.body
    assert {"Actions", "Posted", "and last updated", "NewsLocal News"} <= set(parts.residue)
    assert parts.body.endswith('"Be a part of the change in your neighborhood by joining us," Maj. Thompson said.')


def test_seed_003_indented_article_with_date_line_and_headline(seeds_dir):
    parts = split_article(read(seeds_dir / "003_db9d275e6a739cde.txt"))
    assert parts.dates == ("September 16, 2021",)
    assert parts.headline == "Community Interaction Officers and the Narcotics Division"
    paragraphs = parts.body.split("\n\n")
    assert paragraphs[0].startswith("The brave members of law enforcement")
    # Two consecutive lines (no blank line between them) are two paragraphs.
    assert "The police are only part of the solution. The resident engagement piece is huge, and we cannot reduce crime " \
           "and improve our quality of life without it." in paragraphs
    assert paragraphs[-1].startswith("Chris Vas is the Executive Director of Liberty Alliance.")


def test_seed_004_trailing_dash_removed_but_inner_dashes_kept(seeds_dir):
    body = clean_text(read(seeds_dir / "004_a8b559b7e96d520f.txt"))
    assert body.endswith("(816) 513-6310.")
    assert "come — we’re talking" in body


@pytest.mark.parametrize("name, headline, lead", [
    ("bbc_business_001", "Ad sales boost Time Warner profit", "Quarterly profits at US media giant TimeWarner jumped 76%"),
    ("bbc_politics_250", "What the election should really be about?", "A general election is the best chance"),
])
def test_bbc_first_line_is_the_headline(fixtures, name, headline, lead):
    parts = split_article(read(fixtures / "text" / f"{name}.txt"))
    assert parts.headline == headline
    assert parts.body.startswith(lead)
    assert headline not in parts.body


def test_normalize_drops_zero_width_paragraphs_and_keeps_the_rest(fixtures):
    raw = read(fixtures / "text" / "aeb_8cad00dc_body.txt")
    text = normalize_text(raw)
    assert "\u200b" in raw and "\u200b" not in text
    assert "\n\n\n" not in text
    assert text.split("\n\n")[:3] == [
        "@noksutagram <The Palace: Tale of Jang Noksu> ‘2018 Welcome Daehak-ro Festival’ Performance",
        "2018 Jeongdong Theater Tradition Series Performance",
        "<The Palace: Tale of Jang Noksu>",
    ]
    assert normalize_text(text) == text  # idempotent


def test_normalize_spaces_nfc_and_line_endings(seeds_dir):
    # Seed 002's first lines, as a Windows editor with a non-breaking space and a decomposed é would save them.
    lines = read(seeds_dir / "002_bd1a7639317eeb3a.txt").splitlines()[10:13]
    odd = "\r\n".join(lines).replace("KANSAS CITY,", "KANSAS\u00a0CITY,\u200b").replace("engage", "e\u0301ngage")
    text = normalize_text(odd)
    assert text.startswith("KANSAS CITY, Mo. — A south")
    assert "\u00e9ngage" in text  # composed (NFC)
    assert "\r" not in text and "\u00a0" not in text and "\u200b" not in text
    assert text.count("\n\n") == 1


def test_hard_wrapped_text_is_joined_into_paragraphs(fixtures):
    text = normalize_text(read(fixtures / "meta" / "LICENSE"))
    paragraphs = text.split("\n\n")
    assert len(paragraphs) == 5
    assert paragraphs[2].startswith("Permission is hereby granted, free of charge, to any person obtaining a copy of this")
    assert paragraphs[2].endswith("subject to the following conditions:")


@pytest.mark.parametrize("raw", ["", "   \n\t\n  ", "\u200b\u00a0\n", "\x00\x01"])
def test_empty_and_blank_input_give_an_empty_body(raw):
    assert clean_text(raw) == ""
    assert normalize_text(raw) == ""


def test_a_lone_dash_is_no_body():
    assert clean_text("—\n") == ""
    assert normalize_text("—\n") == "—"  # normalising keeps text; only cleaning judges it residue


def test_template_residue_alone_gives_an_empty_body(fixtures):
    parts = split_article(read(fixtures / "text" / "kshb_template_only.txt"))
    assert parts.body == ""
    assert parts.headline is None
    assert "Actions" in parts.residue
