"""Map a method's outcome back to the user's terms: leader and follower values, objectives, duals."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pyomo.environ import value

from pybilevel.model.duals import follower_duals_at
from pybilevel.results import BilevelResult, Status

if TYPE_CHECKING:
    from pyomo.core.base.var import VarData

    from pybilevel.methods.base import MethodOutcome
    from pybilevel.model.follower_form import FollowerForm
    from pybilevel.model.structure import BilevelStructure

__all__ = ["map_back", "report_follower", "number"]


def map_back(structure: BilevelStructure, outcome: MethodOutcome, method: str, method_reason: str) -> BilevelResult:
    """The result of ``outcome``, reading the point from the model's variables where there is one."""
    result = BilevelResult(
        status=outcome.status,
        message=outcome.message,
        method=outcome.method or method,
        solver=outcome.solver,
        solver_reason=outcome.solver_reason,
        bound=outcome.bound,
        bigm=outcome.bigm,
        iterations=outcome.iterations,
        history=list(outcome.history),
        model_size=outcome.model_size,
        method_reason=outcome.method_reason or method_reason,
        portfolio=list(outcome.portfolio),
        mpcc=outcome.mpcc,
        polish=outcome.polish,
    )
    if not outcome.has_point:
        return result
    objectives = [structure.leader_objective] + [form.objective for form in structure.followers]
    values = [value(objective.expr, exception=False) for objective in objectives]
    if any(v is None for v in values):  # the solver stopped without values for every variable
        decided = structure.leader_variables + [v for form in structure.followers for v in form.variables]
        unset = next((v.name for v in decided if v.value is None), "a variable of an objective")
        result.status = Status.ERROR if result.status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL) else Status.LIMIT
        result.message += f"; the solver left {unset} (and maybe others) without a value, so there is no point"
        return result
    result.leader_objective = float(values[0])
    result.leader = {v.name: number(v) for v in structure.leader_variables}
    for form, objective_value in zip(structure.followers, values[1:]):
        name = form.follower.name
        result.follower[name] = {v.name: number(v) for v in form.variables}
        result.follower_objectives[name] = float(objective_value)
    result.follower_duals = dict(outcome.follower_duals)
    result.follower_reduced_costs = dict(outcome.follower_reduced_costs)
    if outcome.iterations is not None and result.bound is not None:  # a decomposition reports its gap
        result.gap = abs(result.leader_objective - result.bound) / max(1.0, abs(result.leader_objective))
    return result


def report_follower(result: BilevelResult, form: FollowerForm) -> None:
    """Report ``form``'s current values, objective and duals (re-solved at the leader's decision)."""
    name = form.follower.name
    x = np.array([number(v) for v in form.leader_variables])
    result.follower[name] = {v.name: number(v) for v in form.variables}
    result.follower_objectives[name] = float(value(form.objective.expr))
    result.follower_duals[name], result.follower_reduced_costs[name] = follower_duals_at(form, x)


def number(var: VarData) -> float:
    """The variable's value as a float: nan when it has none, never "-0"."""
    return float("nan") if var.value is None else float(var.value) + 0.0
