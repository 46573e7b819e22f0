"""``bilevel.strong_duality``: primal feasibility, dual feasibility and primal objective <= dual objective."""
from __future__ import annotations

import numpy as np
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.transformation import TransformationFactory
from pyomo.core.expr.numeric_expr import LinearExpression

from pybilevel.errors import MethodRefusedError
from pybilevel.follower_form import FollowerForm
from pybilevel.kkt_system import FollowerDual
from pybilevel.reformulations.base import BilevelTransformation, Feature, Reformulation

__all__ = ["StrongDualityTransformation"]


@TransformationFactory.register(
    "bilevel.strong_duality",
    doc="Strong-duality reformulation of each LP / convex-QP follower",
)
class StrongDualityTransformation(BilevelTransformation):
    """Adds, per follower: multipliers, stationarity (dual feasibility) and ``strong_duality``:
    the follower's primal objective is at most its (Wolfe) dual objective, which with weak
    duality makes them equal. Products of leader variables and multipliers (leader variables
    in follower constraints, or in the follower objective next to follower variables) make the
    constraint bilinear; the single-level model is then solved by SCIP."""

    method = "strong_duality"

    def accepts_follower(self, form: FollowerForm) -> None:
        super().accepts_follower(form)
        if form.leader_nonlinear.any():
            row = form.constraints[int(np.flatnonzero(form.leader_nonlinear)[0])]
            raise MethodRefusedError(
                f"method 'strong_duality' cannot reformulate follower {form.follower.name}: constraint "
                f"{row.name} is nonlinear in leader variables; use method 'kkt', 'sos1' or 'bigm'."
            )

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        form = dual.form
        y, x = form.variables, form.leader_variables
        quadratic = 0.5 * _quadratic_form(form.Q, y)
        primal = LinearExpression(
            constant=0.0, linear_coefs=[float(v) for v in form.c], linear_vars=list(y)
        ) + _bilinear(form, x, y) + quadratic
        dual_objective = _dual_objective(dual) - quadratic
        dual.block.strong_duality = Constraint(expr=primal - dual_objective <= 0)
        if form.Q.nnz or form.C.nnz or form.A_x.nnz:
            reformulation.features.add(Feature.BILINEAR)


def _quadratic_form(Q, variables) -> object:
    coo = Q.tocoo()
    return sum(float(q) * variables[i] * variables[j] for i, j, q in zip(coo.row, coo.col, coo.data))


def _bilinear(form: FollowerForm, x, y) -> object:
    coo = form.C.tocoo()
    return sum(float(q) * x[i] * y[j] for i, j, q in zip(coo.row, coo.col, coo.data))


def _dual_objective(dual: FollowerDual) -> object:
    """Sum of multiplier x (right-hand side minus the leader's part of the row) and bound terms."""
    form = dual.form
    a_x = form.A_x.tocsr()
    terms = []
    for i, multipliers in enumerate(dual.row_multipliers):
        leader_part = sum(
            float(a_x.data[k]) * form.leader_variables[a_x.indices[k]]
            for k in range(a_x.indptr[i], a_x.indptr[i + 1])
        )
        for mult, sign in multipliers:
            rhs = form.row_lower[i] if sign > 0 else form.row_upper[i]
            terms.append(sign * mult * (float(rhs) - leader_part))
    for j, multipliers in enumerate(dual.column_multipliers):
        for mult, sign in multipliers:
            bound = form.var_lower[j] if sign > 0 else form.var_upper[j]
            terms.append(sign * float(bound) * mult)
    return sum(terms)
