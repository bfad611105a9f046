"""The benchmarks on an OpenSearch cluster (`--backend URL` of bench.latency and bench.scale).

Each corpus gets an alias of its own on the cluster, named after the URL's: with
`--backend opensearch+http://127.0.0.1:9200/bench`, the RSS items go to `bench-rss`, Reuters to
`bench-reuters`, a scale archive of 100,000 articles to `bench-scale-100000`. A corpus the alias
does not hold yet is indexed into it through the backend's writer (`_bulk`), timed: the indexer's
throughput into the cluster. Then the same queries as on Whoosh run against it.

On osmem-server (what `make test` runs the OpenSearch side on) the figures say nothing about a real
cluster's speed: it is an in-memory imitation in one Go process, sharing this machine's cores with
the benchmark, with its own scoring and no shards. `osmem_note` says so next to every figure.
"""
from __future__ import annotations

import time
from typing import Callable

from search.engine import is_cluster, shown_location

OSMEM_NOTE = ("on osmem-server: these figures say nothing about a real OpenSearch cluster's speed "
              "(an in-memory imitation in one process, sharing this machine's cores, no shards)")


def corpus_location(base: str, name: str) -> str:
    """The location of corpus `name` on the cluster `base` names (its alias as the prefix)."""
    if not is_cluster(base):
        raise ValueError(f"--backend takes an opensearch+http(s)://host:port/alias URL, not {base!r}")
    return f"{base.rstrip('/')}-{name}"


def is_osmem(location: str) -> bool:
    """Whether the cluster is osmem-server (it says so in its build hash), not OpenSearch."""
    from search.engine import open_engine

    engine = open_engine(location)  # the cluster settings (TLS, timeouts) of the table
    try:
        return engine.client.info().get("version", {}).get("build_hash") == "osmem"
    finally:
        engine.close()


def osmem_note(location: str) -> str | None:
    return OSMEM_NOTE if is_osmem(location) else None


def held(location: str) -> int:
    """Articles the alias holds (0 when there is no index behind it yet)."""
    from search.engine import open_engine
    from search.errors import IndexMissing

    engine = open_engine(location)
    try:
        return engine.stats().documents if engine.is_ready() else 0
    except IndexMissing:
        return 0
    finally:
        engine.close()


def timed_indexing(location: str, write: Callable[[], int]) -> dict:
    """Run `write` (it indexes a corpus into `location` and returns how many articles it read), timed."""
    print(f"indexing into {shown_location(location)} ...", flush=True)
    started = time.perf_counter()
    articles = write()
    seconds = time.perf_counter() - started
    return {"articles": articles, "seconds": round(seconds, 2),
            "articles_per_s": round(articles / seconds, 1) if seconds else None}
