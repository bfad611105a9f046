"""The engine from a Python shell: queries, filters, facets, sorting, highlights, suggestions. Each test
runs on every backend (tests/backends.py): what the protocol promises, whichever stores the articles."""
import re
from datetime import date, datetime, timezone

import pytest

from search.errors import ArticleNotFound, UnknownFacet
from search.request import SearchRequest

KCTV_000 = "000_cd26570f11a59a8a"
KCTV_001 = "001_b20fda21bfeeb18c"
KSHB_002 = "002_bd1a7639317eeb3a"
LIBERTY_003 = "003_db9d275e6a739cde"


def ids(results):
    return [h.id for h in results.hits]


def facet(results, name):
    return {b.value: (b.count, b.selected) for b in results.facets[name]}


def test_words_are_all_required(seed_engine):
    r = seed_engine.search(SearchRequest(q="Van Brunt"))
    assert set(ids(r)) == {KCTV_000, KCTV_001}
    assert r.total == 2
    assert all(any("<mark>Van Brunt</mark>" in s for s in h.snippets) for h in r.hits)
    assert all({"van", "brunt"} <= set(h.matched_terms) for h in r.hits)


def test_phrase_matches_exact_sequence_only(seed_engine):
    assert ids(seed_engine.search(SearchRequest(q='"peer counseling"'))) == [KCTV_000]
    # both words occur in 000 but never in this order
    assert seed_engine.search(SearchRequest(q='"counseling peer"')).total == 0


def test_or_not_and_minus(seed_engine):
    either = seed_engine.search(SearchRequest(q="Narcotics OR volleyball"))
    assert set(ids(either)) == {LIBERTY_003, KSHB_002}
    without = seed_engine.search(SearchRequest(q="officers -shooting"))
    assert KCTV_001 not in ids(without) and KCTV_000 not in ids(without) and without.total >= 1
    assert ids(seed_engine.search(SearchRequest(q="officers NOT shooting"))) == ids(without)


def test_field_queries(seed_engine):
    assert ids(seed_engine.search(SearchRequest(q="title:narcotics"))) == [LIBERTY_003]
    assert set(ids(seed_engine.search(SearchRequest(q="source:kctv")))) == {KCTV_000, KCTV_001}
    assert set(ids(seed_engine.search(SearchRequest(q="author:vas")))) == {LIBERTY_003}
    assert set(ids(seed_engine.search(SearchRequest(q='person:"Rick Smith"')))) == {KCTV_000, LIBERTY_003}


def test_prefix_and_fuzzy(seed_engine):
    assert LIBERTY_003 in ids(seed_engine.search(SearchRequest(q="narco*")))
    assert LIBERTY_003 in ids(seed_engine.search(SearchRequest(q="narcotcs~")))


def test_one_letter_prefix_is_bounded_not_expanded(seed_engine):
    # "p*" does not expand to every p-word: it is read as the plain term "p"
    # (the bound on longer prefixes: tests/search/whoosh_backend/test_expansions.py)
    assert seed_engine.search(SearchRequest(q="p*")).total == 0


def test_date_range_in_query_and_as_filter(seed_engine):
    r = seed_engine.search(SearchRequest(q="published:[2020-07-01 TO 2020-07-31]"))
    assert set(ids(r)) == {KCTV_000, KCTV_001}
    r = seed_engine.search(SearchRequest(q="police", date_from=date(2021, 1, 1)))
    assert ids(r) == [LIBERTY_003]
    r = seed_engine.search(SearchRequest(q="", date_to=date(2020, 7, 2)))
    assert ids(r) == [KCTV_001]  # the `to` day is inclusive; undated articles never match a date filter
    dated = seed_engine.search(SearchRequest(q="", date_from=date(1900, 1, 1))).total
    for last in (date(9999, 12, 31), datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc)):  # the day after overflows
        assert seed_engine.search(SearchRequest(q="", date_to=last)).total == dated


def test_unreadable_query_falls_back_to_words(seed_engine):
    r = seed_engine.search(SearchRequest(q='(("Van Brunt'))
    assert r.total >= 1
    assert seed_engine.search(SearchRequest(q="((( ))) :: ~~ **")).total == 5


def test_empty_query_lists_newest_first_undated_last(seed_engine):
    r = seed_engine.search(SearchRequest(q=""))
    assert r.total == 5
    assert ids(r)[:3] == [LIBERTY_003, KCTV_000, KCTV_001]


def test_sort_newest_and_oldest(seed_engine):
    newest = ids(seed_engine.search(SearchRequest(q="officers", sort="newest")))
    assert newest.index(KCTV_000) < newest.index(KCTV_001)
    oldest = ids(seed_engine.search(SearchRequest(q="officers", sort="oldest")))
    assert oldest.index(KCTV_001) < oldest.index(KCTV_000)


def test_filters_or_within_a_facet_and_across_facets(seed_engine):
    kctv = seed_engine.search(SearchRequest(filters={"source": ["KCTV"]}))
    assert set(ids(kctv)) == {KCTV_000, KCTV_001}
    two = seed_engine.search(SearchRequest(filters={"source": ["KCTV", "KSHB"]}))
    assert set(ids(two)) == {KCTV_000, KCTV_001, KSHB_002}
    both = seed_engine.search(SearchRequest(filters={"source": ["KCTV", "KSHB"], "person": ["Kari Thompson"]}))
    assert ids(both) == [KSHB_002]


def test_filters_do_not_change_scores(seed_engine):
    plain = {h.id: h.score for h in seed_engine.search(SearchRequest(q="police")).hits}
    filtered = seed_engine.search(SearchRequest(q="police", filters={"source": ["KCTV"]}))
    assert filtered.hits and all(h.score == pytest.approx(plain[h.id]) for h in filtered.hits)


def test_facets_are_disjunctive_and_mark_selection(seed_engine):
    r = seed_engine.search(SearchRequest(filters={"source": ["KCTV"]}))
    sources = facet(r, "source")
    assert sources["KCTV"] == (2, True)
    assert sources["KSHB"] == (1, False)  # still visible after picking KCTV
    assert sources["Liberty Alliance"] == (1, False)
    # other facets are narrowed by the selection
    assert "Kari Thompson" not in facet(r, "person")


def test_date_histogram_by_month(seed_engine):
    r = seed_engine.search(SearchRequest())
    assert facet(r, "date") == {"2021-09": (1, False), "2020-07": (2, False)}


def test_highlights_escape_article_markup(fresh_engine):
    from search.article import Article

    fresh_engine.add(Article(id="xss", title="<img src=x onerror=alert(1)> Council vote",
                             body="The council <script>alert('x')</script> voted on the budget."))
    hit = fresh_engine.search(SearchRequest(q="council budget")).hits[0]
    assert hit.id == "xss"
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<img" not in hit.title_highlight and "<mark>Council</mark>" in hit.title_highlight
    assert "<mark>budget</mark>" in hit.snippet


def test_did_you_mean(seed_engine):
    r = seed_engine.search(SearchRequest(q="polise"))
    assert r.suggestion == "police"
    assert seed_engine.search(SearchRequest(q="police")).suggestion is None


def test_did_you_mean_offers_only_what_finds_articles_within_the_filters(seed_engine):
    # "skool" is in the KSHB article's title only.
    assert seed_engine.search(SearchRequest(q="skoool")).suggestion == "skool"
    assert seed_engine.search(SearchRequest(q="skoool", filters={"source": ["KSHB"]})).suggestion == "skool"
    assert seed_engine.search(SearchRequest(q="skoool", filters={"source": ["KCTV"]})).suggestion is None


def test_completion_over_titles_and_names(seed_engine):
    assert "Rick Smith" in seed_engine.suggest("rick")
    assert "Rick Smith" in seed_engine.suggest("smi")
    assert any(s.startswith("narcotic") for s in seed_engine.suggest("narc"))


def test_completions_say_which_facet_a_name_filters_on(seed_engine):
    kinds = {c.text: c.facet for c in seed_engine.completions("rick")}
    assert kinds["Rick Smith"] == "person"
    assert {c.text: c.facet for c in seed_engine.completions("ksh")}["KSHB"] == "source"
    words = [c for c in seed_engine.completions("narc") if c.text.startswith("narcotic")]
    assert words and all(c.facet is None for c in words)  # a title word is no facet value
    assert [c.text for c in seed_engine.completions("smi")] == seed_engine.suggest("smi")
    scoped = {c.text: c.facet for c in seed_engine.completions("jazz", base_filters={"source": ["KSHB"]})}
    assert scoped["Jazzlyn Strickland"] == "person"


def test_completion_within_filters_comes_only_from_the_articles_they_allow(seed_engine):
    # A person, a title word and a source name that occur only in the KSHB article.
    for prefix, only_in_kshb in (("jazz", "Jazzlyn Strickland"), ("sko", "skool"), ("ksh", "KSHB")):
        assert only_in_kshb in seed_engine.suggest(prefix), prefix
        assert only_in_kshb in seed_engine.suggest(prefix, base_filters={"source": ["KSHB"]}), prefix
        assert only_in_kshb not in seed_engine.suggest(prefix, base_filters={"source": ["KCTV"]}), prefix
        assert only_in_kshb not in seed_engine.suggest(prefix, base_filters={"source": ["KCTV", "Liberty Alliance"]}), prefix
    # What the filters allow still completes; filters of several facets are AND-ed.
    assert "Rick Smith" in seed_engine.suggest("rick", base_filters={"source": ["KCTV"]})
    assert seed_engine.suggest("rick", base_filters={"source": ["KCTV"], "person": ["Jazzlyn Strickland"]}) == []
    with pytest.raises(UnknownFacet):
        seed_engine.suggest("rick", base_filters={"colour": ["red"]})


def test_facet_values_search(seed_engine):
    assert [b.value for b in seed_engine.facet_values("person", "thomp")] == ["Kari Thompson"]
    assert seed_engine.facet_values("source")[0].value == "KCTV"
    with pytest.raises(UnknownFacet):
        seed_engine.facet_values("colour")


def test_similar_articles(fresh_engine):
    import json

    from search.article import Article

    from .conftest import FIXTURES

    followup = Article.from_dict(json.loads((FIXTURES / "followup_article.json").read_text()))
    fresh_engine.add(followup)
    similar = [h.id for h in fresh_engine.similar(KCTV_001)]
    assert KCTV_001 not in similar
    assert similar[0] == followup.id  # the follow-up on the same shooting
    with pytest.raises(ArticleNotFound):
        fresh_engine.similar("nope")


def test_recency_boost_prefers_recent(engines):
    from datetime import datetime, timezone

    from .conftest import load_articles

    # The clock is passed in: "now" is a few days after the newest seed.
    engine = engines.open(clock=lambda: datetime(2021, 9, 20, tzinfo=timezone.utc).timestamp())
    engine.add(load_articles())
    plain = ids(engine.search(SearchRequest(q="police officers")))
    boosted = ids(engine.search(SearchRequest(q="police officers", recency_days=30)))
    assert set(plain) == set(boosted)
    assert plain[0] != LIBERTY_003 and boosted[0] == LIBERTY_003


def test_paging(seed_engine):
    first = seed_engine.search(SearchRequest(q="", per_page=2, page=1))
    second = seed_engine.search(SearchRequest(q="", per_page=2, page=2))
    third = seed_engine.search(SearchRequest(q="", per_page=2, page=3))
    assert first.total == 5 and len(first.hits) == 2 and len(third.hits) == 1
    assert not set(ids(first)) & set(ids(second))


def test_stats(seed_engine):
    stats = seed_engine.stats()
    assert stats.documents == 5
    assert {b.value: b.count for b in stats.facets["source"]}["KCTV"] == 2
    assert stats.first_published.date() == date(2020, 7, 2)
    assert stats.last_published.date() == date(2021, 9, 16)
    assert stats.facets["person"][0].value in ("Rick Smith", "Kari Thompson", "Quinton Lucas")


def test_a_query_relaxed_to_any_word_says_so_and_corrects_the_unmatched_word(seed_engine):
    # No article has both words: the hits are those with "officers", and the answer says the
    # search was relaxed, which word no article has, and how to spell it ("injured" is in 000's title).
    r = seed_engine.search(SearchRequest(q="officers injred"))
    assert r.relaxed is True and r.dropped == ["injred"]
    assert r.total > 0 and r.suggestion == "officers injured"
    assert seed_engine.search(SearchRequest(q=r.suggestion)).relaxed is False
    # Both words exist, never together: relaxed, nothing dropped.
    both = seed_engine.search(SearchRequest(q="narcotics volleyball"))
    assert both.relaxed is True and both.dropped == [] and both.total == 2
    # Within filters, the words no allowed article has are the dropped ones.
    kctv = seed_engine.search(SearchRequest(q="narcotics volleyball", filters={"source": ["KCTV"]}))
    assert kctv.relaxed is True and kctv.dropped == ["narcotics", "volleyball"] and kctv.total == 0
    # A correction that finds nothing with every word is no suggestion.
    assert seed_engine.search(SearchRequest(q="volleyball injred")).suggestion is None
    strict = seed_engine.search(SearchRequest(q="officers injured"))
    assert strict.relaxed is False and strict.dropped == [] and strict.suggestion is None


def test_snippet_joins_fragments_with_one_ellipsis_between_them(seed_engine):
    from search.highlight import join_fragments

    assert join_fragments(["… a …", "… b …", "… c"]) == "… a … b … c"
    assert join_fragments(["a …", "… b"]) == "a … b"
    assert join_fragments(["whole body"]) == "whole body" and join_fragments([]) == ""
    hits = seed_engine.search(SearchRequest(q="police")).hits
    several = [h for h in hits if len(h.snippets) > 1]
    assert several
    for hit in several:
        assert "… …" not in hit.snippet
        assert hit.snippet.count("…") == sum(s.count("…") for s in hit.snippets) - (len(hit.snippets) - 1)


@pytest.fixture
def dated_engine(fresh_engine):
    """The seeds plus an article every third day from 2020-01-01 to 2021-08 and one from 2001 (all about wombats)."""
    from datetime import timedelta

    from search.article import Article

    start = datetime(2020, 1, 1, 12, tzinfo=timezone.utc)
    fresh_engine.add([Article(id=f"w{i}", title=f"Wombat census {i}", body="Wombats dig burrows.",
                              published=start + timedelta(days=3 * i)) for i in range(200)]
                     + [Article(id="w-2001", title="Wombat census", body="Wombats dig burrows.",
                                published=datetime(2001, 5, 5, tzinfo=timezone.utc))])
    return fresh_engine


@pytest.mark.parametrize("window, interval, used, buckets", [
    # auto: the finest interval that covers the matches in at most 60 buckets
    (("2020-01-01", "2020-01-10"), "auto", "day", {"2020-01-10": 1, "2020-01-07": 1, "2020-01-04": 1, "2020-01-01": 1}),
    (("2020-01-01", "2020-03-31"), "auto", "week", None),  # 91 days, 14 weeks
    (("2020-01-01", "2021-06-30"), "auto", "month", None),  # 78 weeks, 18 months
    ((None, None), "auto", "year", {"2001": 1, "2020": 122, "2021": 78}),  # 21 years
    # as asked
    (("2020-01-01", "2020-01-10"), "week", "week", {"2020-W02": 2, "2020-W01": 2}),
    (("2020-01-01", "2020-01-10"), "month", "month", {"2020-01": 4}),
    (("2020-01-01", "2020-01-10"), "year", "year", {"2020": 4}),
    (("2020-01-01", "2020-01-10"), "day", "day", {"2020-01-10": 1, "2020-01-07": 1, "2020-01-04": 1, "2020-01-01": 1}),
])
def test_date_histogram_interval(dated_engine, window, interval, used, buckets):
    lo, hi = (date.fromisoformat(d) if d else None for d in window)
    r = dated_engine.search(SearchRequest(q="wombats", facets=("date",), date_interval=interval, date_from=lo, date_to=hi))
    assert r.date_interval == used
    values = [b.value for b in r.facets["date"]]
    assert values == sorted(values, reverse=True)  # newest first
    assert sum(b.count for b in r.facets["date"]) == r.total
    if buckets is not None:
        assert {b.value: b.count for b in r.facets["date"]} == buckets
    if interval == "auto":
        assert 1 <= len(values) <= 60
    if used == "week":
        assert all(re.fullmatch(r"\d{4}-W\d{2}", v) for v in values)
    if (interval, used) == ("auto", "week"):
        assert len(values) == 14
    if (interval, used) == ("auto", "month"):
        assert values[0] == "2021-06" and values[-1] == "2020-01" and len(values) == 18


def test_date_interval_is_none_without_a_date_facet_or_a_dated_match(dated_engine):
    assert dated_engine.search(SearchRequest(q="wombats", facets=("source",))).date_interval is None
    assert dated_engine.search(SearchRequest(q="nosuchwordanywhere", facets=("date",))).date_interval is None


def test_a_stop_word_is_the_word_as_typed_not_its_stem(engines):
    """"used" and "useful" stem to "us", a stop word; they are still searched in titles and bodies
    (they were dropped there, so "used cars" found only names). "was" (stem "wa") stays a stop word."""
    from search.article import Article

    engine = engines.open()
    engine.add([Article(id="cars", title="Prices of used cars rise", body="A useful guide to used cars."),
                Article(id="new", title="New cars", body="New cars were sold, and the market was calm.")])
    assert [h.id for h in engine.search(SearchRequest(q="used cars")).hits] == ["cars"]
    relaxed = engine.search(SearchRequest(q="useful in its own right"))  # no "right": relaxed to "useful"
    assert [h.id for h in relaxed.hits] == ["cars"] and relaxed.relaxed and relaxed.dropped == ["right"]
    assert [h.id for h in engine.search(SearchRequest(q="a useful guide")).hits] == ["cars"]
    assert {h.id for h in engine.search(SearchRequest(q="cars was")).hits} == {"cars", "new"}


def test_function_words_of_a_keyword_query_count_where_present_and_are_never_required(tmp_path):
    """In a query of keywords, a stop word outside Lucene's set ("does", "could", "own") is not
    required, but an article that has it ranks above one that does not: a pasted fragment finds its
    own article first (bench/relevance, known items of 5 words: MRR 0.628 -> 0.723, bm25s 0.715).
    Lucene's stop words ("the", "to") never count."""
    from search.article import Article
    from search.engine import open_engine

    engine = open_engine(tmp_path / "index", refresh_interval=0)
    try:
        engine.add([Article(id="plain", title="Budget", body="The minister will give a speech on the budget."),
                    Article(id="could", title="Budget", body="The minister could not give a date for the budget."),
                    Article(id="other", title="Budget", body="The budget was passed.")])
        hits = engine.search(SearchRequest(q="could give")).hits
        assert [h.id for h in hits] == ["could", "plain"]  # "could" counted, not required
        hits = engine.search(SearchRequest(q="what could give")).hits
        assert [h.id for h in hits] == ["could", "plain"]
        # Lucene's stop words are dropped outright: the ranking of "give" alone, scores and all.
        with_stops = [(h.id, h.score) for h in engine.search(SearchRequest(q="give to the")).hits]
        assert with_stops == [(h.id, h.score) for h in engine.search(SearchRequest(q="give")).hits]
        assert {i for i, _ in with_stops} == {"could", "plain"}
    finally:
        engine.close()


def test_the_correction_is_the_nearest_word_not_the_most_frequent_one(engines):
    """Whoosh's Corrector.suggest keeps its most frequent candidates whatever their distance: on the
    RSS archive "gordon brwn" suggested "gordon ban". The nearest word wins, then the most frequent."""
    from search.article import Article

    neighbours = "ban bin bun bon been born barn burn bean".split()  # each two edits from "brwn"
    articles = [Article(id=f"n{i}", title=" ".join(neighbours), body="Farm news.") for i in range(4)]
    articles.append(Article(id="gb", title="Gordon Brown visits Kirkcaldy", body="Gordon Brown spoke."))
    engine = engines.open()
    engine.add(articles)
    result = engine.search(SearchRequest(q="gordon brwn"))
    assert result.relaxed and result.dropped == ["brwn"]
    assert result.suggestion == "gordon brown"
