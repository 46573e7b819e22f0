"""The arrays of a monotone interdiction game (``method="interdiction_cuts"``, whose docstring
states the form), read from a bilevel structure, or a refusal naming what is outside the form."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import MethodRefusedError
from pybilevel.methods.min_max import opposite_objectives
from pybilevel.model.convexity import FollowerClass

if TYPE_CHECKING:
    from pybilevel.model.follower_form import FollowerForm
    from pybilevel.model.structure import BilevelStructure

__all__ = ["NAME", "MonotoneInterdiction", "monotone_interdiction"]

NAME = "interdiction_cuts"
_ADVICE = "use 'value_function' (integer follower) or 'interdiction' (LP follower)"


@dataclass
class MonotoneInterdiction:
    """The arrays of a monotone interdiction game (leader in minimisation form)."""

    form: FollowerForm
    scale: float  # leader objective = L(x) - scale * (follower objective in minimisation form)
    leader_cost: np.ndarray  # L(x) = leader_cost @ x + leader_constant
    leader_constant: float
    leader_rows: sp.csr_matrix  # leader constraints, over x
    leader_lower: np.ndarray
    leader_upper: np.ndarray
    blockers: list[list[int]]  # for each follower variable, the leader variables that remove it


def monotone_interdiction(structure: BilevelStructure) -> MonotoneInterdiction:
    """The game's arrays, or :class:`MethodRefusedError` naming what is outside the form."""
    if len(structure.followers) != 1:
        raise MethodRefusedError(f"method '{NAME}' needs exactly one follower; {_ADVICE}.")
    form = structure.followers[0]

    def refuse(reason: str) -> MethodRefusedError:
        return MethodRefusedError(f"method '{NAME}' cannot solve follower {form.follower.name}: {reason}; {_ADVICE}.")

    if form.follower_class not in (FollowerClass.LP, FollowerClass.INTEGER) or form.Q.nnz or form.C.nnz:
        raise refuse("it needs a linear follower objective without leader variables and linear follower rows")
    if form.is_nonlinear or form.leader_nonlinear.any():
        raise refuse("a follower row is nonlinear")
    for var in structure.leader_variables:
        if not var.is_binary():
            raise refuse(f"leader variable {var.name} is not binary")
    if np.any(form.var_lower != 0):
        var = form.variables[int(np.flatnonzero(form.var_lower != 0)[0])]
        raise refuse(f"follower variable {var.name} does not have lower bound 0")
    scale, leader_only = opposite_objectives(structure, form, refuse)
    blockers = _blockers(form, refuse)
    column = {id(v): k for k, v in enumerate(structure.leader_variables)}
    cost, constant = _linear(leader_only, column, refuse, "the leader's objective terms in its own variables")
    rows, lower, upper = [], [], []
    follower_vars = {id(v) for v in form.variables}
    for con in structure.leader_constraints:
        repn = generate_standard_repn(con.body, compute_values=True)
        if any(id(v) in follower_vars for v in repn.linear_vars) or not repn.is_linear():
            raise refuse(f"leader constraint {con.name} is not linear in leader variables only")
        row, shift = _linear(con.body, column, refuse, f"leader constraint {con.name}")
        rows.append(row)
        lower.append(-np.inf if con.lower is None else float(con.lower) - shift)
        upper.append(np.inf if con.upper is None else float(con.upper) - shift)
    n_x = len(structure.leader_variables)
    leader_rows = sp.csr_matrix(np.array(rows).reshape(len(rows), n_x))
    if structure.leader_objective.sense != 1:  # maximise: the minimisation form is the negative
        cost, constant = -cost, -constant
    return MonotoneInterdiction(form, scale, cost, constant, leader_rows, np.array(lower), np.array(upper), blockers)


def _blockers(form: FollowerForm, refuse) -> list[list[int]]:
    """Which leader variables remove each follower variable; refuses a row that is neither a
    removal row nor downward closed."""
    blockers: list[list[int]] = [[] for _ in range(form.n_variables)]
    a_y, a_x = form.A_y.tocsr(), form.A_x.tocsr()
    for r, con in enumerate(form.constraints):
        y_cols, y_vals = a_y.indices[a_y.indptr[r]:a_y.indptr[r + 1]], a_y.data[a_y.indptr[r]:a_y.indptr[r + 1]]
        x_cols, x_vals = a_x.indices[a_x.indptr[r]:a_x.indptr[r + 1]], a_x.data[a_x.indptr[r]:a_x.indptr[r + 1]]
        lower, upper = form.row_lower[r], form.row_upper[r]
        if np.any(y_vals < 0) or lower > 0:
            raise refuse(f"constraint {con.name} is not a packing row (nonnegative coefficients, an upper limit only)")
        if len(x_cols) == 0:
            continue
        if len(y_cols) != 1 or np.any(x_vals < upper) or upper < y_vals[0] * form.var_upper[y_cols[0]]:
            raise refuse(
                f"constraint {con.name} uses leader variables but is not a removal row a*y_i + b*x_j <= c "
                "with b >= c >= a * (upper bound of y_i)"
            )
        blockers[int(y_cols[0])].extend(int(k) for k in x_cols)
    return blockers


def _linear(expr, column: dict[int, int], refuse, what: str) -> tuple[np.ndarray, float]:
    """Coefficients over the leader variables and the constant of a linear expression."""
    repn = generate_standard_repn(expr, compute_values=True)
    if not repn.is_linear():
        raise refuse(f"{what} must be linear")
    coefficients = np.zeros(len(column))
    for var, coef in zip(repn.linear_vars, repn.linear_coefs):
        coefficients[column[id(var)]] += coef
    return coefficients, float(repn.constant)
