"""Readers: every supported file type, undecodable bytes, and bad input reported (never raised)."""
import os
from pathlib import Path

import pytest

from indexer.readers import (FIELD_ALIASES, FIELD_MEANINGS, RawDocument, ReadCounts, ReadFailure, count_items,
                             decode_bytes, file_name_id, jsonl_fields_markdown, read_paths, record_to_document,
                             with_jsonl_fields)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
READERS = FIXTURES / "readers"
BATCH = FIXTURES / "batch"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
README = Path(__file__).resolve().parents[2] / "README.md"


def read(*paths) -> list:
    return list(read_paths([str(p) for p in paths]))


def by_line(items: list) -> dict[int, RawDocument | ReadFailure]:
    return {int(item.origin.rsplit(":", 1)[1]): item for item in items}


def test_text_files_of_a_directory_in_name_order():
    docs = read(SEEDS)
    assert [d.name for d in docs] == sorted(p.stem for p in SEEDS.glob("*.txt"))
    first = docs[0]
    assert first.kind == "text"
    assert first.origin == str(SEEDS / "000_cd26570f11a59a8a.txt")
    assert first.content == (SEEDS / "000_cd26570f11a59a8a.txt").read_text(encoding="utf-8")


def test_invalid_utf8_is_decoded_with_a_best_guess():
    raw = (READERS / "bbc-sport-199.txt").read_bytes()
    assert b"\xa315.8m" in raw  # a Latin-1 pound sign: not UTF-8
    [doc] = read(READERS / "bbc-sport-199.txt")
    assert isinstance(doc, RawDocument)
    assert "a £15.8m signing from Parma" in doc.content
    assert doc.content.startswith("Chelsea sack Mutu")


def test_html_page_with_its_url():
    [doc] = read(READERS / "sciencealert-europa.html")
    assert doc.kind == "html"
    assert doc.fields["url"] == "https://www.sciencealert.com/nasa-finds-water-plumes-above-the-surface-of-jupiter-s-icy-moon-europa"
    assert "<html" in doc.content.lower()
    assert doc.name == "sciencealert-europa"


def test_jsonl_with_body_or_html():
    business, tech = read(READERS / "articles.jsonl")
    assert business.origin.endswith("articles.jsonl:1")
    assert business.kind == "fields"
    assert business.fields["id"] == "bbc-business-001"
    assert business.fields["source"] == "BBC News"
    assert "author" not in business.fields  # null is absent, not "None"
    assert business.content.startswith("Quarterly profits at US media giant TimeWarner")
    assert tech.kind == "html" and tech.fragment
    assert tech.content.startswith("<article><p>")
    assert "id" not in tech.fields


def test_gzipped_jsonl_with_rss_field_names():
    items = by_line(read(READERS / "rss-sample.jsonl.gz"))
    plain, markup, empty = items[1], items[3], items[5]
    assert plain.kind == "fields"
    assert plain.fields["id"] == "rss2023-000001"
    assert plain.fields["url"].startswith("https://abcnews.go.com/US/winter-storm")  # from `link`
    assert plain.fields["published"] == "2023-01-01 23:02:37+00:00"  # from `date_published`
    assert plain.fields["source_domain"] == "abcnews.com"
    assert "source" not in plain.fields
    assert markup.kind == "html"  # a description with markup is HTML
    assert markup.content.startswith("<p>QF19 was three hours")
    assert empty.kind == "fields" and empty.content == ""  # a headline-only item is still an article
    assert empty.fields["title"].startswith("2 dead, 4 injured in Florida shooting")


def test_bad_jsonl_lines_are_reported_with_line_numbers():
    items = by_line(read(READERS / "bad-lines.jsonl"))
    assert sorted(items) == [1, 2, 3, 4, 5, 7, 8, 9]  # line 6 is blank
    assert isinstance(items[1], RawDocument)
    reasons = {n: item.reason for n, item in items.items() if isinstance(item, ReadFailure)}
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "field 'title' must be a string, not a number"
    assert reasons[4] == "field 'title' must be a string, not a list"
    assert reasons[5] == "not a JSON object (a list)"
    assert isinstance(items[7], RawDocument) and items[7].fields["title"] == "Gallery unveils interactive tree"
    assert reasons[9].startswith("no article text")  # neither a title nor any text
    assert items[8].fields["id"] == "7"  # a numeric id is taken as its string
    assert all(item.origin == f"{READERS / 'bad-lines.jsonl'}:{n}" for n, item in items.items())


def test_binary_empty_and_missing_files_are_reported():
    binary, empty, missing = read(BATCH / "binary.txt", BATCH / "empty.txt", FIXTURES / "no-such-file.txt")
    assert binary == ReadFailure(str(BATCH / "binary.txt"), "binary file (contains NUL bytes)")
    assert empty == ReadFailure(str(BATCH / "empty.txt"), "empty file")
    assert missing.reason == "no such file or directory"


def test_the_items_are_counted_before_reading_as_many_as_are_read(tmp_path):
    # newsearch index's progress total: JSONL lines (blank ones not), gzipped or not, bad lines
    # included; one per file, per empty file and per path that cannot be read.
    (tmp_path / "blank.jsonl").write_bytes(b"\n  \n")
    paths = [SEEDS, READERS, BATCH, tmp_path / "blank.jsonl", FIXTURES / "no-such-file.txt"]
    assert count_items(map(str, paths)) == len(read(*paths)) == 5 + 18 + 9 + 1 + 1
    assert count_items([str(READERS / "rss-sample.jsonl.gz")]) == len(read(READERS / "rss-sample.jsonl.gz")) == 5


def test_directory_walk_counts_files_and_skips_unknown_types(tmp_path):
    (tmp_path / "sport").mkdir()
    (tmp_path / "sport" / "199.txt").write_bytes((READERS / "bbc-sport-199.txt").read_bytes())
    (tmp_path / "notes.md").write_text("not an article")
    (tmp_path / ".hidden.txt").write_text("hidden")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text("ref: refs/heads/main")
    # The BBC set's own README: about the corpus, not an article in it.
    (tmp_path / "README.TXT").write_bytes((READERS / "bbc-README.TXT").read_bytes())
    (tmp_path / "LICENSE.txt").write_text("MIT")
    counts = ReadCounts()
    [doc] = list(read_paths([tmp_path], counts))
    assert doc.name == "sport-199"  # below the directory given: unique across sub-folders
    assert counts.files == 1
    assert sorted(counts.skipped) == sorted(str(tmp_path / n) for n in (".git", ".hidden.txt", "LICENSE.txt",
                                                                         "README.TXT", "notes.md"))
    [failure] = list(read_paths([tmp_path / "notes.md"]))
    assert failure.reason.startswith("unsupported file type")


def test_links_out_of_a_corpus_directory_are_reported_not_read(tmp_path):
    secret = tmp_path / "home" / "private.txt"
    secret.parent.mkdir()
    secret.write_text("Private notes\n\nThe safe's combination is 31-4-15.")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "story.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday.")
    (corpus / "leak.txt").symlink_to(secret)
    (corpus / "sub" / "again.txt").symlink_to("../story.txt")  # inside the corpus: read
    (corpus / "home").symlink_to(secret.parent, target_is_directory=True)  # a linked directory: not followed
    items = read(corpus)
    docs = [i for i in items if isinstance(i, RawDocument)]
    failures = [i for i in items if isinstance(i, ReadFailure)]
    assert sorted(d.origin for d in docs) == [str(corpus / "story.txt"), str(corpus / "sub" / "again.txt")]
    assert not any("combination" in d.content for d in docs)
    [failure] = failures
    assert failure.origin == str(corpus / "leak.txt") and "outside" in failure.reason
    # Named on the command line, a file is the operator's choice and is read wherever it points.
    [named] = read(corpus / "leak.txt")
    assert isinstance(named, RawDocument) and "combination" in named.content


def test_unreadable_file_is_reported(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    path = tmp_path / "secret.txt"
    path.write_text("text")
    path.chmod(0)
    try:
        [item] = read(path)
        assert isinstance(item, ReadFailure)
        assert item.reason.startswith("cannot read")
    finally:
        path.chmod(0o644)


def test_a_directory_named_like_a_file_is_walked(tmp_path):
    (tmp_path / "odd.txt").mkdir()
    assert read(tmp_path / "odd.txt") == []


def test_decode_bytes():
    assert decode_bytes("café".encode("utf-8")) == "café"
    assert decode_bytes(b"\xef\xbb\xbfBOM") == "BOM"
    assert decode_bytes("caf\xe9 cr\xe8me".encode("latin-1"), "iso-8859-1") == "café crème"


def test_file_name_id():
    assert file_name_id(Path("seeds/000_x.txt"), Path("seeds")) == "000_x"
    assert file_name_id(Path("bbc/sport/199.txt"), Path("bbc")) == "sport-199"
    assert file_name_id(Path("feeds/a.jsonl.gz"), None) == "a"


@pytest.mark.parametrize("key, value", [("publisher", "ABC News"), ("site_name", "ABC News"),
                                        ("publisher", {"@type": "Organization", "name": "ABC News"})])
def test_a_records_publisher_or_site_name_is_its_source(key, value):
    doc = record_to_document({"id": "x", "title": "T", "body": "Text.", key: value}, "x")
    assert doc.fields["source"] == "ABC News"
    # A shape that names nothing is ignored, not a reason to refuse the record.
    assert "source" not in record_to_document({"id": "x", "body": "Text.", key: ["?"]}, "x").fields


def test_the_readme_lists_every_jsonl_key_the_reader_maps():
    readme = README.read_text(encoding="utf-8")
    assert with_jsonl_fields(readme) == readme, "run: python -m indexer.readers --update README.md"
    table = jsonl_fields_markdown()
    assert set(FIELD_MEANINGS) == set(FIELD_ALIASES.values())  # every field the reader fills is explained
    for key in FIELD_ALIASES:  # link, date_published, description, publisher, site_name, feed_name, ...
        assert f"`{key}`" in table
    assert "| `url` | `url`, `link` |" in table and "| `published` | `published`, `date_published` |" in table
