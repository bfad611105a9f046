"""What the load benches (hostile, writes, slowclients) share: running client threads for a while,
and the nearest-rank percentile they report."""
from __future__ import annotations

import threading
import time


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank `q` quantile (0..1) of `values`; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_for(threads: list[threading.Thread], stop: threading.Event, seconds: float) -> None:
    """Start the threads, let them run `seconds`, then set `stop` and wait for them."""
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
