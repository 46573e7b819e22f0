"""Statuses: each says what was proven, with the part of the model that causes it."""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel import Status


def skeleton(x_bounds=(0, 5)):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=x_bounds)
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    return m


@pytest.mark.parametrize("method", [m for m in bl.METHODS if m not in ("value_function", "branch_and_cut")])  # integer: own tests
def test_constraints_without_common_point(method):
    m = skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y - m.x <= -6)  # y <= x - 6 < 0 for every x in [0, 5]
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x)
    res = bl.solve(m, method=method, **({"dual_bound": 10} if method == "bigm" else {}))
    assert res.status == Status.INFEASIBLE
    assert "high-point relaxation is infeasible" in res.message


@pytest.mark.parametrize("method", ["sos1", "kkt", "bigm", "strong_duality"])
def test_bilevel_infeasible_although_constraints_are_feasible(method):
    m = skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y + m.x <= 20)
    m.f.obj = pyo.Objective(expr=m.f.y)  # the follower always answers y = 0
    m.need = pyo.Constraint(expr=m.f.y >= 2)  # the leader needs y >= 2
    m.obj = pyo.Objective(expr=m.x)
    res = bl.solve(m, method=method)
    assert res.status == Status.INFEASIBLE
    assert "bilevel infeasible" in res.message


@pytest.mark.parametrize("method", ["sos1", "kkt"])
def test_follower_unbounded(method):
    m = skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y >= m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y)  # y can grow without limit
    m.obj = pyo.Objective(expr=m.x)
    res = bl.solve(m, method=method)
    assert res.status == Status.FOLLOWER_UNBOUNDED
    assert "follower f has no optimum" in res.message


def test_follower_unbounded_is_refused_up_front_by_bigm():
    m = skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y >= m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=m.x)
    with pytest.raises(bl.BigMError, match="has no upper bound"):
        bl.solve(m, method="bigm")


@pytest.mark.parametrize("method", ["sos1", "strong_duality", "bigm"])
def test_leader_unbounded(method):
    m = skeleton(x_bounds=(0, None))
    m.f.c = pyo.Constraint(expr=m.f.y <= 3)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=-m.x)  # the leader's x has no upper bound
    res = bl.solve(m, method=method, **({"dual_bound": 10} if method == "bigm" else {}))
    assert res.status in (Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED)
    assert res.leader_objective is None or res.leader_objective < -1e6


def test_uncertified_point_never_prints_as_success():
    # a dual bound that is too small: the big-M MILP is still solved, but print and .ok must not
    # claim more than was proven when the certificate fails. Force a failure by corrupting y.
    from pybilevel.certify.certificate import certify

    m = skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y + m.x >= 3)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x - 4 * m.f.y)
    res = bl.solve(m, method="sos1")
    assert res.ok
    m.f.y.set_value(res.follower["f"]["f.y"] + 1.0)  # a response that is not follower-optimal
    res.certificate = certify(bl.analyze(m))
    assert not res.certified and not res.ok
    assert "CERTIFICATE FAILED" in str(res)
    assert "NOT optimal for the leader's decision" in res.certificate[0].message
