"""Progress of an iterative method: one log line per iteration, kept as its history.

The history (seconds since the method started, proven bound, incumbent, both in the user's sense
of the leader's objective) is what ``BilevelResult.history`` reports and the convergence plot draws.
"""
from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["IterationRecord", "Progress"]


@dataclass(frozen=True)
class IterationRecord:
    """One iteration: when it ended and the bounds then (None where there is none yet)."""

    iteration: int
    seconds: float
    bound: float | None
    incumbent: float | None


@dataclass
class Progress:
    """Log and keep one record per iteration of ``method``.

    ``to_user`` turns the method's internal values (often minimised, without the objective's
    constant) into the leader objective as the user wrote it.
    """

    method: str
    to_user: Callable[[float], float] = float
    history: list[IterationRecord] = field(default_factory=list)
    start: float = field(default_factory=time.perf_counter)

    def record(self, iteration: int, bound: float | None, incumbent: float | None) -> None:
        """Keep this iteration's bound and incumbent and log them on the ``pybilevel.progress`` logger."""
        user_bound, user_incumbent = (None if v is None or not math.isfinite(v) else float(self.to_user(v))
                                      for v in (bound, incumbent))
        seconds = time.perf_counter() - self.start
        self.history.append(IterationRecord(iteration, seconds, user_bound, user_incumbent))
        logging.getLogger("pybilevel.progress").info(
            "%s iteration %d (%.2f s): bound %s, incumbent %s", self.method, iteration, seconds,
            "none" if user_bound is None else f"{user_bound:.10g}",
            "none" if user_incumbent is None else f"{user_incumbent:.10g}",
        )
