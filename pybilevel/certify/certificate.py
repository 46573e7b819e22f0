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

from pybilevel.certify.constraint_qualification import SLATER_TOL, nonlinear_inequalities, slater_margin
from pybilevel.model.follower_form import FollowerClass, FollowerForm
from pybilevel.solvers.embedded import SolveOutcome, solve_model
from pybilevel.model.structure import BilevelStructure

__all__ = ["FollowerCertificate", "certify", "CERTIFY_TIME_LIMIT", "OPTIMISTIC", "PESSIMISTIC", "choose_response"]

#: seconds for each solve of the certificate; a certificate that runs out says so and fails
CERTIFY_TIME_LIMIT = 60.0


#: the two readings of a bilevel problem whose follower has several optima
OPTIMISTIC, PESSIMISTIC = "optimistic", "pessimistic"


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
    worst_leader_objective: float | None  # worst one (the pessimistic reading at this decision)
    passed: bool
    message: str
    slater_margin: float | None = None  # convex-NLP followers: see pybilevel.certify.constraint_qualification

    @property
    def pessimistic_gap(self) -> float | None:
        """How much the leader can lose to the follower's choice among its optima (>= 0)."""
        if self.best_leader_objective is None or self.worst_leader_objective is None:
            return None
        return abs(self.worst_leader_objective - self.best_leader_objective)


def certify(structure: BilevelStructure, tol: float = 1e-5, reading: str = OPTIMISTIC) -> list[FollowerCertificate]:
    """Certify the solution currently loaded in the model's variables, follower by follower.

    ``reading`` says which follower optimum the reported leader objective must match: the best
    one for the leader (optimistic) or the worst (pessimistic). In a game among followers each
    follower is checked with the others' responses fixed.
    """
    return [_certify_follower(structure, form, tol, reading) for form in structure.followers]


def _certify_follower(structure: BilevelStructure, form: FollowerForm, tol: float, reading: str) -> FollowerCertificate:
    name = form.follower.name
    reported = float(value(form.objective.expr))
    leader_reported = float(value(structure.leader_objective.expr))
    violation = _max_violation(form)
    with _fixed(_parameters(structure, form)), _kept_values(form.variables):
        outcome = _resolve_follower(structure, form)
        if outcome.status != "optimal":
            return FollowerCertificate(
                name, reported, None, None, violation, leader_reported, None, None, False,
                f"follower {name} re-solved with the leader fixed ended '{outcome.status}'",
            )
        optimum = float(outcome.objective)
        best_known = optimum
        if _value_cut_only(form) and violation <= tol * max(1.0, abs(reported)) and form.sense * (reported - optimum) < 0:
            # SCIP stops within its absolute gap (1e-6) of the follower's optimum: a feasible reported
            # response with a better value is the better estimate of it (else the value cut below
            # would admit a whole basin better than SCIP's point and misjudge the leader's best)
            best_known = reported
        optimal_set, leeway = _optimal_set(form, best_known, tol)
        status, best, worst = _leader_over_optimal_set(structure, form, optimal_set, reading)
        margin, tightest = slater_margin(form, CERTIFY_TIME_LIMIT) if nonlinear_inequalities(form) else (None, "")
    gap = form.sense * (reported - optimum)  # > 0: the follower could do better
    ok_gap = gap <= tol * max(1.0, abs(optimum))
    ok_feasible = violation <= tol * max(1.0, abs(reported))
    checked = status == "optimal" and (reading == OPTIMISTIC or worst is not None)
    # leader objective minus the reading's target, in the minimising sense: > 0 when the leader
    # could do better than reported; < 0 when the reported value is better than attainable
    sign = 1 if structure.leader_objective.is_minimizing() else -1
    target = best if reading == OPTIMISTIC else worst
    excess = sign * (leader_reported - target) / max(1.0, abs(leader_reported)) if checked else 0.0
    # in a game, another optimum of this follower need not keep the other followers optimal, so
    # a better tie-break for the leader is not conclusive; an unattainable value still is
    too_high = excess > leeway and not (reading == OPTIMISTIC and structure.followers_seeing(form))
    too_low = excess < -leeway
    passed = ok_gap and ok_feasible and checked and not too_high and not too_low
    if passed:
        message = f"follower {name}: reported response is optimal (gap {gap:.2e}) for the leader's decision"
        if worst is not None and abs(worst - best) > leeway * max(1.0, abs(best)):
            message += f"; over its optima the leader gets {best:.8g} (best) to {worst:.8g} (worst)"
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
            f"optima ended '{status}'"
            + (": no follower optimum satisfies the leader's constraints at this decision" if status == "infeasible" else "")
        )
    elif too_high:
        message = (
            f"follower {name}: the {reading} reading gives the leader {target:.8g}, not the reported "
            f"{leader_reported:.8g} (another follower optimum is {'better' if reading == OPTIMISTIC else 'worse'} for the leader)"
        )
    else:
        message = (
            f"follower {name}: the reported leader objective {leader_reported:.8g} is not attainable: "
            f"over the follower's exact optima the leader gets {target:.8g} in the {reading} reading"
        )
    if margin is not None and margin <= SLATER_TOL:
        message += (
            f"; Slater's condition fails at this decision (margin {margin:.2g}, at {tightest}): "
            "the KKT conditions may miss follower optima here, so a KKT-based method may have "
            "missed better leader decisions near it"
        )
    return FollowerCertificate(name, reported, optimum, gap, violation, leader_reported, best, worst, passed, message, margin)


def choose_response(structure: BilevelStructure, form: FollowerForm, reading: str) -> str:
    """Load into ``form``'s variables the follower optimum at the leader's current decision that is
    best (optimistic) or worst (pessimistic) for the leader; return the status of that choice."""
    with _fixed(_parameters(structure, form)):
        outcome = _resolve_follower(structure, form)
        if outcome.status != "optimal":
            return outcome.status
        optimal_set, _ = _optimal_set(form, float(outcome.objective), 1e-5)
        with _over_optimal_set(structure, form, optimal_set), _leader_sense(structure, reading):
            status, _ = _solve_leader_problem(structure, form)
    return status


def _resolve_follower(structure: BilevelStructure, form: FollowerForm) -> SolveOutcome:
    """The follower alone through its own Pyomo block (leader and other followers fixed)."""
    solver = _follower_solver(structure, form)
    outcome = solve_model(form.follower, solver, CERTIFY_TIME_LIMIT, feasibility_tol=1e-6)
    if outcome.status == "error" and solver == "highs":
        # HiGHS's QP solver can fail on fixed leader columns inside the Hessian (seen with a
        # leader variable at 1e-4 in a product term); SCIP solves the same model globally
        outcome = solve_model(form.follower, "scip", CERTIFY_TIME_LIMIT, feasibility_tol=1e-6)
    return outcome


def _leader_over_optimal_set(
    structure: BilevelStructure, form: FollowerForm, optimal_set: Constraint, reading: str
) -> tuple[str, float | None, float | None]:
    """Status, best and worst leader objective over the follower's optimal set, leader fixed.

    The worst value (the pessimistic reading) is computed for LP and convex-QP followers, whose
    optimal set the cut describes exactly; for the other classes only when asked for.
    """
    with _over_optimal_set(structure, form, optimal_set):
        status, best = _solve_leader_problem(structure, form)
        worst = None
        if status == "optimal" and (reading == PESSIMISTIC or not _value_cut_only(form)):
            with _leader_sense(structure, PESSIMISTIC):
                _, worst = _solve_leader_problem(structure, form)
    return status, best, worst


@contextmanager
def _over_optimal_set(structure: BilevelStructure, form: FollowerForm, optimal_set: Constraint):
    """The model as the leader's problem over ``form``'s optimal set: the cut added, the
    follower's objective off, other followers set aside with their responses fixed."""
    model = structure.model
    name = unique_component_name(model, "_pybilevel_certificate")
    model.add_component(name, optimal_set)
    form.objective.deactivate()
    others = [f for f in structure.followers if f is not form]
    try:
        with _fixed([v for f in others for v in f.variables]), _deactivated([f.follower for f in others]):
            yield
    finally:
        form.objective.activate()
        model.del_component(name)


@contextmanager
def _leader_sense(structure: BilevelStructure, reading: str):
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


def _solve_leader_problem(structure: BilevelStructure, form: FollowerForm) -> tuple[str, float | None]:
    linear = structure.leader_class == "linear" and _follower_solver(structure, form) == "highs"
    # an LP follower's dense optimal-set row makes HiGHS's presolve slow (26 s against 0.7 s
    # without it for 50,000 follower variables); the LP itself is easy
    presolve = form.follower_class != FollowerClass.LP
    outcome = solve_model(
        structure.model, "highs" if linear else "scip", CERTIFY_TIME_LIMIT, feasibility_tol=1e-6, presolve=presolve
    )
    if outcome.status == "error":  # SCIP's numerics can fail where Ipopt finds a local answer
        outcome = solve_model(structure.model, "ipopt", CERTIFY_TIME_LIMIT)
    return outcome.status, (float(outcome.objective) if outcome.status == "optimal" else None)


def _parameters(structure: BilevelStructure, form: FollowerForm) -> list[VarData]:
    """What the follower takes as given: the leader's variables and other followers' it sees."""
    return structure.leader_variables + structure.other_followers_variables(form)


def _optimal_set(form: FollowerForm, optimum: float, tol: float) -> tuple[Constraint, float]:
    """Constraints that cut the follower's feasible set down to its optimal set, and the leader
    objective's relative leeway that their tolerance implies (the follower's re-solved optimum
    and the leader's decision are the variables' current values).

    For a convex QP (LP: Q = 0) every optimum y shares Q y and the linear cost g @ y with
    g = c + C^T x (Mangasarian 1988), so the optimal set is cut by those linear equations at
    their values in the re-solved optimum y_star, each kept to a tolerance scaled by its terms.
    For a nonlinear or nonconvex-QP follower the cut is ``objective <= optimum + slack``; a slack s moves y by O(sqrt(s)),
    hence a leeway of that order.
    """
    if _value_cut_only(form):
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


def _value_cut_only(form: FollowerForm) -> bool:
    """Whether only ``objective <= optimum + slack`` describes the optimal set: a nonlinear follower,
    or a nonconvex QP, whose optima need not share Q y (Mangasarian's description is for convex QPs)."""
    return form.is_nonlinear or form.follower_class == FollowerClass.NONCONVEX_QP


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
def _deactivated(blocks: list):
    """Other followers are set aside (their variables fixed) while one follower is checked."""
    for block in blocks:
        block.deactivate()
    try:
        yield
    finally:
        for block in blocks:
            block.activate()


@contextmanager
def _kept_values(variables: list[VarData]):
    """Restore the variables' values afterwards (re-solves overwrite them)."""
    saved = [v.value for v in variables]
    try:
        yield
    finally:
        for var, val in zip(variables, saved):
            var.set_value(val, skip_validation=True)
