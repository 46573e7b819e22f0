"""The follower's dual, built as Pyomo components: multipliers, stationarity, complementarity pairs.

This is the one reusable dual step behind every KKT-based reformulation (``bilevel.kkt``,
``bilevel.bigm``, ``bilevel.sos1``, ``bilevel.strong_duality``). Multipliers follow the
convention of :mod:`pybilevel.model.duals` (minimisation form, Lagrangian
``f(y) - dual_lower*(g - lower) - dual_upper*(upper - g) - dual_equal*(g - rhs)
- bound_lower*(y - lb) - bound_upper*(ub - y)``), so every multiplier except ``dual_equal``
is nonnegative. Linearly dependent equality rows (:mod:`pybilevel.model.redundancy`) get no
multiplier, which pins the free direction of the others at the representative with 0 there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from pyomo.core.base.block import BlockData
from pyomo.core.base.component import ComponentData
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.set_types import NonNegativeReals, Reals
from pyomo.core.base.var import Var, VarData
from pyomo.core.expr.calculus.derivatives import differentiate
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.visitor import identify_variables

if TYPE_CHECKING:
    from pybilevel.model.follower_form import FollowerForm


__all__ = ["ComplementarityPair", "FollowerDual", "build_follower_dual", "dual_objective_weights", "lagrangian_gradient"]


@dataclass(frozen=True)
class ComplementarityPair:
    """A nonnegative multiplier and the nonnegative slack it is complementary to."""

    key: str  # "<constraint or variable name>:<side>", unique within the follower
    source: ComponentData  # the follower constraint or variable the pair comes from
    side: str  # "lower" or "upper"
    multiplier: VarData
    slack: object  # Pyomo expression, >= 0 on the follower's feasible set
    row: int | None  # row of the follower form, None for a variable bound
    column: int | None  # column of the follower form, None for a constraint


@dataclass
class FollowerDual:
    """The dual components of one follower, placed on ``block``."""

    form: FollowerForm
    block: BlockData
    pairs: list[ComplementarityPair] = field(default_factory=list)
    row_multipliers: list[list[tuple[VarData, int]]] = field(default_factory=list)
    column_multipliers: list[list[tuple[VarData, int]]] = field(default_factory=list)

    def row_values(self) -> np.ndarray:
        """Net row multipliers in minimisation form, d(min objective)/d(right-hand side)."""
        return _net_values(self.row_multipliers)

    def column_values(self) -> np.ndarray:
        """Net bound multipliers (reduced costs) in minimisation form."""
        return _net_values(self.column_multipliers)


def _net_values(terms: list[list[tuple[VarData, int]]]) -> np.ndarray:
    return np.array([sum(sign * (var.value or 0.0) for var, sign in row) for row in terms])


def build_follower_dual(form: FollowerForm, block: BlockData) -> FollowerDual:
    """Add multipliers and the stationarity constraints of ``form`` to ``block``."""
    dual = FollowerDual(form=form, block=block)
    equality = form.is_equality
    lower_rows = np.flatnonzero(np.isfinite(form.row_lower) & ~equality)
    upper_rows = np.flatnonzero(np.isfinite(form.row_upper) & ~equality)
    # a redundant equality row gets no multiplier (fixed at 0): it would be free along the dependence
    redundant = form.redundant_rows
    equal_rows = np.array([i for i in np.flatnonzero(equality) if i not in redundant], dtype=int)
    lower_cols = np.flatnonzero(np.isfinite(form.var_lower))
    upper_cols = np.flatnonzero(np.isfinite(form.var_upper))
    row_names = [con.name for con in form.constraints]
    col_names = [var.name for var in form.variables]

    block.dual_lower = Var([row_names[i] for i in lower_rows], within=NonNegativeReals)
    block.dual_upper = Var([row_names[i] for i in upper_rows], within=NonNegativeReals)
    block.dual_equal = Var([row_names[i] for i in equal_rows], within=Reals)
    block.bound_lower = Var([col_names[j] for j in lower_cols], within=NonNegativeReals)
    block.bound_upper = Var([col_names[j] for j in upper_cols], within=NonNegativeReals)

    dual.row_multipliers = [[] for _ in range(form.n_rows)]
    dual.column_multipliers = [[] for _ in range(form.n_variables)]
    for i in lower_rows:
        con = form.constraints[i]
        mult = block.dual_lower[row_names[i]]
        dual.row_multipliers[i].append((mult, 1))
        dual.pairs.append(ComplementarityPair(f"{row_names[i]}:lower", con, "lower", mult, con.body - con.lower, i, None))
    for i in upper_rows:
        con = form.constraints[i]
        mult = block.dual_upper[row_names[i]]
        dual.row_multipliers[i].append((mult, -1))
        dual.pairs.append(ComplementarityPair(f"{row_names[i]}:upper", con, "upper", mult, con.upper - con.body, i, None))
    for i in equal_rows:
        dual.row_multipliers[i].append((block.dual_equal[row_names[i]], 1))
    for j in lower_cols:
        var = form.variables[j]
        mult = block.bound_lower[col_names[j]]
        dual.column_multipliers[j].append((mult, 1))
        slack = LinearExpression(constant=-float(form.var_lower[j]), linear_coefs=[1.0], linear_vars=[var])
        dual.pairs.append(ComplementarityPair(f"{col_names[j]}:lower", var, "lower", mult, slack, None, j))
    for j in upper_cols:
        var = form.variables[j]
        mult = block.bound_upper[col_names[j]]
        dual.column_multipliers[j].append((mult, -1))
        slack = LinearExpression(constant=float(form.var_upper[j]), linear_coefs=[-1.0], linear_vars=[var])
        dual.pairs.append(ComplementarityPair(f"{col_names[j]}:upper", var, "upper", mult, slack, None, j))

    gradients = dict(zip(col_names, _stationarity_expressions(form, dual)))
    block.stationarity = Constraint(col_names, rule=lambda b, name: gradients[name] == 0)
    return dual


def dual_objective_weights(dual: FollowerDual) -> tuple[list[VarData], np.ndarray]:
    """The multipliers (row multipliers, then bound multipliers: the column order of
    :func:`lagrangian_gradient`) and each one's coefficient in the follower's dual objective,
    sign x the right-hand side or bound it prices (the leader's part of a row left out)."""
    form = dual.form
    multipliers, weights = [], []
    for terms, lower, upper in ((dual.row_multipliers, form.row_lower, form.row_upper),
                                (dual.column_multipliers, form.var_lower, form.var_upper)):
        for i, pairs in enumerate(terms):
            for mult, sign in pairs:
                multipliers.append(mult)
                weights.append(sign * float(lower[i] if sign > 0 else upper[i]))
    return multipliers, np.array(weights)


def lagrangian_gradient(form: FollowerForm, dual: FollowerDual) -> tuple[sp.csr_matrix, list[VarData]]:
    """The linear part of the Lagrangian's gradient, one row per follower variable.

    Returns the matrix over the columns [y, x, multipliers] (``Q``, ``C^T``, ``-A_y^T`` times
    the row multipliers' signs, minus the bound multipliers' signs; the constant is ``form.c``)
    and the multipliers in column order (row multipliers, then bound multipliers).
    """
    row_terms = [(i, mult, sign) for i, terms in enumerate(dual.row_multipliers) for mult, sign in terms]
    column_terms = [(j, mult, sign) for j, terms in enumerate(dual.column_multipliers) for mult, sign in terms]
    row_signs = sp.csr_matrix(
        ([float(sign) for _, _, sign in row_terms], ([i for i, _, _ in row_terms], range(len(row_terms)))),
        shape=(form.n_rows, len(row_terms)),
    )
    column_signs = sp.csr_matrix(
        ([-float(sign) for _, _, sign in column_terms], ([j for j, _, _ in column_terms], range(len(column_terms)))),
        shape=(form.n_variables, len(column_terms)),
    )
    gradient = sp.hstack([form.Q, form.C.T, -(form.A_y.T @ row_signs), column_signs], format="csr")
    return gradient, [*(m for _, m, _ in row_terms), *(m for _, m, _ in column_terms)]


def _stationarity_expressions(form: FollowerForm, dual: FollowerDual) -> list[LinearExpression]:
    """Gradient of the Lagrangian in each follower variable, one linear expression per column,
    each built from one CSR row slice of :func:`lagrangian_gradient`."""
    gradient, multipliers = lagrangian_gradient(form, dual)
    variables = np.empty(gradient.shape[1], dtype=object)
    variables[:] = [*form.variables, *form.leader_variables, *multipliers]
    data, indices, indptr = gradient.data, gradient.indices, gradient.indptr
    expressions = [
        LinearExpression(
            constant=float(form.c[j]),
            linear_coefs=data[indptr[j]:indptr[j + 1]].tolist(),
            linear_vars=variables[indices[indptr[j]:indptr[j + 1]]].tolist(),
        )
        for j in range(form.n_variables)
    ]
    for j, terms in _nonlinear_gradient_terms(form, dual).items():
        expressions[j] = expressions[j] + sum(terms)
    return expressions


def _nonlinear_gradient_terms(form: FollowerForm, dual: FollowerDual) -> dict[int, list]:
    """Column -> the Lagrangian-gradient terms of the follower's nonlinear parts (Pyomo derivatives)."""
    columns = {id(v): j for j, v in enumerate(form.variables)}
    terms: dict[int, list] = {}
    if form.objective_nonlinear is not None:
        for j, derivative in _gradient(form.objective_nonlinear, columns):
            terms.setdefault(j, []).append(derivative)
    for row, expr in form.row_nonlinear.items():
        for j, derivative in _gradient(expr, columns):
            for mult, sign in dual.row_multipliers[row]:
                terms.setdefault(j, []).append(-sign * mult * derivative)
    return terms


def _gradient(expr, columns: dict[int, int]) -> list[tuple[int, object]]:
    """(column, d expr / d y_column) for the follower variables in expr."""
    wrt = [v for v in identify_variables(expr, include_fixed=False) if id(v) in columns]
    derivatives = differentiate(expr, wrt_list=wrt, mode=differentiate.Modes.reverse_symbolic)
    return [(columns[id(v)], d) for v, d in zip(wrt, derivatives)]
