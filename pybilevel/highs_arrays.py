"""Array-level HiGHS calls: LPs and convex QPs given as numpy/scipy arrays, no Pyomo in between.

Used where pybilevel needs many small solves on data it already holds as arrays
(bound tightening, sampling follower multipliers).
"""
from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

__all__ = ["ArraySolution", "ArrayLP"]

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible_or_unbounded",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}


@dataclass
class ArraySolution:
    """Status, primal values, objective and duals (d objective / d rhs, HiGHS's convention)."""

    status: str
    x: np.ndarray
    objective: float
    row_dual: np.ndarray
    col_dual: np.ndarray


class ArrayLP:
    """min c@x + 0.5 x@Q@x + offset  s.t.  row_lower <= A@x <= row_upper, col_lower <= x <= col_upper,
    x[integer] integral.

    The model is passed to HiGHS once; the objective (:meth:`solve`) and the row bounds
    (:meth:`set_row_bounds`) may change between solves, so HiGHS warm-starts from the previous basis.
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
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
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
        if integer is not None and integer.any():
            lp.integrality_ = np.where(integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous).tolist()
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

    def solve(self, cost: np.ndarray, maximize: bool = False) -> ArraySolution:
        idx = np.arange(self.n_cols, dtype=np.int32)
        self.highs.changeColsCost(self.n_cols, idx, np.asarray(cost, dtype=float))
        self.highs.changeObjectiveSense(
            highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        )
        self.highs.run()
        status = _STATUS.get(self.highs.getModelStatus(), "error")
        solution = self.highs.getSolution()
        return ArraySolution(
            status=status,
            x=np.array(solution.col_value),
            objective=self.highs.getInfo().objective_function_value,
            row_dual=np.array(solution.row_dual),
            col_dual=np.array(solution.col_dual),
        )
