"""``method="auto"`` as a portfolio: the methods auto would accept, run in time slices.

Round r gives each candidate, in auto's order, ``FIRST_SLICE * GROWTH**r`` seconds (or what is
left of the budget); with a time limit, auto's first choice gets at least half of it first. A
candidate that refuses while solving (a big-M without a bound) is dropped. The first conclusive answer wins (an optimum proven by a global method, or
infeasible / unbounded); a method that errs or returns a local optimum is not run again. When
the budget runs out the best point any candidate found is returned (status ``feasible``, or
``local_optimal`` if a local method found it) with the best bound any global candidate proved;
without a point, status ``limit``. ``MethodOutcome.portfolio`` lists every attempt.

A single candidate runs alone, with the whole budget, as before.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyomo.core.base.var import Var
from pyomo.environ import value

from pybilevel.errors import BilevelError
from pybilevel.methods.base import GLOBAL, Method, MethodOutcome, SolveRequest
from pybilevel.results import Status
from pybilevel.timing import TimeBudget

if TYPE_CHECKING:
    from pybilevel.model.structure import BilevelStructure

__all__ = ["Portfolio", "Attempt", "FIRST_SLICE", "GROWTH"]

#: seconds of the first round's slice, and the factor from one round to the next
FIRST_SLICE = 2.0
GROWTH = 4.0
#: with a time limit, the share of it auto's first choice gets in its first slice (at least FIRST_SLICE)
PRIMARY_SHARE = 0.5
#: statuses that settle the problem when a global method reports them
CONCLUSIVE = (Status.OPTIMAL, Status.INFEASIBLE, Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED)


@dataclass
class Attempt:
    """One run of one candidate in one slice."""

    method: str
    slice: float | None  # seconds given, None for no limit
    seconds: float
    status: str
    leader_objective: float | None
    bound: float | None

    def describe(self) -> str:
        point = "no point" if self.leader_objective is None else f"objective {self.leader_objective:.10g}"
        bound = "" if self.bound is None else f", bound {self.bound:.10g}"
        return f"{self.method} {self.status} in {self.seconds:.2f} s ({point}{bound})"


class Portfolio(Method):
    """Auto's accepted candidates (each with the reason auto gives for it), run in time slices."""

    name = "auto"
    kind = GLOBAL

    def __init__(self, candidates: list[tuple[Method, str]]) -> None:
        self.candidates = candidates

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        return None

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        return "portfolio of " + ", ".join(method.name for method, _ in self.candidates)

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        sense = 1 if structure.leader_objective.is_minimizing() else -1
        variables = list(structure.model.component_data_objects(Var, descend_into=True))
        attempts: list[Attempt] = []
        best: tuple[float, MethodOutcome, str, list] | None = None  # (sense * objective, outcome, method, values)
        best_bound: float | None = None
        best_why, best_index = "", 0
        last: tuple[MethodOutcome, str] | None = None
        refusals: list[BilevelError] = []
        active = list(self.candidates)
        round_slice = FIRST_SLICE
        while active:
            for method, why in list(active):
                left = budget.remaining()
                if left is not None and left <= 0:
                    active = []
                    break
                wanted = round_slice
                if not attempts and left is not None:  # auto's first choice gets half the budget first
                    wanted = max(round_slice, PRIMARY_SHARE * left)
                give = wanted if left is None else min(wanted, left)
                slice_budget = TimeBudget(give)
                try:
                    outcome = method.solve(structure, request, slice_budget)
                except BilevelError as refusal:  # e.g. big-M found no bound on a slack: drop it
                    attempts.append(Attempt(method.name, give, slice_budget.elapsed(), "refused", None, None))
                    refusals.append(refusal)
                    active.remove((method, why))
                    continue
                seconds = slice_budget.elapsed()
                objective = _objective(structure) if outcome.has_point else None
                attempts.append(Attempt(method.name, give, seconds, outcome.status, objective, outcome.bound))
                last = (outcome, why)
                if method.kind == GLOBAL and outcome.bound is not None and math.isfinite(outcome.bound):
                    best_bound = outcome.bound if best_bound is None else (
                        max(best_bound, outcome.bound) if sense > 0 else min(best_bound, outcome.bound))
                if outcome.status in CONCLUSIVE and method.kind == GLOBAL and _trusted(outcome):
                    return _won(outcome, method.name, why, attempts, len(attempts) - 1)
                if objective is not None and (best is None or sense * objective < best[0]):
                    best = (sense * objective, outcome, method.name, [v.value for v in variables])
                    best_why, best_index = why, len(attempts) - 1
                settled = outcome.status in (Status.ERROR, Status.LOCALLY_OPTIMAL) or outcome.status in CONCLUSIVE
                if settled or method.kind != GLOBAL:
                    active.remove((method, why))  # more time would give the same answer
            round_slice *= GROWTH
        if best is not None:
            _, outcome, name, values = best
            for var, old in zip(variables, values):
                var.set_value(old, skip_validation=True)
            if outcome.status == Status.OPTIMAL:  # a global optimum not trusted (big-M reached): only a point
                outcome.status = Status.FEASIBLE
            outcome.bound = best_bound if best_bound is not None else outcome.bound
            outcome.message += "; the best point of auto's portfolio, which no candidate proved optimal in time"
            return _won(outcome, name, best_why, attempts, best_index)
        if last is None:  # every candidate refused while solving
            raise refusals[0]
        outcome, why = last
        outcome.bound = best_bound
        if outcome.status != Status.ERROR:
            outcome.status = Status.LIMIT
        return _won(outcome, attempts[-1].method, why, attempts, len(attempts) - 1)


def _won(outcome: MethodOutcome, method: str, why: str, attempts: list[Attempt], index: int) -> MethodOutcome:
    """``outcome`` (from attempt ``index``) as the portfolio's answer, naming its method and every attempt."""
    outcome.method, outcome.method_reason = method, why
    outcome.portfolio = [vars(a).copy() for a in attempts]
    if len(attempts) > 1:  # the time the other attempts took, so the timings add up
        others = sum(a.seconds for k, a in enumerate(attempts) if k != index)
        outcome.timings = {**outcome.timings, "other methods": others}
    outcome.method_reason += f"; portfolio: {'; '.join(a.describe() for a in attempts)}"
    return outcome


def _trusted(outcome: MethodOutcome) -> bool:
    """An answer is conclusive unless a heuristic (unproven) big-M value was reached, the case
    the result warns about (``BilevelResult.__str__``)."""
    return not any(record.reached and not record.proven for record in outcome.bigm)


def _objective(structure: BilevelStructure) -> float | None:
    result = value(structure.leader_objective.expr, exception=False)
    return None if result is None else float(result)
