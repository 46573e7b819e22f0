"""Reformulation methods: a ``bilevel.*`` transformation, a solver for the single-level model, the
solution mapped back. :class:`ReformulationMethod` is the whole method for most transformations;
a method that solves its model differently overrides :meth:`ReformulationMethod.prepare` or
:meth:`ReformulationMethod.run` (``kkt``, ``regularized``)."""
from __future__ import annotations

import logging
from dataclasses import asdict
from typing import TYPE_CHECKING

from pybilevel.deadline import BudgetSpent, under_budget
from pybilevel.errors import BilevelError
from pybilevel.methods.base import (
    GLOBAL,
    Method,
    MethodOutcome,
    SolveRequest,
    refusal_of,
)
from pybilevel.methods.polish import polish_on_branch
from pybilevel.methods.scholtes import complementarity_report
from pybilevel.model.duals import follower_duals, follower_reduced_costs
from pybilevel.progress import Progress
from pybilevel.results import Status
from pybilevel.solvers.embedded import SolveOutcome, choose_solver, solve_model
from pybilevel.solvers.external import check_capabilities, is_external, solve_external
from pybilevel.solvers.model_size import model_size
from pybilevel.timing import timed

if TYPE_CHECKING:
    from pybilevel.methods.transformation import BilevelTransformation, Reformulation
    from pybilevel.model.bounds import BigMValue
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.timing import TimeBudget

__all__ = ["ReformulationMethod", "outcome_of", "reached_bigm"]

logger = logging.getLogger(__name__)


class ReformulationMethod(Method):
    """The method of one ``bilevel.*`` transformation: reformulate, solve, map back, undo."""

    def __init__(self, transformation: type[BilevelTransformation], kind: str = GLOBAL, polishes: bool = True) -> None:
        self.transformation = transformation
        self.name = transformation.method
        self.kind = kind
        #: re-solve on the point's branch afterwards (methods/polish.py); off for a method that
        #: polishes its own way or whose model has no complementarity branch to fix
        self.polishes = polishes

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        return refusal_of(self.transformation().accepts, structure)

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        timings: dict[str, float] = {}
        try:
            with timed(timings, "reformulate"), under_budget(budget):
                reformulation = self.transformation().reformulate(structure, **request.options)
        except BudgetSpent as spent:  # the transformation removed its block: the model is as it was
            return MethodOutcome(
                status=Status.LIMIT,
                message=f"the time limit ran out while {spent.step}, before the single-level model was "
                "solved, so there is no point: give a longer time_limit, or finite bounds on the follower's "
                "variables (they bound the slacks without LPs)",
                solver="none", solver_reason="no solver reached: the reformulation was not finished",
                timings=timings,
            )
        logger.info("method %s: reformulated in %.3f s (%s)", self.name, timings["reformulate"],
                    ", ".join(sorted(reformulation.features)) or "linear")
        try:
            solver, reason = self.choose_solver(reformulation, request.solver)
            logger.info("method %s: solving the single-level model with %s", self.name, reason)
            progress = Progress(self.name)
            solved, mpcc = self.run(reformulation, solver, budget, request, progress)
            logger.info("method %s: %s %s (%s) in %.3f s", self.name, solved.solver, solved.status,
                        solved.termination, solved.seconds)
            if solved.solver_seconds is not None:  # the rest is the translation to the solver and back
                timings["translate"] = solved.seconds - solved.solver_seconds
            timings["solve"] = solved.seconds if solved.solver_seconds is None else solved.solver_seconds
            polished = None
            if self.polishes and solved.has_solution:
                with timed(timings, "polish"):
                    polished = polish_on_branch(reformulation, budget)
            with timed(timings, "size"):  # for the report only: skipped when the budget is spent
                size = {} if budget.spent else model_size(reformulation.model)
            logger.info("method %s: single-level model %s", self.name, size or "(size skipped: budget spent)")
            with timed(timings, "invert"):
                outcome = outcome_of(reformulation, solved, reason)
        finally:
            reformulation.remove()
        outcome.model_size, outcome.mpcc, outcome.timings = size, mpcc, timings
        outcome.history = progress.history
        outcome.polish = {} if polished is None else asdict(polished)
        return outcome

    def choose_solver(self, reformulation: Reformulation, requested: str | None) -> tuple[str, str]:
        """The solver for the single-level model and why; ``prepare`` it for that solver."""
        solver, reason = choose_solver(reformulation.features)
        if requested is not None:
            solver, reason = requested, f"{requested} (chosen by the user)"
        reason = self.prepare(reformulation, solver) or reason
        if is_external(solver):  # after prepare: kkt's pairs are SOS1 sets by then
            check_capabilities(reformulation.model, solver, reformulation.features, self.name)
        return solver, reason

    def prepare(self, reformulation: Reformulation, solver: str) -> str | None:
        """Adapt the single-level model to ``solver``; return a new solver reason, if any."""
        return None

    def run(
        self, reformulation: Reformulation, solver: str, budget: TimeBudget, request: SolveRequest, progress: Progress
    ) -> tuple[SolveOutcome, dict[str, object]]:
        """Solve the single-level model; return the solver's outcome and an MPCC report (local solvers).
        An embedded solver, or any Pyomo solver (:mod:`pybilevel.solvers.external`). A run of several
        solves (regularized's rounds) records each in ``progress``: ``res.history``."""
        if is_external(solver):
            solved = solve_external(reformulation.model, solver, budget.remaining(), request.mip_gap,
                                    solver_options=request.solver_options, tee=request.tee)
        else:
            solved = solve_model(reformulation.model, solver, budget.remaining(), request.mip_gap,
                                 solver_options=request.solver_options, tee=request.tee, starts=reformulation.starts)
        if solved.has_solution:
            reformulation.complete_solution()
        mpcc = asdict(complementarity_report(reformulation)) if solved.local and solved.has_solution else {}
        return solved, mpcc

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        reformulation = self.transformation().reformulate(structure, **options)
        try:
            size = reformulation.size()
            _, reason = choose_solver(reformulation.features)
        finally:
            reformulation.remove()
        return (
            f"method {self.name}: {size['rows']} rows, {size['columns']} columns, "
            f"{size['nonzeros']} nonzeros; solver: {reason}"
        )


_STATUS = {
    "infeasible": Status.INFEASIBLE,
    "unbounded": Status.UNBOUNDED,
    "infeasible_or_unbounded": Status.INFEASIBLE_OR_UNBOUNDED,
    "error": Status.ERROR,
}


def outcome_of(reformulation: Reformulation, solved: SolveOutcome, reason: str) -> MethodOutcome:
    """The method's outcome from the solver's: status, message, big-M report and follower duals."""
    if solved.status == "optimal":
        status = Status.LOCALLY_OPTIMAL if solved.local else Status.OPTIMAL
    elif solved.status == "limit":
        status = Status.FEASIBLE if solved.has_solution else Status.LIMIT
    else:
        status = _STATUS[solved.status]
    outcome = MethodOutcome(
        status=status,
        message=_message(status, solved) + _redundancy_note(reformulation),
        solver=solved.solver,
        solver_reason=reason,
        bound=solved.bound,
        bigm=reformulation.bigm,
        has_point=solved.has_solution and status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE),
    )
    if outcome.has_point:
        reached_bigm(reformulation)
        for dual in reformulation.duals:
            name = dual.form.follower.name
            outcome.follower_duals[name] = follower_duals(dual)
            outcome.follower_reduced_costs[name] = follower_reduced_costs(dual)
    return outcome


def _redundancy_note(reformulation: Reformulation) -> str:
    """'; ...' naming the redundant equality rows dropped from the KKT systems, or ''."""
    notes = []
    for dual in reformulation.duals:
        names = dual.form.redundant_row_names()
        if names:
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            notes.append(f"follower {dual.form.follower.name}: redundant equality row{'s' * (len(names) > 1)} {shown} "
                         "dropped from the KKT system (its dual reported as 0)")
    return "".join(f"; {note}" for note in notes)


def _message(status: str, solved: SolveOutcome) -> str:
    return {
        Status.OPTIMAL: f"{solved.solver} proved the single-level reformulation optimal",
        Status.LOCALLY_OPTIMAL: f"{solved.solver} converged to a local optimum of the single-level reformulation",
        Status.FEASIBLE: f"{solved.solver} stopped at a limit ({solved.termination}) with a point; "
        f"best bound {solved.bound}",
        Status.LIMIT: f"{solved.solver} stopped at a limit ({solved.termination}) before finding any point",
        Status.UNBOUNDED: "the leader's objective is unbounded over the bilevel-feasible points",
        Status.INFEASIBLE: "no bilevel-feasible point exists",
        Status.INFEASIBLE_OR_UNBOUNDED: f"{solved.solver} reported infeasible or unbounded",
        Status.ERROR: f"{solved.solver} failed ({solved.termination})",
    }[status]


def reached_bigm(reformulation: Reformulation, rel_tol: float = 1e-6) -> list[BigMValue]:
    """Mark and return every big-M value the solution reached: a multiplier or slack at its M, a
    free multiplier at its bound either way, a follower variable (McCormick range) at its bound."""
    current = _bounded_values(reformulation)
    reached = []
    for record in reformulation.bigm:
        now = current[(record.follower, record.kind, record.key)]
        if now is None:
            record.reached = False
        elif record.kind == "variable":
            record.reached = abs(now - record.value) <= rel_tol * max(1.0, abs(record.value)) + 1e-9
        else:
            record.reached = now >= record.value * (1 - rel_tol) - 1e-9 and record.value > 0
        if record.reached:
            reached.append(record)
    return reached


def _bounded_values(reformulation: Reformulation) -> dict[tuple[str, str, str], float | None]:
    """(follower, kind, key) -> the current value of what each kind of record bounds."""
    from pyomo.environ import value  # noqa: PLC0415

    values: dict[tuple[str, str, str], float | None] = {}
    for dual in reformulation.duals:
        name = dual.form.follower.name
        for pair in dual.pairs:
            values[(name, "multiplier", pair.key)] = pair.multiplier.value
            values[(name, "slack", pair.key)] = value(pair.slack, exception=False)
        for key, var in dual.block.dual_equal.items():
            values[(name, "multiplier", f"{key}:equal")] = None if var.value is None else abs(var.value)
        for var in dual.form.variables:
            for side in ("lower", "upper"):
                values[(name, "variable", f"{var.name}:{side}")] = var.value
    return values
