"""HTTP throughput: wrk against /v1/search under the production gunicorn config, next to the
engine's in-process searches/s for the same query mix and process count, and a Falcon hello-world
under the same config, all in one run.

    .venv/bin/python -m bench.http [--data DIR] [--seconds 10] [--connections 16]

Needs Debian's wrk (`apt-get install wrk`); 127.0.0.1 only, bounded duration.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

from tests.gunicorn_process import GunicornProcess

RESULTS = Path(__file__).resolve().parent / "results"
QUERIES = Path(__file__).resolve().parent / "queries"
TARGET_RATIO = 0.8


def _workers() -> int:
    from search.settings import default

    return default("NEWSEARCH_WORKERS")  # what gunicorn.conf.py runs when NEWSEARCH_WORKERS is unset


def _paths(queries: list[str], sources: list[str]) -> list[str]:
    """The query mix: every query plain, and every third one with a source filter."""
    out = []
    for i, q in enumerate(queries):
        out.append("/v1/search?" + urllib.parse.urlencode({"q": q}))
        if sources and i % 3 == 0:
            out.append("/v1/search?" + urllib.parse.urlencode({"q": q, "source": sources[i % len(sources)]}))
    return out


def _wrk(port: int, paths: list[str], seconds: int, connections: int) -> dict:
    script = Path(tempfile.mkdtemp()) / "mix.lua"
    lua_paths = ",\n".join(json.dumps(p) for p in paths)
    script.write_text(
        "local paths = {\n" + lua_paths + "\n}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    return {
        "requests_per_s": rps,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else None,
        "p50_ms": _ms(p50) if p50 else None,
    }


def _ms(match) -> float:
    value, unit = float(match.group(1)), match.group(2)
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)


def _in_process_worker(index: str, queries: list[tuple[str, list[str]]], seconds: float, out) -> None:
    from search.engine import open_engine
    from search.request import SearchRequest

    engine = open_engine(index, refresh_interval=3600)
    for q, src in queries:  # warm up: open the searcher, load facet columns
        engine.search(SearchRequest(q=q, filters={"source": src} if src else {}))
    done, deadline, i = 0, time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        q, src = queries[i % len(queries)]
        engine.search(SearchRequest(q=q, filters={"source": src} if src else {}))
        done += 1
        i += 1
    out.put(done / seconds)


def _in_process(index: Path, paths: list[str], processes: int, seconds: float) -> float:
    mix = []
    for p in paths:
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(p).query)
        mix.append((params["q"][0], params.get("source", [])))
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_in_process_worker, args=(str(index), mix[i::processes] + mix[:i], seconds, out)) for i in range(processes)]
    for p in procs:
        p.start()
    rates = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    return sum(rates)


def run(data_dir: Path | None = None, seconds: int = 10, connections: int = 16) -> dict:
    from bench.latency import DATA, rss_index
    from search.engine import open_engine

    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    index = rss_index(Path(data_dir) if data_dir else DATA)
    if index is None:
        return {"skipped": "no RSS data"}
    queries = [q.strip() for q in (QUERIES / "rss.txt").read_text().splitlines() if q.strip()]
    sources = [b.value for b in open_engine(index).facet_values("source", limit=5)]
    paths = _paths(queries, sources)
    workers = _workers()
    result = {"processes": workers, "seconds": seconds, "connections": connections, "requests_in_mix": len(paths)}
    result["in_process_searches_per_s"] = round(_in_process(index, paths, workers, seconds), 1)
    for label, app in (("api", "api.wsgi:app"), ("hello_world", "bench.hello_app:app")):
        # No log file: one access-log line per wrk request would only cost disk and time.
        with GunicornProcess(index, None, app=app, NEWSEARCH_LOG_LEVEL="warning") as server:
            result[label] = _wrk(server.port, paths, seconds, connections)
    result["ratio"] = round(result["api"]["requests_per_s"] / result["in_process_searches_per_s"], 3)
    return result


def table(r: dict) -> str:
    if "skipped" in r:
        return f"http: skipped: {r['skipped']}"
    return "\n".join([
        f"{'http run':<34} {'req/s':>9} {'p50 ms':>8} {'non-2xx':>8}",
        f"{'/v1/search under gunicorn (wrk)':<34} {r['api']['requests_per_s']:>9} {r['api']['p50_ms']:>8} {r['api']['non_2xx']:>8}",
        f"{'engine in-process, same mix':<34} {r['in_process_searches_per_s']:>9}",
        f"{'falcon hello-world, same config':<34} {r['hello_world']['requests_per_s']:>9} {r['hello_world']['p50_ms']:>8}",
        f"HTTP / in-process = {r['ratio']} (target ≥ {TARGET_RATIO}); {r['processes']} processes, wrk -t2 -c{r['connections']} -d{r['seconds']}s",
    ])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    result = run(args.data, args.seconds, args.connections)
    print(table(result))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "http.json").write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
