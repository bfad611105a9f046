"""Query latency: bare Whoosh top-10 search vs the engine's full search, in the same run.

    .venv/bin/python -m bench.latency [--data DIR] [--repeats N] [--only rss|reuters|rss-entities]
                                      [--backend opensearch+https://host:9200/ALIAS [--limit N]]

Corpora: ../shared/data/news/rss-2023q1 (135,608 feed items, loaded through the JSONL reader and the
indexer pipeline without entities) and Reuters-21578 (19,043 stories with bodies, with Reuters' own
curated places/people/orgs tags as the entity facets, written through the engine's writer). Indexes
are cached under bench/.cache and rebuilt when missing.

- bare: `searcher.search(query, limit=10)` plus the ten hits' stored fields: the floor Whoosh gives.
- full: `Engine.search` (top 10 + highlights + facets for source, people, organizations, places and
  the date histogram) with 0, 1 and 3 facet filters selected.
Each query runs once to warm up, then `repeats` times; p50/p95/p99 over all timed runs.

With `--backend URL`, the same corpora and queries on an OpenSearch cluster instead (bench/cluster.py):
each corpus in an alias of its own (`ALIAS-rss`, `ALIAS-reuters`), indexed into it through `_bulk`
when the alias is empty (the indexer's throughput into the cluster, articles/s), then the full
search with 0, 1 and 3 filters (there is no bare Whoosh on a cluster). `--limit N` indexes only the
first N articles of each corpus into the cluster: a smoke run. On osmem-server the figures say
nothing about a real cluster's speed, and the output says so.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from search.backend import WriteOptions
from search.engine import is_cluster, open_engine, shown_location
from search.query import parse_query
from search.whoosh_backend.compile import compile_query
from search.request import SearchRequest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"
RESULTS = Path(__file__).resolve().parent / "results"
QUERIES = Path(__file__).resolve().parent / "queries"
FACETS = ("source", "person", "org", "place", "date")
TARGETS = {"p50_ratio": 2.0, "p95_ms": 50.0}


def rss_index(data: Path, rebuild: bool = False, entities: bool = False) -> Path | None:
    """The 135,608 RSS items, indexed without entities, or with them as `newsearch index` does by
    default (issue 13's target: full search p95 ≤ 25 ms over real entity facets; the NER is slow)."""
    source = data / "news" / "rss-2023q1" / "articles.jsonl.gz"
    if not source.exists():
        return None
    index = CACHE / ("rss-entities-index" if entities else "rss-index")
    if rebuild or not open_engine(index).is_ready():
        from indexer.pipeline import index_paths

        print(f"indexing {source} ({'with' if entities else 'no'} entities) ...", flush=True)
        index_paths([str(source)], str(index), rebuild=True, workers=2, entities=entities)
    return index


def reuters_index(data: Path, rebuild: bool = False) -> Path | None:
    source = data / "news" / "reuters21578"
    if not source.exists():
        return None
    index = CACHE / "reuters-index"
    if rebuild or not open_engine(index).is_ready():
        from bench.indexing import reuters_stories
        from search.article import Article

        print(f"indexing {source} (curated tags as entities) ...", flush=True)
        with open_engine(index).writer(WriteOptions(rebuild=True)) as writer:
            for record in reuters_stories(source):
                writer.add(Article.from_dict(record))
    return index


def _filters(engine: Engine, count: int) -> tuple[dict, dict]:
    """The `count` most common facet values (source, place, person, org), as filters."""
    filters: dict[str, list[str]] = {}
    for name in ("source", "place", "person", "org"):
        values = engine.facet_values(name, limit=1)
        if values and len(filters) < count:
            filters[name] = [values[0].value]
    extra = {}
    if len(filters) < count:  # not enough entity facets (RSS has none): a date range counts as one
        first, last = engine.stats().first_published, engine.stats().last_published
        if first and last:
            extra = {"date_from": (first + (last - first) / 4).date(), "date_to": (last - (last - first) / 4).date()}
    return filters, extra


def _pcts(samples: list[float]) -> dict:
    a = np.array(samples) * 1000
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "p99": round(float(np.percentile(a, 99)), 2), "n": len(samples)}


def measure(index: Path | str, queries: list[str], repeats: int) -> dict:
    """Bare Whoosh and the full search on a Whoosh index; the full search only on a cluster."""
    engine = open_engine(index, refresh_interval=3600)
    runs: dict[str, callable] = {}
    if is_cluster(index):
        docs = engine.stats().documents
    else:
        searcher, _ = engine.current()
        docs = searcher.doc_count()

        def bare(q: str) -> None:
            results = searcher.search(compile_query(parse_query(q)), limit=10)
            [hit.fields() for hit in results]

        runs["bare"] = bare
    for label, count in (("full", 0), ("full+1 filter", 1), ("full+3 filters", 3)):
        filters, extra = _filters(engine, count)
        runs[label] = (lambda f, e: lambda q: engine.search(SearchRequest(q=q, filters=f, facets=FACETS, **e)))(filters, extra)
    out = {"documents": docs, "queries": len(queries)}
    for label, fn in runs.items():
        for q in queries:
            fn(q)
        samples = []
        for _ in range(repeats):
            for q in queries:
                t = time.perf_counter()
                fn(q)
                samples.append(time.perf_counter() - t)
        out[label] = _pcts(samples)
    if "bare" in out:
        out["p50_ratio"] = round(out["full"]["p50"] / out["bare"]["p50"], 2) if out["bare"]["p50"] else None
    return out


def cluster_corpus(name: str, data: Path, base: str, limit: int | None, rebuild: bool = False) -> tuple[str | None, dict | None]:
    """Corpus `name` in its alias on the cluster `base` names, indexed into it when the alias is
    empty (or `rebuild`): the location, and the indexing's throughput when it ran."""
    import gzip
    import itertools
    import tempfile

    from bench.cluster import corpus_location, held, timed_indexing

    location = corpus_location(base, name)
    if name.startswith("rss"):
        source = data / "news" / "rss-2023q1" / "articles.jsonl.gz"
    else:
        source = data / "news" / "reuters21578"
    if not source.exists():
        return None, None
    if held(location) and not rebuild:
        return location, None

    def rss() -> int:
        from indexer.pipeline import index_paths

        with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
            path = source
            if limit:
                path = Path(tmp) / "articles.jsonl"
                with gzip.open(source, "rt", encoding="utf-8") as lines:
                    path.write_text("".join(itertools.islice(lines, limit)), encoding="utf-8")
            return index_paths([str(path)], location, rebuild=True, workers=2, entities=name == "rss-entities").read

    def reuters() -> int:
        from bench.indexing import reuters_stories
        from search.article import Article

        count = 0
        with open_engine(location).writer(WriteOptions(rebuild=True)) as writer:
            for record in itertools.islice(reuters_stories(source), limit):
                writer.add(Article.from_dict(record))
                count += 1
        return count

    return location, timed_indexing(location, rss if name.startswith("rss") else reuters)


def run(data_dir: Path | None = None, repeats: int = 5, only: str | None = None, backend: str | None = None,
        limit: int | None = None) -> dict:
    data = Path(data_dir) if data_dir else DATA
    results: dict = {}
    if backend:
        from bench.cluster import osmem_note

        note = osmem_note(backend)
        results["cluster"] = {"backend": shown_location(backend), "note": note}
    corpora = (("rss", rss_index), ("reuters", reuters_index),
               ("rss-entities", lambda data: rss_index(data, entities=True)))
    for name, builder in corpora:
        if (only and only != name) or (not only and name == "rss-entities"):  # that one on request
            continue
        indexing = None
        if backend:
            index, indexing = cluster_corpus(name, data, backend, limit)
        else:
            index = builder(data)
        if index is None:
            results[name] = {"skipped": f"no data under {data}"}
            continue
        queries = [q.strip() for q in (QUERIES / f"{name.split('-')[0]}.txt").read_text().splitlines() if q.strip()]
        results[name] = measure(index, queries, repeats)
        if indexing:
            results[name]["indexing"] = indexing
    return results


def table(results: dict) -> str:
    lines = [f"{'corpus':<12} {'run':<16} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    for corpus, r in results.items():
        if corpus == "cluster":
            lines.insert(0, f"on {r['backend']}" + (f"\n{r['note']}" if r["note"] else ""))
            continue
        if "skipped" in r:
            lines.append(f"{corpus:<12} skipped: {r['skipped']}")
            continue
        if "indexing" in r:
            i = r["indexing"]
            lines.append(f"{corpus:<12} indexed {i['articles']} articles in {i['seconds']} s: {i['articles_per_s']} articles/s")
        for label in ("bare", "full", "full+1 filter", "full+3 filters"):
            if label in r:
                m = r[label]
                lines.append(f"{corpus:<12} {label:<16} {m['p50']:>8} {m['p95']:>8} {m['p99']:>8}")
        if "p50_ratio" in r:
            lines.append(f"{corpus:<12} {'full/bare p50':<16} {r['p50_ratio']:>8}   (target ≤ {TARGETS['p50_ratio']}; p95 target ≤ {TARGETS['p95_ms']} ms; {r['documents']} docs)")
        else:
            lines.append(f"{corpus:<12} {r['documents']} docs (p95 target on Whoosh ≤ {TARGETS['p95_ms']} ms)")
    return "\n".join(lines)


def _cluster_url(text: str) -> str:
    if not is_cluster(text):
        raise argparse.ArgumentTypeError("an opensearch+http(s)://host:port/alias URL")
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=("rss", "reuters", "rss-entities"),
                        help="one corpus; rss-entities (the RSS items with entities, slow to index) runs only so")
    parser.add_argument("--backend", metavar="URL", type=_cluster_url, default=None,
                        help="an OpenSearch cluster (opensearch+https://host:9200/ALIAS): the corpora in aliases ALIAS-rss, ALIAS-reuters")
    parser.add_argument("--limit", type=int, default=None, help="with --backend: index only the first N articles of each corpus")
    args = parser.parse_args(argv)
    if args.limit and not args.backend:
        parser.error("--limit goes with --backend (the Whoosh indexes are cached whole)")
    results = run(args.data, args.repeats, args.only, args.backend, args.limit)
    print(table(results))
    RESULTS.mkdir(exist_ok=True)
    name = "latency-opensearch.json" if args.backend else "latency.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
