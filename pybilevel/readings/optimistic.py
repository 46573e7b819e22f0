"""The optimistic reading: among the follower's optima, the one best for the leader.

It is what every method solves, so nothing is rewritten; mapping back only completes an answer
found at a limit (:meth:`OptimisticReading.invert`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pyomo.environ import value

from pybilevel.certify.optimal_set import choose_response
from pybilevel.map_back import report_follower
from pybilevel.readings.base import Reading
from pybilevel.readings.names import OPTIMISTIC
from pybilevel.results import Status

if TYPE_CHECKING:
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.results import BilevelResult
    from pybilevel.timing import TimeBudget

__all__ = ["OptimisticReading", "best_response_at_limit"]


class OptimisticReading(Reading):
    name = OPTIMISTIC

    @contextmanager
    def applied(self, structure: BilevelStructure, timings: dict[str, float]) -> Iterator[BilevelStructure]:
        yield structure

    def invert(self, structure: BilevelStructure, result: BilevelResult, budget: TimeBudget | None = None) -> None:
        if result.status == Status.FEASIBLE and not structure.is_game:
            best_response_at_limit(structure, result, budget)


def best_response_at_limit(structure: BilevelStructure, result: BilevelResult, budget: TimeBudget | None = None) -> None:
    """At a solver limit, give each follower its optimum best for the leader at the decision found.

    The incumbent's follower response is optimal for the follower when its KKT conditions hold,
    but among several optima it need not be the one the optimistic reading picks; the leader
    then loses what a finished solve would have had at the same decision. Kept only if better.
    Nonlinear followers are left as they are: their optimal set is only approximated by a cut,
    and the leader's problem over it can take the certificate's whole time limit.
    """
    sign = 1 if structure.leader_objective.is_minimizing() else -1
    before = result.leader_objective
    for form in structure.followers:
        if form.is_nonlinear:
            continue
        saved = [v.value for v in form.variables]
        if choose_response(structure, form, OPTIMISTIC, budget) != "optimal" or (
            sign * (float(value(structure.leader_objective.expr)) - before) >= -1e-9 * max(1.0, abs(before))
        ):
            for var, kept in zip(form.variables, saved):
                var.set_value(kept, skip_validation=True)
            continue
        report_follower(result, form)
        result.leader_objective = float(value(structure.leader_objective.expr))
    if result.leader_objective != before:
        if result.gap is not None and result.bound is not None:
            result.gap = abs(result.leader_objective - result.bound) / max(1.0, abs(result.leader_objective))
        result.message += (
            f"; the follower's optimum best for the leader at that decision improves the leader's "
            f"objective from {before:.10g} to {result.leader_objective:.10g}"
        )
