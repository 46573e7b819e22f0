"""Canonical follower form: one follower compiled once into sparse arrays.

The follower is stored in *minimisation form* whatever sense the user wrote::

    min_y   c @ y + x @ C @ y + 0.5 * y @ Q @ y          (times ``sense`` gives the user's objective)
    s.t.    row_lower <= A_y @ y + A_x @ x (+ h(x)) <= row_upper
            var_lower <= y <= var_upper

``h(x)`` collects leader-only nonlinear terms of a row (``leader_nonlinear`` marks those rows);
they shift the right-hand side and never enter the follower's derivatives. A constraint on the
follower block without follower variables restricts the leader's decision only: it is kept in
the model as a leader constraint and is not a row of the form.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.repn.standard_repn import generate_standard_repn

if TYPE_CHECKING:
    from pybilevel.model.follower import FollowerData
    from pybilevel.model.redundancy import RedundancyReport

__all__ = [
    "FollowerForm",
    "compile_follower",
    "placement",
    "symmetric_hessian",
]


@dataclass
class FollowerForm:
    """Sparse arrays of one follower, in minimisation form (see module docstring)."""

    follower: FollowerData
    objective: ObjectiveData
    sense: int  # +1 if the user minimises, -1 if the user maximises
    variables: list[VarData]
    leader_variables: list[VarData]
    constraints: list[ConstraintData]  # the rows: constraints that involve follower variables
    leader_only_constraints: list[ConstraintData]  # on the follower block, leader variables only
    c: np.ndarray
    Q: sp.csr_matrix
    C: sp.csr_matrix
    A_y: sp.csr_matrix
    A_x: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    leader_nonlinear: np.ndarray
    var_lower: np.ndarray
    var_upper: np.ndarray
    integer: np.ndarray
    follower_class: str
    objective_nonlinear: object = None  # min-form objective terms beyond quadratic that involve y
    row_nonlinear: dict[int, object] = field(default_factory=dict)  # row -> its terms nonlinear in y
    reasons: list[str] = field(default_factory=list)  # what makes the class what it is
    convexity: str = ""  # nonlinear convex followers: how convexity is known (see model/convexity.py)
    convexity_proven: bool = False  # True only where interval bounds on the Hessian prove it
    #: linearly dependent equality rows, set by the structure check (model/redundancy.py); None: not checked
    redundancy: RedundancyReport | None = None

    @property
    def n_variables(self) -> int:
        return len(self.variables)

    @property
    def n_rows(self) -> int:
        return len(self.constraints)

    def placed_rows(self, y_cols: np.ndarray, x_cols: np.ndarray, n: int) -> sp.csr_matrix:
        """The rows [A_y A_x] over ``n`` columns, ``variables`` at ``y_cols`` and
        ``leader_variables`` at ``x_cols``."""
        return (self.A_y @ placement(y_cols, n) + self.A_x @ placement(x_cols, n)).tocsr()

    @property
    def linking(self) -> np.ndarray:
        """Positions in ``leader_variables`` of the leader variables in the follower's rows."""
        return np.flatnonzero(np.diff(self.A_x.tocsc().indptr))

    @property
    def is_equality(self) -> np.ndarray:
        """Rows whose lower and upper bounds coincide."""
        return np.isfinite(self.row_lower) & (self.row_lower == self.row_upper)

    def redundant_row_names(self) -> list[str]:
        """Names of the redundant equality rows, in row order."""
        return [] if self.redundancy is None else [self.constraints[r.row].name for r in self.redundancy.rows]

    @property
    def redundant_rows(self) -> set[int]:
        """Rows of the redundant equality rows (none if not checked)."""
        return set() if self.redundancy is None else self.redundancy.indices

    @property
    def is_nonlinear(self) -> bool:
        """Whether some term beyond the arrays (c, Q, C, A_y) involves the follower variables."""
        return self.objective_nonlinear is not None or bool(self.row_nonlinear)


class _Columns:
    """Column numbering for a list of variables, grown on demand for leader variables."""

    def __init__(self, variables: list[VarData] | None = None) -> None:
        self.variables: list[VarData] = []
        self._index: dict[int, int] = {}
        for var in variables or ():
            self.add(var)

    def add(self, var: VarData) -> int:
        key = id(var)
        if key not in self._index:
            self._index[key] = len(self.variables)
            self.variables.append(var)
        return self._index[key]

    def get(self, var: VarData) -> int | None:
        return self._index.get(id(var))


class _Triplets:
    """COO triplets collected row by row, turned into a CSR matrix at the end."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []

    def extend(self, row: int, cols: list[int], vals: list[float]) -> None:
        self.rows.extend([row] * len(cols))
        self.cols.extend(cols)
        self.vals.extend(vals)

    def matrix(self, shape: tuple[int, int]) -> sp.csr_matrix:
        return sp.csr_matrix((self.vals, (self.rows, self.cols)), shape=shape, dtype=float)


def placement(cols: np.ndarray, n: int) -> sp.csr_matrix:
    """The 0/1 matrix that puts ``len(cols)`` columns at positions ``cols`` among ``n``."""
    return sp.csr_matrix((np.ones(len(cols)), (np.arange(len(cols)), cols)), shape=(len(cols), n))


def compile_follower(
    follower: FollowerData,
    variables: list[VarData],
    objective: ObjectiveData,
    constraints: list[ConstraintData],
) -> FollowerForm:
    """Compile a follower into a :class:`FollowerForm` with one pass over each constraint."""
    columns = _Columns(variables)
    leader = _Columns()
    reasons: list[str] = []
    sense = 1 if objective.is_minimizing() else -1

    c, Q, C, objective_nonlinear = _compile_objective(objective, columns, leader, reasons, sense)
    row_nonlinear: dict[int, object] = {}

    a_y, a_x = _Triplets(), _Triplets()
    rows: list[ConstraintData] = []
    leader_only: list[ConstraintData] = []
    row_lower: list[float] = []
    row_upper: list[float] = []
    leader_nonlinear: list[bool] = []
    for con in constraints:
        repn = generate_standard_repn(con.body, quadratic=True, compute_values=True)
        y_terms = [(columns.get(v), c) for v, c in zip(repn.linear_vars, repn.linear_coefs)]
        quadratic_y = [
            (v1, v2) for v1, v2 in repn.quadratic_vars if columns.get(v1) is not None or columns.get(v2) is not None
        ]
        nonlinear_y = repn.nonlinear_expr is not None and any(columns.get(v) is not None for v in repn.nonlinear_vars)
        if all(col is None for col, _ in y_terms) and not quadratic_y and not nonlinear_y:
            leader_only.append(con)  # a condition on the leader's decision only: a leader constraint
            continue
        row = len(rows)
        rows.append(con)
        a_y.extend(row, [col for col, _ in y_terms if col is not None], [c for col, c in y_terms if col is not None])
        leader_terms = [(v, c) for v, c in zip(repn.linear_vars, repn.linear_coefs) if columns.get(v) is None]
        a_x.extend(row, [leader.add(v) for v, _ in leader_terms], [c for _, c in leader_terms])
        if quadratic_y or nonlinear_y:
            reasons.append(f"constraint {con.name} is nonlinear in the follower variables")
            row_nonlinear[row] = sum(
                coef * v1 * v2
                for (v1, v2), coef in zip(repn.quadratic_vars, repn.quadratic_coefs)
                if columns.get(v1) is not None or columns.get(v2) is not None
            ) + (repn.nonlinear_expr if nonlinear_y else 0)
        leader_nonlinear.append(
            len(repn.quadratic_vars) > len(quadratic_y) or (repn.nonlinear_expr is not None and not nonlinear_y)
        )
        for var in _nonlinear_variables(repn):
            if columns.get(var) is None:
                leader.add(var)  # a leader variable seen only in a nonlinear term
        shift = float(repn.constant)
        row_lower.append(float(con.lb) - shift if con.has_lb() else -np.inf)
        row_upper.append(float(con.ub) - shift if con.has_ub() else np.inf)

    n_rows = len(rows)
    n_y, n_x = len(columns.variables), len(leader.variables)
    integer = np.array([not v.is_continuous() for v in columns.variables], dtype=bool)
    form = FollowerForm(
        follower=follower,
        objective=objective,
        sense=sense,
        variables=columns.variables,
        leader_variables=leader.variables,
        constraints=rows,
        leader_only_constraints=leader_only,
        c=c,
        Q=Q,
        C=_resize(C, n_x, n_y),
        A_y=a_y.matrix((n_rows, n_y)),
        A_x=a_x.matrix((n_rows, n_x)),
        row_lower=np.array(row_lower, dtype=float),
        row_upper=np.array(row_upper, dtype=float),
        leader_nonlinear=np.array(leader_nonlinear, dtype=bool),
        var_lower=np.array([_bound(v.lb, -np.inf) for v in columns.variables]),
        var_upper=np.array([_bound(v.ub, np.inf) for v in columns.variables]),
        integer=integer,
        follower_class="",  # set by pybilevel.model.convexity.classify_follower
        objective_nonlinear=objective_nonlinear,
        row_nonlinear=row_nonlinear,
        reasons=reasons,
    )
    return form


def _compile_objective(
    objective: ObjectiveData,
    columns: _Columns,
    leader: _Columns,
    reasons: list[str],
    sense: int,
) -> tuple[np.ndarray, sp.csr_matrix, sp.coo_matrix, object]:
    """Linear, quadratic, leader-coupling and nonlinear parts of the objective, in minimisation form."""
    n_y = len(columns.variables)
    repn = generate_standard_repn(objective.expr, quadratic=True, compute_values=True)
    c = np.zeros(n_y)
    for var, coef in zip(repn.linear_vars, repn.linear_coefs):
        col = columns.get(var)
        if col is not None:
            c[col] += sense * coef
    q_entries: list[tuple[int, int, float]] = []
    c_rows, c_cols, c_vals = [], [], []
    for (v1, v2), coef in zip(repn.quadratic_vars, repn.quadratic_coefs):
        i, j = columns.get(v1), columns.get(v2)
        if i is not None and j is not None:
            q_entries.append((i, j, coef))
        elif i is not None:
            c_rows.append(leader.add(v2)), c_cols.append(i), c_vals.append(sense * coef)
        elif j is not None:
            c_rows.append(leader.add(v1)), c_cols.append(j), c_vals.append(sense * coef)
    nonlinear = None
    for var in _nonlinear_variables(repn):
        if columns.get(var) is None:
            leader.add(var)
    if repn.nonlinear_expr is not None and any(columns.get(v) is not None for v in repn.nonlinear_vars):
        reasons.append(f"objective {objective.name} is nonlinear beyond quadratic in the follower variables")
        nonlinear = sense * repn.nonlinear_expr
    Q = symmetric_hessian(q_entries, n_y, sense)
    C = sp.coo_matrix((c_vals, (c_rows, c_cols)), shape=(max(c_rows, default=-1) + 1, n_y))
    return c, Q, C, nonlinear


def _nonlinear_variables(repn) -> list[VarData]:
    """Variables of the quadratic and nonlinear terms of a standard repn."""
    found = [v for pair in repn.quadratic_vars for v in pair]
    return found + list(repn.nonlinear_vars if repn.nonlinear_expr is not None else ())


def _resize(matrix: sp.coo_matrix, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """The matrix as CSR with the given shape (leader variables seen after the objective add rows)."""
    coo = matrix.tocoo()
    return sp.csr_matrix((coo.data, (coo.row, coo.col)), shape=(n_rows, n_cols), dtype=float)


def _bound(value, default: float) -> float:
    return default if value is None else float(value)


def symmetric_hessian(entries: list[tuple[int, int, float]], n: int, sign: int) -> sp.csr_matrix:
    """Hessian H of sign * sum(coef * v_i * v_j), so that the quadratic form is 0.5 * v @ H @ v."""
    rows, cols, vals = [], [], []
    for i, j, coef in entries:
        if i == j:
            rows.append(i), cols.append(i), vals.append(2 * sign * coef)
        else:
            rows.extend((i, j)), cols.extend((j, i)), vals.extend((sign * coef, sign * coef))
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n), dtype=float)
