"""The 0/1 knapsack by dynamic programming over the capacity (numpy, exact), for followers whose
packing part is one row with integer weights and binary variables."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["BinaryKnapsack"]

_MAX_CELLS = 20_000_000  # items x (capacity + 1) above which the DP is not used


class BinaryKnapsack:
    """max p @ y  s.t.  w @ y <= C, y binary (w, C nonnegative integers)."""

    def __init__(self, weight: np.ndarray, capacity: int) -> None:
        self.weight, self.capacity = weight, capacity

    @classmethod
    def of(cls, rows: sp.csr_matrix, upper: np.ndarray, var_lower: np.ndarray, var_upper: np.ndarray,
           integer: np.ndarray) -> BinaryKnapsack | None:
        """The knapsack of packing rows ``rows @ y <= upper`` over ``var_lower <= y <= var_upper``,
        or None when they are not one row with integer data over binary variables (or too large)."""
        if rows.shape[0] != 1 or not np.all(integer) or np.any(var_lower != 0) or np.any(var_upper != 1):
            return None
        weight, capacity = rows.toarray()[0], float(upper[0])
        if not np.isfinite(capacity) or np.any(weight != np.round(weight)) or capacity != np.round(capacity) \
                or capacity < 0 or len(weight) * (capacity + 1) > _MAX_CELLS:
            return None
        return cls(weight.astype(np.int64), int(capacity))

    def solve(self, profit: np.ndarray) -> np.ndarray:
        """A best binary y for ``profit`` (items of profit <= 0 left out)."""
        best = np.zeros(self.capacity + 1)  # best[r]: the most profit within weight r
        taken = []
        items = [i for i in range(len(profit)) if profit[i] > 0 and self.weight[i] <= self.capacity]
        for i in items:
            w = self.weight[i]
            with_i = np.full(self.capacity + 1, -np.inf)
            with_i[w:] = best[: self.capacity + 1 - w] + profit[i]
            take = with_i > best
            taken.append(take)
            best = np.where(take, with_i, best)
        y, room = np.zeros(len(profit)), self.capacity
        for i, take in zip(reversed(items), reversed(taken)):
            if take[room]:
                y[i] = 1.0
                room -= self.weight[i]
        return y
