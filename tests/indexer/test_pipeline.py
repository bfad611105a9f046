"""The pipeline: raw records to Articles (ids, metadata, entities), in one process or a pool, and
into the index incrementally, with prune and atomic rebuilds."""
import os
import shutil
from pathlib import Path

import pytest

from indexer.pipeline import Unchanged, article_id, build_article, index_paths, run_pipeline
from indexer.readers import RawDocument, ReadFailure, read_paths
from search.article import Article, content_checksum
from search.engine import open_engine
from search.whoosh_backend.store import IndexStore
from tests.indexes import indexed_ids

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
READERS = FIXTURES / "readers"
BATCH = FIXTURES / "batch"
SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def articles(items) -> dict[str, Article]:
    return {a.id: a for a in items if isinstance(a, Article)}


@pytest.fixture(scope="module")
def seed_articles() -> dict[str, Article]:
    """The seeds through the whole pipeline, entities included (one model load for the module)."""
    return articles(run_pipeline([SEEDS], workers=1, entities=True))


def test_seeds_become_articles_with_their_metadata(seed_articles):
    assert sorted(seed_articles) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    kctv = seed_articles["000_cd26570f11a59a8a"]
    assert kctv.published.date().isoformat() == "2020-07-03"
    assert kctv.published.tzinfo is not None
    assert kctv.source == "KCTV"
    assert kctv.origin == str(SEEDS / "000_cd26570f11a59a8a.txt")
    assert not kctv.body.startswith("date 2020-07-03")  # the header went to metadata, not the body
    assert "\n\n" in kctv.body
    liberty = seed_articles["003_db9d275e6a739cde"]
    assert liberty.source == "Liberty Alliance"
    assert liberty.author == "Chris Vas"
    assert liberty.title == "Community Interaction Officers and the Narcotics Division"


def test_entities_are_added_and_counted_in_the_checksum(seed_articles):
    kctv = seed_articles["000_cd26570f11a59a8a"]
    assert "Rick Smith" in kctv.people
    assert "Kansas City" in kctv.places
    assert kctv.checksum == content_checksum(kctv)
    bare = build_article(next(read_paths([SEEDS / "000_cd26570f11a59a8a.txt"])))
    assert bare.people == [] and bare.checksum != kctv.checksum


def test_ids_follow_own_id_then_url_then_file_name_then_content():
    own, by_url = list(read_paths([READERS / "articles.jsonl"]))
    assert build_article(own).id == "bbc-business-001"
    assert build_article(by_url).id == article_id(by_url, "", "")
    assert len(build_article(by_url).id) == 16
    assert build_article(next(read_paths([READERS / "bbc-sport-199.txt"]))).id == "bbc-sport-199"
    anonymous = RawDocument("x.jsonl:1", "fields", "Some article text.", {})
    assert article_id(anonymous, "A", "b") == article_id(RawDocument("y.jsonl:9", "fields", "", {}), "A", "b")
    assert article_id(anonymous, "A", "b") != article_id(anonymous, "A", "c")


def test_jsonl_and_rss_records():
    found = articles(run_pipeline([READERS / "articles.jsonl", READERS / "rss-sample.jsonl.gz"], workers=1, entities=False))
    business = found["bbc-business-001"]
    assert business.source == "BBC News"
    assert business.published.isoformat() == "2005-01-19T10:00:00+00:00"
    assert business.origin == f"{READERS / 'articles.jsonl'}:1"
    storm = found["rss2023-000001"]
    assert storm.url.startswith("https://abcnews.go.com/")
    assert storm.published.isoformat() == "2023-01-01T23:02:37+00:00"
    assert storm.source == "ABC News"  # the record's source_domain (abcnews.com), though the link is abcnews.go.com
    qantas = found["rss2023-000689"]  # an HTML description: text without tags
    assert qantas.body.startswith("QF19 was three hours into New Year")
    assert "<p>" not in qantas.body


def test_bad_records_become_failures_not_exceptions():
    items = list(run_pipeline([BATCH], workers=1, entities=False))
    failures = {Path(f.origin).name: f.reason for f in items if isinstance(f, ReadFailure)}
    assert failures == {
        "binary.txt": "binary file (contains NUL bytes)",
        "empty.txt": "empty file",
        "broken.html": "no article text",
        "feed.jsonl:2": failures["feed.jsonl:2"],
    }
    assert failures["feed.jsonl:2"].startswith("invalid JSON")
    good = articles(items)
    assert set(good) == {"000_cd26570f11a59a8a", "003_db9d275e6a739cde", "latin1-199", "bbc-politics-001",
                         article_id(next(read_paths([BATCH / "europa.html"])), "", "")}
    assert "£15.8m" in good["latin1-199"].body


def test_a_pool_of_workers_gives_the_same_articles():
    paths = [SEEDS, READERS / "articles.jsonl", READERS / "rss-sample.jsonl.gz"]
    one = list(run_pipeline(paths, workers=1, entities=False))
    two = list(run_pipeline(paths, workers=2, entities=False, chunk_size=2))  # several chunks per worker
    assert [a.to_dict() for a in articles(two).values()] == [a.to_dict() for a in articles(one).values()]
    assert len(one) == len(two)


# -- into the index ---------------------------------------------------------------------------------
@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


def test_incremental_indexing_and_prune(corpus, tmp_path):
    index = tmp_path / "index"
    first = index_paths([corpus], index, workers=1, entities=False)
    assert (first.read, first.added, first.updated, first.unchanged) == (5, 5, 0, 0)
    again = index_paths([corpus], index, workers=1, entities=False)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)

    edited = corpus / "004_a8b559b7e96d520f.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nThe event ends at 9 p.m.\n", encoding="utf-8")
    changed = index_paths([corpus], index, workers=1, entities=False)
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 4)

    (corpus / "001_b20fda21bfeeb18c.txt").unlink()
    kept = index_paths([corpus], index, workers=1, entities=False)  # without --prune nothing is deleted
    assert kept.deleted == 0 and "001_b20fda21bfeeb18c" in indexed_ids(index)
    pruned = index_paths([corpus], index, prune=True, workers=1, entities=False)
    assert (pruned.deleted, pruned.unchanged) == (1, 4)
    assert "001_b20fda21bfeeb18c" not in indexed_ids(index)
    assert len(indexed_ids(index)) == 4


def test_prune_with_nothing_read_deletes_nothing(corpus, tmp_path):
    index = tmp_path / "index"
    index_paths([corpus], index, workers=1, entities=False)
    report = index_paths([tmp_path / "missing"], index, prune=True, workers=1, entities=False)
    assert report.deleted == 0 and report.note
    assert len(indexed_ids(index)) == 5


def test_rebuild_switches_generations_atomically(corpus, tmp_path):
    index = tmp_path / "index"
    index_paths([corpus], index, workers=1, entities=False)
    store = IndexStore(index)
    old_name = store.current_name()
    old_ix = store.open()
    old_searcher = old_ix.searcher()  # a reader that opened the old index before the switch
    try:
        (corpus / "002_bd1a7639317eeb3a.txt").unlink()
        report = index_paths([corpus], index, rebuild=True, workers=1, entities=False)
        assert (report.added, report.unchanged) == (4, 0)  # a rebuild writes everything afresh
        new_name = store.current_name()
        assert new_name != old_name
        assert os.path.islink(index / "current")
        assert not (index / old_name).exists()  # the old generation is gone from disk ...
        assert sorted(p.name for p in index.iterdir() if p.name.startswith("gen-")) == [new_name]
        assert len(indexed_ids(index)) == 4
        # ... but a reader that had it open still reads it whole.
        assert old_searcher.doc_count() == 5
        stored = {f["id"] for f in old_searcher.all_stored_fields()}
        assert "002_bd1a7639317eeb3a" in stored
    finally:
        old_searcher.close()
        old_ix.close()


def test_feed_and_wire_records_name_their_outlet_and_byline_from_evidence():
    """RSS items whose text once made publishers (`Latah County Courthouse for`, `Pope Benedict XVI`) and bylines
    (`By New Year's Day`), and a Reuters story with its <AUTHOR> line and sign-off (tests/fixtures/meta/README.md)."""
    found = articles(run_pipeline([FIXTURES / "meta" / "evidence.jsonl"], workers=1, entities=False))
    facts = {i: (a.source, a.author) for i, a in found.items()}
    assert facts["rss2023-006379"] == ("Newsweek", None)
    assert facts["rss2023-000660"] == ("Newsweek", None)
    assert facts["rss2023-000360"] == ("Fox News", None)
    assert facts["rss2023-016614"] == ("ABC News", None)  # source_domain abcnews.com, link on abcnews.go.com
    assert facts["rss2023-000724"] == ("The Guardian", "Devi Sridhar")  # the comment piece's closing bio
    assert facts["reuters-3048"] == ("Reuters", "Walker Simon")  # sign-off `REUTER`; `By WALKER SIMON, Reuters`
    assert found["reuters-3048"].published.isoformat() == "1987-03-09T09:32:40.790000+00:00"


def test_unchanged_inputs_are_skipped_before_any_work(corpus, tmp_path):
    index = tmp_path / "index"
    index_paths([corpus], index, workers=1, entities=False)
    with open_engine(index).writer() as writer:
        known = dict(writer.raw_checksums())
    assert sorted(known.values()) == sorted(indexed_ids(index))
    # No article is built: every input is known.
    items = list(run_pipeline([corpus], workers=1, entities=False, known=lambda: known))
    assert all(isinstance(i, Unchanged) for i in items) and sorted(i.id for i in items) == sorted(known.values())
    # Other options make other articles of the same input (a source override, entities on): nothing is skipped.
    items = list(run_pipeline([corpus], workers=1, entities=False, source="KCTV5", known=lambda: known))
    assert all(isinstance(i, Article) and i.source == "KCTV5" for i in items) and len(items) == 5

    again = index_paths([corpus], index, prune=True, workers=2, entities=False)  # kept articles survive prune
    assert (again.read, again.added, again.updated, again.unchanged, again.deleted) == (5, 0, 0, 5, 0)


def test_an_index_from_before_raw_checksums_learns_them_on_the_next_run(corpus, tmp_path):
    index = tmp_path / "index"
    engine = open_engine(index)
    old = list(articles(run_pipeline([corpus], workers=1, entities=False)).values())
    for article in old:
        article.raw_checksum = ""
    engine.add(old)
    first = index_paths([corpus], index, workers=1, entities=False)
    assert (first.updated, first.unchanged) == (5, 0)  # same content: stored again with the raw checksum
    second = index_paths([corpus], index, workers=1, entities=False)
    assert (second.updated, second.unchanged) == (0, 5)


def test_a_date_field_that_cannot_be_read_does_not_fail_the_article(tmp_path):
    # Reuters-21578 has <DATE> values with trailing junk ("27-MAR-1987 02:17:09.88T C").
    from indexer.pipeline import run_pipeline
    from search.article import Article

    path = tmp_path / "wire.jsonl"
    path.write_text('{"id": "r1", "title": "Fed rates", "body": "The Fed said rates rose on '
                    'Friday, 27 March 1987.", "published": "27-MAR-1987 02:17:09.88T C"}\n', encoding="utf-8")
    [article] = list(run_pipeline([path], workers=1, entities=False))
    assert isinstance(article, Article) and article.id == "r1"
