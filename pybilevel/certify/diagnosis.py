"""Why no bilevel-feasible point was found: the constraints themselves, or the follower's optimality."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from pybilevel.model.bounds import FollowerAtLeader, HighPointRelaxation
from pybilevel.results import Status

if TYPE_CHECKING:
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.results import BilevelResult

__all__ = ["diagnose_infeasible"]


def diagnose_infeasible(structure: BilevelStructure, result: BilevelResult) -> tuple[str, str]:
    """The status and message that say which part is infeasible (or the result's own, if unknown)."""
    hpr = HighPointRelaxation(structure)
    relaxed = hpr.lp_solve(np.zeros(len(hpr.columns)))
    if relaxed.status == "infeasible":
        return Status.INFEASIBLE, (
            "the leader's and follower's constraints have no common point (the high-point "
            "relaxation is infeasible): check the constraints and bounds"
        )
    if relaxed.status != "optimal":
        return result.status, result.message
    for form in structure.followers:
        if form.is_nonlinear:
            continue  # the array solve below knows the linear and quadratic parts only
        x = relaxed.x[[hpr.column_of(v) for v in form.leader_variables]]
        follower = FollowerAtLeader(form).solve(x)
        if follower.status in ("unbounded", "infeasible_or_unbounded"):
            point = ", ".join(f"{v.name}={xi:g}" for v, xi in zip(form.leader_variables, x))
            return Status.FOLLOWER_UNBOUNDED, (
                f"follower {form.follower.name} has no optimum (its objective is unbounded) at the "
                f"leader decision {point}: bound the follower's variables or constraints"
            )
    if result.status == Status.INFEASIBLE and any(form.is_nonlinear for form in structure.followers):
        return Status.INFEASIBLE, (
            "no bilevel-feasible point exists; with nonlinear follower rows pybilevel cannot tell "
            "whether the constraints themselves conflict or only the follower's optimality does"
        )
    if result.status == Status.INFEASIBLE:
        return Status.INFEASIBLE, (
            "the constraints are jointly feasible, but no leader decision makes a follower-optimal "
            "response satisfy the leader's constraints (bilevel infeasible)"
        )
    return result.status, result.message
