"""``bilevel.sos1``: complementarity as SOS1 sets of (multiplier, slack variable), for SCIP."""
from __future__ import annotations

from pyomo.core.base.transformation import TransformationFactory

from pybilevel.methods.base import register
from pybilevel.methods.complementarity import add_sos1_pairs
from pybilevel.methods.products import ProductRoutes
from pybilevel.methods.reformulation import ReformulationMethod
from pybilevel.methods.transformation import BilevelTransformation, Reformulation
from pybilevel.model.kkt_system import FollowerDual

__all__ = ["METHOD", "SOS1Transformation"]


@TransformationFactory.register(
    "bilevel.sos1",
    doc="KKT conditions of each LP / convex-QP follower with complementarity as SOS1 sets",
)
class SOS1Transformation(ProductRoutes, BilevelTransformation):
    """Adds, per follower: multipliers, stationarity, ``slack[key] == slack expression`` and
    ``sos[key]``, an SOS1 set {multiplier, slack[key]}: at most one of them is nonzero.
    Needs no big-M value. Solved by SCIP."""

    method = "sos1"

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        add_sos1_pairs(dual, reformulation)


METHOD = register(ReformulationMethod(SOS1Transformation))
