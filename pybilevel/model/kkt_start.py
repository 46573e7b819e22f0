"""A starting point for a KKT-based single-level MILP: the follower solved at a leader decision.

A big-M MILP of the follower's KKT conditions is hard for a MILP solver's own heuristics to
make feasible (complementarity couples hundreds of binaries). One point is easy to give it:
fix the leader at a decision in its box, solve the follower LP there, and take the follower's
solution, its optimal multipliers and the binaries complementarity implies. That point is
bilevel feasible whenever the leader's own constraints hold at it; the solver checks it and
drops it otherwise, so the start costs one LP and can never be wrong.
"""
from __future__ import annotations

import numpy as np
from pyomo.common.collections import ComponentMap

from pybilevel.model.bounds import FollowerAtLeader
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.model.redundancy import pin_redundant
from pybilevel.solvers.highs import ArraySolution

__all__ = ["follower_kkt_points", "leader_candidates"]


def leader_candidates(variables: list) -> list[np.ndarray]:
    """Leader decisions to start from, the same rule per variable for every follower: first each
    variable's current value clipped to its bounds (else its lower bound, else its upper bound,
    else 0: the user's initial values come first where given), then its upper and its middle
    (where bounds are finite, else the first value; rounded down for an integer variable)."""
    first, high, middle = [], [], []
    for var in variables:
        lower = -np.inf if var.lb is None else float(var.lb)
        upper = np.inf if var.ub is None else float(var.ub)
        default = lower if np.isfinite(lower) else upper if np.isfinite(upper) else 0.0
        value = float(np.clip(var.value, lower, upper)) if var.value is not None else default
        first.append(value)
        high.append(upper if np.isfinite(upper) else value)
        centre = 0.5 * (lower + upper) if np.isfinite(lower) and np.isfinite(upper) else value
        middle.append(float(np.floor(centre)) if var.is_integer() else centre)
    return [np.array(first), np.array(high), np.array(middle)]


def follower_kkt_points(dual: FollowerDual, candidates: list[np.ndarray]) -> list[ComponentMap | None]:
    """For each leader decision ``x``: its values, the follower's optimal solution at ``x`` and
    its multipliers in :mod:`pybilevel.model.kkt_system`'s convention; None unless the follower
    is an LP solved to optimality there. One HiGHS model, re-solved from decision to decision."""
    form = dual.form
    if form.follower_class != FollowerClass.LP:
        return [None] * len(candidates)
    follower = FollowerAtLeader(form)
    return [_kkt_point(dual, x, follower.solve(x)) for x in candidates]


def _kkt_point(dual: FollowerDual, x: np.ndarray, solution: ArraySolution) -> ComponentMap | None:
    form = dual.form
    if solution.status != "optimal":
        return None
    point = ComponentMap(zip(form.leader_variables, x.tolist()))
    point.update(zip(form.variables, solution.x.tolist()))
    row_net = pin_redundant(solution.row_dual, form.redundancy)
    for terms, net in ((dual.row_multipliers, row_net), (dual.column_multipliers, solution.col_dual)):
        for i, multipliers in enumerate(terms):
            for var, sign in multipliers:
                if not var.fixed:
                    point[var] = float(net[i]) if var.lb is None else max(sign * float(net[i]), 0.0)
    return point
