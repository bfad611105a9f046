"""Same-story quality on the labelled pairs: `python -m bench.stories.quality [--data DIR]`.

Pair precision and recall of search/stories.py, as the index decides: a pair is folded when the two
articles share an index key (story_keys: how a new article finds its candidates) and `same_story`
holds. Reported over every target pair, the RSS pairs, the BBC pairs, the BBC byte-identical pairs
(the issue's 98), and by stratum. Targets (issue 16): precision >= 0.98, recall >= 0.90.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from bench.stories.archive import DATA, date, items
from bench.stories.gold import HERE, load_pairs
from search.stories import Prints, StoryPrint, days_lookup, same_story, shares_key

TARGETS = {"precision": 0.98, "recall": 0.90}


def _print(item, links: dict[str, str]) -> StoryPrint:
    return StoryPrint.of(item.title, item.text, links.get(item.id), item.source, date(item.date))


def folded(a: StoryPrint, b: StoryPrint, days) -> bool:
    return shares_key(a, b) and same_story(a, b, days)


def _archive_days(data: Path):
    """On how many days the RSS archive carries each title, slug and URL (`stories.days_lookup`):
    what the index knows of them when a new article comes."""
    return days_lookup(Prints.of([StoryPrint.of(d.get("title") or "", "", d.get("link"), None, date(d.get("date_published")))
                                  for d in items(data)]))


def _score(rows: list[tuple[bool, bool]]) -> dict:
    tp = sum(p and s for p, s in rows)
    fp = sum(p and not s for p, s in rows)
    fn = sum(s and not p for p, s in rows)
    return {"pairs": len(rows), "same": tp + fn, "precision": round(tp / (tp + fp), 4) if tp + fp else None,
            "recall": round(tp / (tp + fn), 4) if tp + fn else None, "false_folds": fp, "missed": fn}


def run(data_dir: str | Path | None = None) -> dict:
    data = Path(data_dir) if data_dir else DATA
    if not (data / "news").is_dir():
        return {"skipped": f"no data at {data}"}
    links = {r["id"]: r.get("link") for r in map(json.loads, (HERE / "items.jsonl").read_text().splitlines())}
    days = _archive_days(data)
    groups: dict[str, list] = defaultdict(list)
    errors = []
    for pair in load_pairs(data):
        pred, same = folded(_print(pair.a, links), _print(pair.b, links), days), pair.label == "same_story"
        for group in ("all", pair.corpus, f"{pair.corpus}:{pair.kind}"):
            groups[group].append((pred, same))
        if pair.kind == "bbc_identical_bytes":
            groups["bbc byte-identical"].append((pred, same))
        if pred != same:
            errors.append({"kind": pair.kind, "label": pair.label, "a": pair.a.title[:70], "b": pair.b.title[:70],
                           "note": pair.note[:100]})
    out = {name: _score(rows) for name, rows in groups.items()}
    out["errors"] = errors
    return out


def table(r: dict) -> str:
    if "skipped" in r:
        return f"stories: skipped ({r['skipped']})"
    lines = [f"{'pairs':<40} {'n':>4} {'same':>4} {'precision':>9} {'recall':>7} {'false folds':>11} {'missed':>6}"]
    for name, m in r.items():
        if name == "errors":
            continue
        p = "-" if m["precision"] is None else f"{m['precision']:.3f}"
        rc = "-" if m["recall"] is None else f"{m['recall']:.3f}"
        lines.append(f"{name:<40} {m['pairs']:>4} {m['same']:>4} {p:>9} {rc:>7} {m['false_folds']:>11} {m['missed']:>6}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the data folder (default ../shared/data)")
    parser.add_argument("--errors", action="store_true", help="list the pairs decided wrong")
    args = parser.parse_args(argv)
    r = run(args.data)
    print(table(r))
    if args.errors and "errors" in r:
        for e in r["errors"]:
            print(f"{e['label']:<15} {e['kind']:<28} {e['a']} | {e['b']} | {e['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
