"""Max-flow interdiction domain: every method against enumeration of all interdiction sets."""
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from pybilevel.cli import load_model_file
from pybilevel.data_io import load_tables

ROOT = Path(__file__).resolve().parents[1]


def max_flow(arcs, source, sink, removed):
    """Max flow by scipy's linprog (HiGHS), independent of pybilevel."""
    arc_list = list(zip(arcs["tail"], arcs["head"]))
    nodes = sorted(set(arcs["tail"]) | set(arcs["head"]))
    n = len(arc_list)
    a_eq = np.zeros((len(nodes), n + 1))
    for k, (i, j) in enumerate(arc_list):
        a_eq[nodes.index(i), k] += 1
        a_eq[nodes.index(j), k] -= 1
    a_eq[nodes.index(source), n] = -1
    a_eq[nodes.index(sink), n] = 1
    caps = [0.0 if arc in removed else c for arc, c in zip(arc_list, arcs["capacity"])]
    res = linprog(np.r_[np.zeros(n), -1.0], A_eq=a_eq, b_eq=np.zeros(len(nodes)), bounds=[(0, c) for c in caps] + [(0, None)])
    return -res.fun


def brute_force(data):
    arcs, net = data["arcs"], data["network"].iloc[0]
    arc_list = list(zip(arcs["tail"], arcs["head"]))
    cost = dict(zip(arc_list, arcs["cost"]))
    best = np.inf
    for k in range(len(arc_list) + 1):
        for removed in combinations(arc_list, k):
            if sum(cost[a] for a in removed) <= net["budget"] + 1e-9:
                best = min(best, max_flow(arcs, net["source"], net["sink"], set(removed)))
    return best


@pytest.mark.parametrize("budget", [0, 1, 2])
@pytest.mark.parametrize("method", bl.GLOBAL_METHODS)  # value_function among them: binary leader, LP follower
def test_interdiction_matches_enumeration(method, budget):
    module = load_model_file(ROOT / "models" / "interdiction.py")
    data = load_tables(ROOT / "data" / "interdiction", module.TABLES)
    data["network"].loc[0, "budget"] = budget
    res = bl.solve(module.build(data), method=method)
    assert res.ok
    assert res.leader_objective == pytest.approx(brute_force(data), abs=1e-6)
