"""Stories (search/stories.py, story_files.py): versions of one story folded under one hit.

The articles are written for the case each test names: a wire story carried by three papers under
their own headlines, a page updated under the same URL id, a different story on the same subject,
a daily column whose title recurs, a daily page whose title's number changes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from search.article import Article
from search.engine import open_engine
from search.request import SearchRequest
from search.stories import StoryPrint, page_id, same_story
from search.whoosh_backend import story_files

T0 = datetime(2023, 2, 6, 8, 0, tzinfo=timezone.utc)
WIRE = ("A powerful earthquake struck southern Turkey and northern Syria before dawn on Monday, toppling "
        "buildings across the region and trapping residents under the rubble as rescuers searched through "
        "the night in freezing rain. Officials said the quake was followed by strong aftershocks and that "
        "hospitals in several cities were overwhelmed. Aid agencies appealed for blankets and tents while "
        "governments around the world offered search teams and money for the emergency response.")
OTHER = ("Football clubs in the Turkish league postponed their weekend matches as a mark of respect, and the "
         "federation said that players would wear black armbands when the season resumed. Several clubs "
         "opened their stadiums as shelters and collected donations from supporters across the country, "
         "while foreign players who had left the region were asked to return once it was safe.")


def _wire(i: int, source: str, title: str, hours: float) -> Article:
    return Article(id=f"wire-{i}", title=title, body=WIRE, source=source, published=T0 + timedelta(hours=hours),
                   url=f"https://{source.lower().replace(' ', '')}.example/world/quake-{i}")


def _corpus() -> list[Article]:
    return [
        _wire(1, "Reuters", "Earthquake kills hundreds in Turkey and Syria", 0),
        _wire(2, "Daily Planet", "Quake topples buildings in Turkey and Syria", 2),
        _wire(3, "Evening Star", "Hundreds dead as powerful quake hits region", 5),
        Article(id="page-v1", title="Rescuers race to reach survivors in Antakya", body="Rescue teams worked through the night.",
                source="MSN", published=T0 + timedelta(hours=3), url="https://www.msn.com/en-us/news/world/rescuers-race/ar-AA17abcd"),
        Article(id="page-v2", title="Rescue teams pull survivors from rubble in Antakya", body="Rescue teams worked through the day.",
                source="MSN", published=T0 + timedelta(hours=9), url="https://www.msn.com/en-us/news/world/rescue-teams-pull/ar-AA17abcd"),
        Article(id="football", title="Turkish league postpones matches after quake", body=OTHER, source="Reuters",
                published=T0 + timedelta(hours=6)),
        *[Article(id=f"column-{d}", title="Markets Roundup: What Traders Watch Today", body=f"Shares moved on day {d}.",
                  source="Wire Desk", published=T0 + timedelta(days=d)) for d in range(4)],
        *[Article(id=f"daily-{d}", title=f"Quake live: key events on day {d + 1} of the disaster", body=f"Events of day {d + 1}.",
                  source="Live Desk", published=T0 + timedelta(days=d))
          for d in range(3)],
    ]


@pytest.fixture
def engine(tmp_path):
    engine = open_engine(tmp_path / "index", refresh_interval=0)
    engine.add(_corpus())
    yield engine
    engine.close()


def _ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_copies_fold_under_their_earliest_version_and_collapse_none_shows_every_copy(engine):
    folded = engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story", sort="newest"))
    every = engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="none", sort="newest"))
    assert {"wire-1", "wire-2", "wire-3"} <= set(_ids(every))
    wire = [h for h in folded.hits if h.id.startswith("wire-")]
    assert [h.id for h in wire] == ["wire-1"]  # the earliest version stands for the story
    assert wire[0].versions == 3
    assert [(v.id, v.source) for v in wire[0].other_versions] == [("wire-3", "Evening Star"), ("wire-2", "Daily Planet")]
    assert folded.articles == every.total == every.articles
    assert folded.total == every.total - 2  # two copies folded
    # Facets count articles, folded or not.
    assert folded.facets["source"] == every.facets["source"]


def test_an_updated_page_is_one_story_and_a_different_story_on_the_subject_is_not(engine):
    hits = engine.search(SearchRequest(q="Antakya", collapse="story")).hits
    assert [(h.id, h.versions) for h in hits] == [("page-v1", 2)]
    football = engine.search(SearchRequest(q="league matches", collapse="story")).hits
    assert [(h.id, h.versions) for h in football] == [("football", 1)]


def test_recurring_titles_and_changed_numbers_stay_apart(engine):
    column = engine.search(SearchRequest(q="Markets Roundup", collapse="story"))
    assert column.total == 4 and all(h.versions == 1 for h in column.hits)
    daily = engine.search(SearchRequest(q="key events", collapse="story"))
    assert daily.total == 3 and all(h.versions == 1 for h in daily.hits)


def test_deleting_the_representative_promotes_the_next_version(engine):
    engine.delete("wire-1")
    hits = [h for h in engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")).hits if h.id.startswith("wire-")]
    assert [(h.id, h.versions) for h in hits] == [("wire-2", 2)]


def test_a_new_version_finds_its_story_without_a_rebuild(engine):
    engine.add(_wire(4, "Morning Post", "Turkey and Syria count the dead after quake", 30))
    hits = [h for h in engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")).hits if h.id.startswith("wire-")]
    assert [(h.id, h.versions) for h in hits] == [("wire-1", 4)]
    assert hits[0].other_versions[0].id == "wire-4"  # newest first


def test_a_scoped_caller_sees_only_its_own_versions(engine):
    scoped = engine.search(SearchRequest(q="earthquake", collapse="story", base_filters={"source": ("Daily Planet", "Reuters")}))
    wire = [h for h in scoped.hits if h.id.startswith("wire-")]
    assert [(h.id, h.versions) for h in wire] == [("wire-1", 2)]
    assert [v.source for v in wire[0].other_versions] == ["Daily Planet"]


def test_the_stories_are_saved_for_the_generation_and_read_back(engine):
    searcher, view = engine.current()
    folder = Path(searcher._ix.storage.folder)
    saved = list(folder.glob(f"{story_files.LABELS_PREFIX}*.npy"))
    assert len(saved) == 1
    segments = [(segid, segreader.doc_count_all()) for segreader, _, segid in view.leaves]
    read, exact = story_files.read_labels(folder, searcher.reader().generation(), segments, view.live,
                                          np.full(view.doc_count_all, np.nan))
    parts = [(view.caches.segment_stories(folder, segid), offset) for _, offset, segid in view.leaves]
    assigned = story_files.Stories.assign(parts, view.live)
    assert exact and np.array_equal(read.labels, assigned.labels)
    assert len(np.unique(read.labels[read.labels >= 0])) < view.live.sum()  # some stories folded


def test_a_story_file_of_an_earlier_format_is_written_again_at_the_next_commit(engine):
    searcher, view = engine.current()
    folder = Path(searcher._ix.storage.folder)
    files = sorted(folder.glob(f"*.{story_files.SUFFIX}"))
    assert files and not any(story_files.SegmentWriter.stale(f) for f in files)
    for f in files:  # as an index written by an earlier release left them
        with open(f, "r+b") as fh:
            np.save(fh, np.array([story_files.FORMAT - 1, 0], dtype=np.int64))
    assert all(story_files.SegmentWriter.stale(f) for f in files)
    engine.add([_wire(5, "Morning Post", "Turkey and Syria count the dead after quake", 30)])
    assert not any(story_files.SegmentWriter.stale(f) for f in folder.glob(f"*.{story_files.SUFFIX}"))
    hits = [h for h in engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")).hits if h.id.startswith("wire-")]
    assert [(h.id, h.versions) for h in hits] == [("wire-1", 4)]


def test_the_apis_commits_save_the_stories_within_a_budget(engine):
    """A budgeted save (the API's writes) is deferred while the last one is recent for what it
    cost, and made when due: by the background drainer the write started (or, with an applier
    process, by the applier when idle: `save_stories_if_due`). A searcher of an index this small
    assigns the stories itself meanwhile; past ASSIGN_IN_SEARCH documents it folds the newest
    articles as they were saved."""
    import time

    folder = engine.store.current_dir()
    key = story_files._key(folder)

    def saved_generation() -> int:
        (path,) = folder.glob(f"{story_files.LABELS_PREFIX}*.npy")
        return int(path.stem.removeprefix(story_files.LABELS_PREFIX))

    story_files._SAVED[key] = (time.monotonic(), 1_000.0)  # as after a save of 1,000 s just now
    before = saved_generation()
    engine.add(_wire(6, "Morning Post", "Turkey and Syria count the dead after quake", 30))
    searcher, _ = engine.current()
    generation = searcher.reader().generation()
    assert generation > before and saved_generation() == before  # deferred
    assert story_files.is_deferred(folder) and not story_files.save_is_due(folder)
    assert not engine.save_stories_if_due()
    story_files._SAVED[key] = (time.monotonic() - 9.7, 1.0)  # due in 0.3 s
    deadline = time.monotonic() + 10
    while saved_generation() != generation and time.monotonic() < deadline:
        time.sleep(0.05)
    assert saved_generation() == generation and not story_files.is_deferred(folder)
    assert not engine.save_stories_if_due()  # nothing deferred any more
    wire = [h for h in engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")).hits if h.id.startswith("wire-")]
    assert [(h.id, h.versions) for h in wire] == [("wire-1", 4)]


def test_page_ids_and_the_decision():
    assert page_id("http://www.msn.com/en-us/news/politics/garland-looks/ar-AA19cgyw?li=BBnbcA1") == "msn.com/ar-aa19cgyw"
    assert page_id("https://www.dailymail.co.uk/news/article-11606831/Idaho-murders.html?ns=rss") == "dailymail.co.uk/article-11606831"
    assert page_id("https://abcnews.go.com/US/winter-storm/story?id=96051816") == "abcnews.go.com/96051816"
    assert page_id("https://edition.cnn.com/europe/live-news/war-03-14-23#h_4420789271bfeac6") == \
        page_id("https://www.cnn.com/europe/live-news/war-03-14-23#h_4420789271bfeac6")
    assert page_id("https://www.cnn.com/2023/02/12/sport/super-bowl-highlights/index.html") is None  # a slug is no id
    assert page_id("not a url") is None

    def p(title, body="", url=None, source="A", hours=0):
        return StoryPrint.of(title, body, url, source, T0 + timedelta(hours=hours))

    assert same_story(p("Terry Holland, who transformed Virginia basketball, dies"),
                      p("Terry Holland, who transformed Virginia basketball, dies at 80", source="B", hours=1))
    assert not same_story(p("Russia-Ukraine war: List of key events, day 312"),
                          p("Russia-Ukraine war: List of key events, day 313", hours=24))
    assert same_story(p("Earthquake kills hundreds", WIRE, source="A"), p("Quake topples buildings", WIRE, source="B"))
    # The same short description under another title from the same source: a reused caption.
    caption = "Prime Minister Justin Trudeau speaks to reporters in Ottawa on Jan. 3, 2023, in a file photo by the news agency."
    assert not same_story(p("Trudeau Says Ottawa Looking at Bail Reform", caption), p("Premiers to Meet on Health Care", caption))
    assert same_story(p("Markets Roundup: What Traders Watch", hours=0), p("Markets Roundup: What Traders Watch", hours=20))
    assert not same_story(p("Markets Roundup: What Traders Watch"), p("Markets Roundup: What Traders Watch", hours=20), title_days=4)


def test_a_page_without_an_id_is_its_path_and_a_slug_is_the_original_title():
    from search.stories import is_live, url_page

    # A slug is no id; a page named by its slug is its path, in any view of it, whatever the query.
    cnn = "https://edition.cnn.com/2023/02/12/sport/super-bowl-highlights-chiefs-eagles-spt/index.html"
    assert url_page(cnn) == url_page("https://www.cnn.com/webview/2023/02/12/sport/super-bowl-highlights-chiefs-eagles-spt/")
    assert url_page("https://www.washingtonpost.com/tech/2023/02/22/russian-propagandists-buy-blue-checks/?utm_campaign=a") \
        == url_page("https://www.washingtonpost.com/tech/2023/02/22/russian-propagandists-buy-blue-checks/?utm_campaign=b")
    # Not a page by its path: a section, a URL with an id. A live page is one, and known as live.
    assert is_live("https://edition.cnn.com/europe/live-news/russia-ukraine-war-news-1-5-23/index.html")
    assert is_live("http://www.msn.com/en-us/news/world/turkey-earthquake-live-updates-rescue/ar-AA179bHk")
    assert not is_live("https://example.com/2023/03/01/how-to-live-longer-with-less")
    assert url_page("https://example.com/world/europe/") is None
    assert url_page("http://www.msn.com/en-us/news/world/quake-kills-hundreds/ar-AA19cgyw") is None
    # A title-case slug ends with a word, not an id; a short prefix and a mixed-case id is one.
    assert page_id("https://www.dailymail.co.uk/news/Prince-William-lays-wreath-Tomb-Unknown-Soldier-Poland.html") is None
    assert page_id("http://www.msn.com/en-us/news/world/slug/ar-AAZThVb") == "msn.com/ar-aazthvb"

    def p(title, url, source="A", hours=0.0, body=""):
        return StoryPrint.of(title, body, url, source, T0 + timedelta(hours=hours))

    # One page retitled, hours or days later.
    assert same_story(p("Kansas City Chiefs beat Philadelphia Eagles 38-35 in wild Super Bowl", cnn),
                      p("Philadelphia quarterback Jalen Hurts has monster game", cnn, hours=50))
    assert not same_story(p("Chiefs beat Eagles", cnn), p("Jalen Hurts has monster game", cnn, hours=24 * 8))
    # A site's dated paths under one slug are one page a day; a live page's posts are stories.
    assert not same_story(p("Boris Johnson lays out his Partygate defense", "https://wp.example/2023/03/21/boris-johnson-partygate-parliament/"),
                          p("Boris Johnson to be grilled over Partygate", "https://wp.example/2023/03/22/boris-johnson-partygate-parliament/", hours=20))
    live = "https://edition.cnn.com/europe/live-news/russia-ukraine-war-news-1-5-23/index.html"
    assert not same_story(p("Germany would not stop Poland sending tanks to Ukraine", live),
                          p("Heavy Russian shelling in eastern regions, officials say", live, hours=3))
    assert same_story(p("More than 60% of Bakhmut destroyed, Ukrainian official says", live),
                      p("More than 60% of the city of Bakhmut destroyed, Ukrainian official says",
                        live.replace("cnn.com/", "cnn.com/webview/"), hours=3))
    # Ids: a number ending a slug is a sum or a date below seven digits; a title-case word is no id.
    assert page_id("https://www.cnn.com/collections/intl-covid-011523/") is None
    assert page_id("https://example.com/money/2023/mar/20/my-flat-is-worth-230000") is None
    assert page_id("https://thehill.com/policy/3886861-border-patrol-transfers-25-agents/") == "thehill.com/3886861"
    # A page retitled with new numbers is updated; a page whose title only changes its numbers is
    # the next day's edition of a page the site reuses.
    msn = "http://www.msn.com/en-us/news/crime/slug/ar-AA18gV21"
    assert same_story(p("2nd person has died following concert trampling", msn),
                      p("2 dead, 1 critically injured after trampling at Rochester concert, police say", msn, hours=3))
    lede = ("A mass shooting in Monterey Park, California, where people had gathered for Lunar New Year "
            "celebrations, left several people dead and others injured, officials said.")
    assert same_story(p("California mass shooting leaves 9 dead at Lunar New Year festival", None, "Fox", body=lede),
                      p("California mass shooting leaves at least 10 dead at Lunar New Year festival", None, "Fox",
                        hours=2, body=lede))  # the toll updated within hours
    wordle = "http://www.msn.com/en-us/news/games/wordle/ar-AA179zbn"
    assert not same_story(p("Wordle Today, February 6: Hints, Clues and Answer", wordle),
                          p("Wordle Today, February 7: Hints, Clues and Answer", wordle, hours=20))
    # An aggregator's copy keeps the title the origin has since changed, and the origin's slug spells.
    origin = p("Hong Kong residents hold first protest in years under new rules",
               "https://www.aljazeera.com/news/2023/3/26/hong-kongers-hold-first-protest-in-years-under-strict-rules",
               source="Al Jazeera")
    copy = p("Hong Kongers hold first protest in years under strict rules",
             "http://www.msn.com/en-us/news/world/hong-kongers-hold-first/ar-AA195h4C", source="MSN", hours=2)
    assert same_story(origin, copy) and same_story(copy, origin)
    assert not same_story(origin, copy, title_days=3)  # unless the archive carries the title daily
    other = p("Hong Kong police arrest protest organisers", "https://www.aljazeera.com/news/2023/3/26/hk-arrests",
              source="Al Jazeera")
    assert not same_story(other, copy)
    # A series reuses its template text under titles alike: a source's short texts agree as copies
    # only when nearly the same, within a week, and not under a title the archive carries daily.
    chart = "The streaming service's weekly chart has a new number one, and it is a show few expected to rise so fast."
    assert not same_story(p("'Wednesday' Dethroned In Netflix's Top 10 List By A New Show", None, body=chart),
                          p("'Kaleidoscope' Dethroned In Netflix's Top 10 List By A New Show", None, hours=24 * 5,
                            body=chart.replace("few expected", "nobody expected")))
    roundup = "Political cartoonists from across the country weigh in on the week, from the speaker fight to the border and beyond."
    first, next_week = (p("The nation's cartoonists on the week in politics", None, body=roundup),
                        p("The nation's cartoonists on the week in politics", None, hours=24 * 7, body=roundup))
    assert same_story(first, next_week)  # once: a republished piece
    assert not same_story(first, next_week, title_days=5)  # every week: a series
    # Two outlets opening with the same wire lede, edited further on: one story the same day; a
    # report a day later reusing the lede is a follow-up.
    ap = "Hundreds of Afghan refugees facing extreme delays in the approval of U.S. visas are protesting in Pakistan's capital"
    assert same_story(p("Afghan refugees in Pakistan protest delay in US resettlement", None, "WaPo",
                        body=ap + ", as an American program to help relocate at-risk Afghans stalls, organisers said."),
                      p("Afghans in Islamabad demand faster visas", None, "NBC", hours=6,
                        body=ap + " on Sunday, saying they had waited for more than a year for an answer from Washington."))
    assert not same_story(p("Afghan refugees in Pakistan protest delay in US resettlement", None, "WaPo",
                            body=ap + ", as an American program to help relocate at-risk Afghans stalls, organisers said."),
                          p("Police disperse Afghan protest in Islamabad", None, "NBC", hours=20,
                            body=ap + " were dispersed by police on Monday after a second day of sit-ins near the embassy."))
    # A gallery is another report than the article, whatever its title or slug says.
    assert not same_story(p("Bolsonaro supporters storm Brazilian Congress", "https://www.bbc.co.uk/news/world-64204860", "BBC"),
                          p("In pictures: Bolsonaro supporters storm Brazilian Congress",
                            "https://www.cnn.com/2023/01/09/world/gallery/bolsonaro-supporters-storm-brazilian-congress", "CNN", hours=5))
    # One sentence of text is enough to agree across sources.
    lede = "Amazon will lay off 9,000 more employees, CEO Andy Jassy said in a memo to staff on Monday."
    assert same_story(p("Amazon to lay off 9,000 more workers after earlier cuts", None, "NBC", body=lede),
                      p("Amazon cuts 9,000 more jobs", None, "CNBC", hours=1, body=lede))


def test_versions_lists_every_version_newest_first(engine):
    assert [v.id for v in engine.versions("wire-2")] == ["wire-3", "wire-2", "wire-1"]
    assert [v.id for v in engine.versions("football")] == ["football"]
    assert engine.versions("wire-1")[0].title == "Hundreds dead as powerful quake hits region"
    from search.errors import ArticleNotFound

    with pytest.raises(ArticleNotFound):
        engine.versions("nope")


def test_a_segment_without_its_file_yet_is_folded_from_its_documents(engine):
    """A searcher refreshed between a commit and its files (a write's `wait` answers then) still
    folds: a small segment's prints are computed from its stored documents."""
    engine.add(_wire(4, "Morning Post", "Turkey and Syria count the dead after quake", 30))
    searcher, view = engine.current()
    folder = Path(searcher._ix.storage.folder)
    newest = view.leaves[-1][2]
    (folder / f"{newest}.stories").unlink()
    for saved in folder.glob(f"{story_files.LABELS_PREFIX}*.npy"):
        saved.unlink()
    engine.caches.stories.clear()
    view._stories = None
    hits = [h for h in engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")).hits if h.id.startswith("wire-")]
    assert [(h.id, h.versions) for h in hits] == [("wire-1", 4)]


def test_similar_leaves_out_the_articles_own_copies_and_shows_one_hit_per_story(engine):
    similar = [h.id for h in engine.similar("football", limit=5)]
    assert "wire-1" in similar and not {"wire-2", "wire-3"} & set(similar)  # the wire story once
    assert not {h.id for h in engine.similar("wire-2", limit=5)} & {"wire-1", "wire-3"}  # never its own copies


def test_a_large_index_never_assigns_in_a_search_and_uses_the_last_saved_stories(engine, monkeypatch):
    """Past ASSIGN_IN_SEARCH documents a searcher refreshed before the writer saved its generation's
    stories uses the previous generation's, extended (new articles alone, a deleted first version
    replaced by the next), and looks for the file again at its next search."""
    monkeypatch.setattr(story_files, "ASSIGN_IN_SEARCH", 0)
    searcher, _ = engine.current()
    folder = Path(searcher._ix.storage.folder)
    previous = next(folder.glob(f"{story_files.LABELS_PREFIX}*.npy")).read_bytes()
    engine.add(_wire(4, "Morning Post", "Turkey and Syria count the dead after quake", 30))
    engine.delete("wire-1")
    current = next(folder.glob(f"{story_files.LABELS_PREFIX}*.npy"))
    saved = current.read_bytes()
    current.unlink()
    (folder / f"{story_files.LABELS_PREFIX}1.npy").write_bytes(previous)  # as if the writer had not saved yet
    engine.caches.stories.clear()

    def wire():
        hits = engine.search(SearchRequest(q="earthquake Turkey Syria", collapse="story")).hits
        return sorted((h.id, h.versions) for h in hits if h.id.startswith("wire-"))

    assert wire() == [("wire-2", 2), ("wire-4", 1)]  # the new copy alone until the file comes
    current.write_bytes(saved)
    assert wire() == [("wire-2", 3)]
