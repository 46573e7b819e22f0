"""HiGHS through highspy on arrays, with no Pyomo in between, and linear Pyomo models compiled to arrays.

**Arrays** (:class:`ArrayLP`): used where pybilevel needs many small solves on data it already
holds as arrays (bound tightening, sampling follower multipliers, the value-function method's master and
subproblems, which grow by rows and columns from solve to solve).

**Linear Pyomo models** (:func:`solve_linear`): Pyomo's own HiGHS interface adds the model to
HiGHS row by row through a persistent-solver layer; for models of 10^5 rows that translation takes several times longer than compiling the
model to sparse arrays (Pyomo's ``LinearStandardFormCompiler``, one pass over each
constraint) and passing those to HiGHS at once. Linear objectives and constraints only: for
anything else :func:`solve_linear` returns ``None`` and the caller uses Pyomo's interface.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp
from pyomo.common.errors import InfeasibleConstraintException
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.core.base.block import BlockData
from pyomo.core.base.objective import maximize
from pyomo.core.staleflag import StaleFlagManager
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

__all__ = ["ArraySolution", "ArrayLP", "HighsRun", "solve_linear", "quiet_highs", "silence_banner"]

_banner_done = False


def silence_banner() -> None:
    """Let the process's first ``highspy.Highs()`` print its banner ("Running HiGHS ...") to nowhere.

    HiGHS prints it to the C-level stdout from the constructor of the first instance in a
    process, before any option (``output_flag``) can be set; later instances do not print it.
    So the first instance is made with file descriptor 1 pointed at /dev/null. Called before
    pybilevel or Pyomo's HiGHS interface makes an instance; a no-op after the first call.
    """
    global _banner_done  # noqa: PLW0603  (once per process, as HiGHS's own flag)
    if _banner_done:
        return
    _banner_done = True
    sys.stdout.flush()
    try:
        saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no file descriptor 1 (an embedded interpreter): nothing to protect
        highspy.Highs().setOptionValue("output_flag", False)
        return
    os.dup2(null, 1)
    try:
        highspy.Highs().setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def quiet_highs() -> highspy.Highs:
    """A ``highspy.Highs`` that prints nothing (no banner, ``output_flag`` off)."""
    silence_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible_or_unbounded",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "limit",
    highspy.HighsModelStatus.kIterationLimit: "limit",
    highspy.HighsModelStatus.kSolutionLimit: "limit",
    highspy.HighsModelStatus.kInterrupt: "limit",
}
#: relative and absolute MIP gaps of an exact MILP solve (HiGHS's defaults, 1e-4 and 1e-6, are not exact)
EXACT_MIP_GAP = 1e-9


@dataclass
class ArraySolution:
    """Status, primal values, objective and duals (d objective / d rhs, HiGHS's convention).

    For a MILP: no duals; ``bound`` is HiGHS's proven dual bound (valid also at a limit) and
    ``has_point`` says whether ``x`` holds a feasible point (a limit may end without one).
    """

    status: str
    x: np.ndarray
    objective: float
    row_dual: np.ndarray
    col_dual: np.ndarray
    bound: float = np.nan
    has_point: bool = True


class ArrayLP:
    """min c@x + 0.5 x@Q@x + offset  s.t.  row_lower <= A@x <= row_upper, col_lower <= x <= col_upper
    (and x_j integer where ``integer[j]``: a MILP, solved to the gap :data:`EXACT_MIP_GAP`).

    The model is passed to HiGHS once; the objective (:meth:`solve`), the row and column bounds
    (:meth:`set_row_bounds`, :meth:`set_col_bounds`) may change and rows and columns may be added
    (:meth:`add_columns`, :meth:`add_rows`) between solves; an LP warm-starts from the previous basis.
    """

    def __init__(
        self,
        A: sp.spmatrix,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        col_lower: np.ndarray,
        col_upper: np.ndarray,
        Q: sp.spmatrix | None = None,
        integer: np.ndarray | None = None,
        offset: float = 0.0,
    ) -> None:
        self.n_cols = A.shape[1]
        self.n_rows = A.shape[0]
        self.highs = quiet_highs()
        self.is_mip = integer is not None and bool(np.any(integer))
        if self.is_mip:
            self.highs.setOptionValue("mip_rel_gap", EXACT_MIP_GAP)
            self.highs.setOptionValue("mip_abs_gap", EXACT_MIP_GAP)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
        lp.col_cost_ = np.zeros(self.n_cols)
        lp.col_lower_ = np.asarray(col_lower, dtype=float)
        lp.col_upper_ = np.asarray(col_upper, dtype=float)
        lp.row_lower_ = np.asarray(row_lower, dtype=float)
        lp.row_upper_ = np.asarray(row_upper, dtype=float)
        csc = sp.csc_matrix(A, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data
        lp.offset_ = float(offset)
        if self.is_mip:
            lp.integrality_ = [_KIND[bool(flag)] for flag in integer]
        model = highspy.HighsModel()
        model.lp_ = lp
        if Q is not None and Q.nnz:
            lower = sp.csc_matrix(sp.tril(Q), dtype=float)
            hessian = highspy.HighsHessian()
            hessian.dim_ = self.n_cols
            hessian.format_ = highspy.HessianFormat.kTriangular
            hessian.start_ = lower.indptr
            hessian.index_ = lower.indices
            hessian.value_ = lower.data
            model.hessian_ = hessian
        self.highs.passModel(model)

    def set_row_bounds(self, lower: np.ndarray, upper: np.ndarray) -> None:
        n_rows = len(lower)
        idx = np.arange(n_rows, dtype=np.int32)
        self.highs.changeRowsBounds(n_rows, idx, np.asarray(lower, float), np.asarray(upper, float))

    def for_objective_runs(self) -> ArrayLP:
        """Use primal simplex: for a run of solves that change only the objective (bounding LPs),
        the last optimal basis stays primal feasible and primal simplex goes on from it (2.5x
        faster than HiGHS's default choice on the bounding LPs of a 1354-bus network)."""
        self.highs.setOptionValue("simplex_strategy", 4)
        return self

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        idx = np.asarray(cols, dtype=np.int32)
        self.highs.changeColsBounds(len(idx), idx, np.asarray(lower, float), np.asarray(upper, float))

    def add_columns(self, lower: np.ndarray, upper: np.ndarray, integer: bool) -> np.ndarray:
        """Append columns with no coefficients yet (rows added later use them); their indices."""
        count = len(lower)
        self.highs.addVars(count, np.asarray(lower, float), np.asarray(upper, float))
        idx = np.arange(self.n_cols, self.n_cols + count, dtype=np.int32)
        if integer:
            self.highs.changeColsIntegrality(count, idx, np.full(count, int(_KIND[True].value), dtype=np.uint8))
            self.is_mip = True
        self.n_cols += count
        return idx

    def add_rows(self, A: sp.spmatrix, lower: np.ndarray, upper: np.ndarray) -> None:
        """Append rows ``lower <= A @ x <= upper`` (A has one column per current column)."""
        csr = sp.csr_matrix(A, dtype=float)
        self.highs.addRows(
            csr.shape[0], np.asarray(lower, float), np.asarray(upper, float), csr.nnz,
            csr.indptr.astype(np.int32), csr.indices.astype(np.int32), csr.data,
        )
        self.n_rows += csr.shape[0]

    def solve(
        self, cost: np.ndarray, maximize: bool = False, time_limit: float | None = None,
        start: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> ArraySolution:
        """Solve with objective ``cost``; ``start`` (column indices, values; a MILP's, possibly
        partial) is offered to HiGHS, which uses it if it can complete it to a feasible point."""
        idx = np.arange(self.n_cols, dtype=np.int32)
        self.highs.changeColsCost(self.n_cols, idx, np.asarray(cost, dtype=float))
        self.highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        )
        limit = np.inf if time_limit is None else max(float(time_limit), 0.0)
        if not self.is_mip:  # HiGHS's LP clock runs on over every solve on one object (a MIP's restarts)
            limit += self.highs.getRunTime()
        self.highs.setOptionValue("time_limit", limit)
        if start is not None and len(start[0]):
            self.highs.setSolution(len(start[0]), np.asarray(start[0], dtype=np.int32), np.asarray(start[1], dtype=float))
        self.highs.run()
        status = _STATUS.get(self.highs.getModelStatus(), "error")
        solution = self.highs.getSolution()
        info = self.highs.getInfo()
        has_point = info.primal_solution_status == 2  # kSolutionStatusFeasible
        return ArraySolution(
            status=status,
            x=np.array(solution.col_value),
            objective=info.objective_function_value,
            row_dual=np.array(solution.row_dual),
            col_dual=np.array(solution.col_dual),
            bound=info.mip_dual_bound if self.is_mip else info.objective_function_value,
            has_point=has_point,
        )


_KIND = {True: highspy.HighsVarType.kInteger, False: highspy.HighsVarType.kContinuous}

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


def solve_linear(block: BlockData, options: dict[str, float], starts: list[Mapping] | None = None) -> HighsRun | None:
    """Solve ``block`` (linear objective and constraints) with HiGHS and load the values found.

    ``options`` are HiGHS options (``time_limit``, ``mip_rel_gap``, ...); ``starts`` are candidate
    MILP starts, each variable -> value (:func:`_best_start`). Returns ``None``,
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
    began = time.perf_counter()
    start = (_best_start(lp, columns, integer, (col_lower, col_upper), starts, cost, sense_max, time_limit)
             if starts and lp.is_mip else None)
    if time_limit is not None:
        time_limit = max(float(time_limit) - (time.perf_counter() - began), 0.0)
    solution = lp.solve(cost, maximize=sense_max, time_limit=time_limit, start=start)
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


def _best_start(
    lp: ArrayLP, columns: list, integer: np.ndarray, col_bounds: tuple[np.ndarray, np.ndarray], starts: list[Mapping],
    cost: np.ndarray, maximize: bool, time_limit: float | None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The best of the candidate starts, as (columns, values) for :meth:`ArrayLP.solve`.

    A candidate that gives every integer column a value is completed by one LP: those columns
    fixed at their (rounded) values, the continuous ones optimised; the best feasible completion
    wins. Where no candidate fixes every integer column, the first is passed as it is (HiGHS
    completes a partial start itself). None if no candidate is feasible."""
    ints = np.flatnonzero(integer)
    complete = [s for s in starts if all(columns[j] in s for j in ints)]
    if not complete:
        given = [(j, starts[0][var]) for j, var in enumerate(columns) if var in starts[0]]
        return (np.array([j for j, _ in given]), np.array([v for _, v in given])) if given else None
    saved = col_bounds[0][ints], col_bounds[1][ints]  # restored after the completions
    best, best_value, share = None, np.inf, None if time_limit is None else time_limit / (4 * len(complete))
    try:
        for start in complete:
            values = np.array([round(start[columns[j]]) for j in ints], dtype=float)
            lp.set_col_bounds(ints, values, values)
            solution = lp.solve(cost, maximize=maximize, time_limit=share)
            value = -solution.objective if maximize else solution.objective
            if solution.status == "optimal" and value < best_value:
                best, best_value = solution.x, value
    finally:
        lp.set_col_bounds(ints, *saved)
    return None if best is None else (np.arange(len(columns)), best)


def _row_bounds(compiled) -> tuple[np.ndarray, np.ndarray]:
    """Row bounds from the mixed form: bound type 0 is ``== rhs``, 1 is ``<= rhs``, -1 is ``>= rhs``."""
    rhs = np.asarray(compiled.rhs, dtype=float)
    kind = np.array([row.bound_type for row in compiled.rows], dtype=int).reshape(len(rhs))
    return np.where(kind <= 0, rhs, -np.inf), np.where(kind >= 0, rhs, np.inf)
