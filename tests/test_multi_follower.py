"""Several followers: separable followers sharing the leader's decision, and games among followers.

References, none of which goes through pybilevel:
* separable LP followers under an integer leader: enumeration of every leader decision, each
  follower solved with scipy's linprog and the optimistic tie-break taken by a second linprog;
* a Stackelberg leader over a Cournot game of followers: the closed form (derived below);
* followers sharing a capacity constraint (a generalized Nash game): enumeration of the
  integral grid of follower responses, each checked for being a best response with linprog.
"""
from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from pybilevel.certify.certificate import certify

KKT_METHODS = ("sos1", "kkt", "bigm", "strong_duality")


# --- separable followers -------------------------------------------------------------------


def separable_instance(seed: int) -> dict:
    """Two LP followers (3 variables, 3 rows each) that both see the integer leader x in [0, 3]^2."""
    rng = np.random.default_rng(seed)
    followers = []
    for _ in range(2):
        B = rng.integers(1, 4, size=(3, 3)).astype(float)
        A = rng.integers(0, 3, size=(3, 2)).astype(float)
        b = A @ np.full(2, 3.0) + rng.integers(2, 6, size=3)  # y = 0 feasible for every x
        d = -rng.integers(1, 5, size=3).astype(float)  # the follower wants its y large
        cy = rng.integers(-3, 4, size=3).astype(float)
        followers.append({"A": A, "B": B, "b": b, "d": d, "cy": cy, "u": np.full(3, 4.0)})
    return {"cx": rng.integers(-3, 4, size=2).astype(float), "followers": followers}


def build_separable(inst: dict) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), within=pyo.Integers, bounds=(0, 3))
    m.f = bl.Follower(range(2))
    for k, data in enumerate(inst["followers"]):
        f = m.f[k]
        f.y = pyo.Var(range(3), bounds=(0, 4))
        f.rows = pyo.Constraint(range(3), rule=lambda _, i, d=data, f=f: sum(d["A"][i, j] * m.x[j] for j in range(2))
                                + sum(d["B"][i, j] * f.y[j] for j in range(3)) <= d["b"][i])
        f.obj = pyo.Objective(expr=sum(data["d"][j] * f.y[j] for j in range(3)))
    m.obj = pyo.Objective(expr=sum(inst["cx"][j] * m.x[j] for j in range(2)) + sum(
        data["cy"][j] * m.f[k].y[j] for k, data in enumerate(inst["followers"]) for j in range(3)))
    return m


def optimistic_response_value(data: dict, x: np.ndarray) -> float:
    """Best leader cost cy @ y over the follower's optimal set at x (two linprog calls)."""
    rhs, bounds = data["b"] - data["A"] @ x, [(0, u) for u in data["u"]]
    follower = linprog(data["d"], A_ub=data["B"], b_ub=rhs, bounds=bounds, method="highs")
    cut_A = np.vstack([data["B"], data["d"]])
    cut_b = np.append(rhs, follower.fun + 1e-9)
    best = linprog(data["cy"], A_ub=cut_A, b_ub=cut_b, bounds=bounds, method="highs")
    return best.fun


def enumerate_separable(inst: dict) -> float:
    return min(
        inst["cx"] @ x + sum(optimistic_response_value(data, x) for data in inst["followers"])
        for x in map(np.array, itertools.product(range(4), repeat=2))
    )


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", KKT_METHODS)
def test_separable_followers_match_enumeration(method, seed):
    inst = separable_instance(seed)
    res = bl.solve(build_separable(inst), method=method)
    assert res.certified, res.message
    assert res.leader_objective == pytest.approx(enumerate_separable(inst), abs=1e-6)
    assert set(res.follower) == {"f[0]", "f[1]"} and set(res.follower_duals) == {"f[0]", "f[1]"}


# --- a Stackelberg leader over a Cournot game among the followers ----------------------------


def cournot(a: float = 100.0, b: float = 1.0, c0: float = 10.0, costs=(10.0, 20.0, 15.0)) -> pyo.ConcreteModel:
    """Leader firm sets q0 first; follower firms then play Cournot: each sees the others' output."""
    m = pyo.ConcreteModel()
    m.FIRMS = pyo.Set(initialize=range(len(costs)))
    m.q0 = pyo.Var(bounds=(0, a / b))
    m.firm = bl.Follower(m.FIRMS)
    for i in m.FIRMS:
        m.firm[i].q = pyo.Var(bounds=(0, a / b))
    price = a - b * (m.q0 + sum(m.firm[j].q for j in m.FIRMS))
    for i in m.FIRMS:
        m.firm[i].profit = pyo.Objective(expr=(price - costs[i]) * m.firm[i].q, sense=pyo.maximize)
    m.profit = pyo.Objective(expr=(price - c0) * m.q0, sense=pyo.maximize)
    return m


def cournot_closed_form(a=100.0, b=1.0, c0=10.0, costs=(10.0, 20.0, 15.0)) -> tuple[float, np.ndarray, float]:
    """Interior Stackelberg-Cournot solution: with n followers of costs c_i, summing their
    first-order conditions a - c_i - b q0 - b Q - b q_i = 0 gives their total
    Q = (n (a - b q0) - sum c) / (b (n + 1)), so the price is (a - b q0 + sum c) / (n + 1) and the
    leader's profit ((a + sum c - b q0) / (n + 1) - c0) q0 peaks at q0 = (a + sum c - (n + 1) c0) / (2 b)."""
    n, total_cost = len(costs), sum(costs)
    q0 = (a + total_cost - (n + 1) * c0) / (2 * b)
    price = (a - b * q0 + total_cost) / (n + 1)
    q = (price - np.array(costs)) / b
    return q0, q, (price - c0) * q0


@pytest.mark.parametrize("method", KKT_METHODS + ("regularized",))
def test_stackelberg_leader_over_a_cournot_game_matches_the_closed_form(method):
    q0, q, profit = cournot_closed_form()
    assert (q > 0).all()  # the closed form assumes every follower produces
    # a 1e-6 gap: SCIP closes 1e-9 on this nonconvex (bilinear) leader objective only slowly
    res = bl.solve(cournot(), method=method, mip_gap=1e-6)
    assert res.certified, res.message
    assert res.status == ("local_optimal" if method == "regularized" else "optimal")
    assert res.leader_objective == pytest.approx(profit, rel=1e-6)
    assert res.leader["q0"] == pytest.approx(q0, abs=1e-3)
    np.testing.assert_allclose([res.follower[f"firm[{i}]"][f"firm[{i}].q"] for i in range(3)], q, atol=1e-3)


def test_certificate_catches_a_point_that_is_not_an_equilibrium():
    m = cournot()
    structure = bl.analyze(m)
    q0, q, _ = cournot_closed_form()
    m.q0.set_value(q0)
    for i, qi in enumerate(q):
        m.firm[i].q.set_value(qi)
    assert all(c.passed for c in certify(structure))
    m.firm[1].q.set_value(q[1] + 1.0)  # firm 1 over-produces by one unit
    # profit is concave with curvature b = 1: firm 1 is 1 unit off its best response and loses
    # b * 1^2; the others' best responses move by -1/2 (they are now off by 1/2), losing b / 4
    gaps = [c.gap for c in certify(structure)]
    np.testing.assert_allclose(gaps, [0.25, 1.0, 0.25], rtol=1e-6)
    assert not any(c.passed for c in certify(structure))


def test_structure_describes_the_game():
    description = bl.analyze(cournot()).describe()
    assert description.count("2 variables of other followers (a game among followers)") == 3


# --- a shared capacity constraint ----------------------------------------------------------


def shared_capacity() -> pyo.ConcreteModel:
    """Two producers share a pipeline of capacity 6, declared in both followers, so each respects
    it given the other's flow (a generalized Nash game with a continuum of equilibria when the
    pipeline binds). The leader sets an integer fee on producer 1's flow, which then earns
    5 - fee per unit (producer 2 earns 2), and maximises fee revenue plus 0.5 per unit of y2."""
    m = pyo.ConcreteModel()
    m.fee = pyo.Var(within=pyo.Integers, bounds=(0, 7))
    m.p1, m.p2 = bl.Follower(), bl.Follower()
    m.p1.y = pyo.Var(bounds=(0, 4))
    m.p2.y = pyo.Var(bounds=(0, 5))
    m.p1.pipe = pyo.Constraint(expr=m.p1.y + m.p2.y <= 6)
    m.p2.pipe = pyo.Constraint(expr=m.p1.y + m.p2.y <= 6)
    m.p1.obj = pyo.Objective(expr=(5 - m.fee) * m.p1.y, sense=pyo.maximize)
    m.p2.obj = pyo.Objective(expr=2 * m.p2.y, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=m.fee * m.p1.y + 0.5 * m.p2.y, sense=pyo.maximize)
    return m


def enumerate_shared_capacity() -> float:
    """Every integral (y1, y2) that is a mutual best response (data integral: vertices are)."""
    best = -np.inf
    for fee in range(8):
        for y1, y2 in itertools.product(range(5), range(6)):
            if y1 + y2 > 6:
                continue
            r1 = linprog([-(5 - fee)], bounds=[(0, min(4, 6 - y2))], method="highs").fun
            r2 = linprog([-2.0], bounds=[(0, min(5, 6 - y1))], method="highs").fun
            if -(5 - fee) * y1 <= r1 + 1e-9 and -2.0 * y2 <= r2 + 1e-9:
                best = max(best, fee * y1 + 0.5 * y2)
    return best


@pytest.mark.parametrize("method", KKT_METHODS)
def test_shared_capacity_game_matches_enumeration(method):
    res = bl.solve(shared_capacity(), method=method)
    assert res.certified, res.message
    assert res.leader_objective == pytest.approx(enumerate_shared_capacity(), abs=1e-6)
