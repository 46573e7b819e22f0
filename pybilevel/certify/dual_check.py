"""The certificate's check of ``bl.dual`` placeholders: is the value the leader used a dual of
the follower at the leader's decision?

The follower is re-solved from its arrays by HiGHS at the leader's decision; its dual of the
row (in the convention of :mod:`pybilevel.model.duals`) is compared with the placeholder. When
they differ, the follower may be degenerate (several optimal duals): the value is then accepted
if it is *a* valid dual, i.e. some multipliers with that value satisfy the follower's KKT
conditions at the re-solved optimum (stationarity, signs, and zero multipliers on inactive rows
and bounds), a feasibility LP solved by HiGHS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from pybilevel.model.bounds import FollowerAtLeader
from pybilevel.solvers.highs import ArrayLP

if TYPE_CHECKING:
    from pybilevel.model.dual_reference import DualReference
    from pybilevel.model.follower_form import FollowerForm

__all__ = ["DualCheck", "check_dual_references"]

#: a row or bound is active when its slack is at most this, relative to max(1, |bound|)
ACTIVE_TOL = 1e-6


@dataclass
class DualCheck:
    """One placeholder against the follower's duals at the leader's decision."""

    constraint: str
    reported: float  # the placeholder's value
    resolved: float | None  # HiGHS's dual of the follower re-solved at the leader's decision
    difference: float | None  # |reported - resolved|
    valid: bool  # equal to the re-solved dual, or a valid dual of a degenerate follower
    message: str


def check_dual_references(form: FollowerForm, references: list[DualReference], tol: float) -> list[DualCheck]:
    """Check every placeholder of ``form`` at the current values of its leader variables."""
    mine = [ref for ref in references if ref.form is form]
    if not mine:
        return []
    x = np.array([_num(v.value) for v in form.leader_variables])
    solution = FollowerAtLeader(form).solve(x)
    checks = []
    for ref in mine:
        reported = _num(ref.placeholder.value)
        name = ref.constraint.name
        if solution.status != "optimal":
            checks.append(DualCheck(name, reported, None, None, False,
                                    f"{ref.name}: the follower re-solved at the leader's decision ended '{solution.status}'"))
            continue
        resolved = float(form.sense * solution.row_dual[ref.row])
        difference = abs(reported - resolved)
        equal = difference <= tol * max(1.0, abs(resolved))
        valid = equal or _is_a_dual(form, x, solution.x, {ref.row: form.sense * reported}, tol)
        if equal:
            message = f"{ref.name} = {reported:.8g} is the follower's dual at the leader's decision"
        elif valid:
            message = (f"{ref.name} = {reported:.8g} differs from HiGHS's dual {resolved:.8g} but is a valid dual "
                       "(the follower's duals are not unique here)")
        else:
            message = (f"{ref.name} = {reported:.8g} is NOT a dual of the follower at the leader's decision: "
                       f"HiGHS's dual is {resolved:.8g} (difference {difference:.3g}) and no KKT multipliers take that value")
        checks.append(DualCheck(name, reported, resolved, difference, valid, message))
    return checks


def _is_a_dual(form: FollowerForm, x: np.ndarray, y: np.ndarray, fixed: dict[int, float], tol: float) -> bool:
    """Whether multipliers (u for rows, r for bounds, minimisation form) with ``u[row] = value`` for
    ``fixed`` satisfy ``A_y^T u + r = c + C^T x + Q y`` with the signs complementarity allows at y."""
    activity = form.A_y @ y + form.A_x @ x
    row_lo, row_hi = _sign_ranges(activity, form.row_lower, form.row_upper)
    col_lo, col_hi = _sign_ranges(y, form.var_lower, form.var_upper)
    for row, value in fixed.items():
        width = tol * max(1.0, abs(value))
        row_lo[row], row_hi[row] = max(row_lo[row], value - width), min(row_hi[row], value + width)
        if row_lo[row] > row_hi[row]:
            return False
    gradient = form.c + form.C.T @ x + form.Q @ y
    matrix = sp.hstack([form.A_y.T, sp.identity(form.n_variables)], format="csr")
    lp = ArrayLP(matrix, gradient, gradient, np.concatenate([row_lo, col_lo]), np.concatenate([row_hi, col_hi]))
    return lp.solve(np.zeros(matrix.shape[1])).status == "optimal"


def _sign_ranges(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Range of each net multiplier: >= 0 allowed when the lower side is active, <= 0 when the upper is."""
    at_lower = np.isfinite(lower) & (value - lower <= ACTIVE_TOL * np.maximum(1.0, np.abs(np.nan_to_num(lower))))
    at_upper = np.isfinite(upper) & (upper - value <= ACTIVE_TOL * np.maximum(1.0, np.abs(np.nan_to_num(upper))))
    return np.where(at_upper, -np.inf, 0.0), np.where(at_lower, np.inf, 0.0)


def _num(value) -> float:
    return 0.0 if value is None else float(value)
