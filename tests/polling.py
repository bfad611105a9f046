"""Waiting in tests for what another thread or process does."""
from __future__ import annotations

import time


def wait_for(predicate, seconds: float = 30.0, every: float = 0.05) -> bool:
    """Whether `predicate()` became true within `seconds`, looking every `every` seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()
