"""Proven multiplier bounds for LP followers whose feasible set does not depend on the leader.

When the leader appears only in the follower's cost, ``min_y (c + C^T x) @ y`` over a fixed
polyhedron ``Y``, its optimal value ``z(x)`` is concave in x (a minimum of functions affine
in x), and every optimal dual at x satisfies

* stationarity ``c + C^T x = A_y^T (row multipliers) + (bound multipliers)`` with the signs of
  :mod:`pybilevel.model.kkt_system`, nonnegative multipliers on inequality sides, and
* strong duality: its dual objective ``weights @ multipliers`` equals ``z(x)``, which is at least
  the *value floor* ``min { z(x) : x in the leader's bounding box }``.

So the largest value a multiplier takes over that polyhedron (one LP in the leader's and the
multipliers' variables) bounds it at every leader decision in the box: a proven big-M. It is
finite exactly when some point of ``Y`` has the multiplier's constraint strictly inactive
(Slater): for any ``y0`` in ``Y``, ``sum_i u_i s_i(y0) = (c + C^T x) @ y0 - z(x)``.

The floor: ``z`` is concave, so its minimum over a box is at a vertex. Where the sign of
``(C y)_k`` is the same for every y in the variable box, ``z`` is monotone in ``x_k`` and one end
suffices (offers or tolls on flows that are >= 0: one LP); the other leader variables in ``C``
(at most :data:`MAX_ENUMERATED`) are enumerated at both ends.
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from pybilevel.deadline import check_time
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.intervals import interval
from pybilevel.model.kkt_system import FollowerDual, lagrangian_gradient
from pybilevel.solvers.highs import ArrayLP

__all__ = ["applies", "dual_polyhedron_bounds", "value_floor"]

#: leader variables of non-monotone effect on the follower's value enumerated at both bounds
MAX_ENUMERATED = 6
#: relative and absolute safety margins on LP values (HiGHS's tolerances are 1e-7)
MARGIN = 1e-6


def applies(form: FollowerForm) -> bool:
    """Whether the follower is an LP whose rows do not involve the leader (the premise above)."""
    return (
        form.Q.nnz == 0 and not form.integer.any() and not form.is_nonlinear
        and form.A_x.nnz == 0 and not form.leader_nonlinear.any()
    )


def value_floor(form: FollowerForm) -> float | None:
    """A lower bound on the follower's optimal value over the leader's box, or None if none is
    found (an unbounded leader variable in the cost, too many non-monotone ones, or a follower LP
    that is not solved to optimality at a vertex)."""
    in_cost = np.flatnonzero(np.diff(form.C.tocsr().indptr))
    lower = np.array([_bound(form.leader_variables[k].lb, -np.inf) for k in in_cost])
    upper = np.array([_bound(form.leader_variables[k].ub, np.inf) for k in in_cost])
    if not (np.isfinite(lower).all() and np.isfinite(upper).all()):
        return None
    effect = form.C.tocsr()[in_cost]
    least, most = interval(effect, form.var_lower, form.var_upper)
    free = np.flatnonzero(~((least >= 0) | (most <= 0)))
    if len(free) > MAX_ENUMERATED:
        return None
    base = np.zeros(len(form.leader_variables))
    base[in_cost] = np.where(least >= 0, lower, upper)  # z grows with x_k where (C y)_k >= 0
    follower = ArrayLP(form.A_y, form.row_lower, form.row_upper, form.var_lower, form.var_upper)  # rows fixed: A_x = 0
    values = []
    for ends in itertools.product((0, 1), repeat=len(free)):
        check_time(f"bounding follower {form.follower.name}'s optimal value over the leader's box")
        x = base.copy()
        x[in_cost[free]] = np.where(np.array(ends, dtype=bool), upper[free], lower[free])
        solution = follower.solve(form.c + form.C.T @ x)
        if solution.status != "optimal":
            return None
        values.append(solution.objective)
    floor = min(values)
    return floor - MARGIN * (1.0 + abs(floor))


def dual_polyhedron_bounds(dual: FollowerDual, floor: float, keys: list[int]) -> dict[int, float]:
    """The largest value of the multiplier of each pair ``dual.pairs[k]`` (k in ``keys``) over the
    optimal duals of every leader decision in the box (module docstring); pairs whose LP is
    unbounded (their constraint is active on all of ``Y``) or not solved are left out."""
    form = dual.form
    gradient, multipliers, weights = lagrangian_gradient(form, dual)
    n_y, n_x = form.n_variables, len(form.leader_variables)
    stationarity = gradient[:, n_y:]  # Q is empty: no follower columns left
    column = {id(m): n_x + j for j, m in enumerate(multipliers)}
    lower = np.concatenate([
        [_bound(v.lb, -np.inf) for v in form.leader_variables],
        [m.value if m.fixed else 0.0 if m.lb == 0 else -np.inf for m in multipliers],
    ])
    upper = np.concatenate([
        [_bound(v.ub, np.inf) for v in form.leader_variables], [m.value if m.fixed else np.inf for m in multipliers],
    ])
    objective_row = sp.csr_matrix(np.concatenate([np.zeros(n_x), weights])[None, :])
    lp = ArrayLP(
        sp.vstack([stationarity, objective_row]),
        np.concatenate([-form.c, [floor]]), np.concatenate([-form.c, [np.inf]]), lower, upper,
    ).for_objective_runs()
    bounds: dict[int, float] = {}
    for done, k in enumerate(keys):
        check_time(f"bounding follower {form.follower.name}'s multipliers over its dual polyhedron "
                   f"({done} of {len(keys)} LPs)")
        cost = np.zeros(n_x + len(multipliers))
        cost[column[id(dual.pairs[k].multiplier)]] = 1.0
        solution = lp.solve(cost, maximize=True)
        if solution.status == "optimal":
            bounds[k] = max(solution.objective, 0.0) * (1.0 + MARGIN) + MARGIN
    return bounds


def _bound(value, default: float) -> float:
    return default if value is None else float(value)
