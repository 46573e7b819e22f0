"""The improving incumbents HiGHS meets during a MILP solve, gathered by its callback."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import highspy
import numpy as np

__all__ = ["improving_incumbents"]


@contextmanager
def improving_incumbents(highs: highspy.Highs, n_cols: int) -> Iterator[list[np.ndarray]]:
    """A list that every solve inside the block fills with the first ``n_cols`` values of each
    improving incumbent (HiGHS's ``cbMipImprovingSolution``); the caller clears it between solves."""
    found: list[np.ndarray] = []
    highs.cbMipImprovingSolution.subscribe(
        lambda event: found.append(np.array(event.data_out.mip_solution[:n_cols], dtype=float)))
    try:
        yield found
    finally:
        highs.cbMipImprovingSolution.clear()
