"""bl.dual: a follower dual in the leader's problem, against duals of the follower solved alone.

References are independent of pybilevel: scipy's linprog (HiGHS) on the follower with the leader's
decision fixed, and duals worked out by hand for the degenerate case.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from pybilevel.certify.certificate import certify

MULTIPLIER_METHODS = ["sos1", "kkt", "bigm", "strong_duality", "regularized"]


def price_cap_model(maximising: bool) -> pyo.ConcreteModel:
    """A firm offers price x for unit 1 (cost 1, capacity 3) against unit 2 at 5; demand 2.

    The market price is the dual of the demand row: x while x < 5. The firm maximises
    (price - 1) * dispatch under a price cap price <= 4 (a leader constraint on the dual), so by
    hand x = 4, price 4, dispatch 2, profit 6. ``maximising``: the market maximises minus its cost,
    whose dual of the demand row is minus the price (docs/conventions.md).
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(1, 10))
    m.f = bl.Follower()
    m.f.y1 = pyo.Var(bounds=(0, 3))
    m.f.y2 = pyo.Var(bounds=(0, 10))
    m.f.demand = pyo.Constraint(expr=m.f.y1 + m.f.y2 >= 2)
    cost = m.x * m.f.y1 + 5 * m.f.y2
    m.f.obj = pyo.Objective(expr=-cost if maximising else cost, sense=pyo.maximize if maximising else pyo.minimize)
    sign = -1 if maximising else 1
    price = sign * bl.dual(m.f.demand)
    m.cap = pyo.Constraint(expr=price <= 4)
    m.obj = pyo.Objective(expr=(price - 1) * m.f.y1, sense=pyo.maximize)
    return m


def demand_dual_by_linprog(x: float, maximising: bool) -> float:
    """d(follower optimum, in its own sense)/d(demand), the follower solved alone by HiGHS."""
    res = linprog([x, 5.0], A_ub=[[-1.0, -1.0]], b_ub=[-2.0], bounds=[(0, 3), (0, 10)], method="highs")
    assert res.status == 0
    d_min_cost = -res.ineqlin.marginals[0]  # the row is -y1 - y2 <= -demand
    return -d_min_cost if maximising else d_min_cost


@pytest.mark.parametrize("maximising", [False, True], ids=["min-follower", "max-follower"])
@pytest.mark.parametrize("method", MULTIPLIER_METHODS)
def test_price_cap_against_highs_duals(method, maximising):
    m = price_cap_model(maximising)
    res = bl.solve(m, method=method)
    assert res.ok
    x = res.leader["x"]
    assert x == pytest.approx(4.0, abs=1e-5)
    assert res.leader_objective == pytest.approx(6.0, abs=1e-5)
    reference = demand_dual_by_linprog(x, maximising)
    assert reference == pytest.approx(-4.0 if maximising else 4.0, abs=1e-5)
    placeholder = bl.dual(m.f.demand).value
    assert placeholder == pytest.approx(reference, abs=1e-5)
    assert res.follower_duals["f"]["f.demand"] == pytest.approx(placeholder, abs=1e-9)  # the same numbers
    assert "bl.dual" not in " ".join(res.leader)  # a dual reference is no leader decision
    assert res.certificate[0].duals[0].valid


def test_without_the_cap_the_price_goes_to_the_rival_cost():
    m = price_cap_model(False)
    m.cap.deactivate()
    res = bl.solve(m, method="sos1")
    assert res.ok
    assert res.leader["x"] == pytest.approx(5.0, abs=1e-5)  # the tie: the optimistic reading keeps unit 1
    assert res.leader_objective == pytest.approx(8.0, abs=1e-5)


def degenerate_model(sense) -> pyo.ConcreteModel:
    """min y s.t. y >= x twice: any duals u1 + u2 = 1, u >= 0 are optimal (by hand)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(1, 2))
    m.f = bl.Follower()
    m.f.y = pyo.Var()
    m.f.first = pyo.Constraint(expr=m.f.y - m.x >= 0)
    m.f.second = pyo.Constraint(expr=m.f.y - m.x >= 0)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=bl.dual(m.f.first) + m.x, sense=sense)
    return m


@pytest.mark.parametrize("sense, dual_value, objective", [(pyo.maximize, 1.0, 3.0), (pyo.minimize, 0.0, 1.0)])
def test_degenerate_follower_any_valid_dual_is_certified(sense, dual_value, objective):
    m = degenerate_model(sense)
    res = bl.solve(m, method="sos1")
    assert res.ok
    assert bl.dual(m.f.first).value == pytest.approx(dual_value, abs=1e-6)
    assert res.leader_objective == pytest.approx(objective, abs=1e-6)
    check = res.certificate[0].duals[0]
    assert check.valid and 0.0 - 1e-7 <= check.resolved <= 1.0 + 1e-7


def test_certificate_reports_a_wrong_dual():
    m = price_cap_model(False)
    bl.solve(m, method="sos1")
    price = bl.dual(m.f.demand)
    price.set_value(price.value + 0.5)
    certificate = certify(bl.analyze(m))[0]
    assert not certificate.passed
    check = certificate.duals[0]
    assert check.difference == pytest.approx(0.5, abs=1e-6)
    assert "bl.dual(f.demand) = 4.5 is NOT a dual of the follower" in certificate.message


def test_a_degenerate_but_invalid_value_is_refused():
    m = degenerate_model(pyo.maximize)
    bl.solve(m, method="sos1")
    bl.dual(m.f.first).set_value(1.5)  # u1 + u2 = 1 with u2 >= 0 allows at most 1
    assert not certify(bl.analyze(m))[0].passed


def test_same_placeholder_for_the_same_constraint_and_indexed_use():
    m = pyo.ConcreteModel()
    m.f = bl.Follower()
    m.f.y = pyo.Var([1, 2], bounds=(0, 5))
    m.f.c = pyo.Constraint([1, 2], rule=lambda b, i: b.y[i] >= i)
    both = bl.dual(m.f.c)
    assert set(both) == {1, 2}
    assert bl.dual(m.f.c[2]) is both[2]


# ---- bad input -------------------------------------------------------------------------------


def small_model() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1), within=pyo.Binary)
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 2))
    m.f.c = pyo.Constraint(expr=m.f.y <= 1 + m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    return m


def test_dual_of_a_leader_constraint_is_refused_by_name():
    m = small_model()
    m.leader_row = pyo.Constraint(expr=m.x <= 1)
    m.obj = pyo.Objective(expr=bl.dual(m.leader_row) + m.x)
    with pytest.raises(bl.StructureError, match=r"bl.dual\(leader_row\): leader_row is not a follower's constraint"):
        bl.solve(m, method="sos1")


def test_dual_of_a_leader_only_row_on_the_follower_is_refused_by_name():
    m = small_model()
    m.f.only_x = pyo.Constraint(expr=m.x <= 1)
    m.obj = pyo.Objective(expr=bl.dual(m.f.only_x) + m.x)
    with pytest.raises(bl.StructureError, match=r"bl.dual\(f.only_x\): f.only_x is not an active follower constraint"):
        bl.analyze(m)


def test_a_follower_using_a_dual_is_refused():
    m = small_model()
    m.f.d = pyo.Constraint(expr=m.f.y <= 2 + bl.dual(m.f.c))
    m.obj = pyo.Objective(expr=m.x)
    with pytest.raises(bl.StructureError, match=r"follower f uses bl.dual\(f.c\)"):
        bl.analyze(m)


def test_not_a_constraint_is_refused():
    m = small_model()
    with pytest.raises(bl.StructureError, match="bl.dual\\(\\) takes a follower constraint, got"):
        bl.dual(m.f.y)


@pytest.mark.parametrize("method", ["value_function", "interdiction"])
def test_methods_without_multipliers_refuse_by_name(method):
    m = small_model()
    m.obj = pyo.Objective(expr=m.f.y + bl.dual(m.f.c), sense=pyo.maximize)
    with pytest.raises(bl.MethodRefusedError, match=rf"method '{method}' cannot use bl.dual\(f.c\)"):
        bl.solve(m, method=method)


def test_pessimistic_reading_refuses():
    m = price_cap_model(False)
    with pytest.raises(bl.MethodRefusedError, match=r"pessimistic reading with bl.dual\(f.demand\)"):
        bl.solve(m, method="sos1", reading="pessimistic")


def test_the_model_is_left_as_it_was():
    m = price_cap_model(False)
    before = sorted(c.name for c in m.component_objects(pyo.Constraint, descend_into=True))
    bl.solve(m, method="bigm")
    assert sorted(c.name for c in m.component_objects(pyo.Constraint, descend_into=True)) == before
    assert np.isfinite(bl.dual(m.f.demand).value)
