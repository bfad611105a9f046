"""Stories on every backend (the contract suite): copies of one story fold under one hit, with its
versions; `collapse=none` shows them all; deleting a version or adding one keeps the story right; a
scoped caller sees only its own versions. Which version stands for a story differs: Whoosh shows the
earliest matching one, OpenSearch's collapse the best by the search's order. The Whoosh backend's
files and saved stories are tested in tests/search/whoosh_backend/test_stories.py."""
from __future__ import annotations

import pytest

from search.errors import ArticleNotFound
from search.request import SearchRequest
from tests.search.whoosh_backend.test_stories import _corpus, _wire

WIRE_IDS = {"wire-1", "wire-2", "wire-3"}


@pytest.fixture
def engine(engines):
    engine = engines.open()
    engine.add(_corpus(), wait=5)
    return engine


def _story(results, prefix: str = "wire-"):
    """The hits of the wire story: (id, versions, other ids)."""
    return [(h.id, h.versions, {v.id for v in h.other_versions}) for h in results.hits if h.id.startswith(prefix)]


def test_copies_fold_under_one_hit_with_their_versions(engine):
    folded = engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story"))
    [(shown, versions, others)] = _story(folded)
    assert versions == 3 and {shown} | others == WIRE_IDS
    every = engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="none"))
    assert {h.id for h in every.hits} >= WIRE_IDS and all(h.versions == 1 for h in every.hits)
    assert folded.articles == every.articles == every.total and folded.total == every.total - 2
    assert {b.value: b.count for b in folded.facets["source"]} == {b.value: b.count for b in every.facets["source"]}


def test_an_updated_page_is_one_story_and_a_changed_number_is_another(engine):
    assert [(h.versions, {h.id} | {v.id for v in h.other_versions}) for h in
            engine.search(SearchRequest(q="Antakya", collapse="story")).hits] == [(2, {"page-v1", "page-v2"})]
    assert engine.search(SearchRequest(q="key events", collapse="story")).total == 3


@pytest.mark.whoosh_only("OpenSearch decides an article's story when it is written: a title is known to recur "
                         "only from its third day, so its first two days fold (README); Whoosh decides over the "
                         "whole archive at each commit")
def test_a_recurring_title_is_no_story(engine):
    assert engine.search(SearchRequest(q="Markets Roundup", collapse="story")).total == 4


def test_versions_newest_first_and_a_deleted_version_leaves_the_story(engine):
    assert [v.id for v in engine.versions("wire-2")] == ["wire-3", "wire-2", "wire-1"]
    assert [v.id for v in engine.versions("football")] == ["football"]
    with pytest.raises(ArticleNotFound):
        engine.versions("nope")
    engine.delete("wire-1", wait=5)
    [(shown, versions, others)] = _story(engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")))
    assert versions == 2 and {shown} | others == {"wire-2", "wire-3"}


def test_a_new_version_joins_its_story(engine):
    engine.add(_wire(4, "Morning Post", "Turkey and Syria count the dead after quake", 30), wait=5)
    [(shown, versions, others)] = _story(engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")))
    assert versions == 4 and {shown} | others == WIRE_IDS | {"wire-4"}
    assert engine.versions("wire-1")[0].id == "wire-4"


def test_a_scoped_caller_sees_only_its_own_versions(engine):
    scoped = engine.search(SearchRequest(q="earthquake", collapse="story",
                                         base_filters={"source": ("Daily Planet", "Reuters")}))
    [(shown, versions, others)] = _story(scoped)
    assert versions == 2 and {shown} | others == {"wire-1", "wire-2"}


def test_similar_leaves_out_the_articles_own_copies_and_shows_each_story_once(engine):
    similar = [h.id for h in engine.similar("football", limit=5)]
    assert len(WIRE_IDS & set(similar)) == 1  # the wire story, once
    assert not {h.id for h in engine.similar("wire-2", limit=5)} & WIRE_IDS  # never its own copies
    with pytest.raises(ArticleNotFound):
        engine.similar("nope")
