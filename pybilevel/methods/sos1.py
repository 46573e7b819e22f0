"""``bilevel.sos1``: complementarity as SOS1 sets of (multiplier, slack variable), for SCIP."""
from __future__ import annotations

from pyomo.core.base.constraint import Constraint
from pyomo.core.base.set_types import NonNegativeReals
from pyomo.core.base.sos import SOSConstraint
from pyomo.core.base.transformation import TransformationFactory
from pyomo.core.base.var import Var

from pybilevel.model.bounds import HighPointRelaxation, fix_never_active, slack_ranges
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.methods.reformulation import ReformulationMethod
from pybilevel.methods.transformation import BilevelTransformation, Reformulation
from pybilevel.solvers.features import Feature

__all__ = ["METHOD", "SOS1Transformation", "add_sos1_pairs"]


@TransformationFactory.register(
    "bilevel.sos1",
    doc="KKT conditions of each LP / convex-QP follower with complementarity as SOS1 sets",
)
class SOS1Transformation(BilevelTransformation):
    """Adds, per follower: multipliers, stationarity, ``slack[key] == slack expression`` and
    ``sos[key]``, an SOS1 set {multiplier, slack[key]}: at most one of them is nonzero.
    Needs no big-M value. Solved by SCIP."""

    method = "sos1"

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        add_sos1_pairs(dual, reformulation)


def add_sos1_pairs(dual: FollowerDual, reformulation: Reformulation) -> None:
    """Add ``slack``, ``slack_definition`` and ``sos`` for every complementarity pair of ``dual``
    whose constraint can be active; the others' multipliers are fixed at 0."""
    block = dual.block
    kept = fix_never_active(dual, slack_ranges(dual, HighPointRelaxation(reformulation.structure)))
    pairs = {dual.pairs[k].key: dual.pairs[k] for k in kept}
    keys = list(pairs)
    block.slack = Var(keys, within=NonNegativeReals)
    block.slack_definition = Constraint(keys, rule=lambda b, k: b.slack[k] == pairs[k].slack)
    block.sos = SOSConstraint(keys, rule=lambda b, k: [pairs[k].multiplier, b.slack[k]], sos=1)
    reformulation.features.add(Feature.SOS1)


METHOD = ReformulationMethod(SOS1Transformation)
