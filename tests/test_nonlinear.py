"""Nonlinear bilevel problems: convex-NLP followers, nonlinear leaders, local and global methods.

The full nonlinear library (tests/nlp_library.py, verified by tests/test_nlp_reference.py) is
run method by method with ``benchmarks/library_table.py --nlp``; here a fast subset runs on
every ``make test``.
"""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from library_run import classify
from nlp_library import NLP_PROBLEMS
from pybilevel.certify.certificate import certify

BY_NAME = {p.name: p for p in NLP_PROBLEMS}


@pytest.mark.parametrize("method", ["sos1", "kkt"])
def test_colson_bipa1_global(method):
    outcome, res, detail = classify(BY_NAME["colson2002_bipa1"], method, rel_tol=1e-6)
    assert outcome == "solved", detail


@pytest.mark.parametrize("method", ["sos1", "kkt"])
def test_floudas_zlobec_global_closes_its_gap(method):
    """Published F* = 1 (Floudas & Zlobec 1998); SCIP stopped at its 20 s limit with a relative gap
    of 1e-9 alone and proves it in a fraction of a second with HiGHS's absolute gap 1e-6."""
    outcome, res, detail = classify(BY_NAME["floudas_zlobec1998"], method, time_limit=20.0, rel_tol=1e-6)
    assert outcome == "solved", detail


def test_colson_bipa1_local_reaches_the_optimum_with_a_stationarity_verdict():
    outcome, res, detail = classify(BY_NAME["colson2002_bipa1"], "regularized", rel_tol=1e-6)
    assert outcome == "local", detail
    assert res.mpcc["verdict"].startswith("strongly stationary candidate")


@pytest.mark.parametrize("name", [p.name for p in NLP_PROBLEMS if p.follower_class == "nonconvex NLP"])
@pytest.mark.parametrize("method", bl.METHODS)
def test_nonconvex_followers_are_refused(name, method):
    with pytest.raises(bl.MethodRefusedError, match="nonconvex"):
        bl.solve(BY_NAME[name].build(), method=method)


def exp_follower():
    """Leader min x + (y2 - 2)^2 over x in [1, 10]; follower min exp(y1) + x y2^2 - y1 y2 - 3 y2
    s.t. y1^2 + y2^2 <= x, y in [0.1, 5]^2: convex in y for x >= 1 (Hessian [[e^y1, -1], [-1, 2x]])."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(1, 10))
    m.f = bl.Follower()
    m.f.y = pyo.Var([1, 2], bounds=(0.1, 5))
    m.f.c = pyo.Constraint(expr=m.f.y[1] ** 2 + m.f.y[2] ** 2 <= m.x)
    m.f.obj = pyo.Objective(expr=pyo.exp(m.f.y[1]) + m.x * m.f.y[2] ** 2 - m.f.y[1] * m.f.y[2] - 3 * m.f.y[2])
    m.obj = pyo.Objective(expr=m.x + (m.f.y[2] - 2) ** 2)
    return m


def test_global_local_and_baseline_agree_and_certify():
    glob = bl.solve(exp_follower(), method="sos1")
    local = bl.solve(exp_follower(), method="regularized")
    baseline = bl.solve(exp_follower(), method="kkt", solver="ipopt")
    assert glob.ok and glob.status == bl.Status.OPTIMAL
    assert local.ok and local.status == bl.Status.LOCALLY_OPTIMAL
    assert baseline.ok and baseline.status == bl.Status.LOCALLY_OPTIMAL
    assert local.leader_objective == pytest.approx(glob.leader_objective, abs=1e-5)
    assert baseline.leader_objective == pytest.approx(glob.leader_objective, abs=1e-5)
    # independent check of the follower at the leader's decision: a fine grid over y
    import numpy as np

    x = glob.leader["x"]
    grid = np.linspace(0.1, 5, 1201)
    y1, y2 = np.meshgrid(grid, grid)
    value = np.exp(y1) + x * y2**2 - y1 * y2 - 3 * y2
    value[y1**2 + y2**2 > x] = np.inf
    assert glob.follower_objectives["f"] <= value.min() + 1e-6


def test_the_exp_follower_is_refused_where_it_is_not_convex():
    m = exp_follower()
    m.x.setlb(0)  # det of the Hessian 2x e^y1 - 1 < 0 for small x
    with pytest.raises(bl.MethodRefusedError, match="objective f.obj is not convex"):
        bl.solve(m, method="sos1")


def test_auto_picks_a_global_method_for_a_small_nonlinear_model_and_says_why():
    res = bl.solve(exp_follower())
    assert res.method == "sos1" and "global solution by SCIP" in res.method_reason


def test_infeasible_nonlinear_follower_is_reported_infeasible():
    """y1^2 + y2^2 <= x cannot hold with x <= 0.01 and y >= 0.1 (0.02 > 0.01)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(1e-3, 1e-2))
    m.f = bl.Follower()
    m.f.y = pyo.Var([1, 2], bounds=(0.1, 5))
    m.f.c = pyo.Constraint(expr=m.f.y[1] ** 2 + m.f.y[2] ** 2 <= m.x)
    m.f.obj = pyo.Objective(expr=pyo.exp(m.f.y[1]) + m.f.y[2] ** 2)
    m.obj = pyo.Objective(expr=m.x)
    res = bl.solve(m, method="sos1")
    assert res.status == bl.Status.INFEASIBLE
    assert res.message.startswith("no bilevel-feasible point exists; with nonlinear follower rows")


@pytest.mark.parametrize("x, margin", [(0.0, 0.0), (0.25, 0.25), (4.0, 1.0)])
def test_slater_margin_in_the_certificate(x, margin):
    """Follower max y s.t. y^2 <= x: Slater's margin max{s <= 1 : y^2 + s <= x} is min(x, 1) (at
    y = 0); at x = 0 the feasible set is one point, the multiplier does not exist, and the
    certificate says so, while the point itself is still certified optimal."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(-3, 3))
    m.f.disc = pyo.Constraint(expr=m.f.y**2 <= m.x)
    m.f.obj = pyo.Objective(expr=m.f.y, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=m.x - m.f.y)
    m.x.set_value(x)
    m.f.y.set_value(x**0.5)
    (cert,) = certify(bl.analyze(m))
    assert cert.passed
    assert cert.slater_margin == pytest.approx(margin, abs=1e-6)
    assert ("Slater's condition fails at this decision" in cert.message) == (margin == 0.0)
    assert ("at f.disc" in cert.message) == (margin == 0.0)
