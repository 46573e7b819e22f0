"""Unit-step conditions: a follower optimum admits no improving unit step (for ``value_function``).

At a follower optimum no integer follower variable with a nonzero cost can take one unit step
in its improving direction with the other variables kept: the step must hit the variable's
bound or break a follower row. Every bilevel-feasible point satisfies this disjunction, so the
value-function master may require it: a binary per alternative with big-M values from the
variable box and the row limits (one alternative is written as a plain row). The master's
follower answer is then *locally maximal* for the follower's objective, where the high-point
relaxation lets the leader leave follower-profitable room unused.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from pybilevel.model.intervals import interval

__all__ = ["StepRows", "integral_rows", "unit_step_rows"]

_TOL = 1e-9


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


def unit_step_rows(
    rows: sp.csr_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    cost: np.ndarray,
    step_cols: np.ndarray,
    integer: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> StepRows:
    """The unit-step conditions of the module docstring. ``rows``: the follower's rows over the
    relaxation's columns (both levels' coefficients); ``cost``: the follower's (minimised) cost of
    each column in ``step_cols`` (its integer variables); ``integer``, ``lower``, ``upper``: every
    column's integrality and bounds."""
    n = rows.shape[1]
    low, high = interval(rows, lower, upper)
    low, high = np.maximum(low, row_lower), np.minimum(high, row_upper)  # at every follower-feasible point
    whole = integral_rows(rows) & _integer_rows(rows, integer)
    csc = rows.tocsc()
    conditions = []
    for col, c in zip(step_cols, cost):
        if c != 0 and lower[col] < upper[col]:
            found = _step_alternatives(col, -np.sign(c), rows, csc, row_lower, row_upper, low, high, whole, lower, upper)
            if found:
                conditions.append(found)
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


def _step_alternatives(col: int, step: float, rows: sp.csr_matrix, csc: sp.csc_matrix, row_lower: np.ndarray,
                       row_upper: np.ndarray, low: np.ndarray, high: np.ndarray, whole: np.ndarray,
                       lower: np.ndarray, upper: np.ndarray) -> list | None:
    """The ways a unit step of column ``col`` in direction ``step`` is infeasible, as (row vector,
    sense, rhs, extreme): row @ z >= rhs (sense +1) or <= rhs (-1), with the row's proven minimum
    (+1) or maximum (-1). None when one of them always holds or one cannot be bounded; [] when
    none can hold (the step is always feasible, the follower unbounded: no condition)."""
    found = []
    limit = upper[col] if step > 0 else lower[col]
    if np.isfinite(limit):  # the variable's own bound: y >= u (step up) or y <= l (step down)
        unit = sp.csr_matrix(([1.0], ([0], [col])), shape=(1, rows.shape[1]))
        found.append((unit, 1, limit, lower[col]) if step > 0 else (unit, -1, limit, upper[col]))
    for k in range(csc.indptr[col], csc.indptr[col + 1]):
        i, delta = csc.indices[k], step * csc.data[k]
        if delta > 0 and np.isfinite(row_upper[i]):  # the step breaks the upper limit: activity > U - delta
            rhs, sense, extreme = (np.floor(row_upper[i] - delta + _TOL) + 1.0 if whole[i] else row_upper[i] - delta), 1, low[i]
            if low[i] >= rhs:
                return None
            reachable = high[i] >= rhs
        elif delta < 0 and np.isfinite(row_lower[i]):  # breaks the lower limit: activity < L - delta
            rhs, sense, extreme = (np.ceil(row_lower[i] - delta - _TOL) - 1.0 if whole[i] else row_lower[i] - delta), -1, high[i]
            if high[i] <= rhs:
                return None
            reachable = low[i] <= rhs
        else:
            continue
        if reachable:
            if not np.isfinite(extreme):
                return None
            found.append((rows[i], sense, rhs, extreme))
    return found


def _integer_rows(rows: sp.csr_matrix, integer: np.ndarray) -> np.ndarray:
    """Rows whose every column is integer."""
    fractional = rows.multiply(~integer[None, :]).tocsr()
    fractional.eliminate_zeros()
    return np.diff(fractional.indptr) == 0
