"""Min-max games: the leader's objective as the negative of the follower's, up to a positive scale."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyomo.repn.standard_repn import generate_standard_repn

if TYPE_CHECKING:
    from pybilevel.model.follower_form import FollowerForm
    from pybilevel.model.structure import BilevelStructure

__all__ = ["opposite_objectives"]


def opposite_objectives(structure: BilevelStructure, form: FollowerForm, refuse) -> tuple[float, object]:
    """The scale by which the leader's follower-variable terms are the negative of the follower's
    objective, and the leader's terms in its own variables only."""
    leader = structure.leader_objective
    sign = 1 if leader.is_minimizing() else -1
    repn = generate_standard_repn(leader.expr, quadratic=True, compute_values=True)
    y_col = {id(v): j for j, v in enumerate(form.variables)}
    x_row = {id(v): i for i, v in enumerate(form.leader_variables)}
    if repn.nonlinear_expr is not None and any(id(v) in y_col for v in repn.nonlinear_vars):
        raise refuse(f"the leader's objective {leader.name} is nonlinear in follower variables")
    leader_terms: dict[tuple[int, int], float] = {}  # (leader row or -1 for linear, follower column) -> coef
    only = [repn.constant]
    for var, coef in zip(repn.linear_vars, repn.linear_coefs):
        if id(var) in y_col:
            key = (-1, y_col[id(var)])
            leader_terms[key] = leader_terms.get(key, 0.0) + sign * coef
        else:
            only.append(coef * var)
    for (v1, v2), coef in zip(repn.quadratic_vars, repn.quadratic_coefs):
        in_y = [id(v) in y_col for v in (v1, v2)]
        if all(in_y):
            raise refuse(f"the leader's objective multiplies follower variables {v1.name} and {v2.name}")
        if not any(in_y):
            only.append(coef * v1 * v2)
            continue
        x, y = (v2, v1) if in_y[0] else (v1, v2)
        if id(x) not in x_row:
            raise refuse(
                f"the leader's objective has the product {x.name} * {y.name}, which the follower's objective "
                "does not have, so the objectives are not opposite"
            )
        key = (x_row[id(x)], y_col[id(y)])
        leader_terms[key] = leader_terms.get(key, 0.0) + sign * coef
    if repn.nonlinear_expr is not None:
        only.append(repn.nonlinear_expr)
    follower_terms = {(-1, j): float(c) for j, c in enumerate(form.c) if c != 0}
    coo = form.C.tocoo()
    for i, j, q in zip(coo.row, coo.col, coo.data):
        if q != 0:
            follower_terms[(int(i), int(j))] = follower_terms.get((int(i), int(j)), 0.0) + float(q)
    scale = _opposite_scale(leader_terms, follower_terms)
    if scale is None:
        raise refuse(
            f"the leader's objective {leader.name} is not the negative of the follower's objective "
            f"{form.objective.name} in the follower variables (the interdiction form needs leader "
            "objective = -(follower objective) + terms in leader variables only)"
        )
    return scale, sum(only)


def _opposite_scale(leader: dict, follower: dict, rel_tol: float = 1e-9) -> float | None:
    """s > 0 with leader = -s * follower term by term, or None (1.0 when both are empty)."""
    leader = {k: v for k, v in leader.items() if v != 0}
    if not follower:
        return None if leader else 1.0
    key = max(follower, key=lambda k: abs(follower[k]))
    scale = -leader.get(key, 0.0) / follower[key]
    if scale <= 0:
        return None
    size = max(abs(v) for v in follower.values())
    for k in set(leader) | set(follower):
        if abs(leader.get(k, 0.0) + scale * follower.get(k, 0.0)) > rel_tol * scale * size:
            return None
    return scale
