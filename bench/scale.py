"""Search at archive scale: the engine on archives of full-length stories, beside tantivy, in one run.

    .venv/bin/python -m bench.scale [--articles 100000] [--data DIR] [--repeats 2] [--compare-whoosh] [--http]
    .venv/bin/python -m bench.scale --backend opensearch+https://host:9200/ALIAS [--articles N] [--repeats 2]

The archive is made by ../shared/tools/make_archive.py (real BBC and Reuters sentences, about 2.8 KB
an article, seed 7: anyone gets the same files) and indexed by the CLI as a user would
(`newsearch index --rebuild --workers 2 --no-entities`); both are cached under bench/.cache/scale/.
Queries are drawn from the archive's titles with a fixed seed: 200 of one to three words, 40 quoted
two-word phrases from bodies, 40 "long" queries (a 50 to 300 word passage of a body, pasted).

Runs, each query once to warm up, then `repeats` times; p50/p95/p99 in ms:
- tantivy: tantivy-py top 10 over the same title and body (English stemmer), stored fields read:
  the reference.
- bare: Whoosh's `searcher.search(query, limit=10)` and the hits' stored fields.
- full: `search()` as the API calls it: top 10, highlights, facets source, person, org, place and the
  date histogram; with 0, 1 and 3 filters, sort=newest, phrases, long queries.
- with --compare-whoosh, the full search again ranked by Whoosh's matchers (the evaluator before
  issue 13), and a check that both rankings give the same top 10.
- with --http, wrk against /v1/search under the production gunicorn config beside the same queries
  in-process (bench/http.py), and each worker's resident memory after it.
Also the process's peak RSS, the index size on disk and the rebuild time.

With `--backend URL`, the same archive and queries on an OpenSearch cluster (bench/cluster.py): the
archive indexed by the CLI into the alias `ALIAS-scale-N` (`newsearch index --backend ... --rebuild
--workers 2 --no-entities`, through `_bulk`; timed, articles/s) unless it holds it already, then
tantivy (the reference, in this process) and the full searches as above. On osmem-server the
figures say nothing about a real cluster's speed, and the output says so.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

from search.engine import is_cluster, open_engine, shown_location
from search.query import parse_query
from search.request import SearchRequest
from search.stopwords import STOP_WORDS
from search.fields import FIELDS
from search.whoosh_backend import postings_files, story_files
from search.whoosh_backend.columns import write_columns
from search.whoosh_backend.compile import compile_query
from search.whoosh_backend.store import IndexStore

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache" / "scale"
RESULTS = Path(__file__).resolve().parent / "results"
FACETS = ("source", "person", "org", "place", "date")
TARGETS = {100_000: {"p50": 10.0, "p95": 40.0, "tantivy_ratio": 20.0}, 1_000_000: {"p50": 40.0, "p95": 200.0}}


def make_archive(count: int, data: Path) -> Path:
    out = CACHE / f"archive-{count}.jsonl"
    if not out.exists():
        tool = data.parent / "tools" / "make_archive.py"
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = out.with_suffix(".partial")
        subprocess.run([sys.executable, str(tool), str(count), str(partial), "--seed", "7"], check=True)
        partial.rename(out)
    return out


def build_index(archive: Path, count: int) -> tuple[Path, dict]:
    index = CACHE / f"index-{count}"
    info_file = CACHE / f"index-{count}.json"
    if info_file.exists() and index.exists():
        info = json.loads(info_file.read_text())
        # An index built before the postings files, facet columns or story files existed gets them
        # once (the CLI now writes them at commit), and its stories; how long the postings files
        # took is kept with the index's figures.
        store = IndexStore(index)
        with store.write_lock():
            started, cpu = time.perf_counter(), time.process_time()
            ix = store.open_for_write()
            written = postings_files.write_missing(ix, extra={
                postings_files.COLUMNS: partial(write_columns, fields=FIELDS),
                story_files.SUFFIX: story_files.SegmentWriter(FIELDS)})
            if written:
                info["postings_files_s"] = round(time.perf_counter() - started, 1)
                info["postings_files_cpu_s"] = round(time.process_time() - cpu, 1)
            # What a writer's last commit adds for the stories: assigning and saving the whole
            # index's (story_files.write_labels), from the segments' story files.
            started = time.perf_counter()
            story_files.write_labels(ix)
            info["stories_s"] = round(time.perf_counter() - started, 2)
            info_file.write_text(json.dumps(info))
        return index, info
    print(f"indexing {archive} ...", flush=True)
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "cli", "index", str(archive), "--index", str(index), "--rebuild",
                    "--workers", "2", "--no-entities"], check=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    info = {"rebuild_s": round(time.perf_counter() - started, 1),
            "rebuild_cpu_s": round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 1)}
    info_file.write_text(json.dumps(info))
    return index, info


def queries_from(archive: Path, seed: int = 13) -> dict[str, list[str]]:
    rng = random.Random(seed)
    picked: list[dict] = []
    with archive.open(encoding="utf-8") as f:  # reservoir sample of 400 articles
        for i, line in enumerate(f):
            if len(picked) < 400:
                picked.append(json.loads(line))
            elif (j := rng.randrange(i + 1)) < 400:
                picked[j] = json.loads(line)
    short, phrases, long = [], [], []
    for record in picked:
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", record["title"]) if w.lower() not in STOP_WORDS]
        if words and len(short) < 200:
            n = rng.choice((1, 2, 3))
            start = rng.randrange(max(1, len(words) - n + 1))
            short.append(" ".join(words[start:start + n]).lower())
        body = re.findall(r"[A-Za-z]+", record["body"])
        if len(body) > 320:
            if len(phrases) < 40:
                i = rng.randrange(len(body) - 2)
                phrases.append(f'"{body[i]} {body[i + 1]}"')
            if len(long) < 40:
                size = rng.randrange(50, 301)
                i = rng.randrange(len(body) - size)
                long.append(" ".join(body[i:i + size]))
    return {"short": short, "phrase": phrases, "long": long}


def tantivy_index(archive: Path, count: int):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    schema = builder.build()
    path = CACHE / f"tantivy-{count}"
    if not (path / "done").exists():
        path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(schema, path=str(path))
        writer = index.writer(heap_size=500_000_000, num_threads=2)
        with archive.open(encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                writer.add_document(tantivy.Document(id=r["id"], title=r["title"], body=r["body"]))
        writer.commit()
        writer.wait_merging_threads()
        (path / "done").write_text("ok")
    index = tantivy.Index(schema, path=str(path))
    index.reload()
    return index


def _pcts(samples: list[float]) -> dict:
    a = np.array(samples) * 1000
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "p99": round(float(np.percentile(a, 99)), 2), "n": len(samples)}


def timed(fn, queries: list[str], repeats: int) -> dict:
    """Each query once to warm up, then `repeats` times; a search the budget cut off
    (SearchTimeout, a 503 in the API) counts with the time it took, and is counted."""
    from search.errors import SearchTimeout

    def one(q: str) -> bool:
        try:
            fn(q)
        except SearchTimeout:
            return True
        return False

    for q in queries:
        one(q)
    samples, cut = [], 0
    for _ in range(repeats):
        for q in queries:
            t = time.perf_counter()
            cut += one(q)
            samples.append(time.perf_counter() - t)
    return _pcts(samples) | {"timeouts": cut}


def _filters(engine, count: int) -> dict:
    if count == 0:
        return {}
    out: dict = {"filters": {"source": [engine.facet_values("source", limit=1)[0].value]}}
    if count >= 3:
        stats = engine.stats()
        first, last = stats.first_published, stats.last_published
        out["date_from"] = (first + (last - first) / 4).date()
        out["date_to"] = (last - (last - first) / 4).date()
        out["filters"]["source"].append(engine.facet_values("source", limit=2)[1].value)
    return out


def tantivy_top10(tantivy, queries: list[str], repeats: int) -> dict:
    """The reference: tantivy-py's top 10 of each query over title and body, stored fields read."""
    searcher = tantivy.searcher()

    def reference(q: str) -> None:
        parsed = tantivy.parse_query(re.sub(r"[^\w\s]", " ", q), ["title", "body"])
        for _, address in searcher.search(parsed, 10).hits:
            searcher.doc(address)

    return timed(reference, queries, repeats)


def measure(index: Path, queries: dict[str, list[str]], repeats: int, compare_whoosh: bool, tantivy=None) -> dict:
    engine = open_engine(index, refresh_interval=3600)
    started = time.perf_counter()
    searcher, _ = engine.current()  # opening: the searcher, facet and date columns
    out_open = round(time.perf_counter() - started, 2)
    out: dict = {"documents": searcher.doc_count(), "open_s": out_open}
    short = queries["short"]
    if tantivy is not None:
        out["tantivy"] = tantivy_top10(tantivy, short, repeats)

    def bare(q: str) -> None:
        for hit in searcher.search(compile_query(parse_query(q)), limit=10):
            hit.fields()

    out["bare"] = timed(bare, short, repeats)

    def full(options: dict, sort: str = "relevance"):
        return lambda q: engine.search(SearchRequest(q=q, facets=FACETS, sort=sort, **options))

    evaluators = [("arrays", True)] + ([("whoosh", False)] if compare_whoosh else [])
    for name, flag in evaluators:
        engine.array_ranking = flag
        prefix = "full" if flag else "full(whoosh)"
        for count in (0, 1, 3):
            label = prefix if count == 0 else f"{prefix}+{count} filter{'s' if count > 1 else ''}"
            out[label] = timed(full(_filters(engine, count)), short, repeats)
        out[f"{prefix} newest"] = timed(full({}, "newest"), short, repeats)
        out[f"{prefix} phrase"] = timed(full({}), queries["phrase"], repeats)
        out[f"{prefix} long"] = timed(full({}), queries["long"], repeats)
    engine.array_ranking = True
    if compare_whoosh:  # the postings decoded from Whoosh's blocks (cached per worker), not the files
        engine.use_postings_files = False
        engine._open()
        out["full(blocks)"] = timed(full({}), short, repeats)
        out["full(blocks) phrase"] = timed(full({}), queries["phrase"], repeats)
        engine.use_postings_files = True
        engine._open()
        out["same_top10"] = same_top10(engine, short + queries["phrase"] + queries["long"])
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if "tantivy" in out:
        out["tantivy_ratio"] = round(out["full"]["p50"] / out["tantivy"]["p50"], 1)
    return out


def same_top10(engine, queries: list[str]) -> dict:
    """How many queries get the same top 10 (ids, order; scores within 1e-6) from both evaluators."""
    same = 0
    for q in queries:
        engine.array_ranking = True
        a = engine.search(SearchRequest(q=q, facets=()))
        engine.array_ranking = False
        w = engine.search(SearchRequest(q=q, facets=()))
        same += [h.id for h in a.hits] == [h.id for h in w.hits]
    engine.array_ranking = True
    return {"same": same, "queries": len(queries)}


def http(index: Path, queries: list[str], seconds: int = 10, connections: int = 16) -> dict:
    """wrk against /v1/search under the production gunicorn config, beside the same mix in-process
    (bench/http.py's), and each worker's resident memory after the run."""
    import shutil

    from bench.http import _in_process, _paths, _workers, _wrk
    from tests.gunicorn_process import GunicornProcess

    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    paths = _paths(queries, [])
    workers = _workers()
    out = {"processes": workers, "seconds": seconds}
    out["in_process_searches_per_s"] = round(_in_process(index, paths, workers, seconds), 1)
    with GunicornProcess(index, None, NEWSEARCH_LOG_LEVEL="warning", ready_timeout=600) as server:
        _wrk(server.port, paths, 15, connections)  # warm every worker: its searcher, columns and postings
        out["api"] = _wrk(server.port, paths, seconds, connections)
        out["worker_rss_mb"] = [_rss_mb(pid) for pid in server.worker_pids()]
    out["ratio"] = round(out["api"]["requests_per_s"] / out["in_process_searches_per_s"], 3)
    return out


def _rss_mb(pid: int) -> float:
    """A process's resident memory of its own (RssAnon): the index's pages it maps or reads are the
    OS's file cache, shared by every worker, and counted once for the machine."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def disk_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def run(articles: int = 100_000, data: Path | None = None, repeats: int = 2, compare_whoosh: bool = False,
        with_http: bool = False) -> dict:
    data = Path(data) if data else DATA
    if not (data / "news" / "bbc").exists():
        return {"skipped": f"no data under {data}"}
    archive = make_archive(articles, data)
    index, info = build_index(archive, articles)
    queries = queries_from(archive)
    try:
        tantivy = tantivy_index(archive, articles)
    except ImportError:
        tantivy = None
    result = {"articles": articles, **info, "index_mb": disk_mb(index)}
    result.update(measure(index, queries, repeats, compare_whoosh, tantivy))
    if with_http:
        result["http"] = http(index, queries["short"])
    return result


def cluster_index(archive: Path, count: int, base: str) -> tuple[str, dict]:
    """The archive in its alias on the cluster, indexed by the CLI when the alias does not hold it."""
    from bench.cluster import corpus_location, held, timed_indexing

    location = corpus_location(base, f"scale-{count}")
    if held(location) == count:
        return location, {}

    def write() -> int:
        subprocess.run([sys.executable, "-m", "cli", "index", str(archive), "--backend", location, "--rebuild",
                        "--workers", "2", "--no-entities"], check=True, cwd=ROOT)
        return count

    return location, {"indexing": timed_indexing(location, write)}


def measure_cluster(location: str, queries: dict[str, list[str]], repeats: int, tantivy=None) -> dict:
    """The full searches of `measure` on a cluster (no bare Whoosh, no Whoosh evaluators there)."""
    engine = open_engine(location)
    out: dict = {"documents": engine.stats().documents}
    short = queries["short"]
    if tantivy is not None:
        out["tantivy"] = tantivy_top10(tantivy, short, repeats)

    def full(options: dict, sort: str = "relevance"):
        return lambda q: engine.search(SearchRequest(q=q, facets=FACETS, sort=sort, **options))

    for count in (0, 1, 3):
        label = "full" if count == 0 else f"full+{count} filter{'s' if count > 1 else ''}"
        out[label] = timed(full(_filters(engine, count)), short, repeats)
    out["full newest"] = timed(full({}, "newest"), short, repeats)
    out["full phrase"] = timed(full({}), queries["phrase"], repeats)
    out["full long"] = timed(full({}), queries["long"], repeats)
    if "tantivy" in out:
        out["tantivy_ratio"] = round(out["full"]["p50"] / out["tantivy"]["p50"], 1)
    return out


def run_cluster(base: str, articles: int = 100_000, data: Path | None = None, repeats: int = 2) -> dict:
    from bench.cluster import osmem_note

    data = Path(data) if data else DATA
    if not (data / "news" / "bbc").exists():
        return {"skipped": f"no data under {data}"}
    archive = make_archive(articles, data)
    location, info = cluster_index(archive, articles, base)
    queries = queries_from(archive)
    try:
        tantivy = tantivy_index(archive, articles)
    except ImportError:
        tantivy = None
    result = {"articles": articles, "backend": shown_location(location), "note": osmem_note(location), **info}
    result.update(measure_cluster(location, queries, repeats, tantivy))
    return result


def cluster_table(r: dict) -> str:
    if "skipped" in r:
        return f"scale: skipped: {r['skipped']}"
    lines = [f"{r['articles']:,} articles on {r['backend']}"]
    if r.get("note"):
        lines.append(r["note"])
    if "indexing" in r:
        i = r["indexing"]
        lines.append(f"indexed by newsearch index --backend in {i['seconds']} s: {i['articles_per_s']} articles/s")
    lines.append(f"{'run':<26} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for label, m in r.items():
        if isinstance(m, dict) and "p50" in m:
            lines.append(f"{label:<26} {m['p50']:>8} {m['p95']:>8} {m['p99']:>8}"
                         + (f"   ({m['timeouts']} cut by the search budget)" if m.get("timeouts") else ""))
    if "tantivy_ratio" in r:
        lines.append(f"full / tantivy p50: {r['tantivy_ratio']}x")
    return "\n".join(lines)


def table(r: dict) -> str:
    if "skipped" in r:
        return f"scale: skipped: {r['skipped']}"
    lines = [f"{r['articles']:,} articles: rebuild {r['rebuild_s']} s ({r['rebuild_cpu_s']} CPU-s), index {r['index_mb']} MB, "
             f"peak RSS {r['peak_rss_mb']} MB",
             f"index opened in {r.get('open_s')} s"
             + (f"; postings files written in {r['postings_files_s']} s ({r['postings_files_cpu_s']} CPU-s)"
                if "postings_files_s" in r else "")
             + (f"; stories assigned and saved in {r['stories_s']} s (a writer's last commit)" if "stories_s" in r else ""),
             f"{'run':<26} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    for label, m in r.items():
        if isinstance(m, dict) and "p50" in m:
            lines.append(f"{label:<26} {m['p50']:>8} {m['p95']:>8} {m['p99']:>8}"
                         + (f"   ({m['timeouts']} cut by the search budget)" if m.get("timeouts") else ""))
    if "tantivy_ratio" in r:
        lines.append(f"full / tantivy p50: {r['tantivy_ratio']}x")
    if "http" in r and "skipped" not in r["http"]:
        h = r["http"]
        lines.append(f"HTTP (gunicorn, {h['processes']} workers, wrk): {h['api']['requests_per_s']} req/s, p50 {h['api']['p50_ms']} ms; "
                     f"in-process {h['in_process_searches_per_s']}/s; ratio {h['ratio']} (target ≥ 0.8); "
                     f"worker RSS {h['worker_rss_mb']} MB")
    if "same_top10" in r:
        lines.append(f"same top 10 from both evaluators: {r['same_top10']['same']} of {r['same_top10']['queries']} queries")
    target = TARGETS.get(r["articles"])
    if target:
        lines.append(f"targets: full p50 ≤ {target['p50']} ms, p95 ≤ {target['p95']} ms"
                     + (f", within {target['tantivy_ratio']}x of tantivy" if "tantivy_ratio" in target else ""))
    return "\n".join(lines)


def summary(r: dict) -> list[tuple]:
    """Rows for `make bench`'s table."""
    n = r["articles"]
    target = TARGETS.get(n, TARGETS[100_000])
    rows = []
    for label in ("full", "full+3 filters", "full long", "full phrase"):
        m = r[label]
        ref = r.get("tantivy")
        limit = target["p50"], target["p95"]
        rows.append((f"scale {n:,} articles: {label} p50/p95 ms", f"{m['p50']} / {m['p95']}",
                     f"tantivy {ref['p50']} / {ref['p95']}" if ref else "", f"p50 ≤ {limit[0]:g}, p95 ≤ {limit[1]:g}",
                     m["p50"] <= limit[0] and m["p95"] <= limit[1]))
    if "tantivy_ratio" in r and "tantivy_ratio" in target:
        rows.append((f"scale {n:,}: full / tantivy p50", f"{r['tantivy_ratio']}x", "", f"≤ {target['tantivy_ratio']:g}x",
                     r["tantivy_ratio"] <= target["tantivy_ratio"]))
    h = r.get("http")
    if h and "skipped" not in h:
        rows.append((f"scale {n:,}: HTTP req/s, worker RSS MB", f"{h['api']['requests_per_s']:.0f}, {max(h['worker_rss_mb'])}",
                     f"in-process {h['in_process_searches_per_s']:.0f}/s", "≥ 0.8 × in-process, < 1,500 MB",
                     h["ratio"] >= 0.8 and max(h["worker_rss_mb"]) < 1500))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--compare-whoosh", action="store_true")
    parser.add_argument("--http", action="store_true", help="also wrk against gunicorn on the same index")
    parser.add_argument("--backend", metavar="URL", default=None,
                        help="an OpenSearch cluster (opensearch+https://host:9200/ALIAS): the archive in the alias ALIAS-scale-N")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    if args.backend:
        if not is_cluster(args.backend):
            parser.error("--backend takes an opensearch+http(s)://host:port/alias URL")
        if args.http or args.compare_whoosh:
            parser.error("--http and --compare-whoosh measure the Whoosh index; not with --backend")
        result = run_cluster(args.backend, args.articles, args.data, args.repeats)
        print(cluster_table(result))
        (RESULTS / f"scale-{args.articles}-opensearch.json").write_text(json.dumps(result, indent=2, default=str))
        return 0
    result = run(args.articles, args.data, args.repeats, args.compare_whoosh, args.http)
    print(table(result))
    (RESULTS / f"scale-{args.articles}.json").write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
