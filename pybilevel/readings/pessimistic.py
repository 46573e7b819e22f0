"""The pessimistic reading: the leader's objective under the follower optimum worst for it.

    min_x  max_{y in S(x)}  F(x, y),     S(x) = argmin_y { f(x, y) : g(x, y) <= 0 }

is rewritten as an optimistic bilevel problem (Zeng 2020, "A practical scheme to compute the
pessimistic bilevel optimization problem", INFORMS J. Computing 32(4)): the leader also picks a
follower-feasible copy y_bar, and the follower maximises the leader's objective over the points
at least as good for it as y_bar,

    min_{x, y_bar}  max_y { F(x, y) : g(x, y) <= 0,  f(x, y) <= f(x, y_bar) },   g(x, y_bar) <= 0.

The leader gains by choosing y_bar optimal (a smaller set for the maximiser), where the set is
S(x); so the value is the pessimistic one. The follower and leader objectives are then opposite
and any method of the optimistic reading applies. The model is changed in place for the solve
and restored afterwards (:func:`pessimistic_reading`).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pyomo.common.collections import ComponentSet
from pyomo.common.modeling import unique_component_name
from pyomo.core.base.block import Block
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.objective import Objective, maximize, minimize
from pyomo.core.base.var import Var
from pyomo.core.expr.visitor import identify_variables, replace_expressions
from pyomo.environ import value
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.certify.optimal_set import choose_response
from pybilevel.errors import MethodRefusedError
from pybilevel.map_back import number, report_follower
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.structure import BilevelStructure, analyze
from pybilevel.readings.base import Reading
from pybilevel.readings.names import PESSIMISTIC
from pybilevel.results import Status
from pybilevel.timing import TimeBudget, timed

if TYPE_CHECKING:
    from pybilevel.results import BilevelResult

__all__ = ["PessimisticReading", "pessimistic_reading", "check_pessimistic"]

BLOCK_NAME = "_pybilevel_pessimistic"


def check_pessimistic(structure: BilevelStructure) -> None:
    """Refuse, naming the component, what the rewriting above does not cover."""
    if structure.is_game:
        raise MethodRefusedError(
            "the pessimistic reading of a game among followers is not supported: the worst "
            "equilibrium is not the worst optimum of each follower; solve the optimistic reading."
        )
    if structure.dual_references:
        raise MethodRefusedError(
            f"the pessimistic reading with {structure.dual_references[0].name} in the leader's problem is not "
            "supported: the rewritten follower's duals are not the follower's; solve the optimistic reading."
        )
    follower_vars = ComponentSet(v for form in structure.followers for v in form.variables)
    for form in structure.followers:
        if form.follower_class not in (FollowerClass.LP, FollowerClass.QP):
            raise MethodRefusedError(
                f"the pessimistic reading needs LP or convex-QP followers; follower "
                f"{form.follower.name} is {form.follower_class}."
            )
    for con in structure.leader_constraints:
        used = [v for v in identify_variables(con.body) if v in follower_vars]
        if used:
            raise MethodRefusedError(
                f"leader constraint {con.name} uses follower variable {used[0].name}: under the "
                "pessimistic reading it would have to hold for every follower optimum, which is "
                "not supported; move it into the follower or drop it."
            )
    repn = generate_standard_repn(structure.leader_objective.expr, quadratic=True, compute_values=True)
    nonlinear = [] if repn.nonlinear_vars is None else list(repn.nonlinear_vars)
    quadratic_in_y = [
        pair for pair in repn.quadratic_vars if pair[0] in follower_vars and pair[1] in follower_vars
    ]
    if quadratic_in_y or any(v in follower_vars for v in nonlinear):
        raise MethodRefusedError(
            f"the pessimistic reading needs the leader objective {structure.leader_objective.name} "
            "linear in the follower variables (products with leader variables are fine): the "
            "follower that maximises it must have a concave objective."
        )


class PessimisticReading(Reading):
    name = PESSIMISTIC

    @contextmanager
    def applied(self, structure: BilevelStructure, timings: dict[str, float]) -> Iterator[BilevelStructure]:
        with pessimistic_reading(structure):
            with timed(timings, "compile"):
                rewritten = analyze(structure.model)
            yield rewritten

    def invert(self, structure: BilevelStructure, result: BilevelResult, budget: TimeBudget | None = None) -> None:
        """Report the original follower's worst optimum at the leader's decision, and its duals.

        The rewritten model's solution holds the leader's decision; its follower values maximise
        the leader's objective over a set that contains the follower's optima, so they are
        replaced by the worst optimum itself, and the leader's copies y_bar are not reported.
        """
        if result.status not in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE):
            return
        infimum = result.leader_objective
        result.leader = {v.name: number(v) for v in structure.leader_variables}
        for form in structure.followers:
            status = choose_response(structure, form, PESSIMISTIC, budget)
            if status != "optimal":
                result.status = Status.ERROR
                result.message = (
                    f"the worst optimum of follower {form.follower.name} at the leader's decision ended '{status}'"
                )
                return
            report_follower(result, form)
        result.leader_objective = float(value(structure.leader_objective.expr))
        scale = max(1.0, abs(result.leader_objective))
        if abs(result.leader_objective - infimum) > 1e-6 * scale:
            result.status = Status.FEASIBLE
            result.message = (
                f"the pessimistic infimum {infimum:.8g} is not attained: at the decision found the worst "
                f"follower optimum gives the leader {result.leader_objective:.8g} (the follower's optimal "
                "set jumps there); a nearby decision approaches the infimum"
            )


@contextmanager
def pessimistic_reading(structure: BilevelStructure) -> Iterator[None]:
    """Rewrite the model (module docstring) for the duration of the block, then restore it."""
    check_pessimistic(structure)
    model = structure.model
    name = unique_component_name(model, BLOCK_NAME)
    model.add_component(name, Block())
    copies = model.component(name)
    added = []
    leader = structure.leader_objective
    try:
        for form in structure.followers:
            added += _rewrite_follower(form, copies, leader)
        yield
    finally:
        for block, component_name, objective in added:
            block.del_component(component_name)
            if objective is not None:
                objective.activate()
        model.del_component(name)


def _rewrite_follower(form: FollowerForm, copies: Block, leader: Objective) -> list:
    """Add y_bar and its constraints to ``copies``; swap the follower's objective. Returns what to undo."""
    follower = form.follower
    key = follower.name
    ybar = Var(range(len(form.variables)), dense=True)
    copies.add_component(unique_component_name(copies, f"ybar_{key}"), ybar)
    for j, var in enumerate(form.variables):
        ybar[j].domain = var.domain
        ybar[j].setlb(var.lb)
        ybar[j].setub(var.ub)
        ybar[j].set_value(var.value, skip_validation=True)
    substitute = {id(var): ybar[j] for j, var in enumerate(form.variables)}
    rows = [replace_expressions(con.expr, substitute) for con in form.constraints]
    copies.add_component(unique_component_name(copies, f"feasible_{key}"), Constraint(range(len(rows)), rule=lambda _, k: rows[k]))

    own = form.objective.expr
    at_least_as_good = form.sense * (own - replace_expressions(own, substitute)) <= 0
    value_name = unique_component_name(follower, "pessimistic_value")
    follower.add_component(value_name, Constraint(expr=at_least_as_good))
    worst_name = unique_component_name(follower, "pessimistic_objective")
    sense = maximize if leader.is_minimizing() else minimize
    follower.add_component(worst_name, Objective(expr=leader.expr, sense=sense))
    form.objective.deactivate()
    return [(follower, value_name, None), (follower, worst_name, form.objective)]
