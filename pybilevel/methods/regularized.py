"""``bilevel.regularized``: Scholtes' (2001) relaxation of the KKT complementarity, for Ipopt.

Each complementarity pair (multiplier, slack), both nonnegative, is relaxed to
``multiplier * slack <= regularization``; :func:`pybilevel.methods.scholtes.solve_regularized` drives the
mutable ``regularization`` Param to 0 over a sequence of warm-started Ipopt solves. The answer
is local: a stationary point of the MPCC, classified by :mod:`pybilevel.methods.scholtes`.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from pyomo.common.config import ConfigValue
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.param import Param
from pyomo.core.base.transformation import TransformationFactory

from pybilevel.methods.base import LOCAL, register
from pybilevel.methods.products import ProductRoutes
from pybilevel.methods.reformulation import ReformulationMethod
from pybilevel.methods.scholtes import solve_regularized
from pybilevel.methods.transformation import BilevelTransformation, Reformulation
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.solvers.embedded import SolveOutcome
from pybilevel.solvers.features import Feature

if TYPE_CHECKING:
    from pybilevel.methods.base import SolveRequest
    from pybilevel.progress import Progress
    from pybilevel.timing import TimeBudget

__all__ = ["RegularizedTransformation", "RegularizedMethod", "METHOD"]


@TransformationFactory.register(
    "bilevel.regularized",
    doc="Scholtes-regularised KKT conditions of each LP / convex-QP / convex-NLP follower, for Ipopt",
)
class RegularizedTransformation(ProductRoutes, BilevelTransformation):
    """Adds, per follower: multipliers, stationarity, ``regularization`` (a mutable Param, the
    relaxation parameter t) and ``complementarity_product[key]: multiplier * slack <= t``."""

    method = "regularized"
    CONFIG = BilevelTransformation.CONFIG()
    CONFIG.declare("initial", ConfigValue(default=1.0, domain=float, description="first value of t"))
    CONFIG.declare("factor", ConfigValue(default=0.1, domain=float, description="t is multiplied by this each round"))
    CONFIG.declare("final", ConfigValue(default=1e-9, domain=float, description="last value of t"))

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        block = dual.block
        pairs = {pair.key: pair for pair in dual.pairs}
        block.regularization = Param(mutable=True, initialize=config.initial)
        block.complementarity_product = Constraint(
            list(pairs), rule=lambda b, k: pairs[k].multiplier * pairs[k].slack <= b.regularization
        )
        reformulation.features.add(Feature.REGULARIZED)
        reformulation.settings.update(initial=config.initial, factor=config.factor, final=config.final)


class RegularizedMethod(ReformulationMethod):
    """``regularized``: the Scholtes sequence of warm-started Ipopt solves, then a polish (local)."""

    def run(
        self, reformulation: Reformulation, solver: str, budget: TimeBudget, request: SolveRequest, progress: Progress
    ) -> tuple[SolveOutcome, dict[str, object]]:
        solved, report = solve_regularized(reformulation, budget.remaining(), progress)
        return solved, {} if report is None else asdict(report)


METHOD = register(RegularizedMethod(RegularizedTransformation, kind=LOCAL, polishes=False))
