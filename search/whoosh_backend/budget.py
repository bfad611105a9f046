"""What one request may cost: a deadline, and the limits on a compiled query and on per-document work.

A search has a time budget (the backend's `search_timeout`, NEWSEARCH_SEARCH_TIMEOUT): a `Deadline`
started when the search starts. Work is cut cooperatively where it happens, never by a signal:

- the match set (matching.py) checks the deadline between clauses and between an expansion's terms;
- every leaf matcher Whoosh runs (ranking, phrases) is wrapped in a `DeadlineMatcher`, so a
  single Whoosh call that walks thousands of postings (a phrase of one stop word repeated) stops too;
- ranking runs under Whoosh's `TimeLimitCollector`, so what was collected before the deadline is
  kept: partial hits, flagged `timed_out` (Elasticsearch's answer); a disjunction whose clauses do
  not all finish keeps the matches of those that did, and a phrase cut inside Whoosh keeps the
  documents it found so far, run after the cheap clauses of a conjunction and never under a negation
  (matching.partial_query_mask). When not even one clause of the match set finishes there is nothing
  meaningful to return: `SearchTimeout` (a 503 in the API).

A search still running LONG_AFTER seconds after it started working needs one of a few
`LongSearches` slots shared by the server's workers (NEWSEARCH_LONG_SEARCHES); without one its
deadline is now. It also gives way as soon as another request of its worker waits for the searcher
(a threaded worker reads one request at a time: the backend's `others_waiting`). Fewer slots than
workers: a worker is always free for /health and ordinary searches, however many expensive
searches arrive at once.

The query's size is bounded before it runs (compile.py applies these): at most MAX_CLAUSES leaves,
phrases of at most MAX_PHRASE_WORDS words, and QUERY_EXPANSIONS terms per field shared by all the
expansions of the query (each also at most MAX_EXPANSIONS, looking at QUERY_SCAN vocabulary entries
shared the same way, each at most SCAN_LIMIT). Per document, highlighting and `similar` analyse at
most a prefix of a long body (HIGHLIGHT_CHARS, SIMILAR_CHARS).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable

from whoosh import query as wq
from whoosh.collectors import TimeLimit
from whoosh.matching import NullMatcher, WrappingMatcher

from ..query import MAX_CLAUSES

SEARCH_TIMEOUT = 2.0  # seconds: the backend's default time budget (NEWSEARCH_SEARCH_TIMEOUT)
MAX_EXPANSIONS = 64  # terms one expansion (prefix, wildcard, fuzzy, range) stands for, at most
SCAN_LIMIT = 5000  # vocabulary entries one expansion looks at, at most
QUERY_EXPANSIONS = 64  # terms per field for all of a query's expansions together
QUERY_SCAN = 10_000  # vocabulary entries per field for all of a query's expansions together
MAX_PHRASE_WORDS = 12  # words of one phrase; a longer one keeps its first MAX_PHRASE_WORDS
HIGHLIGHT_CHARS = 100_000  # characters of a body searched for highlights
SIMILAR_CHARS = 50_000  # characters of an article (title and body) analysed for similar articles
LONG_AFTER = 0.25  # seconds: a search running longer needs a LongSearches slot to go on

__all__ = ["SEARCH_TIMEOUT", "LONG_AFTER", "Deadline", "LongSearches", "TimeLimit", "timed", "MAX_EXPANSIONS", "SCAN_LIMIT", "QUERY_EXPANSIONS", "QUERY_SCAN",
           "MAX_CLAUSES", "MAX_PHRASE_WORDS", "HIGHLIGHT_CHARS", "SIMILAR_CHARS"]


class Deadline:
    """A point in time a request's work must end by; None seconds: no deadline.

    A search still running `long_after` seconds in is a long one. With `permit`, it asks once for
    leave to go on (a `LongSearches` slot); refused, its deadline is now. With `others_waiting`,
    it stops as soon as that says another request waits for what it holds (a threaded worker's
    searcher): a long search gives way rather than make cheap requests queue behind it."""

    def __init__(self, seconds: float | None, clock: Callable[[], float] = time.monotonic,
                 permit: Callable[[], bool] | None = None, long_after: float = 0.0,
                 others_waiting: Callable[[], bool] | None = None) -> None:
        self.clock = clock
        self.seconds = seconds
        start = clock()
        self.at = None if seconds is None else start + seconds
        self.permit = permit
        self.others_waiting = others_waiting
        self.long_after = long_after
        limited = (permit is not None or others_waiting is not None) and self.at is not None
        self.long_at = start + long_after if limited else None
        self.long = False

    def begin(self) -> None:
        """The work starts now (after waiting its turn): a search is long `long_after` from here,
        while its deadline stays where it was."""
        if self.long_at is not None:
            self.long_at = self.clock() + self.long_after

    def _now(self) -> float:
        now = self.clock()
        if self.long_at is not None and now >= self.long_at:
            self.long_at = None
            self.long = True
            if self.permit is not None and not self.permit():
                self.at = min(self.at, now)
        if self.long and self.others_waiting is not None and self.others_waiting():
            self.long = False
            self.at = min(self.at, now)
        return now

    def remaining(self) -> float | None:
        return None if self.at is None else max(0.0, self.at - self._now())

    def expired(self) -> bool:
        return self.at is not None and self._now() >= self.at

    def check(self) -> None:
        """Raise Whoosh's TimeLimit once the deadline has passed."""
        if self.at is not None and self._now() >= self.at:
            raise TimeLimit


class LongSearches:
    """At most `slots` searches at a time, across every process that shares `directory` (the
    server's workers), may run longer than a moment: a sync worker busy with a long search serves
    nobody else, so with fewer slots than workers one worker is always free for /health and
    ordinary searches. A slot is an exclusive `flock` on one of `slots` files: the kernel releases
    it when its process dies, so a killed worker never keeps one."""

    def __init__(self, directory: str | os.PathLike, slots: int) -> None:
        self.directory = Path(directory)
        self.slots = slots

    def acquire(self) -> int | None:
        """A free slot (a file descriptor holding its lock), or None when all are taken; never waits."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for n in range(self.slots):
            fd = os.open(self.directory / f"slot-{n}", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            return fd
        return None

    @staticmethod
    def release(slot: int | None) -> None:
        if slot is not None:
            fcntl.flock(slot, fcntl.LOCK_UN)
            os.close(slot)

    @contextmanager
    def deadline(self, seconds: float | None, clock: Callable[[], float] = time.monotonic,
                 long_after: float = LONG_AFTER, others_waiting: Callable[[], bool] | None = None):
        """A Deadline whose search asks for a slot once it runs `long_after` seconds; the slot is
        released when the block ends."""
        held: list[int] = []

        def permit() -> bool:
            slot = self.acquire()
            if slot is None:
                return False
            held.append(slot)
            return True

        try:
            yield Deadline(seconds, clock, permit=permit, long_after=long_after, others_waiting=others_waiting)
        finally:
            for slot in held:
                self.release(slot)

    @staticmethod
    def directory_for(location: str | os.PathLike) -> Path:
        """The slots' directory of an index: one per index path, shared by the servers on it."""
        key = hashlib.sha1(str(Path(location).resolve()).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"newsearch-long-searches-{key}"


NO_DEADLINE = Deadline(None)


class DeadlineMatcher(WrappingMatcher):
    """A matcher that raises TimeLimit when it is moved after the deadline."""

    def __init__(self, child, deadline: Deadline, boost: float = 1.0) -> None:
        super().__init__(child, boost)
        self.deadline = deadline

    def copy(self):
        return DeadlineMatcher(self.child.copy(), self.deadline, self.boost)

    def _replacement(self, newchild):
        return DeadlineMatcher(newchild, self.deadline, self.boost)

    def next(self):
        self.deadline.check()
        return self.child.next()

    def skip_to(self, id):
        self.deadline.check()
        return self.child.skip_to(id)

    def skip_to_quality(self, minquality):
        self.deadline.check()
        return self.child.skip_to_quality(minquality)

    def all_ids(self):
        check, child = self.deadline.check, self.child
        while child.is_active():
            yield child.id()
            check()
            child.next()


class Timed(wq.WrappingQuery):
    """A leaf query whose matcher stops at the deadline."""

    def __init__(self, child, deadline: Deadline) -> None:
        super().__init__(child)
        self.deadline = deadline

    def _rewrap(self, child):
        return Timed(child, self.deadline)

    def is_leaf(self) -> bool:
        return True

    def matcher(self, searcher, context=None):
        self.deadline.check()  # building a matcher reads postings (an expansion's, many of them)
        m = self.child.matcher(searcher, context)
        return DeadlineMatcher(m, self.deadline) if m.is_active() else m


class TimedPhrase(wq.Phrase):
    """A phrase whose words' matchers stop at the deadline: Whoosh's positional matching can walk
    every posting of a common word inside one call."""

    def __init__(self, phrase: wq.Phrase, deadline: Deadline) -> None:
        super().__init__(phrase.fieldname, list(phrase.words), slop=phrase.slop, boost=phrase.boost,
                         char_ranges=phrase.char_ranges)
        self.deadline = deadline

    def matcher(self, searcher, context=None):
        from whoosh.query import SpanNear2

        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return NullMatcher()
        field = searcher.schema[fieldname]
        self.deadline.check()
        reader = searcher.reader()
        terms = []
        for word in self.words:
            try:
                word = field.to_bytes(word)
            except ValueError:
                return NullMatcher()
            if (fieldname, word) not in reader:
                return NullMatcher()
            terms.append(Timed(wq.Term(fieldname, word), self.deadline))
        m = SpanNear2(terms, slop=self.slop, ordered=True, mindist=1).matcher(searcher, context)
        if self.boost != 1.0:
            m = WrappingMatcher(m, boost=self.boost)
        return m


def timed(query, deadline: Deadline):
    """`query` with every leaf's matcher stopping at `deadline` (unchanged without one)."""
    if query is None or deadline.at is None:
        return query

    def wrap(node):
        if isinstance(node, wq.Phrase):
            return TimedPhrase(node, deadline)
        if isinstance(node, (wq.Term, wq.MultiTerm, wq.TermRange)):
            return Timed(node, deadline)
        return node

    return _walk(query, wrap)


def _walk(node, leaf_fn):
    if isinstance(node, (wq.Term, wq.MultiTerm, wq.Phrase)):
        return leaf_fn(node)
    if isinstance(node, wq.Query) and not node.is_leaf():
        out = node.apply(lambda child: _walk(child, leaf_fn))
        # What Whoosh's apply forgets (compile._apply keeps the same): an Or's scale, a DisjunctionMax's tiebreak.
        if isinstance(node, wq.DisjunctionMax) and isinstance(out, wq.DisjunctionMax):
            out.tiebreak = node.tiebreak
        elif isinstance(node, wq.Or) and isinstance(out, wq.Or) and getattr(node, "scale", None):
            out.scale = node.scale
        return out
    return node
