"""Query modes: short queries need every word; long plain questions match any word, ranked by coverage;
"and", "or", "not" typed as words are words."""
import pytest

from search.backend import SearchBackend
from search.query import parse_query
from search.request import SearchRequest
from tests.backends import engines_for

from .conftest import load_articles


@pytest.fixture(scope="module")
def engine(backend, request, tmp_path_factory) -> SearchBackend:
    """The relevance articles on each backend (tests/backends.py)."""
    with engines_for(backend, request, tmp_path_factory.mktemp("relevance-index")) as engines:
        engine = engines.open()
        engine.add(load_articles("relevance_articles.jsonl"))
        yield engine


def search(engine, q):
    return engine.search(SearchRequest(q=q, per_page=20, facets=(), highlight=False))


def ids(results):
    return [h.id for h in results.hits]


def test_a_long_question_finds_articles_without_every_word(engine):
    r = search(engine, "why was the downtown bridge closed after the river flooding this week")
    assert ids(r)[0] == "flood-river"  # the article that matches the most words ranks first
    assert "bridge-repair" in ids(r)  # matches "bridge" only: found, ranked lower
    assert parse_query("why was the downtown bridge closed after the river flooding").natural


def test_a_two_word_query_requires_both_words(engine):
    r = search(engine, "bridge flooding")
    assert ids(r) == ["flood-river"]
    assert not parse_query("bridge flooding").natural


def test_three_content_words_are_still_a_keyword_query(engine):
    r = search(engine, "heavy rain bridge")
    assert ids(r) == ["flood-river"]


def test_lowercase_or_is_a_word_not_an_operator(engine):
    # As an operator, "or" would also return the bridge-repair article, which never mentions flooding.
    r = search(engine, "flooding or bridge")
    assert ids(r) == ["flood-river"]


def test_lowercase_not_is_a_word_not_an_operator(engine):
    r = search(engine, "not guilty")
    assert ids(r) == ["jury-verdict"]


def test_uppercase_operators_still_work(engine):
    assert set(ids(search(engine, "levee OR budget"))) == {"flood-river", "council-budget"}
    assert ids(search(engine, "bridge NOT flooding")) == ["bridge-repair"]


def test_a_query_in_capitals_reads_its_operators_as_words(engine):
    # Typed in capitals, NOT cannot be told from the word: "JURY NOT GUILTY" is the verdict, not an exclusion.
    assert ids(search(engine, "JURY NOT GUILTY")) == ["jury-verdict"]


def test_a_long_query_with_operators_keeps_all_words_required(engine):
    r = search(engine, "river flooding downtown bridge -budget")
    assert ids(r) == ["flood-river"]
    assert not parse_query("river flooding downtown bridge -budget").natural


@pytest.mark.whoosh_only("OpenSearch's english analyzer drops stop words from bodies when indexing: a query of "
                         "only stop words can match titles alone there (README, Past one machine)")
def test_a_query_of_only_stop_words_still_finds_its_text(engine):
    r = search(engine, "to be or not to be")
    assert ids(r)[0] == "hamlet"


@pytest.mark.parametrize("q", [
    'what happened: river (flooding) & the bridge -- closed?',
    "rain AND OR NOT flooding ( bridge",
    '"unbalanced quote about the river bridge flooding',
    "and or not",
    "((()))",
])
def test_raw_typed_text_never_fails(engine, q):
    r = search(engine, q)
    assert r.total >= 0
