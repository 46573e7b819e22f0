"""Improving steps: a follower optimum admits no feasible improving step (for ``value_function``).

A *step* d moves the follower's variables (integer on its integer variables); it is *improving*
when ``c @ d < 0``. At a follower optimum y no improving step is feasible: y + d breaks a
variable bound or a follower row. Every bilevel-feasible point satisfies this disjunction, for
every improving d, so the value-function master may require it: a binary per alternative with
big-M values from the variable box and the row limits (one alternative is written as a plain
row). Where a row's coefficients and columns are all integer, "breaks the row" is sharpened to
"by at least one unit"; elsewhere it is relaxed to "breaks it or is tight" (a weaker, still
valid condition).

These are the disjunctions behind MibS's improving-direction intersection cuts (Tahernejad,
Ralphs & DeNegre, Math. Prog. Comp. 12, 2020): written here with binaries, so the master's
branch-and-bound enforces them exactly.

* **Unit steps** (one integer variable, one unit in its improving direction), written once
  before the first master solve (:meth:`FollowerSteps.unit_step_rows`): the master's follower
  answer is then locally optimal for the follower.
* **Learnt steps** (:meth:`FollowerSteps.step_rows`): for a master point (x, y) whose follower
  optimum at x is y*, the step d = y* - y is improving and feasible from y; its condition cuts
  the point off and, unlike a response cut, holds at every x and every y.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from pybilevel.model.intervals import interval

if TYPE_CHECKING:
    from pybilevel.model.follower_form import FollowerForm

__all__ = ["StepRows", "FollowerSteps", "integral_rows"]

_TOL = 1e-9
#: an alternative: (row vector over the relaxation's columns, sense, rhs, extreme): row @ z >= rhs
#: (sense +1) or <= rhs (-1); extreme is the row's proven minimum (+1) or maximum (-1) of row @ z
Alternative = tuple[sp.csr_matrix, int, float, float]


def integral_rows(rows: sp.csr_matrix) -> np.ndarray:
    """Rows whose coefficients are all integer (a row activity then moves in whole units)."""
    off = np.abs(rows.data - np.round(rows.data)) > _TOL
    return np.bincount(np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr)), weights=off,
                       minlength=rows.shape[0]) == 0


@dataclass(frozen=True)
class StepRows:
    """``lower <= A @ (z, b) <= upper`` over the relaxation's columns z and ``binaries`` new binaries b."""

    A: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    binaries: int


class FollowerSteps:
    """The follower's rows over the relaxation's columns, and the conditions of its steps."""

    def __init__(self, rows: sp.csr_matrix, row_lower: np.ndarray, row_upper: np.ndarray,
                 integer: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        """``rows``: the follower's rows over the relaxation's columns (both levels' coefficients);
        ``integer``, ``lower``, ``upper``: every column's integrality and bounds."""
        self.rows = rows.tocsr()
        self.row_lower, self.row_upper = row_lower, row_upper
        self.integer, self.lower, self.upper = integer, lower, upper
        low, high = interval(self.rows, lower, upper)
        # the activity's range at every follower-feasible point
        self.low, self.high = np.maximum(low, row_lower), np.minimum(high, row_upper)
        self.whole = integral_rows(self.rows) & _integer_rows(self.rows, integer)

    @classmethod
    def of_follower(cls, form: FollowerForm, y_cols: np.ndarray, x_cols: np.ndarray, integer: np.ndarray,
                    lower: np.ndarray, upper: np.ndarray) -> FollowerSteps:
        """The follower's rows [A_x A_y] placed in the relaxation's columns: ``y_cols`` / ``x_cols``
        are where ``form.variables`` / ``form.leader_variables`` sit, ``integer``, ``lower``,
        ``upper`` every column's integrality and bounds."""
        return cls(form.placed_rows(y_cols, x_cols, len(lower)), form.row_lower, form.row_upper,
                   np.asarray(integer, dtype=bool), lower, upper)

    def unit_step_rows(self, cost: np.ndarray, step_cols: np.ndarray) -> StepRows:
        """The unit-step conditions of every column in ``step_cols`` (the follower's integer
        variables) with a nonzero (minimised) follower ``cost``."""
        conditions = []
        for col, c in zip(step_cols, cost):
            if c != 0 and self.lower[col] < self.upper[col]:
                conditions.append(self.alternatives(np.array([col]), np.array([-np.sign(c)])))
        return _step_rows([found for found in conditions if found], self.rows.shape[1])

    def step_rows(self, cols: np.ndarray, step: np.ndarray) -> StepRows:
        """The condition of one improving step (``step`` on columns ``cols``): none (zero rows)
        when it always holds or cannot be bounded."""
        found = self.alternatives(cols, step)
        return _step_rows([found] if found else [], self.rows.shape[1])

    def alternatives(self, cols: np.ndarray, step: np.ndarray) -> list[Alternative] | None:
        """The ways the step (``step`` on columns ``cols``) is infeasible. None when one of them
        always holds or one cannot be bounded; [] when none can hold (the step is always
        feasible: the follower is unbounded along it, no condition)."""
        n = self.rows.shape[1]
        found: list[Alternative] = []
        for col, s in zip(cols, step):  # the variable's own bound: y + s > u or y + s < l
            whole = self.integer[col]
            if s > 0 and np.isfinite(self.upper[col]):
                rhs = self.upper[col] - s + (1.0 if whole else 0.0)
                if rhs <= self.lower[col]:
                    return None
                found.append((_unit(col, n), 1, rhs, self.lower[col]))
            elif s < 0 and np.isfinite(self.lower[col]):
                rhs = self.lower[col] - s - (1.0 if whole else 0.0)
                if rhs >= self.upper[col]:
                    return None
                found.append((_unit(col, n), -1, rhs, self.upper[col]))
        delta = self.rows[:, cols] @ step
        for i in np.flatnonzero(np.abs(delta) > _TOL):
            if delta[i] > 0 and np.isfinite(self.row_upper[i]):  # breaks the upper limit: activity > U - delta
                rhs = np.floor(self.row_upper[i] - delta[i] + _TOL) + 1.0 if self.whole[i] else self.row_upper[i] - delta[i]
                sense, extreme = 1, self.low[i]
                if extreme >= rhs:
                    return None
                reachable = self.high[i] >= rhs
            elif delta[i] < 0 and np.isfinite(self.row_lower[i]):  # breaks the lower limit: activity < L - delta
                rhs = np.ceil(self.row_lower[i] - delta[i] - _TOL) - 1.0 if self.whole[i] else self.row_lower[i] - delta[i]
                sense, extreme = -1, self.high[i]
                if extreme <= rhs:
                    return None
                reachable = self.low[i] <= rhs
            else:
                continue
            if reachable:
                if not np.isfinite(extreme):
                    return None
                found.append((self.rows[i], sense, rhs, extreme))
        return found


def _unit(col: int, n: int) -> sp.csr_matrix:
    return sp.csr_matrix(([1.0], ([0], [col])), shape=(1, n))


def _step_rows(conditions: list[list[Alternative]], n: int) -> StepRows:
    """Rows for ``conditions`` (each: at least one alternative holds) over n columns and new binaries."""
    pieces, lows, ups, binaries = [], [], [], 0
    for alternatives in conditions:
        if len(alternatives) == 1:
            vec, sense, rhs, _ = alternatives[0]
            pieces.append((vec, None, 0.0))
            lows.append(rhs if sense > 0 else -np.inf)
            ups.append(np.inf if sense > 0 else rhs)
            continue
        first = binaries
        for vec, sense, rhs, extreme in alternatives:  # z = 1 => the alternative holds
            pieces.append((vec, binaries, -(rhs - extreme) if sense > 0 else extreme - rhs))
            lows.append(extreme if sense > 0 else -np.inf)
            ups.append(np.inf if sense > 0 else extreme)
            binaries += 1
        pieces.append((None, (first, binaries), 1.0))  # at least one alternative
        lows.append(1.0)
        ups.append(np.inf)
    matrix = sp.lil_matrix((len(pieces), n + binaries))
    for r, (vec, z, coef) in enumerate(pieces):
        if vec is not None:
            matrix[r, vec.indices] = vec.data
        if isinstance(z, tuple):
            matrix[r, n + z[0]: n + z[1]] = coef
        elif z is not None:
            matrix[r, n + z] = coef
    return StepRows(matrix.tocsr(), np.array(lows), np.array(ups), binaries)


def _integer_rows(rows: sp.csr_matrix, integer: np.ndarray) -> np.ndarray:
    """Rows whose every column is integer."""
    fractional = rows.multiply(~integer[None, :]).tocsr()
    fractional.eliminate_zeros()
    return np.diff(fractional.indptr) == 0
