"""``bilevel.bigm``: Fortuny-Amat & McCarl (1981) big-M MILP of the follower's KKT conditions."""
from __future__ import annotations

from pyomo.core.base.constraint import Constraint
from pyomo.core.base.set_types import Binary
from pyomo.core.base.transformation import TransformationFactory
from pyomo.core.base.var import Var
from pyomo.core.expr.numeric_expr import LinearExpression

from pybilevel.methods.base import register
from pybilevel.methods.products import ProductRoutes
from pybilevel.methods.reformulation import ReformulationMethod
from pybilevel.methods.transformation import (
    BilevelTransformation,
    Reformulation,
    declare_multiplier_bound_options,
)
from pybilevel.model.bounds import (
    BigMValue,
    HighPointRelaxation,
    always_active,
    fix_never_active,
    slack_bounds,
    slack_ranges,
)
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.kkt_start import follower_kkt_points, leader_candidates
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.model.multiplier_bounds import multiplier_bounds
from pybilevel.solvers.features import Feature

__all__ = ["METHOD", "BigMTransformation"]


@TransformationFactory.register(
    "bilevel.bigm",
    doc="Big-M (Fortuny-Amat/McCarl) MILP of the KKT conditions of each LP / convex-QP follower",
)
class BigMTransformation(ProductRoutes, BilevelTransformation):
    """Adds, per follower: multipliers, stationarity, a binary ``indicator[key]`` (1: multiplier may be positive, slack is 0) per complementarity
    pair and ``multiplier_bigm[key]: multiplier <= M * indicator`` and
    ``slack_bigm[key]: slack <= M * (1 - indicator)``. A pair whose slack is positive over the
    whole variable box (its constraint is never active) gets no binary: its multiplier is fixed at 0;
    nor does a pair whose slack is 0 over the whole box (always active: a fixed variable's bounds).

    Every M is recorded with its source (see :mod:`pybilevel.model.bounds`); query them with
    ``find_reformulation(m).bigm`` after ``apply_to``.
    """

    method = "bigm"
    CONFIG = declare_multiplier_bound_options(BilevelTransformation.CONFIG())
    follower_classes = (FollowerClass.LP, FollowerClass.QP)

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        hpr = HighPointRelaxation(reformulation.structure)
        ranges = slack_ranges(dual, hpr)
        slack_m = slack_bounds(dual, hpr, ranges)
        kept = fix_never_active(dual, ranges)  # a never-active constraint needs no binary
        free = set(always_active(ranges))  # neither does an always-active one
        kept = [k for k in kept if k not in free]
        mult_m = multiplier_bounds(
            dual, hpr, config.dual_bound, config.heuristic_factor, config.heuristic_samples, needed=kept
        )
        name = dual.form.follower.name
        pairs = {dual.pairs[k].key: dual.pairs[k] for k in kept}
        keys = list(pairs)
        records = {
            dual.pairs[k].key: (
                BigMValue(name, dual.pairs[k].key, "slack", *slack_m[k]),
                BigMValue(name, dual.pairs[k].key, "multiplier", *mult_m[k]),
            )
            for k in kept
        }
        block = dual.block
        block.indicator = Var(keys, within=Binary)
        # multiplier - M * indicator <= 0 and slack + M * indicator <= M, bodies built directly
        block.multiplier_bigm = Constraint(keys, rule=lambda b, k: (None, LinearExpression(
            constant=0.0, linear_coefs=[1.0, -records[k][1].value], linear_vars=[pairs[k].multiplier, b.indicator[k]]
        ), 0.0))
        block.slack_bigm = Constraint(keys, rule=lambda b, k: (
            None, pairs[k].slack + LinearExpression(
                constant=0.0, linear_coefs=[records[k][0].value], linear_vars=[b.indicator[k]]
            ), records[k][0].value,
        ))
        for slack_record, mult_record in records.values():
            reformulation.bigm.extend((slack_record, mult_record))
        for number, start in enumerate(follower_kkt_points(dual, leader_candidates(dual.form.leader_variables))):
            if start is not None:
                start.update((block.indicator[key], float(start[pairs[key].multiplier] > 0.0)) for key in keys)
                reformulation.start(number).update(start.items())
        reformulation.features.add(Feature.INTEGER)


METHOD = register(ReformulationMethod(BigMTransformation))
