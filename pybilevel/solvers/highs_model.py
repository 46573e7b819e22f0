"""HiGHS on a linear Pyomo model through arrays: Pyomo's standard-form compiler, then highspy.

Pyomo's own HiGHS interface adds the model to HiGHS row by row through a persistent-solver
layer; for models of 10^5 rows that translation takes several times longer than compiling the
model to sparse arrays (Pyomo's ``LinearStandardFormCompiler``, one pass over each
constraint) and passing those to HiGHS at once. Linear objectives and constraints only: for
anything else :func:`solve_linear` returns ``None`` and the caller uses Pyomo's interface.
"""
from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.core.base.block import BlockData
from pyomo.core.base.objective import maximize
from pyomo.core.staleflag import StaleFlagManager
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from pybilevel.solvers.highs_arrays import ArrayLP

__all__ = ["HighsRun", "solve_linear"]

_TERMINATION = {
    highspy.HighsModelStatus.kOptimal: TerminationCondition.convergenceCriteriaSatisfied,
    highspy.HighsModelStatus.kModelEmpty: TerminationCondition.convergenceCriteriaSatisfied,
    highspy.HighsModelStatus.kInfeasible: TerminationCondition.provenInfeasible,
    highspy.HighsModelStatus.kUnbounded: TerminationCondition.unbounded,
    highspy.HighsModelStatus.kUnboundedOrInfeasible: TerminationCondition.infeasibleOrUnbounded,
    highspy.HighsModelStatus.kTimeLimit: TerminationCondition.maxTimeLimit,
    highspy.HighsModelStatus.kIterationLimit: TerminationCondition.iterationLimit,
    highspy.HighsModelStatus.kSolutionLimit: TerminationCondition.iterationLimit,
    highspy.HighsModelStatus.kObjectiveBound: TerminationCondition.objectiveLimit,
    highspy.HighsModelStatus.kObjectiveTarget: TerminationCondition.objectiveLimit,
    highspy.HighsModelStatus.kInterrupt: TerminationCondition.interrupted,
}


@dataclass
class HighsRun:
    """What HiGHS reported, in the terms of Pyomo's solver results."""

    termination: TerminationCondition
    objective: float | None  # incumbent, including the objective's constant
    bound: float | None
    has_solution: bool
    run_seconds: float  # HiGHS's own run time


def solve_linear(block: BlockData, options: dict[str, float]) -> HighsRun | None:
    """Solve ``block`` (linear objective and constraints) with HiGHS and load the values found.

    ``options`` are HiGHS options (``time_limit``, ``mip_rel_gap``, ...). Returns ``None``,
    without touching the model, when the block is not linear or has more than one objective.
    """
    try:
        compiled = LinearStandardFormCompiler().write(block, mixed_form=True, set_sense=None)
    except (ValueError, InfeasibleConstraintException):
        return None  # nonlinear terms, components the compiler does not know, or a trivially false row
    if len(compiled.objectives) > 1:
        return None
    columns = compiled.columns
    bounds = np.array([v.bounds for v in columns], dtype=float).reshape(len(columns), 2)
    col_lower = np.where(np.isnan(bounds[:, 0]), -np.inf, bounds[:, 0])
    col_upper = np.where(np.isnan(bounds[:, 1]), np.inf, bounds[:, 1])
    integer = np.array([v.is_integer() for v in columns], dtype=bool)
    row_lower, row_upper = _row_bounds(compiled)
    if compiled.objectives:
        cost = compiled.c.toarray()[0] if compiled.c.shape[1] else np.zeros(0)
        offset = float(compiled.c_offset[0])
        sense_max = compiled.objectives[0].sense == maximize
    else:
        cost, offset, sense_max = np.zeros(len(columns)), 0.0, False
    lp = ArrayLP(compiled.A, row_lower, row_upper, col_lower, col_upper, integer=integer, offset=offset)
    options = dict(options)
    time_limit = options.pop("time_limit", None)  # ArrayLP.solve sets it on every run
    for key, value in options.items():
        lp.highs.setOptionValue(key, value)
    solution = lp.solve(cost, maximize=sense_max, time_limit=time_limit)
    highs = lp.highs
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2 or status == highspy.HighsModelStatus.kModelEmpty
    termination = _TERMINATION.get(status, TerminationCondition.error)
    if has_solution:
        for var, val in zip(columns, solution.x.tolist()):
            var.set_value(val, skip_validation=True)
        StaleFlagManager.mark_all_as_stale(delayed=True)
    if info.mip_node_count == -1:  # an LP: the bound is the optimum once proven
        optimal = termination == TerminationCondition.convergenceCriteriaSatisfied
        bound = info.objective_function_value if has_solution and optimal else None
    else:
        bound = info.mip_dual_bound
    return HighsRun(
        termination=termination,
        objective=(offset if not columns else info.objective_function_value) if has_solution else None,
        bound=bound,
        has_solution=has_solution,
        run_seconds=highs.getRunTime(),
    )


def _row_bounds(compiled) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds from the mixed form: bound type 0 is ``== rhs``, 1 is ``<= rhs``, -1 is ``>= rhs``."""
    rhs = np.asarray(compiled.rhs, dtype=float)
    kind = np.array([row.bound_type for row in compiled.rows], dtype=int).reshape(len(rhs))
    return np.where(kind <= 0, rhs, -np.inf), np.where(kind >= 0, rhs, np.inf)
