"""``bilevel.interdiction``: min-max (interdiction) problems as one MILP over the follower's LP dual.

The form (checked by :func:`min_max_form`, refused otherwise with the reason)::

    leader:   min_x  h(x) - scale * f(x, y)        s.t.  leader constraints in x only
    follower: min_y  f(x, y) = c @ y + x @ C @ y   s.t.  row_lower <= A_y y + A_x x <= row_upper, bounds

(both in minimisation form; a maximising leader or follower is rewritten so; ``scale > 0``):
the follower works against the leader, and leader variables that enter follower constraints
are binary (they remove or restrict resources, e.g. ``capacity * (1 - x)``). By LP duality the
follower's optimum is the maximum of its dual objective D(x, multipliers) over the dual feasible
set (stationarity), so the bilevel problem is ``min_{x, multipliers} h(x) - scale * D``: one
single-level problem with no complementarity (Wood 1993; PAO's ``pao.mpr.interdiction``). The
products multiplier x binary leader variable in D are linearised exactly (McCormick, with the
multiplier bounds recorded as for big-M). After the solve the follower's primal response is
recovered by re-solving its LP at the leader's decision; every follower optimum gives the leader
the same value, since the objectives are opposite and the leader's constraints do not involve y.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from pyomo.core.base.objective import Objective
from pyomo.core.base.transformation import TransformationFactory
from pyomo.core.expr.visitor import identify_variables

from pybilevel.errors import MethodRefusedError
from pybilevel.methods.base import SPECIAL, register
from pybilevel.methods.dual_objective import dual_objective, dual_product_count
from pybilevel.methods.mccormick import (
    add_products,
    multiplier_products,
)
from pybilevel.methods.min_max import opposite_objectives
from pybilevel.methods.reformulation import ReformulationMethod
from pybilevel.methods.transformation import (
    KKT_CLASSES,
    BilevelTransformation,
    Reformulation,
    declare_multiplier_bound_options,
    leader_features,
)
from pybilevel.model.bounds import FollowerAtLeader, HighPointRelaxation
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.model.multiplier_bounds import bound_multipliers
from pybilevel.model.structure import BilevelStructure
from pybilevel.model.structure import _classify_leader as classify_leader
from pybilevel.solvers.features import Feature
from pybilevel.solvers.highs import ArrayLP

__all__ = ["METHOD", "InterdictionTransformation", "MinMaxForm", "min_max_form"]

_ADVICE = "the general methods ('sos1', 'bigm', 'strong_duality') take it"


@dataclass
class MinMaxForm:
    """What the interdiction MILP needs beyond the follower's dual."""

    scale: float  # the leader's follower-variable terms are -scale x the follower's (minimisation forms)
    leader_only: object  # the leader objective's terms without follower variables, in the leader's sense


@TransformationFactory.register(
    "bilevel.interdiction",
    doc="Min-max (interdiction) problems: one MILP over the LP follower's dual, binary products linearised",
)
class InterdictionTransformation(BilevelTransformation):
    """Adds, per follower: multipliers, stationarity (dual feasibility), ``product[key]`` with
    McCormick constraints for each multiplier x binary leader variable, and ``objective``, the
    leader's objective with the follower's optimum written as its dual objective; the leader's
    own objective is deactivated meanwhile. When some follower response is feasible at every
    leader decision in the leader's box, the follower's primal rows are deactivated too (they
    cannot exclude a decision); otherwise they stay, so that decisions leaving the follower
    infeasible are excluded. Refuses models outside the form, saying which part does not fit."""

    method = "interdiction"
    CONFIG = declare_multiplier_bound_options(BilevelTransformation.CONFIG())
    follower_classes = (FollowerClass.LP,)
    links_dual_references = False  # the follower is replaced by its dual objective

    def accepts(self, structure: BilevelStructure) -> None:
        super().accepts(structure)
        min_max_form(structure)

    def accepts_follower(self, form: FollowerForm) -> None:
        if form.follower_class not in KKT_CLASSES:  # classes no method takes: the common message
            super().accepts_follower(form)  # (others are refused by min_max_form, saying why)

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        structure = reformulation.structure
        shape = min_max_form(structure)
        form = dual.form
        coupled = _multipliers_of_coupled_rows(dual)
        products = {}
        if coupled:
            hpr = HighPointRelaxation(structure)
            ranges = bound_multipliers(dual, hpr, config, reformulation.bigm, only=coupled)
            products = add_products(dual.block, multiplier_products(dual, ranges))
        if len(products) < dual_product_count(dual):
            reformulation.features.add(Feature.BILINEAR)  # a coupled multiplier without any bound
        leader = structure.leader_objective
        sign = 1 if leader.is_minimizing() else -1
        dual.block.objective = Objective(
            expr=shape.leader_only - sign * shape.scale * dual_objective(dual, products), sense=leader.sense
        )
        leader.deactivate()
        reformulation.deactivated.append(leader)
        if _feasible_at_every_decision(form):
            for con in form.constraints:
                con.deactivate()
                reformulation.deactivated.append(con)
        reformulation.completions.append(partial(_recover_response, dual))

    def leader_features(self, reformulation: Reformulation) -> set[str]:
        """From the single-level objective (the leader's own terms and the follower's dual
        objective, linear) instead of the leader's objective with its x * y terms."""
        structure = reformulation.structure
        objective = reformulation.follower_block(structure.followers[0].follower.name).objective
        kind, convex = classify_leader(objective, structure.leader_constraints)
        return leader_features(replace(structure, leader_class=kind, leader_objective_convex=convex))


def min_max_form(structure: BilevelStructure) -> MinMaxForm:
    """The min-max form of ``structure``, or :class:`MethodRefusedError` saying what does not fit."""
    if len(structure.followers) != 1:
        raise MethodRefusedError("method 'interdiction' needs exactly one follower.")
    form = structure.followers[0]
    name = form.follower.name

    def refuse(reason: str) -> MethodRefusedError:
        return MethodRefusedError(f"method 'interdiction' cannot reformulate follower {name}: {reason}; {_ADVICE}.")

    if form.follower_class != FollowerClass.LP:
        raise refuse(f"it is a {form.follower_class} follower, and the interdiction form needs an LP follower")
    scale, leader_only = opposite_objectives(structure, form, refuse)
    follower_vars = {id(v) for v in form.variables}
    for con in structure.leader_constraints:
        used = [v for v in identify_variables(con.body, include_fixed=False) if id(v) in follower_vars]
        if used:
            raise refuse(
                f"leader constraint {con.name} uses follower variable {used[0].name}, and in the "
                "interdiction form the leader's constraints involve leader variables only"
            )
    if form.leader_nonlinear.any():
        row = form.constraints[int(np.flatnonzero(form.leader_nonlinear)[0])]
        raise refuse(f"constraint {row.name} is nonlinear in leader variables")
    a_x = form.A_x.tocsc()
    for k, var in enumerate(form.leader_variables):
        if a_x.indptr[k + 1] > a_x.indptr[k] and not var.is_binary():
            row = form.constraints[int(a_x.indices[a_x.indptr[k]])]
            raise refuse(
                f"leader variable {var.name} enters constraint {row.name} but is not binary; the "
                "interdiction form restricts follower resources by binary leader decisions"
            )
    return MinMaxForm(scale, leader_only)


def _multipliers_of_coupled_rows(dual: FollowerDual) -> set[int]:
    """id() of the multipliers of rows that leader variables enter (those multiply binaries in D)."""
    rows = np.flatnonzero(np.diff(dual.form.A_x.tocsr().indptr))
    return {id(mult) for i in rows for mult, _ in dual.row_multipliers[i]}


def _feasible_at_every_decision(form: FollowerForm) -> bool:
    """Whether one follower point satisfies every row for every leader decision in the leader's
    box (the rows shifted by the extremes of A_x x, one LP): then the primal rows exclude nothing."""
    lower = np.array([0.0 if v.lb is None else float(v.lb) for v in form.leader_variables])
    upper = np.array([1.0 if v.ub is None else float(v.ub) for v in form.leader_variables])
    pos, neg = form.A_x.maximum(0), form.A_x.minimum(0)
    highest = pos @ upper + neg @ lower
    lowest = pos @ lower + neg @ upper
    lp = ArrayLP(form.A_y, form.row_lower - lowest, form.row_upper - highest, form.var_lower, form.var_upper)
    return lp.solve(np.zeros(form.n_variables)).status == "optimal"


def _recover_response(dual: FollowerDual) -> None:
    """Set the follower's variables and multipliers to its optimal response and duals at the
    leader's decision (HiGHS re-solve of its LP). The multipliers are then the follower's own
    duals, so one above its bound is reported as reached (the bound may have cut off the dual
    optimum that this decision needs)."""
    form = dual.form
    x = np.array([0.0 if v.value is None else float(v.value) for v in form.leader_variables])
    solution = FollowerAtLeader(form).solve(x)
    if solution.status != "optimal":
        return  # the certificate re-solves the follower and reports what went wrong
    for var, value in zip(form.variables, solution.x):
        var.set_value(float(value), skip_validation=True)
    # HiGHS's duals are d objective / d bound in minimisation form: the net multipliers of kkt_system
    free = {id(var) for var in dual.block.dual_equal.values()}
    for terms, net in ((dual.row_multipliers, solution.row_dual), (dual.column_multipliers, solution.col_dual)):
        for multipliers, value in zip(terms, net):
            for mult, sign in multipliers:
                mult.set_value(float(value) if id(mult) in free else max(sign * float(value), 0.0), skip_validation=True)


METHOD = register(ReformulationMethod(InterdictionTransformation, kind=SPECIAL, polishes=False))
