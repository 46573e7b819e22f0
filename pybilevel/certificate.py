"""Certificate: with the leader fixed at its decision, re-solve each follower alone and compare.

The re-solve goes through the user's own Pyomo follower block (not through the compiled arrays
the reformulation used), so it is an independent check of the whole pipeline.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from pyomo.common.modeling import unique_component_name
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.var import VarData

from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.relational_expr import inequality
from pyomo.environ import Reals, value

from pybilevel.follower_form import FollowerClass, FollowerForm
from pybilevel.solvers import solve_model
from pybilevel.structure import BilevelStructure

__all__ = ["FollowerCertificate", "certify", "CERTIFY_TIME_LIMIT"]

#: seconds for each solve of the certificate; a certificate that runs out says so and fails
CERTIFY_TIME_LIMIT = 60.0


@dataclass
class FollowerCertificate:
    """Whether a follower's reported answer is optimal for the leader's decision."""

    follower: str
    reported_objective: float  # follower objective at the reported (x, y)
    optimal_objective: float | None  # follower re-solved alone with the leader fixed
    gap: float | None  # how much better the follower could do than reported (>= 0 when it can)
    max_violation: float  # largest violation of a follower constraint or bound by the reported y
    leader_objective: float  # reported
    best_leader_objective: float | None  # best leader objective over the follower's optima
    passed: bool
    message: str


def certify(structure: BilevelStructure, tol: float = 1e-5) -> list[FollowerCertificate]:
    """Certify the solution currently loaded in the model's variables, follower by follower."""
    return [_certify_follower(structure, form, tol) for form in structure.followers]


def _certify_follower(structure: BilevelStructure, form: FollowerForm, tol: float) -> FollowerCertificate:
    name = form.follower.name
    reported = float(value(form.objective.expr))
    leader_reported = float(value(structure.leader_objective.expr))
    violation = _max_violation(form)
    solver = _follower_solver(structure, form)
    with _fixed(structure.leader_variables), _kept_values(form.variables):
        outcome = solve_model(form.follower, solver, CERTIFY_TIME_LIMIT, feasibility_tol=1e-6)
        if outcome.status == "error" and solver == "highs":
            # HiGHS's QP solver can fail on fixed leader columns inside the Hessian (seen with a
            # leader variable at 1e-4 in a product term); SCIP solves the same model globally
            outcome = solve_model(form.follower, "scip", CERTIFY_TIME_LIMIT, feasibility_tol=1e-6)
        if outcome.status != "optimal":
            return FollowerCertificate(
                name, reported, None, None, violation, leader_reported, None, False,
                f"follower {name} re-solved with the leader fixed ended '{outcome.status}'",
            )
        optimum = float(outcome.objective)
        y_star = np.array([_num(v.value) for v in form.variables])
        x_star = np.array([_num(v.value) for v in form.leader_variables])
        optimal_set, leeway = _optimal_set(form, x_star, y_star, optimum, tol)
        best_status, best_leader = _best_leader_objective(structure, form, optimal_set)
    gap = form.sense * (reported - optimum)  # > 0: the follower could do better
    scale = max(1.0, abs(optimum))
    leader_scale = leeway * max(1.0, abs(leader_reported))
    ok_gap = gap <= tol * scale
    ok_feasible = violation <= tol * max(1.0, abs(reported))
    sign = 1 if structure.leader_objective.is_minimizing() else -1
    improvable = best_leader is not None and sign * (leader_reported - best_leader) > leader_scale
    unattainable = best_leader is not None and sign * (best_leader - leader_reported) > leader_scale
    checked = best_status == "optimal"
    passed = ok_gap and ok_feasible and checked and not improvable and not unattainable
    if passed:
        message = f"follower {name}: reported response is optimal (gap {gap:.2e}) for the leader's decision"
    elif not ok_feasible:
        message = f"follower {name}: reported response violates follower constraints by {violation:.3g}"
    elif not ok_gap:
        message = (
            f"follower {name}: NOT optimal for the leader's decision: reported objective {reported:.8g}, "
            f"follower optimum {optimum:.8g} (gap {gap:.3g})"
        )
    elif not checked:
        message = (
            f"follower {name}: with the leader fixed, the leader's problem over the follower's exact "
            f"optima ended '{best_status}'"
            + (": no follower optimum satisfies the leader's constraints at this decision" if best_status == "infeasible" else "")
        )
    elif improvable:
        message = (
            f"follower {name}: another follower optimum gives the leader {best_leader:.8g} "
            f"instead of {leader_reported:.8g} (the reported point is not the optimistic choice)"
        )
    else:
        message = (
            f"follower {name}: the reported leader objective {leader_reported:.8g} is not attainable: "
            f"over the follower's exact optima the leader gets at best {best_leader:.8g}"
        )
    return FollowerCertificate(name, reported, optimum, gap, violation, leader_reported, best_leader, passed, message)


def _best_leader_objective(
    structure: BilevelStructure, form: FollowerForm, optimal_set: Constraint
) -> tuple[str, float | None]:
    """Leader's best objective over the follower's optimal set (optimistic reading), leader fixed."""
    model = structure.model
    name = unique_component_name(model, "_pybilevel_certificate")
    model.add_component(name, optimal_set)
    form.objective.deactivate()
    try:
        linear = structure.leader_class == "linear" and _follower_solver(structure, form) == "highs"
        outcome = solve_model(model, "highs" if linear else "scip", CERTIFY_TIME_LIMIT, feasibility_tol=1e-6)
        if outcome.status == "error":  # SCIP's numerics can fail where Ipopt finds a local answer
            outcome = solve_model(model, "ipopt", CERTIFY_TIME_LIMIT)
        return outcome.status, (float(outcome.objective) if outcome.status == "optimal" else None)
    finally:
        form.objective.activate()
        model.del_component(name)


def _optimal_set(form: FollowerForm, x_star: np.ndarray, y_star: np.ndarray, optimum: float, tol: float) -> tuple[Constraint, float]:
    """Constraints that cut the follower's feasible set down to its optimal set, and the leader
    objective's relative leeway that their tolerance implies.

    For a convex QP (LP: Q = 0) every optimum y shares Q y and the linear cost g @ y with
    g = c + C^T x (Mangasarian 1988), so the optimal set is cut by those linear equations at
    their values in the re-solved optimum y_star, each kept to a tolerance scaled by its terms.
    For a convex NLP the cut is ``objective <= optimum + slack``; a slack s moves y by O(sqrt(s)),
    hence a leeway of that order.
    """
    if form.is_nonlinear:
        slack = 1e-3 * tol * max(1.0, abs(optimum))
        expr = form.sense * form.objective.expr <= form.sense * optimum + slack
        return Constraint(expr=expr), 10 * (1e-3 * tol) ** 0.5
    g = form.c + form.C.T @ x_star
    rows = [g] + [form.Q.getrow(j).toarray().ravel() for j in np.unique(form.Q.nonzero()[0])]
    targets = [float(r @ y_star) for r in rows]
    width = [1e-3 * tol * max(1.0, float(np.abs(r).sum() * np.abs(y_star).max(initial=1.0))) for r in rows]

    def cut(_block, k):
        used = rows[k] != 0
        terms = LinearExpression(
            constant=0.0,
            linear_coefs=[float(a) for a in rows[k][used]],
            linear_vars=[v for v, keep in zip(form.variables, used) if keep],
        )
        return inequality(targets[k] - width[k], terms, targets[k] + width[k])

    return Constraint(range(len(rows)), rule=cut), tol


def _follower_solver(structure: BilevelStructure, form: FollowerForm) -> str:
    """HiGHS for LP, convex-QP and MILP followers; SCIP otherwise."""
    if form.follower_class == FollowerClass.CONVEX_NLP:
        return "ipopt"  # a local optimum of a convex problem is global; more accurate than SCIP
    if form.leader_nonlinear.any() or form.follower_class not in (FollowerClass.LP, FollowerClass.QP, FollowerClass.INTEGER):
        return "scip"
    if form.Q.nnz and form.integer.any():
        return "scip"  # HiGHS has no mixed-integer QP
    return "highs"


def _num(value) -> float:
    return 0.0 if value is None else float(value)


def _max_violation(form: FollowerForm) -> float:
    worst = 0.0
    for con in form.constraints:
        body = value(con.body)
        if con.has_lb():
            worst = max(worst, float(value(con.lower)) - body)
        if con.has_ub():
            worst = max(worst, body - float(value(con.upper)))
    for var in form.variables:
        if var.lb is not None:
            worst = max(worst, var.lb - var.value)
        if var.ub is not None:
            worst = max(worst, var.value - var.ub)
    return worst


@contextmanager
def _fixed(variables: list[VarData]):
    """Fix the unfixed variables at their current values for the duration of the block.

    Fixed integer variables are made continuous meanwhile: Pyomo hands fixed variables to the
    solver as fixed columns, and HiGHS would treat a QP with an integer column as a MIQP.
    """
    newly = [v for v in variables if not v.fixed]
    domains = [(v, v.domain) for v in newly if not v.is_continuous()]
    for var in newly:
        var.fix()
    for var, _ in domains:
        var.domain = Reals
    try:
        yield
    finally:
        for var, domain in domains:
            var.domain = domain
        for var in newly:
            var.unfix()


@contextmanager
def _kept_values(variables: list[VarData]):
    """Restore the variables' values afterwards (re-solves overwrite them)."""
    saved = [v.value for v in variables]
    try:
        yield
    finally:
        for var, val in zip(variables, saved):
            var.set_value(val, skip_validation=True)
