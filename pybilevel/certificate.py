"""Certificate: with the leader fixed at its decision, re-solve each follower alone and compare.

The re-solve goes through the user's own Pyomo follower block (not through the compiled arrays
the reformulation used), so it is an independent check of the whole pipeline.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from pyomo.common.modeling import unique_component_name
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.var import VarData
from pyomo.environ import value

from pybilevel.follower_form import FollowerClass, FollowerForm
from pybilevel.solvers import solve_model
from pybilevel.structure import BilevelStructure

__all__ = ["FollowerCertificate", "certify"]


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


def certify(structure: BilevelStructure, tol: float = 1e-6) -> list[FollowerCertificate]:
    """Certify the solution currently loaded in the model's variables, follower by follower."""
    return [_certify_follower(structure, form, tol) for form in structure.followers]


def _certify_follower(structure: BilevelStructure, form: FollowerForm, tol: float) -> FollowerCertificate:
    name = form.follower.name
    reported = float(value(form.objective.expr))
    leader_reported = float(value(structure.leader_objective.expr))
    violation = _max_violation(form)
    linear_or_convex = form.follower_class in (FollowerClass.LP, FollowerClass.QP, FollowerClass.INTEGER)
    solver = "highs" if linear_or_convex and not form.leader_nonlinear.any() else "scip"
    with _fixed(structure.leader_variables), _kept_values(form.variables):
        outcome = solve_model(form.follower, solver)
        if outcome.status != "optimal":
            return FollowerCertificate(
                name, reported, None, None, violation, leader_reported, None, False,
                f"follower {name} re-solved with the leader fixed ended '{outcome.status}'",
            )
        optimum = float(outcome.objective)
        gap = form.sense * (reported - optimum)  # > 0: the follower could do better
        scale = max(1.0, abs(optimum))
        best_leader = _best_leader_objective(structure, form, optimum, 1e-3 * tol * scale)
    ok_gap = gap <= tol * scale
    ok_feasible = violation <= tol * max(1.0, abs(reported))
    sign = 1 if structure.leader_objective.is_minimizing() else -1
    improvable = best_leader is not None and sign * (leader_reported - best_leader) > tol * max(1.0, abs(leader_reported))
    passed = ok_gap and ok_feasible and not improvable
    if passed:
        message = f"follower {name}: reported response is optimal (gap {gap:.2e}) for the leader's decision"
    elif not ok_feasible:
        message = f"follower {name}: reported response violates follower constraints by {violation:.3g}"
    elif not ok_gap:
        message = (
            f"follower {name}: NOT optimal for the leader's decision: reported objective {reported:.8g}, "
            f"follower optimum {optimum:.8g} (gap {gap:.3g})"
        )
    else:
        message = (
            f"follower {name}: another follower optimum gives the leader {best_leader:.8g} "
            f"instead of {leader_reported:.8g} (the reported point is not the optimistic choice)"
        )
    return FollowerCertificate(name, reported, optimum, gap, violation, leader_reported, best_leader, passed, message)


def _best_leader_objective(structure: BilevelStructure, form: FollowerForm, optimum: float, tol: float) -> float | None:
    """Leader's best objective over the follower's optimal set (optimistic reading), leader fixed."""
    model = structure.model
    name = unique_component_name(model, "_pybilevel_certificate")
    if form.sense > 0:
        model.add_component(name, Constraint(expr=form.objective.expr <= optimum + tol))
    else:
        model.add_component(name, Constraint(expr=form.objective.expr >= optimum - tol))
    form.objective.deactivate()
    try:
        outcome = solve_model(model, "highs" if structure.leader_class == "linear" else "scip")
        return float(outcome.objective) if outcome.status == "optimal" else None
    finally:
        form.objective.activate()
        model.del_component(name)


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
    """Fix the unfixed variables at their current values for the duration of the block."""
    newly = [v for v in variables if not v.fixed]
    for var in newly:
        var.fix()
    try:
        yield
    finally:
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
