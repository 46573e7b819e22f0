"""Time: the budget of a whole solve call, and the phase timings every stage records the same way."""
from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pybilevel.errors import MethodRefusedError

__all__ = ["TimeBudget", "timed"]


class TimeBudget:
    """The seconds a call may still use, counted from its creation (``None``: no limit)."""

    def __init__(self, limit: float | None = None) -> None:
        if limit is not None and not (isinstance(limit, (int, float)) and math.isfinite(limit) and limit >= 0):
            raise MethodRefusedError(
                f"time_limit must be a finite number of seconds >= 0, or None for no limit; got {limit!r}."
            )
        self.limit = limit
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self, floor: float = 0.0) -> float | None:
        """Seconds left (at least ``floor``), or None without a limit."""
        return None if self.limit is None else max(floor, self.limit - self.elapsed())

    def slice(self, cap: float) -> float:
        """Seconds for one step that may take at most ``cap``: the cap, or what is left if less."""
        left = self.remaining()
        return cap if left is None else min(cap, left)

    def share(self, fraction: float) -> TimeBudget:
        """A budget of ``fraction`` of what is left, from now (no limit if this one has none)."""
        left = self.remaining()
        return TimeBudget(None if left is None else fraction * left)

    @property
    def spent(self) -> bool:
        """Whether a limit was given and no time is left."""
        return self.limit is not None and self.elapsed() >= self.limit


@contextmanager
def timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    """Add the seconds spent in the ``with`` block to ``timings[phase]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start
