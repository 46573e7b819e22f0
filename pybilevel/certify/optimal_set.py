"""The follower's optimal set at the leader's decision, and the leader's best and worst over it.

With the leader (and the other followers) fixed, the follower is re-solved through its own
Pyomo block; a cut then restricts it to its optimal set, over which the leader's objective is
optimised both ways: the optimistic and the pessimistic reading at that decision. Used by the
certificate and by the readings when they map an answer back.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np
from pyomo.common.modeling import unique_component_name
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.relational_expr import inequality
from pyomo.environ import Reals

from pybilevel.model.convexity import FollowerClass
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.structure import BilevelStructure
from pybilevel.readings.names import PESSIMISTIC
from pybilevel.solvers.embedded import SolveOutcome, solve_model
from pybilevel.timing import TimeBudget

__all__ = [
    "CERTIFY_TIME_LIMIT",
    "step_seconds",
    "choose_response",
    "resolve_follower",
    "leader_over_optimal_set",
    "optimal_set_cut",
    "value_cut_only",
    "follower_parameters",
    "fixed_at_current_values",
]

#: seconds for each solve of the certificate; a certificate that runs out says so and fails
CERTIFY_TIME_LIMIT = 60.0


def step_seconds(budget: TimeBudget | None) -> float:
    """Seconds for one solve: :data:`CERTIFY_TIME_LIMIT`, or what is left of ``budget`` if less."""
    return CERTIFY_TIME_LIMIT if budget is None else budget.slice(CERTIFY_TIME_LIMIT)


def choose_response(
    structure: BilevelStructure, form: FollowerForm, reading: str, budget: TimeBudget | None = None
) -> str:
    """Load into ``form``'s variables the follower optimum at the leader's current decision that is
    best (optimistic) or worst (pessimistic) for the leader; return the status of that choice."""
    with fixed_at_current_values(follower_parameters(structure, form)):
        outcome = resolve_follower(structure, form, budget)
        if outcome.status != "optimal":
            return outcome.status
        optimal_set, _ = optimal_set_cut(form, float(outcome.objective), 1e-5)
        with over_optimal_set(structure, form, optimal_set), leader_sense(structure, reading):
            status, _ = solve_leader_problem(structure, form, budget)
    return status


def resolve_follower(structure: BilevelStructure, form: FollowerForm, budget: TimeBudget | None = None) -> SolveOutcome:
    """The follower alone through its own Pyomo block (leader and other followers fixed)."""
    solver = follower_solver(structure, form)
    outcome = solve_model(form.follower, solver, step_seconds(budget), feasibility_tol=1e-6)
    if outcome.status == "error" and solver == "highs":
        # HiGHS's QP solver can fail on fixed leader columns inside the Hessian (seen with a
        # leader variable at 1e-4 in a product term); SCIP solves the same model globally
        outcome = solve_model(form.follower, "scip", step_seconds(budget), feasibility_tol=1e-6)
    return outcome


def leader_over_optimal_set(
    structure: BilevelStructure,
    form: FollowerForm,
    optimal_set: Constraint,
    reading: str,
    budget: TimeBudget | None = None,
) -> tuple[str, float | None, float | None]:
    """Status, best and worst leader objective over the follower's optimal set, leader fixed.

    The worst value (the pessimistic reading) is computed for LP and convex-QP followers, whose
    optimal set the cut describes exactly; for the other classes only when asked for.
    """
    with over_optimal_set(structure, form, optimal_set):
        status, best = solve_leader_problem(structure, form, budget)
        worst = None
        if status == "optimal" and (reading == PESSIMISTIC or not value_cut_only(form)):
            with leader_sense(structure, PESSIMISTIC):
                _, worst = solve_leader_problem(structure, form, budget)
    return status, best, worst


@contextmanager
def over_optimal_set(structure: BilevelStructure, form: FollowerForm, optimal_set: Constraint):
    """The model as the leader's problem over ``form``'s optimal set: the cut added, the
    follower's objective off, other followers set aside with their responses fixed."""
    model = structure.model
    name = unique_component_name(model, "_pybilevel_certificate")
    model.add_component(name, optimal_set)
    form.objective.deactivate()
    others = [f for f in structure.followers if f is not form]
    try:
        with fixed_at_current_values([v for f in others for v in f.variables]), deactivated([f.follower for f in others]):
            yield
    finally:
        form.objective.activate()
        model.del_component(name)


@contextmanager
def leader_sense(structure: BilevelStructure, reading: str):
    """The leader's objective turned around for the pessimistic reading (the worst optimum)."""
    objective = structure.leader_objective
    flip = reading == PESSIMISTIC
    if flip:
        objective.sense = -objective.sense
    try:
        yield
    finally:
        if flip:
            objective.sense = -objective.sense


def solve_leader_problem(
    structure: BilevelStructure, form: FollowerForm, budget: TimeBudget | None = None
) -> tuple[str, float | None]:
    linear = structure.leader_class == "linear" and follower_solver(structure, form) == "highs"
    # an LP follower's dense optimal-set row makes HiGHS's presolve slow (26 s against 0.7 s
    # without it for 50,000 follower variables); the LP itself is easy
    presolve = form.follower_class != FollowerClass.LP
    outcome = solve_model(
        structure.model, "highs" if linear else "scip", step_seconds(budget), feasibility_tol=1e-6, presolve=presolve
    )
    if outcome.status == "error":  # SCIP's numerics can fail where Ipopt finds a local answer
        outcome = solve_model(structure.model, "ipopt", step_seconds(budget))
    return outcome.status, (float(outcome.objective) if outcome.status == "optimal" else None)


def follower_parameters(structure: BilevelStructure, form: FollowerForm) -> list[VarData]:
    """What the follower takes as given: the leader's variables and other followers' it sees, and
    the ``bl.dual`` placeholders at their values (they are no decision of the leader's problem)."""
    placeholders = [ref.placeholder for ref in structure.dual_references]
    return structure.leader_variables + structure.other_followers_variables(form) + placeholders


def optimal_set_cut(form: FollowerForm, optimum: float, tol: float) -> tuple[Constraint, float]:
    """Constraints that cut the follower's feasible set down to its optimal set, and the leader
    objective's relative leeway that their tolerance implies (the follower's re-solved optimum
    and the leader's decision are the variables' current values).

    For a convex QP (LP: Q = 0) every optimum y shares Q y and the linear cost g @ y with
    g = c + C^T x (Mangasarian 1988), so the optimal set is cut by those linear equations at
    their values in the re-solved optimum y_star, each kept to a tolerance scaled by its terms.
    For a nonlinear or nonconvex-QP follower the cut is ``objective <= optimum + slack``; a slack s
    moves y by O(sqrt(s)), hence a leeway of that order.
    """
    if value_cut_only(form):
        slack = 1e-3 * tol * max(1.0, abs(optimum))
        expr = form.sense * form.objective.expr <= form.sense * optimum + slack
        return Constraint(expr=expr), 10 * (1e-3 * tol) ** 0.5
    y_star = np.array([_num(v.value) for v in form.variables])
    x_star = np.array([_num(v.value) for v in form.leader_variables])
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


def value_cut_only(form: FollowerForm) -> bool:
    """Whether only ``objective <= optimum + slack`` describes the optimal set: a nonlinear follower,
    or a nonconvex QP, whose optima need not share Q y (Mangasarian's description is for convex QPs)."""
    return form.is_nonlinear or form.follower_class == FollowerClass.NONCONVEX_QP


def follower_solver(structure: BilevelStructure, form: FollowerForm) -> str:
    """HiGHS for LP, convex-QP and MILP followers; Ipopt for NLP followers proven convex; SCIP otherwise."""
    if form.follower_class == FollowerClass.CONVEX_NLP and form.convexity_proven:
        return "ipopt"  # a local optimum of a convex problem is global; more accurate than SCIP
    # a convex NLP follower only sampled (not proven) convex may hide a nonconvex dent: SCIP is global
    if form.leader_nonlinear.any() or form.follower_class not in (FollowerClass.LP, FollowerClass.QP, FollowerClass.INTEGER):
        return "scip"
    if form.Q.nnz and form.integer.any():
        return "scip"  # HiGHS has no mixed-integer QP
    return "highs"


def _num(value) -> float:
    return 0.0 if value is None else float(value)


@contextmanager
def fixed_at_current_values(variables: list[VarData]):
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
def deactivated(blocks: list):
    """Other followers are set aside (their variables fixed) while one follower is checked."""
    for block in blocks:
        block.deactivate()
    try:
        yield
    finally:
        for block in blocks:
            block.activate()
