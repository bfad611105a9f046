"""A ranking snapshot: the top 10 (ids, scores, snippets, title highlights), totals, suggestions and
facets of every NPL and Cranfield query, 20 syntax queries on both, and 25 queries x 2 sorts on the
seeds, to show that a change to the engine ranks exactly as before (or to see what it changed).

    .venv/bin/python -m bench.ranking_snapshot OUT.json                      # take a snapshot
    .venv/bin/python -m bench.ranking_snapshot OUT.json --compare bench/snapshots/ranking-70947bd.json.gz

bench/snapshots/ranking-70947bd.json.gz was taken on 70947bd, before the engine seam (issue 10).
Indexes are built once under bench/.cache/snapshot-* (without entities for the collections, with
them for the seeds); the collections come from ../shared/data/qrels (bench/relevance.py reads them).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

from bench import relevance as R
from search.engine import open_engine
from search.request import SearchRequest

CACHE = Path(__file__).resolve().parent / ".cache"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SYNTAX = ["police", "\"kansas city\" police", "police -shooting", "polic*", "shootng~", "title:police",
          "person:smith OR org:police", "published:[2020-01 TO 2021-12] police", "(police OR fire) AND city",
          "what happened with the police in kansas city last week", "AND OR NOT", "\"the\"", "the of and", "kan*",
          "body:[a TO c]", "source:KCTV", "-police", "NOT police", "pol?ce", "mayor council budget vote tax"]


def _index(name: str, paths: list, entities: bool) -> Path:
    from indexer.pipeline import index_paths

    index = CACHE / f"snapshot-{name}"
    if not open_engine(index).is_ready():
        index_paths(paths, index, rebuild=True, workers=1, entities=entities)
    return index


def take(data: Path) -> dict:
    out: dict = {}
    tmp = Path(tempfile.mkdtemp())
    for name, loader in (("npl", R.load_npl), ("cranfield", R.load_cranfield)):
        coll = loader(data / name)
        docs, _ = R.write_collection(coll, tmp / name)
        engine = open_engine(_index(name, [docs], entities=False), refresh_interval=0)
        for qid, text in list(coll["queries"]) + [(f"x{i}", q) for i, q in enumerate(SYNTAX)]:
            r = engine.search(SearchRequest(q=text, per_page=10, facets=("source", "date")))
            out[f"{name}/{qid}"] = {"total": r.total, "hits": [(h.id, h.score, h.snippet, h.title_highlight) for h in r.hits],
                                    "sugg": r.suggestion}
    engine = open_engine(_index("seeds", [SEEDS], entities=True), refresh_interval=0)
    for i, q in enumerate(SYNTAX + ["", "kansas", "kansa", "mo", "police chief"]):
        for sort in ("relevance", "newest"):
            r = engine.search(SearchRequest(q=q, per_page=10, sort=sort))
            out[f"seeds/{i}/{sort}"] = {
                "total": r.total, "sugg": r.suggestion,
                "hits": [(h.id, h.score, h.snippet, h.title_highlight, h.matched_terms) for h in r.hits],
                "facets": {k: [(b.value, b.count, b.selected) for b in v] for k, v in r.facets.items()},
            }
    return out


def differences(a: dict, b: dict, ranking_only: bool = False) -> list[str]:
    """Keys whose totals, ids, order or scores (1e-6 relative) differ; unless `ranking_only`, also
    those whose snippets, highlights, suggestions or facet counts differ."""
    out = []
    for key, x in a.items():
        y = b.get(key)
        same = y is not None and x["total"] == y["total"] and len(x["hits"]) == len(y["hits"]) \
            and all(h1[0] == h2[0] and abs(h1[1] - h2[1]) <= 1e-6 * max(1.0, abs(h1[1])) for h1, h2 in zip(x["hits"], y["hits"]))
        if same and not ranking_only:
            same = x.get("sugg") == y.get("sugg") and x.get("facets") == y.get("facets") \
                and all(list(h1[2:]) == list(h2[2:]) for h1, h2 in zip(x["hits"], y["hits"]))
        if not same:
            out.append(key)
    return out


def _load(path: Path) -> dict:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data", type=Path, default=R.DATA)
    parser.add_argument("--compare", type=Path, default=None, help="a snapshot to compare with")
    args = parser.parse_args(argv)
    snapshot = json.loads(json.dumps(take(args.data)))  # as stored: lists, not tuples
    args.out.write_text(json.dumps(snapshot))
    if args.compare:
        before = _load(args.compare)
        ranking, shown = differences(before, snapshot, ranking_only=True), differences(before, snapshot)
        print(f"{len(snapshot)} entries compared with {args.compare}: {len(ranking)} ranked differently"
              + (f" {ranking[:20]}" if ranking else "") + f"; {len(shown)} differ in what they show"
              + (f" {shown[:20]}" if shown else "") + " (snippets, highlights, suggestions, facet counts)")
        return 1 if ranking else 0
    print(f"{len(snapshot)} entries written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
