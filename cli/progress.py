"""`newsearch index`'s progress: a tqdm bar on a terminal, a plain line every few seconds in a log.

A bar redraws itself with carriage returns, which a log file or `docker logs` keeps as one endless
line (tqdm's own fallback) or, disabled, shows nothing for minutes. So when the output is not a
terminal, `Progress` writes a line of its own every `interval` seconds instead:

    progress: 1200/5000 articles (24%), 85.3/s, ETA 00:44

`total` is counted before the run (indexer.readers.count_items); the clock is passed in so that a
test can drive it.
"""
from __future__ import annotations

import time
from typing import Callable, TextIO

from tqdm import tqdm


class Progress:
    """Articles done out of `total`, with rate and time left, written to `out`."""

    def __init__(self, total: int, out: TextIO, *, interval: float = 5.0, terminal: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.done = 0
        self.out = out
        self.interval = interval
        self.clock = clock
        self.started = self.last = clock()
        terminal = out.isatty() if terminal is None else terminal
        self.bar = tqdm(total=total, unit=" articles", file=out, dynamic_ncols=True) if terminal else None

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self.out.write(self.line(now) + "\n")
            self.out.flush()

    def line(self, now: float) -> str:
        """`progress: done/total articles (percent), rate/s, ETA mm:ss` (the ETA once a rate is known)."""
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = f"progress: {self.done}/{self.total} articles"
        if self.total:
            text += f" ({100 * self.done / self.total:.0f}%)"
        text += f", {rate:.1f}/s"
        if rate > 0 and self.total >= self.done:
            text += f", ETA {tqdm.format_interval((self.total - self.done) / rate)}"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
