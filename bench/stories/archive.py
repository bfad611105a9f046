"""Stories over a whole RSS archive: `python -m bench.stories.archive [--data DIR] [--show N]`.

Every item of `news/rss-2023q1` (135,608) printed as the index prints it (title, description as
the body, link, outlet, date) and assigned to stories as a searcher does (story_files.Stories.assign
over one segment): how many stories, how many with several versions, the largest, and the N largest
listed, to read as an editor would (a chain of different stories shows there first).
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RSS = Path("news") / "rss-2023q1" / "articles.jsonl.gz"


def date(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def items(data: Path) -> list[dict]:
    with gzip.open(data / RSS, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def assign(rows: list[dict]) -> np.ndarray:
    """Each item's story (its representative's row)."""
    from search.stories import Prints, StoryPrint
    from search.whoosh_backend import story_files as sf

    prints = Prints.of([StoryPrint.of(d.get("title") or "", d.get("description") or "", d.get("link"),
                                      d.get("source_domain"), date(d.get("date_published"))) for d in rows])
    return sf.Stories.assign([(sf.keyed(prints), 0)], np.ones(len(prints), dtype=bool)).labels


def run(data_dir: str | Path | None = None, show: int = 0) -> dict:
    data = Path(data_dir) if data_dir else DATA
    if not (data / RSS).exists():
        return {"skipped": f"no data at {data / RSS}"}
    rows = items(data)
    started = time.perf_counter()
    labels = assign(rows)
    seconds = time.perf_counter() - started
    stories, sizes = np.unique(labels, return_counts=True)
    out = {"articles": len(rows), "stories": int(len(stories)), "stories_with_versions": int((sizes > 1).sum()),
           "largest": int(sizes.max()), "seconds": round(seconds, 1), "largest_stories": []}
    for story in stories[np.argsort(-sizes, kind="stable")][:show]:
        members = sorted(np.flatnonzero(labels == story), key=lambda i: rows[i].get("date_published") or "")
        out["largest_stories"].append([f"{(rows[i].get('date_published') or '')[:16]} {rows[i].get('source_domain')}: "
                                       f"{rows[i].get('title')}" for i in members])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the data folder (default ../shared/data)")
    parser.add_argument("--show", type=int, default=5, help="list the N largest stories")
    args = parser.parse_args(argv)
    r = run(args.data, args.show)
    if "skipped" in r:
        print(f"archive: skipped ({r['skipped']})")
        return 0
    print(f"{r['articles']:,} articles, {r['stories']:,} stories, {r['stories_with_versions']:,} with several "
          f"versions, the largest {r['largest']} (prints and stories in {r['seconds']} s)")
    for story in r["largest_stories"]:
        print(f"--- {len(story)} versions")
        for line in story:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
