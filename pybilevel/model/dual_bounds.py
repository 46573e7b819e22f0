"""Proven multiplier bounds for LP followers whose feasible set does not depend on the leader.

When the leader appears only in the follower's cost, ``min_y (c + C^T x) @ y`` over a fixed
polyhedron ``Y``, its optimal value ``z(x)`` is concave in x (a minimum of functions affine
in x), and every optimal dual at x satisfies

* stationarity ``c + C^T x = A_y^T (row multipliers) + (bound multipliers)`` with the signs of
  :mod:`pybilevel.model.kkt_system`, nonnegative multipliers on inequality sides, and
* strong duality: its dual objective ``weights @ multipliers`` equals ``z(x)``, which is at least
  the *value floor* ``min { z(x) : x in the leader's bounding box }`` (below: sharper).

So the largest value a multiplier takes over that polyhedron (one LP in the leader's and the
multipliers' variables) bounds it at every leader decision in the box: a proven big-M. It is
finite exactly when some point of ``Y`` has the multiplier's constraint strictly inactive
(Slater): for any ``y0`` in ``Y``, ``sum_i u_i s_i(y0) = (c + C^T x) @ y0 - z(x)``.

The floor is sharpened into affine minorants of ``z``: ``z`` is concave, so an affine function
at most ``z`` at every vertex of the leader's box is at most ``z`` on the whole box. With at most
:data:`MAX_ENUMERATED` leader variables in the cost, ``z`` is solved at every vertex and the
minorants are the facets of the lower hull through each vertex (one tiny LP each), so the dual
objective row becomes ``weights @ multipliers >= a + g @ x``: a multiplier can no longer take
the value floor's slack at high leader prices. With more, one constant floor: the minimum over
the box, at one end where the sign of ``(C y)_k`` is the same for every y in the variable box
(``z`` is monotone in ``x_k``: offers or tolls on flows that are >= 0), the others enumerated.
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from pybilevel.deadline import check_time
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.intervals import interval
from pybilevel.model.kkt_system import (
    FollowerDual,
    dual_objective_weights,
    lagrangian_gradient,
)
from pybilevel.solvers.highs import ArrayLP

__all__ = ["applies", "dual_polyhedron_bounds", "value_minorants"]

#: leader variables of non-monotone effect on the follower's value enumerated at both bounds
MAX_ENUMERATED = 6
#: relative and absolute safety margins on LP values (HiGHS's tolerances are 1e-7)
MARGIN = 1e-6


def applies(form: FollowerForm) -> bool:
    """Whether the follower is an LP whose rows do not involve the leader (the premise above)."""
    return form.follower_class == FollowerClass.LP and form.A_x.nnz == 0 and not form.leader_nonlinear.any()


def value_minorants(form: FollowerForm) -> list[tuple[np.ndarray, float]] | None:
    """Affine minorants ``(g, a)`` of the follower's optimal value over the leader's box,
    ``z(x) >= a + g @ x`` (module docstring), or None if none is found (an unbounded leader
    variable in the cost, too many non-monotone ones, or a follower LP not solved to optimality)."""
    in_cost = np.flatnonzero(np.diff(form.C.tocsr().indptr))
    lower = np.array([_bound(form.leader_variables[k].lb, -np.inf) for k in in_cost])
    upper = np.array([_bound(form.leader_variables[k].ub, np.inf) for k in in_cost])
    if not (np.isfinite(lower).all() and np.isfinite(upper).all()):
        return None
    least, most = interval(form.C.tocsr()[in_cost], form.var_lower, form.var_upper)
    monotone = (least >= 0) | (most <= 0)
    enumerated = np.arange(len(in_cost)) if len(in_cost) <= MAX_ENUMERATED else np.flatnonzero(~monotone)
    if len(enumerated) > MAX_ENUMERATED:
        return None
    base = np.zeros(len(form.leader_variables))
    base[in_cost] = np.where(least >= 0, lower, upper)  # z grows with x_k where (C y)_k >= 0
    follower = ArrayLP(form.A_y, form.row_lower, form.row_upper, form.var_lower, form.var_upper)  # rows fixed: A_x = 0
    vertices, values = [], []
    for ends in itertools.product((0, 1), repeat=len(enumerated)):
        check_time(f"bounding follower {form.follower.name}'s optimal value over the leader's box")
        x = base.copy()
        x[in_cost[enumerated]] = np.where(np.array(ends, dtype=bool), upper[enumerated], lower[enumerated])
        solution = follower.solve(form.c + form.C.T @ x)
        if solution.status != "optimal":
            return None
        vertices.append(x)
        values.append(solution.objective - MARGIN * (1.0 + abs(solution.objective)))
    if len(enumerated) < len(in_cost):  # a constant floor: the minimum over the box
        return [(np.zeros(len(base)), min(values))]
    return _lower_hull_facets(np.array(vertices)[:, in_cost], np.array(values), in_cost, len(base))


def _lower_hull_facets(
    vertices: np.ndarray, values: np.ndarray, columns: np.ndarray, n_x: int
) -> list[tuple[np.ndarray, float]]:
    """For each vertex v, an affine ``a + g @ x`` at most ``values`` at every vertex and equal
    to it at v (a facet of the lower hull through v: max a + g @ v subject to the others)."""
    facets: dict[tuple, tuple[np.ndarray, float]] = {}
    rows = np.hstack([np.ones((len(vertices), 1)), vertices])  # (a, g) @ (1, v) <= value
    for v in vertices:
        lp = linprog(-np.append(1.0, v), A_ub=rows, b_ub=values, bounds=[(None, None)] * rows.shape[1], method="highs")
        if lp.status != 0:
            continue
        g = np.zeros(n_x)
        g[columns] = lp.x[1:]
        facets.setdefault(tuple(np.round(lp.x, 9)), (g, float(lp.x[0])))
    return list(facets.values())


def dual_polyhedron_bounds(dual: FollowerDual, minorants: list[tuple[np.ndarray, float]], keys: list[int]) -> dict[int, float]:
    """The largest value of the multiplier of each pair ``dual.pairs[k]`` (k in ``keys``) over the
    optimal duals of every leader decision in the box (module docstring); pairs whose LP is
    unbounded (their constraint is active on all of ``Y``) or not solved are left out."""
    form = dual.form
    gradient, multipliers = lagrangian_gradient(form, dual)
    weights = dual_objective_weights(dual)[1]
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
    value_rows = sp.csr_matrix(np.array([np.concatenate([-g, weights]) for g, _ in minorants]))
    lp = ArrayLP(
        sp.vstack([stationarity, value_rows]),
        np.concatenate([-form.c, [a for _, a in minorants]]), np.concatenate([-form.c, np.full(len(minorants), np.inf)]),
        lower, upper,
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
