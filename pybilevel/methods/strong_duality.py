"""``bilevel.strong_duality``: primal feasibility, dual feasibility and primal objective <= dual objective."""
from __future__ import annotations

import numpy as np
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.transformation import TransformationFactory
from pyomo.core.expr.numeric_expr import LinearExpression

from pybilevel.errors import MethodRefusedError
from pybilevel.methods.base import register
from pybilevel.methods.dual_objective import dual_objective, dual_product_count
from pybilevel.methods.mccormick import (
    Products,
    add_products,
    coupling_products,
    multiplier_products,
)
from pybilevel.methods.products import ProductRoutes
from pybilevel.methods.reformulation import ReformulationMethod
from pybilevel.methods.transformation import (
    BilevelTransformation,
    Reformulation,
    declare_multiplier_bound_options,
)
from pybilevel.model.bounds import HighPointRelaxation
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.model.multiplier_bounds import bound_multipliers
from pybilevel.solvers.features import Feature

__all__ = ["METHOD", "StrongDualityTransformation"]


@TransformationFactory.register(
    "bilevel.strong_duality",
    doc="Strong-duality reformulation of each LP / convex-QP follower",
)
class StrongDualityTransformation(ProductRoutes, BilevelTransformation):
    """Adds, per follower: multipliers, stationarity (dual feasibility) and ``strong_duality``:
    the follower's primal objective is at most its (Wolfe) dual objective, which with weak
    duality makes them equal. Leader variables in follower constraints, or in the follower
    objective next to follower variables, multiply multipliers or follower variables. Where the
    leader variable is binary, the product is linearised exactly (``product[key]`` with McCormick
    constraints, see :mod:`~pybilevel.methods.mccormick`), so an LP follower with binary
    leader coupling gives a MILP for HiGHS; other products stay bilinear, solved by SCIP."""

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
        y = form.variables
        products: Products = {}
        if form.Q.nnz or form.C.nnz or form.A_x.nnz:
            # bounded multipliers: needed by the McCormick products, and they keep SCIP's
            # spatial branch-and-bound from pairing a huge multiplier with a slack inside its
            # feasibility tolerance (seen: 2e8 x 1e-8 on Bard & Falk 1982 Ex. 2)
            hpr = HighPointRelaxation(reformulation.structure)
            ranges = bound_multipliers(dual, hpr, config, reformulation.bigm)
            wanted = multiplier_products(dual, ranges) + coupling_products(form, hpr, reformulation.bigm)
            products = add_products(dual.block, wanted)
        quadratic = 0.5 * _quadratic_form(form.Q, y)
        primal = LinearExpression(
            constant=0.0, linear_coefs=[float(v) for v in form.c], linear_vars=list(y)
        ) + _coupling(form, products) + quadratic
        dual.block.strong_duality = Constraint(expr=primal - (dual_objective(dual, products) - quadratic) <= 0)
        if form.Q.nnz or dual_product_count(dual) + form.C.tocoo().nnz > len(products):
            reformulation.features.add(Feature.BILINEAR)


def _quadratic_form(Q, variables) -> object:
    coo = Q.tocoo()
    return sum(float(q) * variables[i] * variables[j] for i, j, q in zip(coo.row, coo.col, coo.data))


def _coupling(form: FollowerForm, products: Products) -> object:
    """x @ C @ y with each product of a binary x by a bounded y replaced by its product variable."""
    coo = form.C.tocoo()
    terms = []
    for i, j, q in zip(coo.row, coo.col, coo.data):
        x, y = form.leader_variables[i], form.variables[j]
        terms.append(float(q) * products.get((id(y), id(x)), x * y))
    return sum(terms)


METHOD = register(ReformulationMethod(StrongDualityTransformation))
