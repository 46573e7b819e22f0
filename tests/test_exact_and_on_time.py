"""Exact answers (every point polished: closed forms to 1e-6, rows to 1e-9) and one time budget
for the whole call (returns within 10% + 5 s of ``time_limit``, with an honest status)."""
import math
import time

import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from oracle import random_tiny_bilevel, tiny_to_pyomo
from pybilevel.model.violation import max_violation

ALL_METHODS = (*bl.METHODS, *bl.SPECIAL_METHODS)


# ------------------------------------------------------------------ closed forms
def exp_follower():
    """The issue's example: follower min exp(y) - x*y, so y*(x) = log x; leader min (y-1)^2 +
    0.1 (x-e)^2, flat near its optimum x* = e, y* = 1, F* = 0."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0.5, 5))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(-10, 10))
    m.f.obj = pyo.Objective(expr=pyo.exp(m.f.y) - m.x * m.f.y)
    m.obj = pyo.Objective(expr=(m.f.y - 1) ** 2 + 0.1 * (m.x - math.e) ** 2)
    return m, {"x": math.e}, {"f.y": 1.0}, 0.0


def qp_follower():
    """Follower min (y - x)^2 / 2 over y in [0, 10], so y = x; leader min (y - sqrt 2)^2 +
    1e-4 (x - sqrt 2)^2 (flat): x* = y* = sqrt 2, F* = 0."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 5))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.obj = pyo.Objective(expr=0.5 * (m.f.y - m.x) ** 2)
    m.obj = pyo.Objective(expr=(m.f.y - math.sqrt(2)) ** 2 + 1e-4 * (m.x - math.sqrt(2)) ** 2)
    return m, {"x": math.sqrt(2)}, {"f.y": math.sqrt(2)}, 0.0


def degenerate_lp_follower():
    """Follower max y s.t. y <= x, y <= pi - x, y >= 0; leader min -y + x / 1000: at the kink both
    rows are active with y interior (degenerate): x* = y* = pi/2, F* = -pi/2 + pi/2000."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 3))
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    m.f.a = pyo.Constraint(expr=m.f.y - m.x <= 0)
    m.f.b = pyo.Constraint(expr=m.f.y + m.x <= math.pi)
    m.f.obj = pyo.Objective(expr=m.f.y, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=-m.f.y + m.x / 1000)
    return m, {"x": math.pi / 2}, {"f.y": math.pi / 2}, -math.pi / 2 + math.pi / 2000


def bilinear_price():
    """A price t times a quantity: follower min (t - sqrt 3) y over y in [0, 1] buys (y = 1) while
    t <= sqrt 3 (optimistic at the tie); leader max t y: t* = sqrt 3, y* = 1, F* = sqrt 3."""
    m = pyo.ConcreteModel()
    m.t = pyo.Var(bounds=(0, 10))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 1))
    m.f.obj = pyo.Objective(expr=(m.t - math.sqrt(3)) * m.f.y)
    m.obj = pyo.Objective(expr=m.t * m.f.y, sense=pyo.maximize)
    return m, {"t": math.sqrt(3)}, {"f.y": 1.0}, math.sqrt(3)


def flat_linear_leader():
    """Follower min y s.t. y >= 3 - 2x, y >= x / e, y >= 0; leader min y + x / 1e4 (nearly
    flat in x): the follower's lower envelope is lowest where 3 - 2x = x / e, so
    x* = 3 e / (2 e + 1), y* = x* / e, F* = y* + x* / 1e4."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    m.f.a = pyo.Constraint(expr=m.f.y + 2 * m.x >= 3)
    m.f.b = pyo.Constraint(expr=m.f.y - m.x / math.e >= 0)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.f.y + m.x / 1e4)
    x = 3 * math.e / (2 * math.e + 1)
    return m, {"x": x}, {"f.y": x / math.e}, x / math.e + x / 1e4


def quadratic_leader_lp_follower():
    """Follower max y s.t. y <= 2 x, y <= 7: y = min(2x, 7); leader min (x - sqrt 5)^2 - y / 100 over
    x in [0, 3]: on 2x <= 7 the leader's gradient gives x* = sqrt 5 + 1/100, y* = 2 x*."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 3))
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    m.f.a = pyo.Constraint(expr=m.f.y - 2 * m.x <= 0)
    m.f.b = pyo.Constraint(expr=m.f.y <= 7)
    m.f.obj = pyo.Objective(expr=m.f.y, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=(m.x - math.sqrt(5)) ** 2 - m.f.y / 100)
    x = math.sqrt(5) + 0.01
    return m, {"x": x}, {"f.y": 2 * x}, (x - math.sqrt(5)) ** 2 - 2 * x / 100


CLOSED_FORMS = [exp_follower, qp_follower, degenerate_lp_follower, bilinear_price, flat_linear_leader,
                quadratic_leader_lp_follower]


@pytest.mark.parametrize("build", CLOSED_FORMS, ids=lambda f: f.__name__)
def test_closed_form_to_the_digits_by_every_method_that_accepts_it(build):
    solved = 0
    for method in ALL_METHODS:
        model, leader, follower, objective = build()
        try:
            res = bl.solve(model, method=method, time_limit=60)
        except (bl.MethodRefusedError, bl.BigMError):  # refused, saying why
            continue
        solved += 1
        assert res.ok, (method, res.status, res.message)
        for name, expected in leader.items():
            assert res.leader[name] == pytest.approx(expected, abs=1e-6), (method, name, res.polish)
        for name, expected in follower.items():
            assert res.follower["f"][name] == pytest.approx(expected, abs=1e-6), (method, name, res.polish)
        assert res.leader_objective == pytest.approx(objective, rel=1e-8, abs=1e-9), (method, res.polish)
    assert solved >= 2  # kkt and sos1 accept every one of them


def random_model(seed: int, quadratic: bool) -> pyo.ConcreteModel:
    """The oracle's random LP-LP instance (tests/oracle.py), with a random PSD follower Hessian
    for the QP-LP family."""
    tiny = random_tiny_bilevel(seed, n_x=2, n_y=3, m=3, coupling=seed % 2 == 1)
    if quadratic:
        root = np.random.default_rng(100 + seed).uniform(-1, 1, (3, 3))
        tiny.Q = root @ root.T
    return tiny_to_pyomo(tiny)


@pytest.mark.parametrize("quadratic", [False, True], ids=["lp_lp", "qp_lp"])
@pytest.mark.parametrize("seed", range(6))
def test_every_returned_point_satisfies_every_row_to_1e9(seed, quadratic):
    for method in ("kkt", "sos1", "bigm", "strong_duality"):
        model = random_model(seed, quadratic)
        res = bl.solve(model, method=method, time_limit=60)
        assert res.ok, (method, res.status, res.message)
        rows = list(model.component_data_objects(pyo.Constraint, active=True, descend_into=True))
        variables = list(model.component_data_objects(pyo.Var, descend_into=True))
        assert max_violation(rows, variables, relative=True) <= 1e-9, (method, res.polish)


# ------------------------------------------------------------------ one time budget
def hard_lp_lp(n_y: int = 600) -> pyo.ConcreteModel:
    """A random LP-LP instance big enough that no method proves it in a few seconds."""
    rng = np.random.default_rng(7)
    n_x, rows = n_y // 4, n_y // 2
    A = rng.uniform(-1, 1, (rows, n_x))
    B = rng.uniform(0, 1, (rows, n_y))
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(n_x), bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y = pyo.Var(range(n_y), bounds=(0, 10))
    m.f.rows = pyo.Constraint(range(rows), rule=lambda b, r: sum(A[r, i] * m.x[i] for i in range(n_x))
                              + sum(B[r, j] * b.y[j] for j in range(n_y)) <= 5)
    d = rng.uniform(-1, 0, n_y)
    m.f.obj = pyo.Objective(expr=sum(d[j] * m.f.y[j] for j in range(n_y)))
    c = rng.uniform(-1, 1, n_y)
    m.obj = pyo.Objective(expr=sum(c[j] * m.f.y[j] for j in range(n_y)) + sum(m.x[i] for i in range(n_x)))
    return m


def knapsack_interdiction(items: int = 22) -> pyo.ConcreteModel:
    """Knapsack interdiction (the layout of MibS's K50*.KNP): value_function needs many iterations."""
    rng = np.random.default_rng(3)
    weight, profit = rng.integers(10, 100, items), rng.integers(10, 100, items)
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(items), within=pyo.Binary)
    m.budget = pyo.Constraint(expr=sum(m.x[i] for i in range(items)) <= items // 3)
    m.f = bl.Follower()
    m.f.y = pyo.Var(range(items), within=pyo.Binary)
    m.f.cap = pyo.Constraint(expr=sum(int(weight[i]) * m.f.y[i] for i in range(items)) <= int(weight.sum()) // 2)
    m.f.block = pyo.Constraint(range(items), rule=lambda b, i: b.y[i] + m.x[i] <= 1)
    m.f.obj = pyo.Objective(expr=sum(int(profit[i]) * m.f.y[i] for i in range(items)), sense=pyo.maximize)
    m.obj = pyo.Objective(expr=sum(int(profit[i]) * m.f.y[i] for i in range(items)))
    return m


@pytest.mark.parametrize("method, build", [
    ("bigm", hard_lp_lp),
    ("sos1", lambda: hard_lp_lp(300)),
    ("regularized", lambda: hard_lp_lp(300)),
    ("value_function", knapsack_interdiction),
], ids=["bigm-milp", "sos1-scip", "regularized-rounds", "value_function-iterations"])
def test_the_time_limit_holds_for_the_whole_call(method, build):
    model = build()
    limit = 3.0
    start = time.perf_counter()
    res = bl.solve(model, method=method, time_limit=limit)
    wall = time.perf_counter() - start
    assert wall <= 1.1 * limit + 5, (method, wall, res.timings)
    assert res.status in (bl.Status.OPTIMAL, bl.Status.LOCALLY_OPTIMAL, bl.Status.FEASIBLE, bl.Status.LIMIT)
    if res.status in (bl.Status.OPTIMAL, bl.Status.LOCALLY_OPTIMAL):
        assert res.certified  # an optimum is reported only with a complete, passed certificate
    else:
        assert not res.ok


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "10"])
def test_a_time_limit_that_is_no_number_of_seconds_is_refused(bad):
    model, *_ = degenerate_lp_follower()
    with pytest.raises(bl.MethodRefusedError, match="time_limit must be a finite number of seconds"):
        bl.solve(model, time_limit=bad)


def test_a_certificate_the_budget_cut_short_is_marked_incomplete_and_the_point_not_optimal():
    from pybilevel.certify.certificate import certify
    from pybilevel.model.structure import analyze
    from pybilevel.timing import TimeBudget

    model, *_ = degenerate_lp_follower()
    res = bl.solve(model, method="sos1")
    assert res.ok
    spent = TimeBudget(0.0)
    certificate = certify(analyze(model), budget=spent)
    assert [c.complete for c in certificate] == [False] and not certificate[0].passed
    assert "NOT CHECKED" in certificate[0].message
    with pytest.warns(bl.CertificateWarning, match="CERTIFICATE INCOMPLETE"):
        res.attach_certificate(certificate)
    assert res.status == bl.Status.FEASIBLE and not res.ok and "not proven" in res.message
    assert "CERTIFICATE INCOMPLETE" in str(res)


# ------------------------------------------------------------------ bounds the problem implies
# (a linking variable that only the constraints bound is solved by value_function in
# tests/integer_library.py: moore_bard1990 with explicit_bounds=False)
def test_value_function_refuses_a_linking_variable_nothing_bounds_naming_it():
    """Moore & Bard (1990)'s follower without the rows x + 2y <= 10 and 2x - y <= 15: nothing
    bounds x from above any more."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeIntegers)
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 5))
    m.f.c1 = pyo.Constraint(expr=-25 * m.x + 20 * m.f.y <= 30)
    m.f.c4 = pyo.Constraint(expr=2 * m.x + 10 * m.f.y >= 15)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=-m.x - 10 * m.f.y)
    with pytest.raises(bl.MethodRefusedError, match="linking variable x has no finite bound"):
        bl.solve(m, method="value_function")


def test_the_time_limit_stops_the_big_m_bounding_lps(monkeypatch):
    """The slack of every row whose variables are free is bounded by one LP each (big-M); on a
    large grid those LPs alone outlasted the time limit. Here each LP is slowed to 0.2 s, so 200
    of them take 40 s: the call stops at its 2 s limit with status limit, names the step, and
    leaves the model without the reformulation's block."""
    from pybilevel.model.bounds import HighPointRelaxation

    slow = HighPointRelaxation.lp_max

    def lp_max(self, cost):
        time.sleep(0.2)
        return slow(self, cost)

    monkeypatch.setattr(HighPointRelaxation, "lp_max", lp_max)
    n = 200
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y = pyo.Var(range(n))  # free: each row's slack needs an LP
    m.f.total = pyo.Constraint(expr=sum(m.f.y[i] for i in range(n)) == m.x)
    m.f.low = pyo.Constraint(range(n), rule=lambda b, i: b.y[i] >= -1)
    m.f.high = pyo.Constraint(range(n), rule=lambda b, i: b.y[i] <= 1)
    m.f.obj = pyo.Objective(expr=sum((i % 7) * m.f.y[i] for i in range(n)))
    m.obj = pyo.Objective(expr=m.x + m.f.y[0])
    components = {c.name for c in m.component_objects()}
    start = time.perf_counter()
    res = bl.solve(m, method="bigm", time_limit=2)
    assert time.perf_counter() - start < 2 * 1.1 + 5
    assert res.status == bl.Status.LIMIT and "bounding the slacks of follower f" in res.message
    assert {c.name for c in m.component_objects()} == components
