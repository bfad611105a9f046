"""Hostile queries against gunicorn: the worst-case query classes (each at most 512 characters) on
the 135k-article RSS index, alone and three at a time while /health and an ordinary search are timed.

    .venv/bin/python -m bench.hostile [--data DIR] [--index DIR] [--seconds 30] [--workers N]

Targets (issue 11): a worst case answers within its budget (NEWSEARCH_SEARCH_TIMEOUT plus 1 s of HTTP
and rendering), as partial results (`timed_out: true`) or a 503 problem+json, never gunicorn's HTML
or another 5xx; with 3 worst cases running at once, /health and an ordinary search answer within 1 s
(p95). Prints p50/p95/max per class; 127.0.0.1 only, bounded duration.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.load import percentile, run_for
from tests.gunicorn_process import GunicornProcess

RESULTS = Path(__file__).resolve().parent / "results"
MAX_QUERY = 512
CONCURRENT = 3
ORDINARY = "council budget"
RESPONSIVE_MS = 1000  # /health and an ordinary search under attack, p95
BUDGET_SLACK_S = 1.0  # on top of the search budget, for HTTP, facets and rendering


# Frequent words of news text (no stop words): each matches thousands of articles.
COMMON = ("said year new people time state police government president first news week last years world "
          "told city former million report home found made public biden trump since according including country "
          "percent team right family day early court health house show season game national show women life "
          "school best video high second")


def _joined(words: str, separator: str) -> str:
    out: list[str] = []
    for word in dict.fromkeys(words.split()):
        if len(separator.join(out + [word])) > MAX_QUERY:
            break
        out.append(word)
    return separator.join(out)


def worst_queries() -> dict[str, str]:
    """The worst query of each class the hostile probe found, at most MAX_QUERY characters."""
    rng = random.Random(11)
    two_letters = [a + b for a, b in itertools.product("tsacbpmdrfhliwoeng", "aeiorhu")]
    # Distinct words of 7 letters or more: each a fuzzy term with edit distance 2, the costliest kind.
    long_words = ["government", "president", "minister", "against", "between", "because", "million", "company",
                  "country", "another", "children", "national", "business", "security", "economic", "election",
                  "military", "including", "american", "official", "research", "investigation", "community",
                  "according", "political", "statement", "thousands", "different", "announced", "important",
                  "football", "interview", "yesterday", "department", "attorney", "prosecutors", "inflation",
                  "ukrainian", "republican", "democratic", "congress", "committee", "hospital"]
    fuzzy = []
    for word in rng.sample(long_words, len(long_words)):
        if len(" OR ".join(fuzzy + [word + "~2"])) > MAX_QUERY:
            break
        fuzzy.append(word + "~2")
    phrase_words = []
    while len(" ".join(phrase_words + ["the"])) + 2 <= MAX_QUERY:
        phrase_words.append("the")
    out = {
        "th*": "th*",
        "th* OR in* OR co* OR re*": "th* OR in* OR co* OR re*",
        "two-letter prefixes OR-ed": " OR ".join(p + "*" for p in two_letters)[:MAX_QUERY].rsplit(" OR ", 1)[0],
        "phrase of one stop word": '"' + " ".join(phrase_words) + '"',
        "fuzzy terms OR-ed": " OR ".join(fuzzy),
        "common words OR-ed": _joined(COMMON, " OR "),
    }
    assert all(len(q) <= MAX_QUERY for q in out.values())
    return out


def _get(base: str, path: str, timeout: float = 120.0) -> dict:
    """One GET on a new connection: status, seconds, content type, and timed_out when JSON says so."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as response:
            status, ctype, body = response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        status, ctype, body = error.code, error.headers.get("Content-Type", ""), error.read()
    except OSError as error:
        return {"status": 0, "s": time.perf_counter() - started, "ctype": "", "error": str(error)}
    elapsed = time.perf_counter() - started
    out = {"status": status, "s": elapsed, "ctype": ctype}
    if "json" in ctype:
        try:
            out["timed_out"] = bool(json.loads(body).get("timed_out"))
        except ValueError:
            pass
    return out


def _search_path(q: str) -> str:
    return "/v1/search?" + urllib.parse.urlencode({"q": q})


def _summary(samples: list[dict]) -> dict:
    times = sorted(s["s"] * 1000 for s in samples)
    statuses: dict[str, int] = {}
    for s in samples:
        key = str(s["status"]) + (" timed_out" if s.get("timed_out") else "") + (" html" if "html" in s.get("ctype", "") else "")
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "p95_ms": round(percentile(times, 0.95), 1) if times else None,
        "max_ms": round(times[-1], 1) if times else None,
        "statuses": statuses,
        "bad": sum(1 for s in samples if not _acceptable(s)),
    }


def _acceptable(sample: dict) -> bool:
    """200, or the documented 503 as problem+json; nothing else (no HTML, no 500, no dropped connection)."""
    return sample["status"] == 200 or (sample["status"] == 503 and sample.get("ctype") == "application/problem+json")


def _warm(base: str, workers: int) -> None:
    # Every worker opens the index on its first request: keep them all busy once.
    with ThreadPoolExecutor(workers * 2) as pool:
        list(pool.map(lambda _: _get(base, _search_path(ORDINARY)), range(workers * 4)))


def run(data_dir: Path | None = None, seconds: float = 30.0, index: Path | None = None, workers: int | None = None,
        repeats: int = 3) -> dict:
    from bench.latency import DATA, rss_index
    from search.settings import default

    if index is None:
        index = rss_index(Path(data_dir) if data_dir else DATA)
        if index is None:
            return {"skipped": "no RSS data"}
    budget = default("NEWSEARCH_SEARCH_TIMEOUT")
    workers = workers or default("NEWSEARCH_WORKERS")
    queries = worst_queries()
    result: dict = {"index": str(index), "workers": workers, "search_timeout_s": budget, "concurrent": CONCURRENT,
                    "seconds": seconds, "queries": queries, "alone": {}, "under_attack": {}}
    with GunicornProcess(index, None, workers=workers, NEWSEARCH_LOG_LEVEL="warning") as server:
        base = server.base
        _warm(base, workers)
        result["ordinary_alone"] = _summary([_get(base, _search_path(ORDINARY)) for _ in range(10)])
        result["health_alone"] = _summary([_get(base, "/health") for _ in range(10)])
        # Each class alone, a few times (the first pays for reading its postings).
        for name, q in queries.items():
            result["alone"][name] = _summary([_get(base, _search_path(q)) for _ in range(repeats)])

        # Three worst cases at a time, round the classes, while /health and an ordinary search are timed.
        stop = threading.Event()
        attack: dict[str, list[dict]] = {name: [] for name in queries}
        probes: dict[str, list[dict]] = {"/health": [], "ordinary search": []}

        def attacker(offset: int) -> None:
            names = list(queries)
            i = offset
            while not stop.is_set():
                name = names[i % len(names)]
                attack[name].append(_get(base, _search_path(queries[name])))
                i += 1

        def prober() -> None:
            while not stop.is_set():
                probes["/health"].append(_get(base, "/health"))
                probes["ordinary search"].append(_get(base, _search_path(ORDINARY)))
                time.sleep(0.2)

        threads = [threading.Thread(target=attacker, args=(k * 2,)) for k in range(CONCURRENT)]
        threads.append(threading.Thread(target=prober))
        run_for(threads, stop, seconds)
        result["under_attack"] = {name: _summary(samples) for name, samples in attack.items()}
        result["probes"] = {name: _summary(samples) for name, samples in probes.items()}
        result["health_after"] = _get(base, "/health")["status"]

    limit_ms = (budget + BUDGET_SLACK_S) * 1000
    every = list(result["alone"].values()) + list(result["under_attack"].values())
    result["targets"] = {
        "worst_case_max_ms": max(s["max_ms"] for s in result["alone"].values() if s["n"]),
        "worst_case_limit_ms": limit_ms,
        "worst_case_within_budget": all(s["max_ms"] <= limit_ms for s in result["alone"].values() if s["n"]),
        "no_bad_responses": all(s["bad"] == 0 for s in every) and all(p["bad"] == 0 for p in result["probes"].values()),
        "probes_p95_within_1s": all(p["p95_ms"] is not None and p["p95_ms"] <= RESPONSIVE_MS for p in result["probes"].values()),
    }
    return result


def table(r: dict) -> str:
    if "skipped" in r:
        return f"hostile: skipped: {r['skipped']}"
    lines = [f"{'class':<44} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}  statuses"]

    def row(label: str, s: dict) -> None:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(s["statuses"].items()))
        lines.append(f"{label[:44]:<44} {s['n']:>4} {s['p50_ms']!s:>9} {s['p95_ms']!s:>9} {s['max_ms']!s:>9}  {statuses}")

    row("ordinary search, idle server", r["ordinary_alone"])
    row("/health, idle server", r["health_alone"])
    for name, s in r["alone"].items():
        row(f"alone: {name}", s)
    for name, s in r["under_attack"].items():
        row(f"{r['concurrent']} at once: {name}", s)
    for name, s in r["probes"].items():
        row(f"during {r['concurrent']} worst cases: {name}", s)
    t = r["targets"]
    lines.append(
        f"worst case max {t['worst_case_max_ms']:.0f} ms (limit {t['worst_case_limit_ms']:.0f} ms: "
        f"{'met' if t['worst_case_within_budget'] else 'NOT met'}); only 200 / 503 problem+json: "
        f"{'yes' if t['no_bad_responses'] else 'NO'}; /health and ordinary search p95 ≤ {RESPONSIVE_MS} ms under attack: "
        f"{'yes' if t['probes_p95_within_1s'] else 'NO'}")
    lines.append(f"{r['workers']} workers, NEWSEARCH_SEARCH_TIMEOUT={r['search_timeout_s']} s, {r['seconds']} s of attack, {r['index']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--index", type=Path, default=None, help="an existing RSS index (default: bench's cache)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    result = run(args.data, args.seconds, index=args.index, workers=args.workers)
    print(table(result))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
