"""The one sign convention of follower multipliers reported by pybilevel.

A follower dual is the sensitivity of the follower's optimal objective, *in the sense the user
wrote it*, to the right-hand side of the constraint: ``d(objective*) / d(rhs)``. Hence

==================  ======================  ======================
constraint          minimising follower     maximising follower
==================  ======================  ======================
``g(y) >= b``       dual >= 0               dual <= 0
``g(y) <= b``       dual <= 0               dual >= 0
``g(y) == b``       free                    free
==================  ======================  ======================

The right-hand side is the bound of the constraint *as Pyomo stores it* (``con.lower <= con.body
<= con.upper``): Pyomo stores ``y >= x`` (variables on both sides) as ``x - y <= 0``, so write
``y - x >= 0`` when the sign of a ``>=`` dual matters. This is the convention of Pyomo's ``dual``
Suffix as HiGHS fills it, so a follower solved alone
(leader fixed) gives the same numbers. Bound multipliers (reduced costs) follow the same rule
with the variable bound as right-hand side.
"""
from __future__ import annotations

import numpy as np

from pybilevel.model.bounds import FollowerAtLeader
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.model.redundancy import pin_redundant

__all__ = ["follower_duals", "follower_duals_at", "follower_reduced_costs"]


def follower_duals(dual: FollowerDual) -> dict[str, float]:
    """Constraint name -> dual in the convention above."""
    values = dual.form.sense * dual.row_values()
    return {con.name: float(v) for con, v in zip(dual.form.constraints, values)}


def follower_reduced_costs(dual: FollowerDual) -> dict[str, float]:
    """Variable name -> bound multiplier in the convention above (0 for a variable off its bounds)."""
    values = dual.form.sense * dual.column_values()
    return {var.name: float(v) for var, v in zip(dual.form.variables, values)}


def follower_duals_at(form: FollowerForm, x: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Duals and bound multipliers, in the convention above, of the LP / convex-QP follower
    re-solved from its arrays at the leader decision ``x`` (HiGHS's duals of the minimisation form),
    redundant equality rows at 0 as in the KKT systems (model/redundancy.py)."""
    solution = FollowerAtLeader(form).solve(x)
    row_dual = pin_redundant(solution.row_dual, form.redundancy)
    rows = {con.name: float(form.sense * v) for con, v in zip(form.constraints, row_dual)}
    columns = {var.name: float(form.sense * v) for var, v in zip(form.variables, solution.col_dual)}
    return rows, columns
