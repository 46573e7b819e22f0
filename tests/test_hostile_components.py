"""Issue 18, components the methods do not understand: the structure check names each one instead
of skipping it; known components and plain blocks pass (docs/reliability.md)."""
from __future__ import annotations

import pyomo.environ as pyo
import pytest
from pyomo.gdp import Disjunct, Disjunction
from pyomo.mpec import Complementarity, complements

import pybilevel as bl


def toy() -> pyo.ConcreteModel:
    """min x + 2y s.t. x >= 1; y in argmin {y : y >= x - 3, 0 <= y <= 10}."""
    m = pyo.ConcreteModel(name="toy")
    m.I = pyo.Set(initialize=[1, 2])
    m.x = pyo.Var(bounds=(0, 10))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.c = pyo.Constraint(expr=m.f.y >= m.x - 3)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x + 2 * m.f.y)
    m.lc = pyo.Constraint(expr=m.x >= 1)
    return m


def disjunction(m):
    m.d1, m.d2 = Disjunct(), Disjunct()
    m.d1.c = pyo.Constraint(expr=m.x <= 2)
    m.d2.c = pyo.Constraint(expr=m.x >= 5)
    m.dd = Disjunction(expr=[m.d1, m.d2])


def follower_disjunction(m):
    m.f.d = Disjunct([1, 2])
    m.f.d[1].c = pyo.Constraint(expr=m.f.y <= 2)
    m.f.d[2].c = pyo.Constraint(expr=m.f.y >= 5)
    m.f.dd = Disjunction(expr=[m.f.d[1], m.f.d[2]])


def logical(m):
    m.Y = pyo.BooleanVar([1, 2])
    m.lg = pyo.LogicalConstraint(expr=m.Y[1].implies(m.Y[2]))


def follower_sos(m):
    m.f.z = pyo.Var(m.I, bounds=(0, 1))
    m.f.s = pyo.SOSConstraint(var=m.f.z, sos=1)


def piecewise(m):
    m.f.w = pyo.Var()
    m.f.pw = pyo.Piecewise(m.f.w, m.f.y, pw_pts=[0, 5, 10], f_rule=[0, 5, 20], pw_constr_type="EQ")


def complementarity(m):
    m.cc = Complementarity(expr=complements(m.x >= 0, m.f.y >= 0))


def expr_if_follower(m):
    m.f.e = pyo.Constraint(expr=pyo.Expr_if(m.x >= 2, m.f.y, 2 * m.f.y) <= 5)


def expr_if_leader(m):
    m.e = pyo.Constraint(expr=pyo.Expr_if(m.x >= 2, m.x, 0) <= 8)


def abs_follower_row(m):
    m.f.a = pyo.Constraint(expr=abs(m.f.y - 2) <= 5)


def abs_follower_objective(m):
    m.f.obj.deactivate()
    m.f.obj2 = pyo.Objective(expr=abs(m.f.y - m.x))


def floor_in_named_expression(m):
    m.f.g = pyo.Expression(expr=pyo.floor(m.f.y))
    m.f.r = pyo.Constraint(expr=m.f.g <= 4)


def external_function(m):
    m.ef = pyo.ExternalFunction(lambda a: a)


@pytest.mark.parametrize("add, message", [
    (disjunction, "component d1 (Disjunct) in the leader's model is not supported: pybilevel's methods do not read GDP disjunctions: apply TransformationFactory('gdp.bigm')"),
    (follower_disjunction, "component f.d (Disjunct) in follower f is not supported"),
    (logical, "component lg (LogicalConstraint) in the leader's model is not supported: pybilevel's methods do not read logical constraints"),
    (follower_sos, "component f.s (SOSConstraint) in follower f is not supported"),
    (piecewise, "component f.pw (Piecewise) in follower f is not supported"),
    (complementarity, "component cc (Complementarity) in the leader's model is not supported"),
    (expr_if_follower, "constraint f.e in follower f uses Expr_if"),
    (expr_if_leader, "constraint e in the leader's model uses Expr_if"),
    (abs_follower_row, "constraint f.a in follower f uses abs(), which is nonsmooth"),
    (abs_follower_objective, "objective f.obj2 in follower f uses abs(), which is nonsmooth"),
    (floor_in_named_expression, "constraint f.r in follower f uses floor(), which is nonsmooth"),
    (external_function, "component ef (ExternalFunction) in the leader's model is not supported"),
])
def test_unknown_component_refused_by_name(add, message):
    m = toy()
    add(m)
    with pytest.raises(bl.StructureError) as refused:
        bl.solve(m)
    assert message in str(refused.value)


def test_leader_disjunction_after_gdp_bigm_solves():
    """The refusal's remedy works: gdp.bigm on a leader-only disjunction is exact."""
    m = toy()
    disjunction(m)
    pyo.TransformationFactory("gdp.bigm").apply_to(m)
    res = bl.solve(m, method="sos1")
    assert res.ok and pyo.value(m.x) == pytest.approx(1.0)


def test_known_components_and_blocks_pass():
    m = toy()
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.R = pyo.RangeSet(2)
    m.b = pyo.Block()
    m.b.v = pyo.Var(bounds=(0, 1))
    m.b.c = pyo.Constraint(expr=m.b.v <= m.x)
    m.e = pyo.Expression(expr=m.p * m.x)
    m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    m.f.sub = pyo.Block()
    m.f.sub.k = pyo.Constraint(expr=m.f.y <= 9)
    m.f.abs_leader = pyo.Constraint(expr=m.f.y >= 0)
    m.dead = pyo.Constraint(expr=abs(m.x) <= 20)  # abs in the leader is allowed (SCIP, Ipopt read it)
    m.dead.deactivate()
    m.off = Disjunct()
    m.off.deactivate()  # inactive: nothing to read
    res = bl.solve(m, method="sos1")
    assert res.ok and res.leader_objective == pytest.approx(1.0)
