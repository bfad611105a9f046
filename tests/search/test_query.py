"""The query syntax as our own nodes (search/query.py): no backend in these tests."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from search.query import (And, AndNot, Fuzzy, MatchAll, Not, Or, Phrase, Prefix, Range, Term, Wildcard,
                          fuzzy_maxdist, parse_query)


def test_words_fields_and_operators():
    assert parse_query("police officers").query == And((Term("police"), Term("officers")))
    assert parse_query("title:police").query == Term("police", "title")
    assert parse_query("headline:police").query == Term("police", "title")  # an alias
    assert parse_query('people:"Rick Smith"').query == Phrase(("Rick", "Smith"), "person")
    assert parse_query("police OR fire").query == Or((Term("police"), Term("fire")))
    assert parse_query("police -shooting").query == And((Term("police"), Not(Term("shooting"))))
    assert parse_query("police NOT shooting").query == parse_query("police -shooting").query
    assert parse_query("a OR b -c").query == And((Or((Term("a"), Term("b"))), Not(Term("c"))))


def test_expansions_and_ranges():
    assert parse_query("narco*").query == Prefix("narco")
    assert parse_query("ab*x").query == Wildcard("ab*x")
    assert parse_query("narcotcs~").query == Fuzzy("narcotcs", 1)
    assert parse_query("narcotics~2").query == Fuzzy("narcotics", 2)  # as asked; the backend caps it:
    assert fuzzy_maxdist("narcotic", 2) == 2 and fuzzy_maxdist("police", 2) == 1
    assert parse_query("body:[a TO c}").query == Range("a", "c", True, False, "body")


def test_operators_only_in_capitals_and_not_in_an_all_caps_query():
    assert parse_query("flooding or bridge").query == And((Term("flooding"), Term("or"), Term("bridge")))
    assert parse_query("JURY NOT GUILTY").query == And((Term("jury"), Term("not"), Term("guilty")))


def test_purely_negative_queries_match_everything_else():
    assert parse_query("-police").query == AndNot(MatchAll(), Term("police"))
    assert parse_query("-police -fire").query == AndNot(MatchAll(), Or((Term("police"), Term("fire"))))


def test_unknown_and_record_fields_are_words():
    assert parse_query("nofield:x").query == Term("nofield:x")  # analysed by the backend: nofield, x
    assert parse_query("id:abc").query == Term("abc")
    assert parse_query('published:"x y"').query == And((Term("x"), Term("y")))


def test_dates_leave_the_text():
    parsed = parse_query("police published:[2020-07-01 TO 2020-07-31]")
    assert parsed.query == Term("police")
    assert parsed.date_start == datetime(2020, 7, 1, tzinfo=timezone.utc)
    assert parsed.date_end == datetime(2020, 8, 1, tzinfo=timezone.utc)


def test_natural_questions_are_or_ed():
    parsed = parse_query("why was the downtown bridge closed after the river flooding")
    assert parsed.natural and isinstance(parsed.query, Or) and parsed.query.scale is None
    assert not parse_query("bridge flooding").natural


def test_unreadable_text_falls_back_to_its_words():
    parsed = parse_query('(("Van Brunt \\')
    assert parsed.query == And((Term("Van"), Term("Brunt")))
    assert parse_query("((( ))) :: ~~ **").query is None  # nothing searchable: every document
    assert parse_query("x AND").query == Term("x")  # an operator with nothing to join is dropped


def test_parsing_is_thread_safe():
    # luqum's (ply's) parser is one module-level object: parse_query holds a lock around it.
    queries = [f'title:w{i} OR ("p{i} q{i}" -x{i}) AND y{i}* z{i}~' for i in range(200)]
    expected = [parse_query(q) for q in queries]
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(parse_query, queries * 4)) == expected * 4


def test_a_pasted_paragraph_is_natural_language_whatever_its_punctuation():
    # A real lede (BBC entertainment): quotes, a colon and a dash are the text's, not syntax.
    text = ('getting the hell out of here," he added. The premiere of Godzilla: Final Wars at '
            "Grauman's Chinese Theatre - the last Godzilla film - drew fans from across the world")
    parsed = parse_query(text)
    assert parsed.natural and isinstance(parsed.query, Or)
    words = [leaf.text for leaf in parsed.query.children]
    assert "Godzilla" in words and "Final" in words and "the" not in words
    assert words.count("Godzilla") == 1  # each word once


def test_a_long_query_with_deliberate_syntax_stays_syntax():
    many = " ".join(f"w{i}x" for i in range(20))
    assert not parse_query(many + " th*").natural
    assert not parse_query("title:budget " + many).natural
    phrase = parse_query('"' + many + '"')
    assert isinstance(phrase.query, Phrase)


def test_an_unreadable_date_range_is_named_with_its_reason():
    from search.query import date_range_error

    assert date_range_error("police published:[2020-07-01 TO 2020-07-31]") is None
    assert date_range_error("published:[* TO 2020]") is None and date_range_error("police") is None
    assert date_range_error("published:[9999-12 TO 9999-12]") is None  # the calendar's last month
    reason = date_range_error("published:[0000-01-01 TO 10000-01-01]")
    assert reason and "'0000-01-01' is not a date" in reason and "YYYY-MM-DD" in reason
    assert "'2020-13'" in date_range_error("date:[2020-01 TO 2020-13]")
    parsed = parse_query("published:[9999-12 TO 9999-12]")
    assert parsed.date_start == datetime(9999, 12, 1, tzinfo=timezone.utc) and parsed.date_end.year == 9999
    parsed = parse_query("published:[2020-07-01T12:00:00+02:00 TO *]")
    assert parsed.date_start == datetime(2020, 7, 1, 10, tzinfo=timezone.utc) and parsed.date_end is None
