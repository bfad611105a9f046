"""Entity facets measured as a user gets them: `newsearch index` on real input, values read back from the index.

    python -m bench.facets [--data ../shared/data] [--with DIR] [--reuters-limit N] [--top100] [--verbose]
    python -m bench.facets --judged bench/results/top100-bbc-people.tsv [...]

The product is a black box here: input files are written in their native form, indexed with the
`newsearch index` command (`python -m cli index`, a subprocess with this interpreter), and each
article's people / organizations / places, source, byline and date are read back with
`search.engine.open_engine(index).get(id)` (ids from `--progress-log`, articles matched to their input
by `origin`).

1. Gold (bench/gold/entities.json, 48 articles written by hand before any extractor ran on them):
   strict distinct-entity precision, recall and F1 per type and overall. A value is right when, after
   Unicode NFC, whitespace collapsing and curly/straight apostrophes only, it equals the canonical name
   or an alias of a gold entity of the same type in that article; each gold entity is matched once (a
   second value for it, "Blair" beside "Tony Blair", is a false positive). Optional gold entities are
   neither misses nor false positives (their second value is). Also the share of articles whose source,
   byline and date are right (bench/facts.py's comparison). `--with DIR` indexes another folder together
   with the gold articles (e.g. news/bbc), so that archive-level resolution has an archive.
2. Reuters-21578 curated tags: every story with a body and PEOPLE/ORGS/PLACES tags is indexed (the tags
   are not in the input); per kind, the share of tags found among the story's facet values: a people tag
   by surname (`reagan` ~ "Ronald Reagan"), place and org codes through bench/reuters_aliases.py.
   Also the same share over the tags the story's text names (the code, an alias, or for people the
   surname, as words): a tag implied by a dateline (`usa` for "DALLAS") is counted in the first figure
   only. `--reuters-limit N` takes the first N such stories (0: all).
3. `--top100`: BBC (2,225 stories, the folder as is) and the first 20,000 RSS items: the 100 most
   frequent values of each entity facet to bench/results/top100-<corpus>-<facet>.tsv, with empty
   judgement columns. `--judged FILE...` reads judged files (value, count, judgement in right /
   wrong-type / not-canonical / duplicate / not-entity, note) and prints the share judged right.

Indexes are cached under bench/.cache/facets/, keyed by a digest of the code (indexer/, search/, cli/)
and of the input, so a re-run on unchanged code reads them back; `--fresh` rebuilds.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import html as html_lib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import reuters_aliases  # noqa: E402
from bench.facts import _reuters_stories, _right  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
GOLD = ROOT / "bench" / "gold" / "entities.json"
RESULTS = ROOT / "bench" / "results"
CACHE = ROOT / "bench" / ".cache" / "facets"
KINDS = ("people", "organizations", "places")
FACET_OF = {"people": "person", "organizations": "org", "places": "place"}
RSS_ITEMS = 20_000
JUDGEMENTS = ("right", "wrong-type", "not-canonical", "duplicate", "not-entity")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})


def norm(value: str) -> str:
    """The only normalisation a value gets before comparison: NFC, whitespace, apostrophes."""
    return " ".join(unicodedata.normalize("NFC", value).translate(_APOSTROPHES).split())


# -- indexing, as a user does it, cached by code version -------------------------------------------
def code_version() -> str:
    h = hashlib.sha256()
    for top in ("indexer", "search", "cli"):
        for path in sorted((ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(ROOT)).encode())
                h.update(path.read_bytes())
    return h.hexdigest()[:12]


class Indexed:
    """A folder of inputs indexed by `newsearch index` into `dir/index`; `articles()` reads them back."""

    def __init__(self, name: str, key: str, fresh: bool = False) -> None:
        self.dir = CACHE / f"{name}-{code_version()}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        self.input = self.dir / "input"
        self.index = self.dir / "index"
        self.log = self.dir / "ids.log"
        self.done = self.dir / "done.json"
        if fresh and self.dir.exists():
            shutil.rmtree(self.dir)

    @property
    def ready(self) -> bool:
        return self.done.exists()

    def build(self, paths: list[Path], workers: int | None = None) -> dict:
        if self.ready:
            return json.loads(self.done.read_text()) | {"cached": True}
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.index.exists():
            shutil.rmtree(self.index)
        self.log.unlink(missing_ok=True)
        command = [sys.executable, "-m", "cli", "index", *map(str, paths), "--index", str(self.index),
                   "--progress-log", str(self.log)]
        if workers:
            command += ["--workers", str(workers)]
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        started = time.perf_counter()
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = round(time.perf_counter() - started, 1)
        if run.returncode != 0:
            raise RuntimeError(f"newsearch index failed ({run.returncode}): {run.stderr[-2000:]}")
        info = {"seconds": seconds, "report": run.stdout.strip().splitlines()}
        self.done.write_text(json.dumps(info, indent=1) + "\n")
        return info | {"cached": False}

    def articles(self):
        """Every indexed article (search.article.Article), once each."""
        from search.engine import open_engine

        engine = open_engine(str(self.index))
        try:
            for article_id in dict.fromkeys(self.log.read_text(encoding="utf-8").split()):
                yield engine.get(article_id)
        finally:
            engine.close()

    def top_values(self, facet: str, limit: int = 100) -> list[tuple[str, int]]:
        from search.engine import open_engine

        engine = open_engine(str(self.index))
        try:
            return [(b.value, b.count) for b in engine.facet_values(facet, limit=limit)]
        finally:
            engine.close()


# -- the gold articles, written in their native form -----------------------------------------------
def _rss_lines(path: Path, limit: int):
    with gzip.open(path, "rb") as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                return
            yield line


def write_gold_inputs(data: Path, gold: list[dict], folder: Path) -> dict[str, int]:
    """BBC .txt, RSS items as their JSONL lines, Reuters stories as JSONL records, aeb pages as .html.
    Returns {origin: index in gold} (origins as the readers write them: absolute paths, `path:N`)."""
    folder.mkdir(parents=True, exist_ok=True)
    origins: dict[str, int] = {}
    rss_wanted = {g["ref"]: i for i, g in enumerate(gold) if g["corpus"] == "rss"}
    rss_out, reuters_out = folder / "rss.jsonl", folder / "reuters.jsonl"
    found = 0
    with rss_out.open("wb") as out:
        for line in _rss_lines(data / "news" / "rss-2023q1" / "articles.jsonl.gz", RSS_ITEMS):
            if found == len(rss_wanted):
                break
            record = json.loads(line)
            if record.get("id") in rss_wanted:
                found += 1
                out.write(line.rstrip(b"\n") + b"\n")
                origins[f"{rss_out.resolve()}:{found}"] = rss_wanted[record["id"]]
    stories: dict[str, dict] = {}
    n = 0
    with reuters_out.open("w", encoding="utf-8") as out:
        for i, g in enumerate(gold):
            corpus, ref = g["corpus"], g["ref"]
            if corpus == "bbc":
                target = folder / "bbc" / ref
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(data / "news" / "bbc" / ref, target)
                origins[str(target.resolve())] = i
            elif corpus == "aeb":
                target = folder / "aeb" / ref
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(data / "extraction" / "aeb" / ref, target)
                origins[str(target.resolve())] = i
            elif corpus == "reuters":
                name, newid = ref.split("#")
                if name not in stories:
                    stories[name] = _reuters_stories(data / "news" / "reuters21578" / name)
                out.write(json.dumps(stories[name][newid], ensure_ascii=False) + "\n")
                n += 1
                origins[f"{reuters_out.resolve()}:{n}"] = i
    return origins


# -- scoring ---------------------------------------------------------------------------------------
def score_article(gold: dict, kind: str, values: list[str]) -> dict:
    """tp / fp / fn and the values behind them, for one article and one type."""
    entities = gold[kind]
    forms = [{norm(e["name"])} | {norm(a) for a in e["aliases"]} for e in entities]
    matched: set[int] = set()
    predicted = list(dict.fromkeys(norm(v) for v in values if v and v.strip()))
    right, spurious, ignored = [], [], []
    # Values equal to a canonical name claim their entity first, so that "Tony Blair" is the hit and
    # "Blair" the duplicate whatever order the facet lists them in.
    order = sorted(predicted, key=lambda v: not any(v == norm(e["name"]) for e in entities))
    for value in order:
        hit = next((i for i, f in enumerate(forms) if value in f and i not in matched), None)
        if hit is None:
            spurious.append(value)
        elif entities[hit].get("optional"):
            matched.add(hit)
            ignored.append(value)
        else:
            matched.add(hit)
            right.append(value)
    missed = [e["name"] for i, e in enumerate(entities) if i not in matched and not e.get("optional")]
    return {"tp": len(right), "fp": len(spurious), "fn": len(missed), "spurious": spurious, "missed": missed,
            "optional_found": ignored}


def prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn}


def _day(article) -> str | None:
    return article.published.isoformat()[:10] if article.published else None


def _resolved(origin: str | None) -> str:
    """An origin with its file's path resolved as the inputs' are (a cache behind a link)."""
    if not origin:
        return ""
    path, sep, line = origin.rpartition(":") if origin.rsplit(":", 1)[-1].isdigit() else (origin, "", "")
    return str(Path(path).resolve()) + sep + line


def score_gold(data: Path, with_dirs: list[Path] = (), fresh: bool = False, verbose: bool = False) -> dict:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))["articles"]
    key = json.dumps({"gold": hashlib.sha256(GOLD.read_bytes()).hexdigest(),
                      "with": [str(Path(d).resolve()) for d in with_dirs]})
    run = Indexed("gold" + ("-with" if with_dirs else ""), key, fresh)
    if not run.ready:
        if run.input.exists():
            shutil.rmtree(run.input)
    origins = write_gold_inputs(data, gold, run.input)
    info = run.build([run.input, *with_dirs])
    # Articles are matched to their input by origin; JSONL records also by their own id, should origins change form.
    ids = {g["ref"]: i for i, g in enumerate(gold) if g["corpus"] == "rss"}
    ids.update({f"reuters-{g['ref'].split('#')[1]}": i for i, g in enumerate(gold) if g["corpus"] == "reuters"})
    by_gold: dict[int, object] = {}
    for article in run.articles():
        i = origins.get(_resolved(article.origin), ids.get(article.id))
        if i is not None:
            by_gold[i] = article
    totals = {k: [0, 0, 0] for k in KINDS}
    rows = []
    for i, g in enumerate(gold):
        article = by_gold.get(i)
        row = {"corpus": g["corpus"], "ref": g["ref"], "indexed": article is not None}
        for kind in KINDS:
            s = score_article(g, kind, getattr(article, kind) if article is not None else [])
            row[kind] = s
            for j, x in enumerate(("tp", "fp", "fn")):
                totals[kind][j] += s[x]
        found_day = _day(article) if article is not None else None
        row["source"] = article is not None and _right(article.source, g["source"])
        row["author"] = article is not None and _right(article.author, g["author"])
        row["published"] = found_day in g["published"] if g["published"] else found_day is None
        row["found"] = {"source": getattr(article, "source", None), "author": getattr(article, "author", None),
                        "published": found_day}
        rows.append(row)
        if verbose:
            _print_row(g, row)
    per_kind = {k: prf(*totals[k]) for k in KINDS}
    per_kind["overall"] = prf(*(sum(totals[k][j] for k in KINDS) for j in range(3)))
    n = len(rows)
    facts = {k: round(sum(bool(r[k]) for r in rows) / n, 3) for k in ("source", "author", "published")}
    facts["all"] = round(sum(bool(r["source"] and r["author"] and r["published"]) for r in rows) / n, 3)
    by_corpus = {}
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        sub = [r for r in rows if r["corpus"] == corpus]
        by_corpus[corpus] = prf(*(sum(r[k][x] for r in sub for k in KINDS) for x in ("tp", "fp", "fn")))
    return {"articles": n, "indexed": sum(r["indexed"] for r in rows), "with": [str(d) for d in with_dirs],
            "entities": per_kind, "entities_by_corpus": by_corpus, "facts_right": facts,
            "index_seconds": info["seconds"], "cached": info["cached"], "rows": rows}


def _print_row(g: dict, row: dict) -> None:
    parts = []
    for kind in KINDS:
        s = row[kind]
        if s["missed"] or s["spurious"]:
            parts.append(f"    {kind}: missed {s['missed']} spurious {s['spurious']}")
    facts = [f"{k} {row['found'][k]!r} (gold {g[k]})" for k in ("source", "author", "published") if not row[k]]
    if parts or facts or not row["indexed"]:
        print(f"{g['corpus']}:{g['ref'][:50]}{'' if row['indexed'] else '  NOT INDEXED'}", file=sys.stderr)
        for p in parts:
            print(p, file=sys.stderr)
        if facts:
            print("    wrong: " + "; ".join(facts), file=sys.stderr)


# -- Reuters-21578 curated tags --------------------------------------------------------------------
_STORY = re.compile(r'<REUTERS[^>]*NEWID="(\d+)"[^>]*>(.*?)</REUTERS>', re.S)


def reuters_tagged(folder: Path) -> list[tuple[dict, dict[str, list[str]]]]:
    """(JSONL record as bench/facts.py writes it, {kind: curated codes}) for every story with a body and a tag."""
    out = []
    for sgm in sorted(folder.glob("reut2-*.sgm")):
        text = sgm.read_text(encoding="latin-1")
        records = None
        for newid, story in _STORY.findall(text):
            body = re.search(r"<BODY>(.*?)</BODY>", story, re.S)
            if not body or not body.group(1).strip():
                continue
            tags = {}
            for tag, kind in (("PEOPLE", "people"), ("ORGS", "organizations"), ("PLACES", "places")):
                m = re.search(rf"<{tag}>(.*?)</{tag}>", story, re.S)
                codes = re.findall(r"<D>(.*?)</D>", m.group(1)) if m else []
                if codes:
                    tags[kind] = [html_lib.unescape(c).strip() for c in codes]
            if not tags:
                continue
            if records is None:
                records = _reuters_stories(sgm)
            out.append((records[newid], tags))
    return out


def score_reuters(data: Path, limit: int = 0, fresh: bool = False, verbose: bool = False) -> dict:
    folder = data / "news" / "reuters21578"
    stories = reuters_tagged(folder)
    total_tagged = len(stories)
    if limit:
        stories = stories[:limit]
    run = Indexed("reuters", f"limit={limit}", fresh)
    if not run.ready:
        run.input.mkdir(parents=True, exist_ok=True)
        with (run.input / "reuters.jsonl").open("w", encoding="utf-8") as out:
            for record, _ in stories:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    info = run.build([run.input / "reuters.jsonl"])
    table = reuters_aliases.load(folder)
    jsonl = (run.input / "reuters.jsonl").resolve()
    origin_of = {f"{jsonl}:{i + 1}": i for i in range(len(stories))}
    id_of = {record["id"]: i for i, (record, _) in enumerate(stories)}
    by_story = {}
    for article in run.articles():
        i = origin_of.get(article.origin or "", id_of.get(article.id))
        if i is not None:
            by_story[i] = article
    counts = {k: [0, 0] for k in KINDS}
    named = {k: [0, 0] for k in KINDS}  # the same, over the tags the story's text names (a code or alias)
    missed: dict[str, dict[str, int]] = {k: {} for k in KINDS}
    for i, (record, tags) in enumerate(stories):
        article = by_story.get(i)
        text = "-" + reuters_aliases.fold(f"{record.get('title', '')} {record.get('body', '')}") + "-"
        for kind, codes in tags.items():
            values = getattr(article, kind) if article is not None else []
            for code in codes:
                names = {code} if kind == "people" else table[kind].get(code, {reuters_aliases.fold(code)})
                if kind == "people":
                    ok = reuters_aliases.people_match(code, values)
                else:
                    ok = reuters_aliases.code_match(names, values)
                counts[kind][1] += 1
                counts[kind][0] += ok
                if any(f"-{n}-" in text for n in names):
                    named[kind][1] += 1
                    named[kind][0] += ok
                if not ok:
                    missed[kind][code] = missed[kind].get(code, 0) + 1
                    if verbose:
                        print(f"  {record['id']}: {kind} {code} not in {values}", file=sys.stderr)
    return {"stories": len(stories), "tagged_stories_with_body": total_tagged, "indexed": len(by_story),
            "found": {k: {"matched": m, "total": t, "share": round(m / t, 3) if t else None}
                      for k, (m, t) in counts.items()},
            "found_when_named": {k: {"matched": m, "total": t, "share": round(m / t, 3) if t else None}
                                 for k, (m, t) in named.items()},
            "most_missed": {k: sorted(v.items(), key=lambda kv: -kv[1])[:15] for k, v in missed.items()},
            "index_seconds": info["seconds"], "cached": info["cached"]}


# -- top-100 dumps and their judgement -------------------------------------------------------------
def top100(data: Path, fresh: bool = False) -> dict:
    out = {}
    bbc = Indexed("bbc", str((data / "news" / "bbc").resolve()), fresh)
    rss = Indexed("rss", f"first {RSS_ITEMS}", fresh)
    if not rss.ready:
        rss.input.mkdir(parents=True, exist_ok=True)
        with (rss.input / f"rss-first{RSS_ITEMS}.jsonl").open("wb") as fh:
            for line in _rss_lines(data / "news" / "rss-2023q1" / "articles.jsonl.gz", RSS_ITEMS):
                fh.write(line.rstrip(b"\n") + b"\n")
    for corpus, run, paths in (("bbc", bbc, [data / "news" / "bbc"]), ("rss", rss, [rss.input])):
        info = run.build(paths)
        out[corpus] = {"index_seconds": info["seconds"], "cached": info["cached"], "report": info["report"], "files": []}
        for kind in KINDS:
            path = RESULTS / f"top100-{corpus}-{kind}.tsv"
            rows = run.top_values(FACET_OF[kind], 100)
            with path.open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, delimiter="\t", lineterminator="\n")
                w.writerow(["value", "count", "judgement", "note"])
                for value, count in rows:
                    w.writerow([value, count, "", ""])
            out[corpus]["files"].append(str(path.relative_to(ROOT)))
    return out


def judged(paths: list[Path]) -> dict:
    out = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        verdicts = [(r.get("judgement") or "").strip() for r in rows]
        bad = sorted({v for v in verdicts if v and v not in JUDGEMENTS})
        if bad:
            raise SystemExit(f"{path}: unknown judgements {bad} (expected one of {', '.join(JUDGEMENTS)})")
        counts = {j: verdicts.count(j) for j in JUDGEMENTS}
        out[path.name] = {"values": len(rows), "unjudged": verdicts.count(""), **counts,
                          "share_right": round(counts["right"] / len(rows), 3) if rows else None}
    return out


# -- the run ---------------------------------------------------------------------------------------
def run(data: Path | None = None, reuters_limit: int = 0, with_dirs: list[Path] = (), top: bool = False,
        fresh: bool = False, verbose: bool = False) -> dict:
    data = Path(data or DEFAULT_DATA)
    RESULTS.mkdir(exist_ok=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    result: dict = {"code_version": code_version()}
    started = time.perf_counter()
    result["gold"] = score_gold(data, [Path(d) for d in with_dirs], fresh, verbose)
    result["gold"]["seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    result["reuters"] = score_reuters(data, reuters_limit, fresh, verbose)
    result["reuters"]["seconds"] = round(time.perf_counter() - started, 1)
    if top:
        started = time.perf_counter()
        result["top100"] = top100(data, fresh)
        result["top100"]["seconds"] = round(time.perf_counter() - started, 1)
    (RESULTS / "facets.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return result


def brief(result: dict) -> dict:
    """The result without its per-article rows and index reports (for bench/results/latest.json)."""
    out = {**result, "gold": {k: v for k, v in result["gold"].items() if k != "rows"}}
    if "top100" in result:
        out["top100"] = {c: ({k: v for k, v in t.items() if k != "report"} if isinstance(t, dict) else t)
                         for c, t in result["top100"].items()}
    return out


def summary(r: dict) -> list[tuple]:
    """Rows for `python -m bench`'s table."""
    g = r["gold"]
    e = g["entities"]
    rows = [(f"facets: entity P/R/F1 ({g['articles']} gold articles{', with ' + ', '.join(Path(w).name for w in g['with']) if g['with'] else ''})",
             f"{e['overall']['precision']:.2f}/{e['overall']['recall']:.2f}/{e['overall']['f1']:.2f}",
             "F1 per/org/place " + "/".join(f"{e[k]['f1']:.2f}" for k in KINDS), "F1 ≥ 0.90, P ≥ 0.92",
             e["overall"]["f1"] >= 0.90 and e["overall"]["precision"] >= 0.92)]
    f = g["facts_right"]
    rows.append(("facets: gold source/byline/date right", f"{f['source']:.2f}/{f['author']:.2f}/{f['published']:.2f}",
                 f"all three {f['all']:.2f}", "", None))
    t = r["reuters"]["found"]
    rows.append((f"facets: Reuters curated tags found ({r['reuters']['stories']} stories)",
                 "/".join(f"{t[k]['share']:.2f}" for k in KINDS),
                 "named in the text: " + "/".join(f"{r['reuters']['found_when_named'][k]['share']:.2f}" for k in KINDS),
                 "", None))
    return rows


def _print(r: dict) -> None:
    g = r["gold"]
    print(f"gold: {g['articles']} articles ({g['indexed']} indexed), index {g['index_seconds']} s"
          f"{' (cached)' if g['cached'] else ''}")
    for kind, m in g["entities"].items():
        print(f"  {kind:<14} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}   "
              f"(tp {m['tp']}, fp {m['fp']}, fn {m['fn']})")
    for corpus, m in g["entities_by_corpus"].items():
        print(f"  {corpus:<14} P {m['precision']:.3f}  R {m['recall']:.3f}  F1 {m['f1']:.3f}")
    f = g["facts_right"]
    print(f"  right: source {f['source']:.3f}, byline {f['author']:.3f}, date {f['published']:.3f}, all {f['all']:.3f}")
    rt = r["reuters"]
    print(f"reuters: {rt['stories']} tagged stories (of {rt['tagged_stories_with_body']}), index {rt['index_seconds']} s"
          f"{' (cached)' if rt['cached'] else ''}")
    for kind, m in rt["found"].items():
        n = rt["found_when_named"][kind]
        print(f"  {kind:<14} {m['matched']}/{m['total']} = {m['share']}   "
              f"(tags the text names: {n['matched']}/{n['total']} = {n['share']})")
        print(f"    most missed: {', '.join(f'{c} {n}' for c, n in rt['most_missed'][kind][:10])}")
    if "top100" in r:
        for corpus in ("bbc", "rss"):
            t = r["top100"][corpus]
            print(f"top100 {corpus}: index {t['index_seconds']} s{' (cached)' if t['cached'] else ''}: {', '.join(t['files'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--with", dest="with_dirs", type=Path, action="append", default=[], metavar="DIR",
                        help="index this folder together with the gold articles (e.g. ../shared/data/news/bbc)")
    parser.add_argument("--reuters-limit", type=int, default=0, metavar="N", help="first N tagged stories (0: all)")
    parser.add_argument("--top100", action="store_true", help="also index BBC and 20,000 RSS items and write the top-100 files")
    parser.add_argument("--judged", nargs="+", type=Path, metavar="FILE", help="only print the shares of judged top-100 files")
    parser.add_argument("--fresh", action="store_true", help="rebuild cached indexes")
    parser.add_argument("--verbose", action="store_true", help="missed and spurious values per gold article")
    args = parser.parse_args(argv)
    if args.judged:
        for name, m in judged(args.judged).items():
            print(f"{name}: {m['right']}/{m['values']} right = {m['share_right']}  "
                  + ", ".join(f"{j} {m[j]}" for j in JUDGEMENTS[1:]) + f", unjudged {m['unjudged']}")
        return 0
    r = run(args.data, args.reuters_limit, args.with_dirs, args.top100, args.fresh, args.verbose)
    _print(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
