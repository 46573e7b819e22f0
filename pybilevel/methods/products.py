"""The ``products`` option of the reformulations: how the leader objective's products of a price
and a quantity reach the single-level model (``docs/duals_in_leader.md``).

* ``"bilinear"`` (default): as written; a product makes the model nonconvex, solved by SCIP.
* ``"linearise"``: every ``bl.dual(row) * y`` rewritten exactly and linearly through the
  follower's stationarity, complementarity and strong duality (:mod:`.price_linearisation`);
  refused, naming the term, where that is impossible.
* ``"levels"``: the leader variables in ``price_levels`` restricted to the given levels by
  binaries and their products linearised exactly (:mod:`.price_levels`).

The rewritten objective lives on the reformulation's block; the user's objective is deactivated
while the method runs and reactivated by ``Reformulation.remove()``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyomo.core.base.objective import Objective

from pybilevel.errors import MethodRefusedError
from pybilevel.methods.price_levels import expand_price_levels
from pybilevel.methods.price_linearisation import (
    linearised_objective,
    plan_linearisation,
)

if TYPE_CHECKING:
    from pyomo.core.base.block import BlockData

    from pybilevel.methods.transformation import Reformulation

__all__ = ["ProductRoutes"]


class ProductRoutes:
    """Mixin of the transformations that keep the follower's multipliers: carries out ``products``."""

    def rewrite_products(self, top: BlockData, reformulation: Reformulation, config) -> None:
        """Put the leader objective with its products rewritten by ``config.products`` on ``top``
        and deactivate the user's (until ``remove()``); nothing for ``"bilinear"``."""
        if (config.products == "levels") != (config.price_levels is not None):
            raise MethodRefusedError(
                f"method '{reformulation.method}': price_levels goes with products='levels' and products='levels' "
                f"needs price_levels; got products={config.products!r} and "
                f"{'no price_levels' if config.price_levels is None else 'price_levels'}."
            )
        structure = reformulation.structure
        if config.products == "bilinear":
            return
        if config.products == "linearise":
            expr = linearised_objective(plan_linearisation(structure), reformulation.duals)
        else:
            expr = expand_price_levels(top, structure, reformulation.duals, config, reformulation.bigm)
        leader = structure.leader_objective
        top.leader_objective = Objective(expr=expr, sense=leader.sense)
        leader.deactivate()
        reformulation.deactivated.append(leader)
