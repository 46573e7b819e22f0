"""Polish the point a reformulation's solver returned: fix the branch it chose, re-solve the rest.

A global solver stops at its gap and feasibility tolerances (SCIP: 1e-6 absolute gap, rows to
1e-6), which leaves a flat leader objective's optimum off in the third digit and rows violated
by 1e-7. The point's branch, though, is right: which complementarity pairs are active, the
leader's integer values. With those fixed the single-level model is smooth (an LP or convex QP
for LP/QP followers and a linear or convex-quadratic leader, else a smooth NLP), and is re-solved
to tight tolerances by HiGHS, or by Ipopt from the point (local, but on a fixed branch).

The polished point is kept only if it violates the original constraints no more than the
solver's point and its leader objective is no worse than the solver's beyond the solver's own
tolerance; otherwise the solver's point is restored. Values within 1e-9 of a bound are then put
on it. What was done is reported (:class:`PolishReport`, ``res.polish``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyomo.core.base.var import Var
from pyomo.environ import value

from pybilevel.methods.branch import fix_branch
from pybilevel.model.violation import max_violation
from pybilevel.solvers.embedded import choose_solver, solve_model
from pybilevel.solvers.features import Feature

if TYPE_CHECKING:
    from pybilevel.methods.transformation import Reformulation
    from pybilevel.timing import TimeBudget

__all__ = ["PolishReport", "polish_on_branch", "OBJECTIVE_TOL"]

#: relative worsening of the leader objective accepted for a point that is more feasible (the
#: solver's point may be "better than optimal" by its own tolerances)
OBJECTIVE_TOL = 1e-6
#: the same when the solver's point violates a row by more than SNAP_TOL: its objective value is
#: not attainable (seen: 1e-8 row violations buying 2.7e-6 of objective in a strong-duality solve)
INFEASIBLE_OBJECTIVE_TOL = 1e-4
#: a value this close to a bound (relative to max(1, |bound|)) is put on it
SNAP_TOL = 1e-9
#: what the single-level model keeps of a reformulation's features once the branch is fixed
_SMOOTH = {Feature.QUADRATIC_OBJECTIVE, Feature.NONCONVEX_OBJECTIVE, Feature.NONLINEAR}


@dataclass
class PolishReport:
    """What polishing did to the solver's point."""

    step: str  # the re-solve made
    accepted: bool
    moved: float  # largest change of a leader or follower variable
    objective_change: float  # leader objective after minus before
    violation_before: float  # largest violation of an original row or bound, relative
    violation_after: float
    reason: str = ""


def polish_on_branch(reformulation: Reformulation, budget: TimeBudget) -> PolishReport:
    """Re-solve ``reformulation``'s model on the branch of the point it holds; keep the better point."""
    structure = reformulation.structure
    model = reformulation.model
    originals = structure.leader_constraints + [c for form in structure.followers for c in form.constraints]
    decided = structure.leader_variables + [v for form in structure.followers for v in form.variables]
    unset = next((v for v in decided if v.value is None), None)
    if unset is not None:  # a partial point (a solver stopped at a limit): nothing to polish
        return PolishReport("none", False, 0.0, 0.0, float("inf"), float("inf"),
                            f"the solver left {unset.name} without a value")
    saved = [(v, v.value) for v in model.component_data_objects(Var, descend_into=True)]
    before = float(value(structure.leader_objective.expr))
    violation_before = max_violation(originals, decided, relative=True)
    solver = "highs" if choose_solver(reformulation.features & _SMOOTH)[0] == "highs" else "ipopt"
    step = f"{'HiGHS' if solver == 'highs' else 'Ipopt'} on the active set and leader integers of the solver's point"
    undo = fix_branch(reformulation)
    try:
        solved = solve_model(model, solver, budget.remaining(), mip_gap=1e-9, tight=True)
    finally:
        undo()
    after = float(value(structure.leader_objective.expr)) if solved.has_solution else before
    violation_after = max_violation(originals, decided, relative=True) if solved.has_solution else violation_before
    sign = 1 if structure.leader_objective.is_minimizing() else -1
    # the solver's point may be "better than optimal" by what its row violations allow, so a
    # feasible polished point may be worse by more than the solver's own tolerance
    tolerance = OBJECTIVE_TOL if violation_before <= SNAP_TOL else INFEASIBLE_OBJECTIVE_TOL
    worse = sign * (after - before) > tolerance * max(1.0, abs(before))
    reason = ""
    if solved.status != "optimal":
        reason = f"the re-solve ended '{solved.status}'"
    elif violation_after > max(violation_before, SNAP_TOL):
        reason = f"the re-solved point violates a row by {violation_after:.2g}, more than the solver's"
    elif worse:
        reason = f"the re-solved point is worse for the leader ({after:.10g} against {before:.10g})"
    decided_ids = {id(v) for v in decided}
    moved = max((abs(_num(v.value) - _num(old)) for v, old in saved if id(v) in decided_ids), default=0.0)
    if reason:
        for var, old in saved:
            var.set_value(old, skip_validation=True)
        return PolishReport(step, False, 0.0, 0.0, violation_before, violation_before, reason)
    _snap(decided)
    return PolishReport(step, True, moved, after - before, violation_before, violation_after)


def _snap(variables) -> None:
    """Put values within :data:`SNAP_TOL` of a bound on the bound, and integers on integers."""
    for var in variables:
        if var.value is None:
            continue
        if not var.is_continuous():
            var.set_value(float(round(var.value)), skip_validation=True)
        for bound in (var.lb, var.ub):
            if bound is not None and abs(var.value - bound) <= SNAP_TOL * max(1.0, abs(bound)):
                var.set_value(float(bound), skip_validation=True)


def _num(number) -> float:
    return 0.0 if number is None else float(number)
