"""Searches while the API is written to: search latency against gunicorn (the production config,
3 workers by default) unloaded, then with 4 concurrent API writers posting single articles
(as fast as they are answered, or `--rate` a second each). Target: the loaded search p95 within 2x of the unloaded p95, no 5xx.

    .venv/bin/python -m bench.writes [--index DIR | --data DIR] [--seconds 20] [--workers 3] [--writers 4] [--rate R]

The index is copied to a temporary directory first (the writes change it): by default the RSS index
bench/latency.py builds (135,608 feed items), else one built from --data. 127.0.0.1 only.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from bench.load import percentile, run_for
from tests.gunicorn_process import GunicornProcess

RESULTS = Path(__file__).resolve().parent / "results"
QUERIES = Path(__file__).resolve().parent / "queries"
KEY = "bench-write-key-5f0e2a9c"
TARGET_RATIO = 2.0
EXTRACT = False  # --entities: let the server extract entities from each written article (spaCy, ~0.1 s a write)


def _request(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def _searches(base: str, queries: list[str], stop: threading.Event, out: list, statuses: Counter) -> None:
    n = 0
    while not stop.is_set():
        q = queries[n % len(queries)]
        n += 1
        status, ms = _request(f"{base}/v1/search?" + urllib.parse.urlencode({"q": q}))
        statuses[status] += 1
        out.append(ms)


def _writes(base: str, writer: int, stop: threading.Event, out: list, statuses: Counter, visible: Counter,
            rate: float = 0.0) -> None:
    n = 0
    next_at = time.monotonic()
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    while not stop.is_set():
        if rate:
            next_at += 1 / rate
            stop.wait(max(0.0, next_at - time.monotonic()))
            if stop.is_set():
                break
        n += 1
        body = {"id": f"bench-w{writer}-{n}", "title": f"Bench write {writer} {n} council budget",
                "body": f"Written by the writes benchmark, writer {writer}, article {n}. " * 20,
                "url": f"https://example.org/bench/{writer}/{n}", "source": "Bench"}
        if not EXTRACT:  # entity fields given (even empty) are kept as given: no NER on the server
            body.update(people=[], organizations=[], places=[])
        started = time.perf_counter()
        request = urllib.request.Request(f"{base}/v1/articles", data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                reply = json.loads(response.read())
                statuses[response.status] += 1
                visible[bool(reply.get("visible"))] += 1
        except urllib.error.HTTPError as error:
            error.read()
            statuses[error.code] += 1
        out.append((time.perf_counter() - started) * 1000)


def _phase(base: str, queries: list[str], seconds: float, searchers: int, writers: int, rate: float = 0.0) -> dict:
    stop = threading.Event()
    search_ms: list[float] = []
    write_ms: list[float] = []
    search_status: Counter = Counter()
    write_status: Counter = Counter()
    visible: Counter = Counter()
    threads = [threading.Thread(target=_searches, args=(base, queries[i::searchers], stop, search_ms, search_status)) for i in range(searchers)]
    threads += [threading.Thread(target=_writes, args=(base, w, stop, write_ms, write_status, visible, rate)) for w in range(writers)]
    run_for(threads, stop, seconds)
    result = {
        "searches": len(search_ms),
        "search_p50_ms": round(statistics.median(search_ms), 1) if search_ms else None,
        "search_p95_ms": round(percentile(search_ms, 0.95), 1),
        "search_max_ms": round(max(search_ms), 1) if search_ms else None,
        "search_statuses": dict(search_status),
    }
    if writers:
        result.update({
            "writes": len(write_ms),
            "write_p50_ms": round(statistics.median(write_ms), 1) if write_ms else None,
            "write_p95_ms": round(percentile(write_ms, 0.95), 1),
            "write_max_ms": round(max(write_ms), 1) if write_ms else None,
            "write_statuses": {str(k): v for k, v in write_status.items()},
            "visible_when_answered": visible[True], "durable_not_yet_visible": visible[False],
        })
    return result


def _journal_drained(index: Path, seconds: float = 60) -> float | None:
    """Seconds until every acknowledged write was applied (None if not within `seconds`)."""
    try:
        from search.whoosh_backend.journal import Journal
    except ImportError:  # a checkout from before the journal
        return None
    journal, started = Journal(index), time.monotonic()
    while journal.names():
        if time.monotonic() - started > seconds:
            return None
        time.sleep(0.05)
    return round(time.monotonic() - started, 2)


def run(index: Path, seconds: float, workers: int, writers: int, searchers: int, rate: float = 0.0,
        write_yield: float | None = None) -> dict:
    queries = [q for q in (QUERIES / "rss.txt").read_text().splitlines() if q.strip()]
    work = Path(tempfile.mkdtemp(prefix="bench-writes-"))
    try:
        copy = work / "index"
        shutil.copytree(index, copy, symlinks=True)
        settings = {"NEWSEARCH_API_KEYS": KEY}
        if write_yield is not None:
            settings["NEWSEARCH_WRITE_YIELD"] = str(write_yield)
        with GunicornProcess(copy, None, workers=workers, **settings) as server:
            for q in queries[:20]:  # warm every worker's searcher and caches
                _request(f"{server.base}/v1/search?" + urllib.parse.urlencode({"q": q}))
            unloaded = _phase(server.base, queries, seconds, searchers, 0)
            loaded = _phase(server.base, queries, seconds, searchers, writers, rate)
            drained = _journal_drained(copy)
            ix_segments = len(list(copy.glob("current/*.seg")))
        ratio = loaded["search_p95_ms"] / unloaded["search_p95_ms"]
        return {
            "index": str(index), "workers": workers, "writers": writers, "searchers": searchers, "seconds": seconds,
            "writes_per_s_per_writer": rate or "as fast as answered", "server_extracts_entities": EXTRACT,
            "write_yield_s": "default" if write_yield is None else write_yield,
            "unloaded": unloaded, "with_writers": loaded, "p95_ratio": round(ratio, 2), "target_ratio": TARGET_RATIO,
            "ok": ratio <= TARGET_RATIO and not any(int(s) >= 500 for s in [*loaded["search_statuses"], *loaded["write_statuses"]]),
            "journal_drained_after_s": drained, "segments_after": ix_segments,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_both(data: Path | None = None, seconds: float = 20) -> dict:
    """`python -m bench`'s entry: 4 writers at 5 writes/s each, then as fast as answered."""
    from bench.latency import DATA, rss_index

    index = rss_index(Path(data) if data else DATA)
    if index is None:
        return {"skipped": "no RSS data"}
    return {"paced": run(index, seconds, 3, 4, 1, rate=5.0), "unpaced": run(index, seconds, 3, 4, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index directory to copy (default: bench/latency.py's RSS index)")
    parser.add_argument("--data", type=Path, default=None, help="data folder to build the RSS index from when missing")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--searchers", type=int, default=1)
    parser.add_argument("--write-yield", type=float, default=None,
                        help="NEWSEARCH_WRITE_YIELD for the server (default: the settings table's)")
    parser.add_argument("--entities", action="store_true", help="send no entity fields: the server runs NER on each write")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="writes per second per writer (default 0: each writer posts as soon as answered)")
    args = parser.parse_args()
    global EXTRACT
    EXTRACT = args.entities
    index = args.index
    if index is None:
        from bench.latency import DATA, rss_index

        index = rss_index(args.data or DATA)
        if index is None:
            raise SystemExit("no index: pass --index DIR, or --data with news/rss-2023q1")
    result = run(index, args.seconds, args.workers, args.writers, args.searchers, args.rate, args.write_yield)
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "writes.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
