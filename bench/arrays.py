"""`np.unique` against sorting, for the integer arrays the engine dedupes: `python -m bench.arrays`.

Why search/arrays.py exists: numpy 2.4's `np.unique` (a hash table) is several times slower than a
sort on int64 arrays. Prints milliseconds per call (best of 5) at 10,000, 100,000 and 1,000,000
random int64 values, and checks both give the same values.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from search.arrays import unique


def _best(f, x, rounds: int = 5) -> float:
    f(x)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        f(x)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def run() -> dict:
    rng = np.random.default_rng(2026)
    out = {"numpy": np.__version__}
    for n in (10_000, 100_000, 1_000_000):
        x = rng.integers(0, 2**40, n)
        assert np.array_equal(np.unique(x), unique(x))
        out[n] = {"np.unique_ms": round(_best(np.unique, x), 2), "sort_ms": round(_best(unique, x), 2)}
    return out


def main() -> int:
    r = run()
    print(f"numpy {r.pop('numpy')}")
    for n, m in r.items():
        print(f"{n:>9,} values: np.unique {m['np.unique_ms']:>8} ms   by sorting {m['sort_ms']:>8} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
