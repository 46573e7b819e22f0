"""``bilevel.strong_duality``: primal feasibility, dual feasibility and primal objective <= dual objective."""
from __future__ import annotations

import numpy as np
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.transformation import TransformationFactory
from pyomo.core.expr.numeric_expr import LinearExpression

from pybilevel.errors import MethodRefusedError
from pybilevel.follower_form import FollowerClass, FollowerForm
from pybilevel.kkt_system import FollowerDual
from pybilevel.bounds import BigMValue, HighPointRelaxation, multiplier_bounds
from pybilevel.reformulations.base import (
    BilevelTransformation,
    Feature,
    Reformulation,
    declare_multiplier_bound_options,
)

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
    CONFIG = declare_multiplier_bound_options(BilevelTransformation.CONFIG())
    follower_classes = (FollowerClass.LP, FollowerClass.QP)

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
            _bound_multipliers(dual, reformulation, config)


def _bound_multipliers(dual: FollowerDual, reformulation: Reformulation, config) -> None:
    """Give every multiplier an upper bound, so products with leader variables stay bounded.

    Unbounded multipliers let a global solver pair a huge multiplier with a slack inside its
    feasibility tolerance (seen: 2e8 x 1e-8 on Bard & Falk 1982 Ex. 2) and make spatial
    branch-and-bound slow. The bounds come from the same sources as big-M values.
    """
    hpr = HighPointRelaxation(reformulation.structure)
    bounds = multiplier_bounds(dual, hpr, config.dual_bound, config.heuristic_factor, config.heuristic_samples)
    name = dual.form.follower.name
    for pair, (value, source) in zip(dual.pairs, bounds):
        pair.multiplier.setub(value)
        reformulation.bigm.append(BigMValue(name, pair.key, "multiplier", value, source))
    equal_bound = max((value for value, _ in bounds), default=None)
    for var in dual.block.dual_equal.values():  # free multipliers: the largest bound, both ways
        var.setlb(-equal_bound)
        var.setub(equal_bound)


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
