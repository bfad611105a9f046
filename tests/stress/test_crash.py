"""Crash safety: `newsearch index` killed with SIGKILL at random points, 20 times. After each kill
the index opens, every article the indexer acknowledged (--progress-log, written after each commit)
is present, nothing is duplicated, and the next run carries on; a final run completes the corpus.
A killed --rebuild leaves the live index as it was, and its half-built generation is removed by
the next writer."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from search.engine import open_engine
from search.request import SearchRequest
from search.whoosh_backend.store import IndexStore

from .conftest import ROOT, index_command, run_index, write_corpus

PER_RUN = 2000  # new articles in each killed run, so that every run has work to be killed in
KILLS = 20


def indexed_ids(index: Path) -> list[str]:
    """Every live document's id (read through the engine: the index must open)."""
    ix = IndexStore(index).open()
    try:
        with ix.reader() as reader:
            ids = reader.column_reader("id")
            return [ids[d] for d in reader.all_doc_ids()]
    finally:
        ix.close()


def acknowledged(log: Path) -> set[str]:
    if not log.exists():
        return set()
    lines = log.read_text().split("\n")
    return {line for line in lines[:-1] if line}  # the last, unterminated line may be cut by the kill


def kill_during_run(index: Path, corpus: Path, log: Path, rng: random.Random, extra: tuple[str, ...] = (),
                    started=None, early: float = 0.2) -> int:
    """Start an indexing run, SIGKILL it at a random point; returns its exit status.

    `started()` says when the run is under way (default: its first acknowledged commit); a share
    `early` of the kills lands at a random time instead, often during start-up."""
    before = log.stat().st_size if log.exists() else 0
    started = started or (lambda: (log.stat().st_size if log.exists() else 0) > before)
    process = subprocess.Popen(index_command(index, corpus, extra=("--commit-every", "50", "--progress-log", str(log), *extra)),
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if rng.random() < 1 - early:
            deadline = time.monotonic() + 30
            while not started() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.4))
        else:
            time.sleep(rng.uniform(0.1, 1.0))
    finally:
        process.send_signal(signal.SIGKILL)
        return process.wait()


@pytest.mark.stress
@pytest.mark.timeout(600)
def test_sigkill_during_indexing_loses_nothing_acknowledged(tmp_path):
    index, log = tmp_path / "index", tmp_path / "progress.log"
    rng = random.Random(int(os.environ.get("STRESS_SEED", "6")))
    corpora, all_ids = [], []
    killed_mid_run = 0
    for attempt in range(KILLS):
        ids = [f"k{attempt:02d}-{n:05d}" for n in range(PER_RUN)]
        corpora.append(write_corpus(tmp_path / f"corpus-{attempt:02d}.jsonl", ids, start=attempt * PER_RUN))
        all_ids += ids
        status = kill_during_run(index, corpora[-1], log, rng)
        killed_mid_run += status == -signal.SIGKILL
        if not IndexStore(index).exists():
            assert not acknowledged(log), "ids acknowledged but no index"
            continue
        present = indexed_ids(index)  # opens: a kill never leaves an index that will not open
        assert len(present) == len(set(present)), f"kill {attempt}: duplicated documents"
        missing = acknowledged(log) - set(present)
        assert not missing, f"kill {attempt}: {len(missing)} acknowledged articles missing, e.g. {sorted(missing)[:5]}"
    assert killed_mid_run == KILLS  # every kill landed during a run, not after it
    assert 0 < len(acknowledged(log)) < len(all_ids)  # commits happened, and the runs were cut short

    # Rerunning the indexer over everything completes the rest.
    result = run_index(index, *corpora, extra=("--commit-every", "500", "--progress-log", str(log)))
    assert "failed: 0" in result.stdout
    assert sorted(indexed_ids(index)) == sorted(all_ids)
    assert acknowledged(log) == set(all_ids)
    engine = open_engine(index)
    try:
        assert engine.search(SearchRequest(q="river", per_page=5)).total > 0
    finally:
        engine.close()


@pytest.mark.stress
@pytest.mark.timeout(300)
def test_killed_rebuild_leaves_the_live_index_and_is_cleaned_up(tmp_path):
    ids = [f"r{n:05d}" for n in range(1500)]
    corpus = write_corpus(tmp_path / "corpus.jsonl", ids)
    index, log = tmp_path / "index", tmp_path / "progress.log"
    run_index(index, corpus)
    store = IndexStore(index)
    live = store.current_name()
    rng = random.Random(7)
    fresh = write_corpus(tmp_path / "new.jsonl", [f"n{n:05d}" for n in range(6000)], tag="fresh")

    def building() -> bool:  # a generation beside the live one: the rebuild has started writing
        return any(p.name.startswith("gen-") and p.name != live for p in index.iterdir())

    for attempt in range(5):
        # The last kill always lands once the rebuild is writing, so that it leaves a generation
        # behind (each rebuild removes the one before it left) whatever the machine's speed.
        status = kill_during_run(index, fresh, log, rng, extra=("--rebuild",), started=building,
                                 early=0.2 if attempt < 4 else 0.0)
        assert status == -signal.SIGKILL
        assert store.current_name() == live, "a killed rebuild switched the index"
        assert sorted(indexed_ids(index)) == ids
        assert not acknowledged(log), "a rebuild acknowledged ids before its switch"
    strays = [p.name for p in index.iterdir() if p.name.startswith("gen-") and p.name != live]
    assert strays, "the killed rebuilds left no generation behind: they were killed too early to test cleanup"

    # The next writer (here an incremental run that changes nothing) removes the strays.
    run_index(index, corpus)
    assert [p.name for p in index.iterdir() if p.name.startswith("gen-")] == [live]
    # And a rebuild that completes switches and acknowledges everything after the switch.
    run_index(index, fresh, extra=("--rebuild", "--progress-log", str(log), "--commit-every", "1000"))
    assert store.current_name() != live
    assert sorted(indexed_ids(index)) == [f"n{n:05d}" for n in range(6000)]
    assert len(acknowledged(log)) == 6000
