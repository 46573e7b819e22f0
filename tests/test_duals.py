"""Follower duals: the documented sign convention, checked against HiGHS on the follower alone."""
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory

import pybilevel as bl


def model(sense, quadratic=False):
    """Leader picks x; follower has >=, <=, == and ranged rows, optimum unique (non-degenerate)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(1, 3))
    m.f = bl.Follower()
    m.f.y = pyo.Var([1, 2, 3], bounds=(0, 20))
    m.f.ge = pyo.Constraint(expr=m.f.y[1] + m.f.y[2] >= 2 + m.x)
    m.f.le = pyo.Constraint(expr=m.f.y[1] + 2 * m.f.y[3] <= 12 - m.x)
    m.f.eq = pyo.Constraint(expr=m.f.y[2] - m.f.y[3] == 0.5 * m.x)
    m.f.rng = pyo.Constraint(expr=pyo.inequality(-6, m.f.y[1] - m.f.y[2], 4))
    cost = 3 * m.f.y[1] + 2 * m.f.y[2] - m.f.y[3]
    if quadratic:
        cost = cost + (m.f.y[1] - 1) ** 2 + m.f.y[2] ** 2 + 0.5 * m.f.y[3] ** 2
    m.f.obj = pyo.Objective(expr=cost if sense == pyo.minimize else -cost, sense=sense)
    m.obj = pyo.Objective(expr=(m.x - 2.2) ** 2 if quadratic else -m.x)
    return m


@pytest.mark.parametrize("quadratic", [False, True])
@pytest.mark.parametrize("sense", [pyo.minimize, pyo.maximize])
@pytest.mark.parametrize("method", ["bigm", "sos1"])
def test_follower_duals_equal_highs_duals_of_the_follower_alone(method, sense, quadratic):
    m = model(sense, quadratic)
    res = bl.solve(m, method=method)
    assert res.ok
    # independent reference: the user's follower block solved alone by HiGHS with the leader fixed
    m.x.fix(res.leader["x"])
    reference = SolverFactory("highs").solve(m.f)
    highs_duals = reference.solution_loader.get_duals()
    for con in (m.f.ge, m.f.le, m.f.eq, m.f.rng):
        assert res.follower_duals["f"][con.name] == pytest.approx(highs_duals[con], abs=1e-5), con.name
    reduced = reference.solution_loader.get_reduced_costs()
    for var in m.f.y.values():
        assert res.follower_reduced_costs["f"][var.name] == pytest.approx(reduced[var], abs=1e-5), var.name


def test_sign_convention_on_a_case_worked_by_hand():
    """min y s.t. y - x >= 0 with x fixed by the leader at 2: d(min)/d(rhs) = +1 on a >= row;
    the same follower written as max -y gives -1 (the objective in the user's sense falls).
    (Pyomo stores ``y >= x`` as ``x - y <= 0``; the rhs is then the bound of that body.)"""
    for sense, expected in ((pyo.minimize, 1.0), (pyo.maximize, -1.0)):
        m = pyo.ConcreteModel()
        m.x = pyo.Var(bounds=(2, 2))
        m.f = bl.Follower()
        m.f.y = pyo.Var(bounds=(-10, 10))
        m.f.c = pyo.Constraint(expr=m.f.y - m.x >= 0)
        m.f.obj = pyo.Objective(expr=m.f.y if sense == pyo.minimize else -m.f.y, sense=sense)
        m.obj = pyo.Objective(expr=m.x)
        res = bl.solve(m, method="sos1")
        assert res.follower_duals["f"]["f.c"] == pytest.approx(expected)
