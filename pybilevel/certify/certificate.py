"""Certificate: with the leader fixed at its decision, re-solve each follower alone and compare.

The re-solve goes through the user's own Pyomo follower block (not through the compiled arrays
the reformulation used), so it is an independent check of the whole pipeline.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from pyomo.core.base.constraint import Constraint
from pyomo.core.base.var import VarData
from pyomo.environ import value

from pybilevel.certify.constraint_qualification import (
    SLATER_TOL,
    nonlinear_inequalities,
    slater_margin,
)
from pybilevel.certify.dual_check import DualCheck, check_dual_references
from pybilevel.certify.optimal_set import (
    fixed_at_current_values,
    follower_parameters,
    leader_over_optimal_set,
    optimal_set_cut,
    resolve_follower,
    step_seconds,
    value_cut_only,
)
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.structure import BilevelStructure
from pybilevel.model.violation import max_violation
from pybilevel.readings.names import OPTIMISTIC
from pybilevel.timing import TimeBudget

__all__ = ["FollowerCertificate", "certify"]

#: the optimal set's band is narrowed by this factor to tell a tolerance effect from an optimum
NARROWER = 10.0

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
    complete: bool = True  # False: the time limit ran out before every check was made
    duals: list[DualCheck] = field(default_factory=list)  # bl.dual placeholders: see pybilevel.certify.dual_check

    @property
    def pessimistic_gap(self) -> float | None:
        """How much the leader can lose to the follower's choice among its optima (>= 0)."""
        if self.best_leader_objective is None or self.worst_leader_objective is None:
            return None
        return abs(self.worst_leader_objective - self.best_leader_objective)


def certify(
    structure: BilevelStructure, tol: float = 1e-5, reading: str = OPTIMISTIC, budget: TimeBudget | None = None
) -> list[FollowerCertificate]:
    """Certify the solution currently loaded in the model's variables, follower by follower.

    ``reading`` says which follower optimum the reported leader objective must match: the best
    one for the leader (optimistic) or the worst (pessimistic). In a game among followers each
    follower is checked with the others' responses fixed. Each solve draws on ``budget``; what the
    budget did not leave time for is reported as not checked (``complete`` False, not passed).
    """
    certificates = [_certify_follower(structure, form, tol, reading, budget) for form in structure.followers]
    for certificate, form in zip(certificates, structure.followers):
        _check_duals(certificate, check_dual_references(form, structure.dual_references, tol))
    return certificates


def _at_zero_width(
    structure: BilevelStructure, form: FollowerForm, narrow: Constraint, tol: float, reading: str,
    budget: TimeBudget | None, found: tuple[float | None, float | None], leader_reported: float,
) -> tuple[float | None, float | None]:
    """The leader's best and worst over the exact optimal set, where the band of width w that the
    cut allows moves them: re-solved with the ``narrow`` cut (w / NARROWER, built around the
    re-solved optimum) and extrapolated linearly to w = 0.

    A leader objective steep in the follower's variables (a ``bl.dual`` price times a dispatch)
    gains within the band's tolerance what no exact optimum gives; a genuinely different optimum
    keeps its value as the band narrows. Only a value beyond ``tol`` is looked at again.
    """
    target = found[0] if reading == OPTIMISTIC else found[1]
    if target is None or abs(leader_reported - target) <= tol * max(1.0, abs(leader_reported)):
        return found
    status, *narrowed = leader_over_optimal_set(structure, form, narrow, reading, budget)
    if status != "optimal":
        return found
    return tuple(  # type: ignore[return-value]
        None if wide is None or near is None else near - (wide - near) / (NARROWER - 1)
        for wide, near in zip(found, narrowed)
    )


def _check_duals(certificate: FollowerCertificate, checks: list[DualCheck]) -> None:
    """Add the checks of the follower duals the leader uses; a wrong one fails the certificate."""
    certificate.duals = checks
    wrong = [check.message for check in checks if not check.valid]
    if wrong:
        certificate.passed = False
        certificate.message += "; " + "; ".join(wrong)
    elif checks:
        certificate.message += f"; {len(checks)} follower dual(s) in the leader's problem checked against HiGHS"


def _certify_follower(
    structure: BilevelStructure, form: FollowerForm, tol: float, reading: str, budget: TimeBudget | None
) -> FollowerCertificate:
    name = form.follower.name
    reported = float(value(form.objective.expr))
    leader_reported = float(value(structure.leader_objective.expr))
    violation = max_violation(form.constraints, form.variables)
    with fixed_at_current_values(follower_parameters(structure, form)), _kept_values(form.variables):
        outcome = resolve_follower(structure, form, budget)
        if outcome.status != "optimal":
            late = _out_of_time(outcome.status, budget)
            return FollowerCertificate(
                name, reported, None, None, violation, leader_reported, None, None, False,
                f"follower {name}: NOT CHECKED, the time limit ran out before its re-solve with the leader fixed"
                if late else f"follower {name} re-solved with the leader fixed ended '{outcome.status}'",
                complete=not late,
            )
        optimum = float(outcome.objective)
        best_known = optimum
        if value_cut_only(form) and violation <= tol * max(1.0, abs(reported)) and form.sense * (reported - optimum) < 0:
            # SCIP stops within its absolute gap (1e-6) of the follower's optimum: a feasible reported
            # response with a better value is the better estimate of it (else the value cut below
            # would admit a whole basin better than SCIP's point and misjudge the leader's best)
            best_known = reported
        optimal_set, leeway = optimal_set_cut(form, best_known, tol)
        narrow = None if value_cut_only(form) else optimal_set_cut(form, best_known, tol / NARROWER)[0]
        status, best, worst = leader_over_optimal_set(structure, form, optimal_set, reading, budget)
        if status == "optimal" and narrow is not None:
            best, worst = _at_zero_width(structure, form, narrow, tol, reading, budget, (best, worst), leader_reported)
        slater = nonlinear_inequalities(form) and not (budget is not None and budget.spent)
        margin, tightest = slater_margin(form, step_seconds(budget)) if slater else (None, "")
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
    elif not checked and _out_of_time(status, budget):
        message = (
            f"follower {name}: NOT CHECKED, the time limit ran out before the leader's problem over the "
            "follower's optima was solved"
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
    complete = checked or not _out_of_time(status, budget)
    return FollowerCertificate(
        name, reported, optimum, gap, violation, leader_reported, best, worst, passed, message, margin, complete
    )


def _out_of_time(status: str, budget: TimeBudget | None) -> bool:
    """Whether a solve that ended with ``status`` was stopped by the call's time budget."""
    return status == "limit" and budget is not None and budget.spent


@contextmanager
def _kept_values(variables: list[VarData]):
    """Restore the variables' values afterwards (re-solves overwrite them)."""
    saved = [v.value for v in variables]
    try:
        yield
    finally:
        for var, val in zip(variables, saved):
            var.set_value(val, skip_validation=True)
