"""`make bench`: every benchmark in one run, one table, bench/results/latest.json.

    .venv/bin/python -m bench [--data DIR] [--quick]

Data defaults to ../shared/data beside the checkout; a benchmark whose data is missing says so and
is skipped. --quick shortens the HTTP, latency and hostile runs (fewer repeats, 5 s of wrk, 10 s of attack).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _extraction(r: dict) -> list[tuple]:
    ex = r["extractors"]
    return [("extraction F1 (aeb, 97 pages)", f"{ex['newsearch']['f1']:.3f}", f"trafilatura {ex['trafilatura']['f1']:.3f}", "≥ 0.97",
             ex["newsearch"]["f1"] >= 0.97)]


def _indexing(r: dict) -> list[tuple]:
    rows = []
    for run in r["runs"]:
        if run["stage"] != "index":
            continue
        label = f"indexing {run['corpus']}, entities {'on' if run['entities'] else 'off'}, {run['workers']} worker(s)"
        rows.append((label + " art/s", f"{run['articles_per_s']:.0f}", f"peak {run['peak_rss_total_mb']:.0f} MB",
                     f"≥ {run['target']:.0f}", run["articles_per_s"] >= run["target"]))
    return rows


def _latency(r: dict) -> list[tuple]:
    rows = []
    for corpus, m in r.items():
        if "skipped" in m:
            continue
        bare = m["bare"]
        for label in ("full", "full+1 filter", "full+3 filters"):
            f = m[label]
            rows.append((f"{corpus} ({m['documents']} docs) {label} p50/p95 ms", f"{f['p50']} / {f['p95']}",
                         f"bare Whoosh {bare['p50']} / {bare['p95']}", "p50 ≤ 2× bare, p95 ≤ 50",
                         f["p50"] <= 2 * bare["p50"] and f["p95"] <= 50))
    return rows


def _relevance(r: dict) -> list[tuple]:
    rows = []
    target_npl = r.get("targets", {}).get("npl_map", 0.2965)
    for name, m in r.get("collections", {}).items():
        e, ref = m["engine"], m["bm25_reference"]
        target_map = max(ref["map"], target_npl) if name == "npl" else ref["map"]
        rows.append((f"{name} ({m['documents']} docs) nDCG@10 / MAP", f"{e['ndcg@10']:.3f} / {e['map']:.3f}",
                     f"bm25s {ref['ndcg@10']:.3f} / {ref['map']:.3f}",
                     f"≥ bm25s{f', MAP ≥ {target_npl}' if name == 'npl' else ''}",
                     e["ndcg@10"] >= ref["ndcg@10"] and e["map"] >= target_map))
    return rows


def _http(r: dict) -> list[tuple]:
    if "skipped" in r:
        return []
    return [("HTTP /v1/search req/s (wrk)", f"{r['api']['requests_per_s']:.0f}",
             f"in-process {r['in_process_searches_per_s']:.0f}; hello-world {r['hello_world']['requests_per_s']:.0f}",
             "≥ 0.8 × in-process, 0 non-2xx", r["ratio"] >= 0.8 and r["api"]["non_2xx"] == 0)]


def _hostile(r: dict) -> list[tuple]:
    if "skipped" in r:
        return []
    t, probes = r["targets"], r["probes"]
    return [
        ("hostile: worst query (≤ 512 chars) max ms", f"{t['worst_case_max_ms']:.0f}",
         f"budget {r['search_timeout_s']} s; 200/503 problem only: {'yes' if t['no_bad_responses'] else 'NO'}",
         f"≤ {t['worst_case_limit_ms']:.0f}, no HTML/500", t["worst_case_within_budget"] and t["no_bad_responses"]),
        (f"hostile: /health, search p95 ms under {r['concurrent']} worst",
         f"{probes['/health']['p95_ms']:.0f} / {probes['ordinary search']['p95_ms']:.0f}",
         f"{r['workers']} workers", "≤ 1000", t["probes_p95_within_1s"]),
    ]


def _slowclients(r: dict) -> list[tuple]:
    d, b = r["during"], r["before"]
    return [(f"/health and search p95 ms with {r['slow_clients']} slow clients", f"{d['health']['p95']} / {d['search']['p95']}",
             f"alone {b['health']['p95']} / {b['search']['p95']}; {r['server']['worker_class']}", "≤ 100, no failure", r["met"])]


def _writes(r: dict) -> list[tuple]:
    if "skipped" in r:
        return []
    rows = []
    for mode, label in (("paced", "4 writers × 5/s"), ("unpaced", "4 writers, unpaced")):
        m = r[mode]
        rows.append((f"search p95 ms under API writes ({label}, 3 workers)",
                     f"{m['with_writers']['search_p95_ms']} ({m['with_writers']['writes']} writes)",
                     f"unloaded {m['unloaded']['search_p95_ms']}", "≤ 2× unloaded, no 5xx", m["ok"]))
    return rows


def _scale(r: dict) -> list[tuple]:
    from bench.scale import summary

    return summary(r)


def _facts(r: dict) -> list[tuple]:
    from bench.facts import summary

    return summary(r)


def _stories(r: dict) -> list[tuple]:
    from bench.stories import summary

    return summary(r)


def _facets(r: dict) -> list[tuple]:
    from bench.facets import summary

    return summary(r)


BENCHES = {
    "extraction": (lambda m, data, quick: m.run(data / "extraction" / "aeb"), _extraction),
    "indexing": (lambda m, data, quick: m.run(data / "news" / "reuters21578", profile=not quick), _indexing),
    "latency": (lambda m, data, quick: m.run(data, repeats=2 if quick else 5), _latency),
    "relevance": (lambda m, data, quick: m.run(data / "qrels"), _relevance),
    "http": (lambda m, data, quick: m.run(data, seconds=5 if quick else 10), _http),
    "hostile": (lambda m, data, quick: m.run(data, seconds=10 if quick else 30), _hostile),
    "slowclients": (lambda m, data, quick: m.run(data, seconds=5 if quick else 10), _slowclients),
    "writes": (lambda m, data, quick: m.run_both(data, seconds=10 if quick else 20), _writes),
    "facts": (lambda m, data, quick: m.run(data), _facts),
    # 100,000 generated full-length articles (indexed once, cached); 1,000,000: python -m bench.scale --articles 1000000
    "scale": (lambda m, data, quick: m.run(30_000 if quick else 100_000, data, repeats=1 if quick else 2,
                                          compare_whoosh=not quick, with_http=not quick), _scale),
    # Gold entities and a Reuters sample; all tagged stories and the top-100 dumps: python -m bench.facets --reuters-limit 0 --top100
    "facets": (lambda m, data, quick: m.brief(m.run(data, reuters_limit=500 if quick else 2000)), _facets),
    # Labelled same-story pairs, and what folding costs: python -m bench.stories.quality / bench.stories.cost
    "stories": (lambda m, data, quick: m.run(data, quick=quick), _stories),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=list(BENCHES))
    args = parser.parse_args(argv)
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "data": str(args.data),
    }
    latest = RESULTS / "latest.json"
    if args.only and latest.exists():  # a partial run updates the last full one
        previous = json.loads(latest.read_text())
        results.update({name: previous[name] for name in BENCHES if name in previous and name not in args.only})
    for name, (runner, _) in BENCHES.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
            results[name] = runner(module, args.data, args.quick)
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            results[name] = {"skipped": f"{type(exc).__name__}: {exc}"}
    rows: list[tuple] = []
    for name, (_, summarise) in BENCHES.items():
        result = results.get(name)
        if result is None:
            continue
        if isinstance(result, dict) and "skipped" in result:
            rows.append((name, "skipped", result["skipped"], "", None))
        else:
            rows.extend(summarise(result))
    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n{'figure':<{width}}  {'newsearch':>15}  {'reference':<44} {'target':<26} met")
    for figure, value, reference, target, met in rows:
        mark = "" if met is None else ("yes" if met else "NO")
        print(f"{figure:<{width}}  {value:>15}  {reference:<44} {target:<26} {mark}")
    print(f"\n{results['machine']}")
    RESULTS.mkdir(exist_ok=True)
    latest.write_text(json.dumps({**results, "table": rows}, indent=2, default=str) + "\n")
    print(f"written to {latest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
