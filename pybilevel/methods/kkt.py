"""``bilevel.kkt``: the follower replaced by its KKT conditions, as ``pyomo.mpec`` complementarity (an MPCC)."""
from __future__ import annotations

from pyomo.core.base.transformation import TransformationFactory
from pyomo.mpec import Complementarity, complements

from pybilevel.model.kkt_system import FollowerDual
from pybilevel.methods.transformation import BilevelTransformation, Feature, Reformulation

__all__ = ["KKTTransformation"]


@TransformationFactory.register(
    "bilevel.kkt",
    doc="Replace each LP / convex-QP follower by its KKT conditions with pyomo.mpec Complementarity",
)
class KKTTransformation(BilevelTransformation):
    """Adds, per follower: multipliers, stationarity, and ``complementarity[key]``.

    ``complementarity[key]`` pairs each nonnegative multiplier with its constraint's slack;
    ``key`` is ``"<constraint or variable name>:<lower|upper>"``. Solve the result with an
    MPCC-capable route: ``solve(method="kkt")`` gives each pair to SCIP as an SOS1 set.
    """

    method = "kkt"

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        pairs = {pair.key: pair for pair in dual.pairs}
        dual.block.complementarity = Complementarity(
            list(pairs),
            rule=lambda b, key: complements(pairs[key].multiplier >= 0, pairs[key].slack >= 0),
        )
        reformulation.features.add(Feature.COMPLEMENTARITY)
