"""Indexing throughput and peak memory: Reuters-21578 through the real pipeline into a real index.

    .venv/bin/python -m bench.indexing [--data DIR] [--entities-subset N] [--no-profile]

Reuters' SGML is converted once to JSONL (the format any corpus can be brought in), then each
configuration runs `indexer.pipeline.index_paths` (what `newsearch index --rebuild` runs) in a fresh
process, so its time and peak RSS (its own and its worker processes') are its alone:
entities on a subset (NER dominates; the rate is per article either way) and off over all stories,
with 1 and 2 workers. A pyinstrument profile of the no-entities path says where the time goes.
Writes bench/results/indexing.json and bench/results/indexing-profile.txt.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "news" / "reuters21578"
ENTITIES_SUBSET = 2000
PROFILE_SUBSET = 3000
TARGETS = {"entities": 50.0, "no_entities": 1000.0}  # articles/s on 2 cores (issue 2)

_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID = re.compile(r'NEWID="(\d+)"')
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DATE = re.compile(r"(\d{1,2})-([A-Z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})")
_CONTROL = re.compile(r"&#\d+;|[\x00-\x08\x0b-\x1f]")


def _tag(name: str, text: str) -> str:
    match = re.search(rf"<{name}>(.*?)</{name}>", text, re.S)
    return html.unescape(_CONTROL.sub("", match.group(1))).strip() if match else ""


def _paragraphs(body: str) -> str:
    """Reuters bodies are hard-wrapped; a paragraph starts with an indented line."""
    body = re.sub(r"\s*Reuter\s*$", "", body.strip())
    paragraphs = re.split(r"\n\s{3,}", body)
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def reuters_stories(data_dir: Path):
    """One JSONL-ready dict per Reuters story that has a body."""
    for path in sorted(data_dir.glob("reut2-*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for match in _STORY.finditer(text):
            attrs, inner = match.groups()
            body = _tag("BODY", inner)
            if not body:
                continue
            record = {"id": f"reuters-{_NEWID.search(attrs).group(1)}", "title": _tag("TITLE", inner), "source": "Reuters"}
            date = _DATE.search(_tag("DATE", inner))
            if date:
                day, month, year, hh, mm, ss = date.groups()
                record["published"] = f"{year}-{_MONTHS[month]:02d}-{int(day):02d}T{hh.zfill(2)}:{mm}:{ss}+00:00"
            # Reuters' curated tags (lower-case codes such as "usa", "opec", "reagan"): the entity
            # facets of the latency bench. The JSONL reader ignores these fields.
            for tag, name in (("PLACES", "places"), ("PEOPLE", "people"), ("ORGS", "organizations")):
                values = re.findall(r"<D>(.*?)</D>", _tag(tag, inner) if tag in inner else "")
                if values:
                    record[name] = values
            dateline = " ".join(_tag("DATELINE", inner).split())
            record["body"] = (f"{dateline} " if dateline else "") + _paragraphs(body)
            yield record


def convert(data_dir: Path, out: Path, limit: int | None = None) -> int:
    count = 0
    with out.open("w", encoding="utf-8") as handle:
        for record in reuters_stories(data_dir):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
            if limit and count >= limit:
                break
    return count


# -- one measured run, in its own process ----------------------------------------------------------
class WorkerPeaks:
    """Peak RSS (VmHWM) of every descendant process, sampled from /proc: pool workers started by a
    forkserver are not our children, so getrusage(RUSAGE_CHILDREN) never sees them."""

    def __init__(self, interval: float = 0.25) -> None:
        import threading

        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._thread.start()

    def _descendants(self) -> set[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as f:
                        parents[int(entry)] = int(f.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    pass
        found, frontier = set(), {os.getpid()}
        while frontier:
            frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
            found |= frontier
        return found

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            for pid in self._descendants():
                try:
                    with open(f"/proc/{pid}/status") as f:
                        for line in f:
                            if line.startswith("VmHWM:"):
                                kb = int(line.split()[1])
                                self.peaks[pid] = max(self.peaks.get(pid, 0), kb)
                except OSError:
                    pass

    def stop(self) -> tuple[float, float]:
        """(largest worker, all workers together) in MB."""
        self._stop.set()
        self._thread.join()
        values = [kb / 1024 for kb in self.peaks.values()]
        return (max(values, default=0.0), sum(values))


def _measure(jsonl: str, index: str, workers: int, entities: bool, extract_only: bool = False) -> dict:
    from indexer.pipeline import Article, IndexReport, index_paths, run_pipeline

    peaks = WorkerPeaks()
    started = time.perf_counter()
    if extract_only:  # the pipeline without the index writer: what `newsearch extract` does
        report = IndexReport()
        for item in run_pipeline([jsonl], workers=workers, entities=entities):
            report.read += 1
            report.added += isinstance(item, Article)
    else:
        report = index_paths([jsonl], index, rebuild=True, workers=workers, entities=entities)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    largest_worker, all_workers = peaks.stop()
    return {
        "articles": report.read, "indexed": report.indexed, "failed": len(report.failures),
        "seconds": round(seconds, 2), "articles_per_s": round(report.read / seconds, 1),
        "peak_rss_mb": round(own, 1), "peak_rss_worker_mb": round(max(children, largest_worker), 1),
        "peak_rss_total_mb": round(own + all_workers, 1),
    }


def _profile(jsonl: str, index: str) -> dict:
    from pyinstrument import Profiler

    from indexer.pipeline import index_paths

    profiler = Profiler(interval=0.002)
    profiler.start()
    report = index_paths([jsonl], index, rebuild=True, workers=1, entities=False)
    profiler.stop()
    session = profiler.last_session
    total = session.duration
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "indexing-profile.txt").write_text(profiler.output_text(unicode=False, color=False), encoding="utf-8")
    # Time under each pipeline step (outermost occurrence on each call path).
    steps = {
        "read (files, JSON)": ("read_paths", "read_jsonl", "parse_jsonl_line"),
        "clean (normalize_text)": ("normalize_text", "clean_text"),
        "metadata (extract_metadata)": ("extract_metadata",),
        "Article (checksum, summary)": ("__init__", "__post_init__"),
        "index: add documents (Whoosh analysis)": ("add",),
        "index: commit + optimise (Whoosh)": ("close", "commit"),
    }
    owners = {"add": "writer.py", "close": "writer.py", "commit": "writer.py", "__init__": "<string>", "__post_init__": "article.py"}
    found = {step: 0.0 for step in steps}

    def walk(frame, inside: str | None) -> None:
        name, path = frame.function, frame.file_path_short or ""
        step = inside
        if inside is None:
            for label, functions in steps.items():
                owner = owners.get(name)
                if name in functions and (owner is None or path.endswith(owner)):
                    step = label
                    found[label] += frame.time
                    break
        for child in frame.children:
            walk(child, step)

    walk(session.root_frame(), None)
    shares = {step: round(100 * t / total, 1) for step, t in found.items()}
    shares["other"] = round(100 - sum(shares.values()), 1)
    return {"articles": report.read, "seconds": round(total, 2), "percent": shares}


def _child(args: argparse.Namespace) -> None:
    if args.profile:
        print(json.dumps(_profile(args.jsonl, args.index)))
    else:
        print(json.dumps(_measure(args.jsonl, args.index, args.workers, args.entities, args.extract_only)))


def _spawn(*args: str) -> dict:
    command = [sys.executable, "-m", "bench.indexing", "--child", *args]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


# -- the benchmark ---------------------------------------------------------------------------------
def run(data_dir: str | os.PathLike | None = None, entities_subset: int = ENTITIES_SUBSET, profile: bool = True) -> dict:
    data = Path(data_dir) if data_dir else DEFAULT_DATA
    if not data.is_dir():
        raise FileNotFoundError(f"Reuters-21578 not found at {data} (pass --data)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-indexing-") as tmp:
        tmp_path = Path(tmp)
        everything, subset = tmp_path / "reuters.jsonl", tmp_path / "reuters-subset.jsonl"
        stories = convert(data, everything)
        subset_size = convert(data, subset, limit=entities_subset)
        configs = [(True, False, subset, subset_size), (False, False, everything, stories), (False, True, everything, stories)]
        for entities, extract_only, corpus, size in configs:
            for workers in (1, 2):
                index = tmp_path / f"index-{int(entities)}-{workers}"
                args = ["--jsonl", str(corpus), "--index", str(index), "--workers", str(workers)]
                args += ([] if entities else ["--no-entities"]) + (["--extract-only"] if extract_only else [])
                result = _spawn(*args)
                result.update(entities=entities, workers=workers, stage="extract only" if extract_only else "index",
                              corpus=f"reuters ({size})", target=TARGETS["entities" if entities else "no_entities"])
                rows.append(result)
                print(_row(result), file=sys.stderr, flush=True)
        profiled = None
        if profile:
            profile_corpus = tmp_path / "reuters-profile.jsonl"
            convert(data, profile_corpus, limit=PROFILE_SUBSET)
            profiled = _spawn("--profile", "--jsonl", str(profile_corpus), "--index", str(tmp_path / "index-profile"))
    result = {
        "benchmark": "indexing",
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "data": str(data),
        "stories_with_body": stories,
        "runs": rows,
        "profile_no_entities_1_worker": profiled,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "indexing.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


HEADER = f"{'stage':<13} {'corpus':<16} {'entities':>8} {'workers':>7} {'articles':>8} {'seconds':>8} {'art/s':>8} {'target':>7} {'RSS MB':>7} {'worker MB':>9} {'total MB':>8}"


def _row(r: dict) -> str:
    return (f"{r['stage']:<13} {r['corpus']:<16} {'on' if r['entities'] else 'off':>8} {r['workers']:>7} {r['articles']:>8} "
            f"{r['seconds']:>8.1f} {r['articles_per_s']:>8.1f} {'>=' + str(int(r['target'])):>7} "
            f"{r['peak_rss_mb']:>7.0f} {r['peak_rss_worker_mb']:>9.0f} {r['peak_rss_total_mb']:>8.0f}")


def print_table(result: dict) -> None:
    print(HEADER)
    for r in result["runs"]:
        print(_row(r))
    prof = result.get("profile_no_entities_1_worker")
    if prof:
        print(f"\nprofile, no entities, 1 worker, {prof['articles']} stories, {prof['seconds']} s:")
        for step, share in sorted(prof["percent"].items(), key=lambda kv: -kv[1]):
            print(f"  {share:5.1f}%  {step}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=None, help=f"Reuters-21578 directory (default {DEFAULT_DATA})")
    parser.add_argument("--entities-subset", type=int, default=ENTITIES_SUBSET)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--jsonl", help=argparse.SUPPRESS)
    parser.add_argument("--extract-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--no-entities", dest="entities", action="store_false", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args)
        return
    print_table(run(args.data, args.entities_subset, profile=not args.no_profile))


if __name__ == "__main__":
    main()
