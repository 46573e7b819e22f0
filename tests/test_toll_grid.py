"""Issue 19: the toll-revenue grid. ``auto`` must solve it to a certified optimum, checked against
independent references computed by scipy's HiGHS ``linprog`` (tests/toll_grid.py): the toll-free
bound (shortest path avoiding every tollable arc minus the untolled shortest path: no driver pays
more than that detour) and, on the 6-node version, the exact optimum by path enumeration."""
from __future__ import annotations

import time

import pytest

import pybilevel as bl
import toll_grid as tg


def test_small_grid_matches_path_enumeration():
    net = tg.grid(2, 3, 4, seed=3)
    m = tg.build(net)
    res = bl.solve(m, time_limit=60)
    assert res.status == "optimal" and res.ok
    assert res.method == "strong_duality"
    exact = tg.enumerated_optimum(net)
    assert exact == pytest.approx(13.0)  # hand check: every path is tolled, the best pays up to 13
    assert res.leader_objective == pytest.approx(exact, abs=1e-6)
    assert res.leader_objective <= tg.toll_free_bound(net) + 1e-6


def test_64_node_grid_reaches_the_toll_free_bound_quickly():
    net = tg.grid(8, 8, 20, seed=23)
    assert (net.n_nodes, len(net.arcs), len(net.tollable)) == (64, 224, 20)
    m = tg.build(net)
    start = time.perf_counter()
    res = bl.solve(m, time_limit=120)
    seconds = time.perf_counter() - start
    assert res.status == "optimal" and res.ok
    assert res.method == "strong_duality" and "toll" in res.method_reason
    bound = tg.toll_free_bound(net)
    assert bound == pytest.approx(9.0)
    # the bound is reached, which proves the answer optimal independently of pybilevel
    assert res.leader_objective == pytest.approx(bound, abs=1e-6)
    assert seconds < 30  # sos1, auto's choice before issue 19, stopped at the 60 s limit without a point


def test_the_rule_does_not_fire_without_a_priced_follower():
    # the same network with a linear leader objective (the follower's cost): not a pricing problem
    import pyomo.environ as pyo

    net = tg.grid(2, 3, 4, seed=3)
    m = tg.build(net)
    m.obj.deactivate()
    m.obj2 = pyo.Objective(expr=sum(m.f.flow[a] for a in m.f.flow))
    res = bl.solve(m, time_limit=60)
    assert res.method != "strong_duality"
