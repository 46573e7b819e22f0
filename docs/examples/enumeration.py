"""``method="enumeration"``: try every leader decision; the worked example of docs/architecture.md.

For a leader whose variables are all integer and bounded, with few decisions in all, the
optimistic bilevel optimum is found by brute force: at each decision, the follower's optimum
best for the leader (:func:`pybilevel.certify.optimal_set.choose_response`), and the best of
those. Slow, but exact for any follower the certificate can re-solve, which makes it a good
cross-check on small problems.

Use it by importing this file (it registers the method): ``bl.solve(m, method="enumeration")``.
"""
from __future__ import annotations

import itertools
import math

from pyomo.environ import value

from pybilevel.certify.optimal_set import choose_response
from pybilevel.errors import BilevelError, MethodRefusedError
from pybilevel.map_back import number
from pybilevel.methods.base import GLOBAL, Method, MethodOutcome, SolveRequest, register
from pybilevel.model.structure import BilevelStructure
from pybilevel.readings.names import OPTIMISTIC
from pybilevel.results import Status
from pybilevel.timing import TimeBudget

#: the most leader decisions the method tries
MAX_DECISIONS = 10_000


class EnumerationMethod(Method):
    name = "enumeration"
    kind = GLOBAL

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        if len(structure.followers) != 1:
            return MethodRefusedError(f"method '{self.name}' takes one follower; use 'sos1' for several.")
        for var in structure.leader_variables:
            if var.is_continuous() or var.lb is None or var.ub is None:
                return MethodRefusedError(
                    f"method '{self.name}' needs bounded integer leader variables; {var.name} is not: "
                    "use 'sos1' (or 'value_function' for an integer follower)."
                )
        count = _decisions(structure)
        if count > MAX_DECISIONS:
            return MethodRefusedError(
                f"method '{self.name}' would try {count} leader decisions (at most {MAX_DECISIONS}); use 'sos1'."
            )
        return None

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        leader, form = structure.leader_variables, structure.followers[0]
        every = leader + form.variables
        sign = 1 if structure.leader_objective.is_minimizing() else -1
        best, best_value, stopped = None, math.inf, False
        for decision in itertools.product(*(range(int(v.lb), int(v.ub) + 1) for v in leader)):
            if budget.remaining() == 0:
                stopped = True
                break
            for var, x in zip(leader, decision):
                var.set_value(x)
            if choose_response(structure, form, OPTIMISTIC) != "optimal":
                continue  # no follower optimum satisfies the leader's constraints here
            objective = sign * float(value(structure.leader_objective.expr))
            if objective < best_value:
                best, best_value = [number(v) for v in every], objective
        if best is not None:
            for var, x in zip(every, best):
                var.set_value(x, skip_validation=True)
        status = (Status.FEASIBLE if best is not None else Status.LIMIT) if stopped else (
            Status.OPTIMAL if best is not None else Status.INFEASIBLE
        )
        return MethodOutcome(
            status=status,
            message=f"enumeration of {_decisions(structure)} leader decisions" + (" stopped at the time limit" if stopped else ""),
            solver="highs/scip",
            solver_reason="the certificate's follower and optimal-set solves at each decision",
            has_point=best is not None,
        )

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        return f"method {self.name}: {_decisions(structure)} leader decisions, the follower solved at each"


def _decisions(structure: BilevelStructure) -> int:
    return math.prod(int(v.ub) - int(v.lb) + 1 for v in structure.leader_variables)


METHOD = register(EnumerationMethod())
