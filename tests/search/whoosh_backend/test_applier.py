"""The journal's applier process (applier.py), run here in a thread: while it holds its lock, the
backend leaves the journal to it (no drainer thread, nothing applied on the request path), it applies
what arrives in few commits, and when it stops the backend applies writes itself again."""
from __future__ import annotations

import threading
import time

import pytest

from search.article import Article
from search.engine import open_engine
from search.errors import ArticleNotFound
from search.whoosh_backend import applier
from search.whoosh_backend.applier import Applier

from tests.polling import wait_for as _wait_for

from ..conftest import load_articles


def article(n: int) -> Article:
    return Article(id=f"ap-{n}", title=f"Applied {n} heron", body=f"Heron count {n}.")


@pytest.fixture
def index(tmp_path):
    engine = open_engine(tmp_path / "ix", refresh_interval=0)
    engine.add(load_articles()[:3])
    engine.close()
    return tmp_path / "ix"


@pytest.fixture
def running_applier(index):
    """An applier on `index` in a thread; stopped (and joined) after the test."""
    stop = threading.Event()
    app = Applier(index, interval=0.5, poll=0.02)
    thread = threading.Thread(target=app.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not applier.running(index):
        assert time.monotonic() < deadline, "the applier never took its lock"
        time.sleep(0.01)
    yield app, stop, thread
    stop.set()
    thread.join(10)



def wait_for(predicate, seconds: float = 20.0) -> bool:
    return _wait_for(predicate, seconds, every=0.02)


def found(engine, article_id: str) -> bool:
    try:
        engine.get(article_id)
        return True
    except ArticleNotFound:
        return False


def test_no_applier_runs_until_one_holds_the_lock(index, running_applier):
    app, stop, thread = running_applier
    assert applier.running(index)
    stop.set()
    thread.join(10)
    assert not thread.is_alive() and not applier.running(index)


def test_a_second_applier_for_the_same_index_steps_aside(index, running_applier):
    assert Applier(index).run(threading.Event()) is False


def test_with_an_applier_concurrent_writes_are_left_to_it_and_batched(index, running_applier):
    app, _, _ = running_applier
    engine = open_engine(index, refresh_interval=0)
    for n in range(19):  # accepted meanwhile by the other workers
        engine.journal.append([("add", article(n))])
    report = engine.add(article(19))
    # Acknowledged as durable; not applied on the request path, no drainer thread in this process.
    assert report.committed and report.added == ["ap-19"]
    assert engine._drainer is None
    assert _wait_for(lambda: engine.journal.names() == [])
    assert all(found(engine, f"ap-{n}") for n in range(20))
    # Twenty writes within a few milliseconds, in few commits (one every 0.5 s at most).
    assert 1 <= app.commits <= 3


def test_with_an_applier_even_a_lone_write_is_left_to_it(index, running_applier):
    # A request never holds the index's lock while the applier runs: it journals and answers.
    app, _, _ = running_applier
    engine = open_engine(index, refresh_interval=0)
    assert _wait_for(lambda: engine.journal.names() == [])
    commits = app.commits
    report = engine.add(article(1), wait=10)
    assert report.committed and report.visible and found(engine, "ap-1")
    # Counted once the commit's postings files are written too, just after it is visible.
    assert _wait_for(lambda: app.commits > commits) and engine._drainer is None


def test_wait_true_answers_once_the_applier_committed_the_write(index, running_applier):
    engine = open_engine(index, refresh_interval=10)  # a stale searcher unless the wait refreshes it
    assert not found(engine, "ap-w")
    engine.journal.append([("add", article(0))])  # another worker's: this write is left to the applier
    report = engine.add(Article(id="ap-w", title="Waited for", body="Heron."), wait=10)
    assert report.committed and report.visible
    assert engine.journal.names() == [] and found(engine, "ap-w")


def test_when_the_applier_stops_the_backend_applies_writes_itself(index, running_applier):
    _, stop, thread = running_applier
    engine = open_engine(index, refresh_interval=0)
    engine.add(article(1))
    stop.set()
    thread.join(10)
    engine._applier_seen = (-float("inf"), False)  # (the backend looks again at most every 0.5 s)
    report = engine.add(article(2))
    assert report.visible  # applied at once, on the request path, with the earlier entry
    assert found(engine, "ap-1") and found(engine, "ap-2") and engine.journal.names() == []


def test_the_applier_applies_what_is_pending_when_it_starts_and_when_it_stops(index):
    engine = open_engine(index, refresh_interval=0)
    engine.journal.append([("add", article(7))])  # acknowledged while no applier ran
    stop = threading.Event()
    stop.set()  # stopped before its first round: it still applies what is pending, once
    assert Applier(index, poll=0.01).run(stop) is True
    assert engine.journal.names() == [] and found(engine, "ap-7")


def test_an_applier_waits_for_the_index_directory_and_never_makes_it(tmp_path):
    stop = threading.Event()
    thread = threading.Thread(target=Applier(tmp_path / "later", poll=0.01).run, args=(stop,), daemon=True)
    thread.start()
    time.sleep(0.3)
    assert not (tmp_path / "later").exists() and not applier.running(tmp_path / "later")
    engine = open_engine(tmp_path / "later", refresh_interval=0)
    engine.add(article(1))  # the index is made by its first write
    assert _wait_for(lambda: applier.running(tmp_path / "later"), 10)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
