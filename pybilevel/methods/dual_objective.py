"""The follower's dual objective as a Pyomo expression, for methods that write strong duality."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pyomo.core.expr.numeric_expr import LinearExpression

from pybilevel.model.kkt_system import dual_objective_weights

if TYPE_CHECKING:
    from pybilevel.methods.mccormick import Products
    from pybilevel.model.kkt_system import FollowerDual

__all__ = ["dual_objective", "dual_product_count"]


def dual_product_count(dual: FollowerDual) -> int:
    """Number of multiplier x leader variable products in the dual objective."""
    row_nonzeros = np.diff(dual.form.A_x.tocsr().indptr)
    return sum(len(m) * n for m, n in zip(dual.row_multipliers, row_nonzeros))


def dual_objective(dual: FollowerDual, products: Products | None = None) -> object:
    """Sum of multiplier x (right-hand side minus the leader's part of the row) and bound terms;
    ``products[(id(multiplier), id(x))]`` replaces the product multiplier * x where given."""
    products = products or {}
    form = dual.form
    a_x = form.A_x.tocsr()
    variables, weights = dual_objective_weights(dual)
    coefs: list[float] = weights.tolist()
    bilinear = []
    for i, multipliers in enumerate(dual.row_multipliers):
        for mult, sign in multipliers:
            for k in range(a_x.indptr[i], a_x.indptr[i + 1]):
                x = form.leader_variables[a_x.indices[k]]
                coef = -sign * float(a_x.data[k])
                product = products.get((id(mult), id(x)))
                if product is None:
                    bilinear.append(coef * mult * x)
                else:
                    coefs.append(coef)
                    variables.append(product)
    return LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=variables) + sum(bilinear)
