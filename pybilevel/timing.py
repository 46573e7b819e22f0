"""Time: the budget of a whole solve call, and the phase timings every stage records the same way."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["TimeBudget", "timed"]


class TimeBudget:
    """The seconds a call may still use, counted from its creation (``None``: no limit)."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self, floor: float = 0.0) -> float | None:
        """Seconds left (at least ``floor``), or None without a limit."""
        return None if self.limit is None else max(floor, self.limit - self.elapsed())


@contextmanager
def timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    """Add the seconds spent in the ``with`` block to ``timings[phase]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start
