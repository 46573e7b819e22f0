"""Complementarity pairs as SOS1 sets, the encoding that ``sos1`` builds and ``kkt`` hands to SCIP."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pyomo.core.base.constraint import Constraint
from pyomo.core.base.set_types import NonNegativeReals
from pyomo.core.base.sos import SOSConstraint
from pyomo.core.base.var import Var

from pybilevel.model.bounds import HighPointRelaxation, fix_never_active, slack_ranges
from pybilevel.solvers.features import Feature

if TYPE_CHECKING:
    from pybilevel.methods.transformation import Reformulation
    from pybilevel.model.kkt_system import FollowerDual

__all__ = ["add_sos1_pairs"]


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
