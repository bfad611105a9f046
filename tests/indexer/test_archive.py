"""Entities decided at the level of the archive (indexer/archive.py) and the general knowledge behind
them (indexer/gazetteer.py): each rule on sentences of real BBC stories (../shared/data/news/bbc),
with the NER spans given, so that the rule, not the model, is under test."""
from __future__ import annotations

import json

import pytest

from indexer.archive import ArchiveEntities, load, refresh_entities
from indexer.entities import Entities, article_mentions, decide, mentions_from_json, mentions_to_json
from indexer.gazetteer import fold, never_an_entity, place
from search.article import Article
from search.engine import open_engine

# politics/112.txt names only "Blair" and "Mr Blunkett"; politics/007.txt the full names.
BLAIR_ONLY = ("Blair 'damaged' by Blunkett row\n\nA majority of voters (68%) believe the prime minister "
              "has been damaged by the row. Mr Blair said nearly half those surveyed backed Mr Blunkett.")
BLAIR_FULL = ("Tony Blair lied when he took the UK to war so has no qualms about lying in the election "
              "campaign, say the Tories. Tory co-chairman Liam Fox was speaking after Mr Blair told Labour "
              "members the Tories offered a \"hard right agenda\".")
BLUNKETT_FULL = "Mr Blunkett resigned as Home Secretary. David Blunkett's involvement in a visa application."


def mentions(text, people=(), orgs=(), places=()):
    return article_mentions(list(people), list(orgs), list(places), text)


def test_fold_takes_case_diacritics_and_dots_away():
    assert fold("Pelé") == fold("PELE") == "pele"
    assert fold("U.S.") == fold("U S") == "u s"
    assert fold("The Hague") == "hague"


def test_countries_states_and_big_cities_are_known_places():
    assert place(fold("Kyiv")) == "Kyiv"
    assert place(fold("Glasgow")) == "Glasgow"
    assert place(fold("Texas")) == "Texas"
    assert place(fold("Tony Blair")) is None


def test_one_form_for_a_country_whatever_the_spelling():
    text = "Exports to the U.S. rose, the USA said, as America and the United States agreed. The U.S and the UK."
    got = decide(mentions(text, places=["U.S.", "USA", "America", "United States", "U.S", "UK"]))
    assert got.places == ["United States", "United Kingdom"]


def test_demonyms_months_and_awards_are_never_facet_values():
    text = ("The Welsh side beat the Ukrainian team in March. The Oscar went to Hilary Swank. "
            "Covid cases fell.")
    got = decide(mentions(text, people=["Welsh", "Oscar", "Hilary Swank"], orgs=["Ukrainian"],
                          places=["March", "Covid"]))
    assert got == Entities(people=["Hilary Swank"], organizations=[], places=[])
    assert never_an_entity(fold("Ukrainian")) and not never_an_entity(fold("Ukraine"))


def test_photo_and_agency_credits_are_not_entities_of_the_article():
    # RSS items of ../shared/data/news/rss-2023q1 carry their picture's credit in the text.
    text = ("Smoke rises over the town (Canadian Press/Darryl Dyck) as crews work. Photo: Jane Doe/Getty Images\n"
            "Premier David Eby said crews from Vancouver were on their way.")
    got = decide(mentions(text, people=["Darryl Dyck", "Jane Doe", "David Eby"],
                          orgs=["Canadian Press", "Getty Images"], places=["Vancouver"]))
    assert got.people == ["David Eby"]
    assert got.organizations == []
    assert got.places == ["Vancouver"]


def test_a_sports_club_is_an_organisation_and_an_event_is_not_an_entity():
    text = ("Manchester United beat Leicester City at Old Trafford. Kelly Holmes will run at the "
            "European Indoor Championships in Madrid.")
    got = decide(mentions(text, people=["Manchester United", "Kelly Holmes"], orgs=["Leicester City"],
                          places=["European Indoor Championships", "Madrid"]))
    assert got.organizations == ["Manchester United", "Leicester City"]
    assert got.people == ["Kelly Holmes"]
    assert got.places == ["Madrid"]


def test_a_title_in_a_work_context_is_not_an_entity():
    text = ("Paul Giamatti stars in the film Sideways, which won. The film Sideways beat the movie "
            "Vera Drake, and the film 'Vera Drake' was the other.")
    got = decide(mentions(text, people=["Paul Giamatti"], places=["Sideways", "Sideways"], orgs=["Vera Drake", "Vera Drake"]))
    assert got == Entities(people=["Paul Giamatti"], organizations=[], places=[])


def test_a_big_city_outvotes_one_person_label():
    text = "Holmes ran in front of a sell-out crowd in Glasgow and cruised to victory."
    assert decide(mentions(text, people=["Holmes", "Glasgow"])).places == ["Glasgow"]


def test_a_lone_surname_without_its_full_name_stays_out_alone_and_resolves_with_the_archive():
    lone = mentions(BLAIR_ONLY, people=["Blair", "Blair", "Blunkett"])
    assert decide(lone).people == []  # whose "Blair"? nothing in the article says
    archive = ArchiveEntities.build([
        lone,
        mentions(BLAIR_FULL, people=["Tony Blair", "Liam Fox", "Blair"], places=["UK"], orgs=["Tories", "Labour"]),
        mentions(BLUNKETT_FULL, people=["Blunkett", "David Blunkett"], orgs=["Home Secretary"]),
    ])
    assert decide(lone, archive).people == ["Tony Blair", "David Blunkett"]


def test_a_surname_shared_by_two_people_of_the_archive_stays_out():
    archive = ArchiveEntities.build([
        mentions("Gordon Brown spoke.", people=["Gordon Brown"]),
        mentions("Nick Brown spoke.", people=["Nick Brown"]),
        mentions("Mr Brown said so.", people=["Brown"]),
    ])
    assert archive.person("brown") is None
    assert decide(mentions("Mr Brown said so.", people=["Brown"]), archive).people == []


def test_leading_words_resolve_to_the_longer_name_and_a_mononym_stays():
    archive = ArchiveEntities.build([
        mentions("Lisa Marie Presley sang.", people=["Lisa Marie Presley"]),
        mentions("Lisa Marie Presley and Lisa Marie.", people=["Lisa Marie Presley"]),
        mentions("Lisa Marie spoke.", people=["Lisa Marie"]),
        mentions("Brazilian soccer legend Pele.", people=["Pele"]),
        mentions("Pelé scored.", people=["Pelé"]),
        mentions("Pelé won.", people=["Pelé"]),
    ])
    assert decide(mentions("Lisa Marie spoke.", people=["Lisa Marie"]), archive).people == ["Lisa Marie Presley"]
    # One form for the name, whatever the diacritics: the archive's most used.
    assert decide(mentions("legend Pele.", people=["Pele"]), archive).people == ["Pelé"]


def test_the_archive_decides_a_names_kind():
    # The small model labels a politician a place in one sentence; the archive knows better.
    archive = ArchiveEntities.build([
        mentions("Joe Biden said. Biden added.", people=["Joe Biden", "Biden"]),
        mentions("Joe Biden spoke.", people=["Joe Biden"]),
        mentions("In Biden we trust.", places=["Biden"]),
    ])
    got = decide(mentions("In Biden we trust.", places=["Biden"]), archive)
    assert got == Entities(people=["Joe Biden"], organizations=[], places=[])


def test_a_word_the_archive_writes_in_lower_case_is_not_a_name():
    archive = ArchiveEntities.build(
        [mentions("The Budget was set.", orgs=["Budget"]), mentions("Arsenal won.", orgs=["Arsenal"])],
        texts=["the budget rose", "a budget cut", "budget talks", "Arsenal won again"])
    assert decide(mentions("The Budget was set.", orgs=["Budget"]), archive).organizations == []
    assert decide(mentions("Arsenal won.", orgs=["Arsenal"]), archive).organizations == ["Arsenal"]


def test_mentions_and_the_registry_survive_json():
    found = mentions(BLAIR_FULL, people=["Tony Blair", "Blair"], places=["UK"])
    again = mentions_from_json(mentions_to_json(found))
    assert [(m.name, dict(m.votes), m.forced, m.lower, m.work) for m in again] == \
           [(m.name, dict(m.votes), m.forced, m.lower, m.work) for m in found]
    archive = ArchiveEntities.build([found], texts=["lower case text"])
    copy = ArchiveEntities.from_dict(json.loads(json.dumps(archive.to_dict())))
    assert copy.to_dict() == archive.to_dict()
    assert ArchiveEntities.from_dict({"version": -1}) is None


# -- with an index --------------------------------------------------------------------------------
def _article(article_id, text, **spans):
    found = mentions(text, **spans)
    article = Article(id=article_id, title="", body=text, entity_mentions=mentions_to_json(found))
    decided = decide(found)
    article.people, article.organizations, article.places = decided.people, decided.organizations, decided.places
    return article


def test_refresh_keeps_the_registry_with_the_index_and_rewrites_what_changes(tmp_path):
    engine = open_engine(tmp_path / "ix")
    with engine.writer() as writer:
        writer.add(_article("lone", BLAIR_ONLY, people=["Blair", "Blunkett"]))
        writer.add(_article("full", BLAIR_FULL, people=["Tony Blair", "Liam Fox"], places=["UK"]))
        writer.add(_article("blunkett", BLUNKETT_FULL, people=["David Blunkett", "Blunkett"]))
        writer.add(Article(id="ready", title="Ready", body="Given by a client.", people=["Blair"]))
    assert engine.get("lone").people == []
    assert load(engine) is None

    report = refresh_entities(engine)
    assert (report.articles, report.changed) == (3, 1)
    engine.close()
    engine = open_engine(tmp_path / "ix")  # a reader opened after the refresh's commit
    assert engine.get("lone").people == ["Tony Blair", "David Blunkett"]
    assert engine.get("ready").people == ["Blair"]  # entities a client gave are its own
    assert load(engine).person("blair") == "Tony Blair"
    assert refresh_entities(engine).changed == 0  # nothing new: nothing rewritten
    assert {row["id"] for row in engine.scan(("people",))} == {"lone", "full", "blunkett", "ready"}
    engine.close()


@pytest.mark.parametrize("name", ["entities", "a-b_c9"])
def test_meta_is_written_atomically_and_read_back(tmp_path, name):
    engine = open_engine(tmp_path / "ix")
    assert engine.read_meta(name) is None
    engine.write_meta(name, {"x": [1, "é"]})
    assert engine.read_meta(name) == {"x": [1, "é"]}
    assert not [p for p in (tmp_path / "ix").iterdir() if p.name.startswith(".meta")]
    with pytest.raises(ValueError):
        engine.write_meta("../escape", {})


def test_an_apposition_decides_for_the_article_and_at_a_name_is_a_place():
    # business: "Russian oil firm Yukos" once, then bare; sport: "at Anfield", labelled a person.
    text = ("Russian oil firm Yukos has asked a US court to stop the sale. Yukos said the tax bill "
            "was unfair. Liverpool lost at Anfield, and Rafael Benitez said the result at Anfield hurt.")
    got = decide(mentions(text, people=["Yukos", "Yukos", "Anfield", "Anfield", "Rafael Benitez"],
                          places=["Liverpool"]))
    assert got.organizations == ["Yukos"]
    assert "Anfield" in got.places and got.people == ["Rafael Benitez"]


def test_an_acronym_is_no_ones_name():
    archive = ArchiveEntities.build([mentions("Team GB won. GB led.", people=["GB"])] * 3)
    assert decide(mentions("GB led.", people=["GB"]), archive).people == []


def test_a_name_run_on_into_a_title_case_headline_is_trimmed():
    # RSS titles of ../shared/data/news/rss-2023q1 are in Title Case; the model runs names on.
    archive = ArchiveEntities.build(
        [mentions("Jair Bolsonaro Hospitalized in Florida", people=["Jair Bolsonaro Hospitalized"]),
         mentions("Jair Bolsonaro left Brazil.", people=["Jair Bolsonaro"]),
         mentions("Jair Bolsonaro was in Florida.", people=["Jair Bolsonaro"]),
         mentions("Gordon Brown spoke.", people=["Gordon Brown"])],
        texts=["was hospitalized", "hospitalized again", "a man hospitalized", "brown paper"] * 2)
    got = decide(mentions("Jair Bolsonaro Hospitalized in Florida", people=["Jair Bolsonaro Hospitalized"]), archive)
    assert got.people == ["Jair Bolsonaro"]
    # A surname that is also a word stays: "brown" is written in lower case, "Gordon Brown" is a name.
    assert decide(mentions("Gordon Brown spoke.", people=["Gordon Brown"]), archive).people == ["Gordon Brown"]


def test_a_name_met_only_in_a_title_case_headline_needs_the_archive():
    from indexer.entities import headline_case

    title = "Philippine Court Rules Disputed Sea Exploration Deal With China Unconstitutional"
    body = "The Supreme Court said the 2005 agreement with Beijing and Hanoi broke the law."
    assert headline_case(title) and not headline_case("Chief Rick Smith retires from the police")
    text = f"{title}\n\n{body}"
    found = article_mentions([], ["Philippine Court Rules Disputed Sea Exploration Deal", "Supreme Court"],
                             ["China", "Beijing", "Hanoi"], text, headline=len(title))
    got = decide(found)
    assert got.organizations == ["Supreme Court"]  # the run-on headline span is gone
    assert got.places == ["China", "Beijing", "Hanoi"]  # known places stay, headline or not


def test_an_organisations_acronym_and_short_name_take_its_full_name_of_the_archive():
    archive = ArchiveEntities.build([
        mentions("The Federal Aviation Administration grounded flights.", orgs=["Federal Aviation Administration"]),
        mentions("The Federal Aviation Administration said.", orgs=["Federal Aviation Administration"]),
        mentions("The Cincinnati Bengals won.", orgs=["Cincinnati Bengals"]),
        mentions("The Cincinnati Bengals lost.", orgs=["Cincinnati Bengals"]),
        mentions("The FAA said.", orgs=["FAA"]),
    ])
    assert decide(mentions("The FAA said.", orgs=["FAA"]), archive).organizations == ["Federal Aviation Administration"]
    assert decide(mentions("The Bengals won.", orgs=["Bengals"]), archive).organizations == ["Cincinnati Bengals"]


def test_a_short_name_keeps_its_own_form_when_the_archive_uses_it_more():
    archive = ArchiveEntities.build(
        [mentions("Arsenal won.", orgs=["Arsenal"])] * 5
        + [mentions("Henry's Arsenal won.", orgs=["Henry's Arsenal"])] * 2)
    assert decide(mentions("Arsenal won.", orgs=["Arsenal"]), archive).organizations == ["Arsenal"]


def test_a_citys_name_beside_its_club_in_the_same_story_is_the_club():
    # BBC sport: the club in full once, then by its city's name.
    text = ("Newcastle United have signed the striker. Newcastle paid £5m and Graeme Souness said "
            "Newcastle needed him before the trip to Birmingham.")
    got = decide(mentions(text, people=["Graeme Souness"], orgs=["Newcastle United"],
                          places=["Newcastle", "Newcastle", "Birmingham"]))
    assert got.organizations == ["Newcastle United"]
    assert got.places == ["Birmingham"]


def test_in_a_sports_story_a_citys_name_is_its_club_unless_it_is_where():
    # BBC sport: "Newcastle" and "Liverpool" are the clubs; the final is played in Cardiff.
    text = ("Newcastle beat Liverpool 2-1 in the league, the striker scoring twice before the final "
            "in Cardiff. The manager said the goals came late in the season. Liverpool fans left.")
    got = decide(mentions(text, places=["Newcastle", "Liverpool", "Cardiff", "Liverpool"]))
    assert got.organizations == ["Newcastle", "Liverpool"]
    assert got.places == ["Cardiff"]
    news = "Newcastle council said flooding in Liverpool closed roads."
    assert decide(mentions(news, places=["Newcastle", "Liverpool"])).places == ["Newcastle", "Liverpool"]


def test_refresh_never_overwrites_a_version_written_after_it_read_the_article(tmp_path, monkeypatch):
    # An API write that lands while the pass holds the index (journaled, applied at its commit)
    # is newer than what the pass read, and wins.
    from dataclasses import replace

    from search.article import content_checksum

    engine = open_engine(tmp_path / "ix")
    with engine.writer() as writer:
        writer.add(_article("lone", BLAIR_ONLY, people=["Blair", "Blunkett"]))
        writer.add(_article("full", BLAIR_FULL, people=["Tony Blair", "Liam Fox"], places=["UK"]))
        writer.add(_article("blunkett", BLUNKETT_FULL, people=["David Blunkett", "Blunkett"]))
    read = engine.get
    api = open_engine(tmp_path / "ix")

    def read_then_the_api_writes(article_id):
        article = read(article_id)
        newer = replace(article, title="Updated by the API", checksum="")
        newer.checksum = content_checksum(newer)
        assert api.add(newer).committed  # journaled: the pass holds the lock
        return article

    monkeypatch.setattr(engine, "get", read_then_the_api_writes)
    refresh_entities(engine)
    engine.close()
    after = open_engine(tmp_path / "ix").get("lone")
    assert after.title == "Updated by the API" and after.people == []
