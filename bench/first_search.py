"""The first searches of a process that has just opened an index: `python -m bench.first_search INDEX`.

What a new gunicorn worker (or every worker after a rebuild's switch) pays before its searcher,
facet columns and stories are ready: each query's time in a fresh process, with the backend's
default search budget. Before the facet columns were written with each segment, the first search
on the RSS items with entities walked every entity term's postings (5.3 s) and answered 503.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

QUERIES = ("election", "gordon brown", "police")
CHILD = r"""
import json, sys, time
from search.engine import open_engine
from search.errors import SearchTimeout
from search.request import SearchRequest
engine = open_engine(sys.argv[1])
out = []
for q in sys.argv[2:]:
    started = time.perf_counter()
    try:
        r = engine.search(SearchRequest(q=q, collapse="story"))
        out.append({"q": q, "ms": round((time.perf_counter() - started) * 1000, 1), "total": r.total, "timed_out": r.timed_out})
    except SearchTimeout:
        out.append({"q": q, "ms": round((time.perf_counter() - started) * 1000, 1), "error": "SearchTimeout (503)"})
print(json.dumps(out))
"""


def run(index: str | Path, queries=QUERIES) -> list[dict]:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", CHILD, str(index), *queries], capture_output=True, text=True,
                          cwd=root, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__)
        return 2
    for row in run(args[0], args[1:] or QUERIES):
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
