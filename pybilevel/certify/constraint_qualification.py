"""Slater's condition for a convex-NLP follower at the leader's decision.

KKT conditions describe every optimum of a convex follower only under a constraint
qualification. For convex constraints Slater's condition is the usual one: some follower point
satisfies every nonlinear inequality strictly (linear rows need only hold). Its margin

    max_{y, s <= 1}  s   s.t.  g_i(x, y) + s <= u_i  (nonlinear rows i),  linear rows and bounds

is computed with Ipopt at the decision found (leader and other followers fixed): a positive
margin proves Slater's condition there; zero or less means the KKT system may miss the
follower's optimum (e.g. a feasible set reduced to a point).
"""
from __future__ import annotations

from pyomo.common.modeling import unique_component_name
from pyomo.core.base.block import Block
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.objective import Objective, maximize
from pyomo.core.base.var import Var
from pyomo.environ import value

from pybilevel.model.follower_form import FollowerForm
from pybilevel.solvers.embedded import solve_model

__all__ = ["SLATER_TOL", "nonlinear_inequalities", "slater_margin"]

#: margins at or below this are treated as a failure of Slater's condition
SLATER_TOL = 1e-6


def nonlinear_inequalities(form: FollowerForm) -> list[tuple[object, str]]:
    """(constraint, side) of every inequality side nonlinear in the follower's variables."""
    sides = []
    for i in sorted(form.row_nonlinear):
        con = form.constraints[i]
        if not con.equality:
            sides += [(con, side) for side, has in (("upper", con.has_ub()), ("lower", con.has_lb())) if has]
    return sides


def slater_margin(form: FollowerForm, time_limit: float) -> tuple[float | None, str]:
    """Slater margin at the current values of the variables the follower takes as given (they
    must be fixed by the caller), and the constraint closest to violation; ``None`` if Ipopt
    did not solve the margin problem."""
    sides = nonlinear_inequalities(form)
    follower = form.follower
    name = unique_component_name(follower, "_pybilevel_slater")
    follower.add_component(name, Block())
    check = follower.component(name)
    check.margin = Var(bounds=(None, 1.0), initialize=0.0)
    check.strict = Constraint(range(len(sides)), rule=lambda _, k: _tightened(*sides[k], check.margin))
    check.objective = Objective(expr=check.margin, sense=maximize)
    rows = list({id(con): con for con, _ in sides}.values())
    for con in rows:
        con.deactivate()
    form.objective.deactivate()
    try:
        outcome = solve_model(follower, "ipopt", time_limit)
        if outcome.status != "optimal":
            return None, ""
        slack = {con.name: _slack(con, side) for con, side in sides}
        return float(check.margin.value), min(slack, key=slack.get)
    finally:
        for con in rows:
            con.activate()
        form.objective.activate()
        follower.del_component(name)


def _tightened(con, side: str, margin):
    return con.body + margin <= con.upper if side == "upper" else con.body - margin >= con.lower


def _slack(con, side: str) -> float:
    body = value(con.body)
    return float(value(con.upper) - body) if side == "upper" else float(body - value(con.lower))
