"""Ranking quality: nDCG@10 and MAP of the engine next to a plain BM25 reference, in the same run.

    .venv/bin/python -m bench.relevance [--data DIR] [--rebuild]

Collections (../shared/data/qrels, and news/bbc for the known-item one):
- npl/: TREC-style `<DOC><DOCNO>` documents (text only), `<top><num><title>` queries, `qid 0 docid rel`
  qrels (binary), as PyTerrier ships them.
- cranfield/: cran.all.1400 (.I/.T/.A/.B/.W records), cran.qry (.I/.W; the qrels number queries by
  their position in the file, 1..225, not by their .I label) and cranqrel (`qid docid code`). Codes
  follow Cleverdon (cranqrel.readme): 1 complete answer, 2 high relevance, 3 useful background,
  4 minimum interest (5, no interest, is never listed). We grade them gain = 5 - code (4..1), so all
  four count as relevant for MAP; the one `-1` line per query is not a relevance grade in the readme
  and is treated as trec_eval treats any grade <= 0: judged, not relevant.

- bbc-known-item: a passage of a BBC story (5 to 300 words) as the query, the story as the answer
  (load_known_item); also reported as MRR by query length.

Each collection is converted to JSONL (`id`, `title`, `body`) and indexed through the real JSONL
reader and pipeline without entities (`newsearch index --no-entities`); the index is cached under
bench/.cache keyed by a hash of the converted data and of the schema. Every query is run as a user's
free-text query is: its raw text through `Engine.search` (what `/v1/search` and `newsearch search`
call) with per_page=1000. The reference is bm25s + PyStemmer over title + body: English stop words,
English (Porter 2) stemming, k1=1.2, b=0.75.

Metrics follow trec_eval: a run is ordered by score, ties broken by docid (descending), to depth 1000;
MAP is averaged over every query with at least one relevant document (a query with no results scores
0), AP over all of the query's relevant documents; nDCG@10 uses the judged grade as a linear gain and
log2(rank + 1) discounts, the ideal ranking built from all judgements.
Writes bench/results/relevance.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "qrels"
CACHE = Path(__file__).resolve().parent / ".cache"
RESULTS = Path(__file__).resolve().parent / "results"
DEPTH = 1000
TARGETS = {"npl_map": 0.2965}  # Terrier's BM25 on NPL, the published reference

Collection = dict  # {"docs": [{"id","title","body"}], "queries": [(qid, text)], "qrels": {qid: {docid: grade}}}


# -- conversion ---------------------------------------------------------------------------------
def _unwrap(text: str) -> str:
    return " ".join(text.split())


def load_npl(path: Path) -> Collection:
    raw = (path / "corpus" / "doc-text.trec").read_text(encoding="utf-8", errors="replace")
    docs = [{"id": m.group(1).strip(), "title": "", "body": _unwrap(m.group(2))}
            for m in re.finditer(r"<DOC>\s*<DOCNO>(.*?)</DOCNO>(.*?)</DOC>", raw, re.S)]
    topics = (path / "query-text.trec").read_text(encoding="utf-8")
    queries = [(m.group(1).strip(), _unwrap(m.group(2)))
               for m in re.finditer(r"<num>(.*?)</num>\s*<title>(.*?)</title>", topics, re.S)]
    qrels: dict[str, dict[str, int]] = {}
    for line in (path / "qrels").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return {"docs": docs, "queries": queries, "qrels": qrels}


def _records(text: str) -> list[dict[str, str]]:
    """Cranfield's `.I n` records as {"I": n, "T": ..., "W": ...}."""
    records = []
    for chunk in re.split(r"^\.I\s+", text, flags=re.M)[1:]:
        ident, _, rest = chunk.partition("\n")
        record = {"I": ident.strip()}
        for m in re.finditer(r"^\.([TABW])\s*\n(.*?)(?=^\.[TABW]\s*$|\Z)", rest, re.S | re.M):
            record[m.group(1)] = _unwrap(m.group(2))
        records.append(record)
    return records


def load_cranfield(path: Path) -> Collection:
    docs = [{"id": r["I"], "title": r.get("T", ""), "body": r.get("W", "")}
            for r in _records((path / "cran.all.1400").read_text(encoding="utf-8", errors="replace"))]
    # The qrels number queries 1..225 by position; the .I labels skip numbers.
    queries = [(str(i), r.get("W", ""))
               for i, r in enumerate(_records((path / "cran.qry").read_text(encoding="utf-8")), 1)]
    qrels: dict[str, dict[str, int]] = {}
    for line in (path / "cranqrel").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            code = int(parts[2])
            qrels.setdefault(parts[0], {})[parts[1]] = 5 - code if 1 <= code <= 4 else 0
    return {"docs": docs, "queries": queries, "qrels": qrels}


def load_known_item(path: Path, seed: int = 13) -> Collection:
    """Known-item search on BBC News (2,225 stories, ../shared/data/news/bbc): a passage of a story,
    pasted as the query, should find that story. 400 stories drawn with a fixed seed; the passage is a
    window of 5, 12, 30, 60, 120 or 300 words (cycled) from a random point of the body, or the whole
    body when it is shorter. The answer is the story, and any copy of it in the set: the same body
    text (98 byte-identical pairs, and stories republished under another title, such as "Broadband
    takes on TV viewing" and "Broadband challenges TV viewing"; a passage cannot tell them apart).
    Nothing here was written by the team: queries and answers come from the texts."""
    import random

    docs, by_text = [], {}
    for file in sorted(path.glob("*/*.txt")):
        raw = file.read_bytes()
        text = raw.decode("latin-1")
        title, _, body = text.strip().partition("\n")
        doc_id = f"{file.parent.name}-{file.stem}"
        docs.append({"id": doc_id, "title": title.strip(), "body": body.strip()})
        by_text.setdefault(hashlib.sha256(" ".join(body.split()).encode()).hexdigest(), []).append(doc_id)
    copies = {d: ids for ids in by_text.values() for d in ids}
    rng = random.Random(seed)
    queries, qrels = [], {}
    for n, doc in enumerate(rng.sample(docs, 400)):
        words = doc["body"].split()
        size = (5, 12, 30, 60, 120, 300)[n % 6]
        start = rng.randrange(max(1, len(words) - size + 1))
        qid = f"k{n + 1}-{size}"
        queries.append((qid, " ".join(words[start:start + size])))
        qrels[qid] = {d: 1 for d in copies[doc["id"]]}
    return {"docs": docs, "queries": queries, "qrels": qrels}


LOADERS = {"npl": load_npl, "cranfield": load_cranfield}
# Collections read from ../shared/data/news rather than qrels/: name -> (folder, loader)
NEWS_LOADERS = {"bbc-known-item": ("bbc", load_known_item)}


def write_collection(coll: Collection, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    docs, queries = out / "docs.jsonl", out / "queries.tsv"
    with open(docs, "w", encoding="utf-8") as fh:
        for d in coll["docs"]:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(queries, "w", encoding="utf-8") as fh:
        for qid, text in coll["queries"]:
            fh.write(f"{qid}\t{text}\n")
    return docs, queries


def cached_index(name: str, docs_jsonl: Path, rebuild: bool = False) -> Path:
    """Index the converted JSONL through the real reader and pipeline (no entities), cached by content."""
    from indexer.pipeline import index_paths

    digest = hashlib.sha256(docs_jsonl.read_bytes())
    for module in ("whoosh_backend/schema.py", "stopwords.py"):  # analyzers: a change there means a new index
        digest.update((ROOT / "search" / module).read_bytes())
    index_dir = CACHE / f"relevance-{name}-{digest.hexdigest()[:16]}"
    if index_dir.exists() and not rebuild:
        return index_dir
    shutil.rmtree(index_dir, ignore_errors=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    index_paths([docs_jsonl], index_dir, rebuild=True, workers=1, entities=False)
    return index_dir


# -- runs ---------------------------------------------------------------------------------------
def engine_run(index_dir: Path, queries) -> dict[str, list[tuple[str, float]]]:
    """The engine's ranking for each query, as `/v1/search` would produce it (no facets, no highlights)."""
    from search.engine import open_engine
    from search.request import SearchRequest

    engine = open_engine(index_dir, refresh_interval=0)
    try:
        run = {}
        for qid, text in queries:
            res = engine.search(SearchRequest(q=text, per_page=DEPTH, highlight=False, facets=()))
            run[qid] = [(hit.id, float(hit.score)) for hit in res.hits]
        return run
    finally:
        engine.close()


def bm25_run(coll: Collection) -> dict[str, list[tuple[str, float]]]:
    """Plain BM25 (bm25s, Lucene's formula) with English stop words and Porter 2 stemming."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = [d["id"] for d in coll["docs"]]
    corpus = [f"{d['title']} {d['body']}".strip() for d in coll["docs"]]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(bm25s.tokenize(corpus, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    run = {}
    k = min(DEPTH, len(ids))
    for qid, text in coll["queries"]:
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            run[qid] = []
            continue
        docs, scores = retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
        run[qid] = [(ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0]) if s > 0]
    return run


# -- metrics (trec_eval semantics) --------------------------------------------------------------
def _ordered(ranking: list[tuple[str, float]]) -> list[str]:
    """trec_eval ignores the given ranks: score descending, ties by docid descending."""
    return [d for d, _ in sorted(ranking, key=lambda x: (x[1], x[0]), reverse=True)[:DEPTH]]


def average_precision(ranking: list[str], judged: dict[str, int]) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    if not relevant:
        return 0.0
    found, total = 0, 0.0
    for rank, doc in enumerate(ranking, 1):
        if doc in relevant:
            found += 1
            total += found / rank
    return total / len(relevant)


def ndcg(ranking: list[str], judged: dict[str, int], cut: int = 10) -> float:
    gains = sorted((g for g in judged.values() if g > 0), reverse=True)[:cut]
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    if ideal == 0:
        return 0.0
    dcg = sum(max(judged.get(doc, 0), 0) / math.log2(i + 2) for i, doc in enumerate(ranking[:cut]))
    return dcg / ideal


def evaluate(run: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    qids = [q for q, judged in qrels.items() if any(g > 0 for g in judged.values())]
    aps, ndcgs = [], []
    for qid in qids:
        ranking = _ordered(run.get(qid, []))
        aps.append(average_precision(ranking, qrels[qid]))
        ndcgs.append(ndcg(ranking, qrels[qid]))
    return {"ndcg@10": sum(ndcgs) / len(qids), "map": sum(aps) / len(qids), "queries": len(qids)}


# -- the bench ----------------------------------------------------------------------------------
def run(data_dir: str | Path | None = None, rebuild: bool = False) -> dict:
    data = Path(data_dir) if data_dir else DATA
    out: dict = {"collections": {}, "targets": TARGETS}
    with tempfile.TemporaryDirectory(prefix="newsearch-relevance-") as tmp:
        sources = {name: (data / name, load) for name, load in LOADERS.items()}
        sources.update({name: (data.parent / "news" / folder, load) for name, (folder, load) in NEWS_LOADERS.items()})
        for name, (source, load) in sources.items():
            if not source.exists():
                print(f"relevance: {source} missing, skipped", file=sys.stderr)
                continue
            coll = load(source)
            docs_jsonl, _ = write_collection(coll, Path(tmp) / name)
            started = time.perf_counter()
            index_dir = cached_index(name, docs_jsonl, rebuild=rebuild)
            indexed = time.perf_counter()
            engine_ranking = engine_run(index_dir, coll["queries"])
            engine = evaluate(engine_ranking, coll["qrels"])
            searched = time.perf_counter()
            reference_ranking = bm25_run(coll)
            reference = evaluate(reference_ranking, coll["qrels"])
            out["collections"][name] = {
                "documents": len(coll["docs"]),
                "engine": engine,
                "bm25_reference": reference,
                "index_s": round(indexed - started, 2),
                "search_s": round(searched - indexed, 2),
            }
            if name in NEWS_LOADERS:  # known items: MRR (= MAP with one answer) by query length
                sizes = sorted({int(q.rsplit("-", 1)[1]) for q, _ in coll["queries"]})
                out["collections"][name]["by_length"] = {
                    size: {label: evaluate(ranking, {q: j for q, j in coll["qrels"].items() if q.endswith(f"-{size}")})["map"]
                           for label, ranking in (("engine", engine_ranking), ("bm25", reference_ranking))}
                    for size in sizes}
    checks = []
    for name, res in out["collections"].items():
        for metric in ("ndcg@10", "map"):
            checks.append(res["engine"][metric] >= res["bm25_reference"][metric] - 1e-12)
    if "npl" in out["collections"]:
        checks.append(out["collections"]["npl"]["engine"]["map"] >= TARGETS["npl_map"])
    out["targets_met"] = bool(checks) and all(checks)
    return out


def print_table(result: dict, fh=sys.stdout) -> None:
    fh.write(f"{'collection':<11} {'docs':>6} {'queries':>7}  {'metric':<8} {'engine':>7} {'bm25s':>7} {'delta':>7}\n")
    for name, res in result["collections"].items():
        for metric in ("ndcg@10", "map"):
            e, r = res["engine"][metric], res["bm25_reference"][metric]
            fh.write(f"{name:<11} {res['documents']:>6} {res['engine']['queries']:>7}  {metric:<8} "
                     f"{e:7.4f} {r:7.4f} {e - r:+7.4f}\n")
    for name, res in result["collections"].items():
        for size, m in res.get("by_length", {}).items():
            fh.write(f"{name:<11} {size:>4} words  MRR {m['engine']:7.4f} {m['bm25']:7.4f} {m['engine'] - m['bm25']:+7.4f}\n")
    if "npl" in result["collections"]:
        fh.write(f"NPL MAP target (Terrier BM25) {TARGETS['npl_map']:.4f}; all targets met: {result['targets_met']}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.relevance", description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help=f"the qrels directory (default {DATA})")
    parser.add_argument("--rebuild", action="store_true", help="re-index even when a cached index exists")
    args = parser.parse_args(argv)
    result = run(args.data, rebuild=args.rebuild)
    print_table(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "relevance.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
