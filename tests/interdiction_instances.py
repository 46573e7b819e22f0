"""Interdiction instances (seeded) and their brute-force references, shared by tests and benchmarks.

* Knapsack interdiction (DeNegre 2011; Caprara, Carvalho, Lodi & Woeginger 2016), follower
  relaxed to an LP: the leader removes items within a budget, the follower packs the rest
  fractionally to maximise profit, the leader minimises that profit. The reference solves the
  follower in closed form (Dantzig 1957: greedy by profit / weight ratio, last item fractional)
  for every leader decision.
* Max-flow network interdiction (Wood 1993) on random layered networks, in the data format of
  ``models/interdiction.py``; the reference solves the max flow by scipy's ``linprog`` for every
  interdiction set within the budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from scipy.optimize import linprog

import pybilevel as bl


@dataclass
class Knapsack:
    """Items with profit, weight and interdiction cost; follower capacity; leader budget.
    ``penalty`` > 0: interdicting item j lowers its profit by penalty * profit_j (partial
    interdiction through the follower's objective) instead of removing it."""

    profit: np.ndarray
    weight: np.ndarray
    cost: np.ndarray
    capacity: float
    budget: float
    penalty: float = 0.0


def knapsack_instance(n: int, seed: int, penalty: float = 0.0) -> Knapsack:
    rng = np.random.default_rng(seed)
    weight = rng.integers(5, 30, n).astype(float)
    profit = rng.integers(5, 40, n).astype(float)
    cost = rng.integers(1, 6, n).astype(float)
    return Knapsack(profit, weight, cost, capacity=float(np.floor(0.4 * weight.sum())),
                    budget=float(np.floor(0.3 * cost.sum())), penalty=penalty)


def knapsack_model(inst: Knapsack) -> pyo.ConcreteModel:
    """leader: min_x profit the follower packs, sum cost x <= budget, x binary;
    follower: max_y sum (profit - penalty profit x) y  s.t.  weight @ y <= capacity,
    0 <= y_j <= 1 - x_j (removal; only when penalty == 0) or 0 <= y_j <= 1."""
    items = range(len(inst.profit))
    m = pyo.ConcreteModel()
    m.x = pyo.Var(items, within=pyo.Binary)
    m.budget = pyo.Constraint(expr=sum(inst.cost[j] * m.x[j] for j in items) <= inst.budget)
    m.f = bl.Follower()
    m.f.y = pyo.Var(items, bounds=(0, 1))
    m.f.capacity = pyo.Constraint(expr=sum(inst.weight[j] * m.f.y[j] for j in items) <= inst.capacity)
    if inst.penalty == 0:
        m.f.removed = pyo.Constraint(items, rule=lambda b, j: b.y[j] <= 1 - m.x[j])
    def gain():
        packed = sum(inst.profit[j] * m.f.y[j] for j in items)
        if inst.penalty == 0:
            return packed
        return packed - sum(inst.penalty * inst.profit[j] * m.x[j] * m.f.y[j] for j in items)

    m.f.obj = pyo.Objective(expr=gain(), sense=pyo.maximize)
    m.obj = pyo.Objective(expr=gain())
    return m


def fractional_knapsack(profit: np.ndarray, weight: np.ndarray, capacity: float) -> float:
    """Optimum of the knapsack LP relaxation: greedy by ratio, the last item fractional (Dantzig 1957)."""
    value, room = 0.0, capacity
    for j in np.argsort(-profit / weight, kind="stable"):
        if profit[j] <= 0 or room <= 0:
            break
        take = min(1.0, room / weight[j])
        value += take * profit[j]
        room -= take * weight[j]
    return value


def knapsack_follower_value(inst: Knapsack, x: np.ndarray) -> float:
    if inst.penalty == 0:
        keep = x < 0.5
        return fractional_knapsack(inst.profit[keep], inst.weight[keep], inst.capacity)
    return fractional_knapsack(inst.profit * (1 - inst.penalty * x), inst.weight, inst.capacity)


def knapsack_brute_force(inst: Knapsack) -> tuple[float, np.ndarray]:
    """Best leader value and decision over every x in {0,1}^n within the budget."""
    best, best_x = np.inf, None
    for bits in product((0.0, 1.0), repeat=len(inst.profit)):
        x = np.array(bits)
        if inst.cost @ x <= inst.budget + 1e-9:
            value = knapsack_follower_value(inst, x)
            if value < best - 1e-12:
                best, best_x = value, x
    return best, best_x


def binary_knapsack_model(inst: Knapsack) -> pyo.ConcreteModel:
    """:func:`knapsack_model` with a binary follower (the 0/1 knapsack of MibS's instances)."""
    m = knapsack_model(inst)
    for var in m.f.y.values():
        var.domain = pyo.Binary
    return m


def binary_knapsack_brute_force(inst: Knapsack) -> float:
    """min over budget-feasible removal sets of the best 0/1 knapsack of the items left. Every subset's weight, profit and cost by doubling (bit j = item j); the best
    feasible subset inside each set of items by a subset-maximum pass per item (O(n 2^n), numpy):
    exact, no solver, about 1 s at 20 items."""
    if any(np.any(a != np.round(a)) for a in (inst.weight, inst.profit, inst.cost)):
        raise ValueError("binary_knapsack_brute_force needs integer weights, profits and costs")
    n = len(inst.profit)
    weight, profit, cost = (np.zeros(1, dtype=np.int64) for _ in range(3))
    for j in range(n):
        weight = np.concatenate([weight, weight + int(inst.weight[j])])
        profit = np.concatenate([profit, profit + int(inst.profit[j])])
        cost = np.concatenate([cost, cost + int(inst.cost[j])])
    best_inside = np.where(weight <= inst.capacity, profit, -1)
    for j in range(n):  # a set with item j contains the sets without it
        pairs = best_inside.reshape(-1, 2, 2 ** j)
        np.maximum(pairs[:, 1, :], pairs[:, 0, :], out=pairs[:, 1, :])
    removals = np.flatnonzero(cost <= inst.budget)
    return float(best_inside[(2 ** n - 1) ^ removals].min())


def layered_network(layers: int, width: int, seed: int, budget: int) -> dict[str, pd.DataFrame]:
    """Source, ``layers`` layers of ``width`` nodes, sink; each node links to 2 random nodes of the
    next layer (and all of the first / last layer to the source / sink); integer capacities 1..10,
    unit interdiction costs. Data in the format of ``models/interdiction.py``."""
    rng = np.random.default_rng(seed)
    columns = [[f"n{k}_{i}" for i in range(width)] for k in range(layers)]
    arcs = [("s", node) for node in columns[0]] + [(node, "t") for node in columns[-1]]
    for here, there in zip(columns, columns[1:]):
        for node in here:
            arcs.extend((node, there[i]) for i in rng.choice(width, size=min(2, width), replace=False))
    capacity = rng.integers(1, 11, len(arcs)).astype(float)
    return {
        "arcs": pd.DataFrame({"tail": [a for a, _ in arcs], "head": [b for _, b in arcs],
                              "capacity": capacity, "cost": np.ones(len(arcs))}),
        "network": pd.DataFrame({"source": ["s"], "sink": ["t"], "budget": [float(budget)]}),
    }


def max_flow(arcs: pd.DataFrame, source: str, sink: str, removed: set) -> float:
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
    res = linprog(np.r_[np.zeros(n), -1.0], A_eq=a_eq, b_eq=np.zeros(len(nodes)),
                  bounds=[(0, c) for c in caps] + [(0, None)])
    return -res.fun


def network_brute_force(data: dict[str, pd.DataFrame]) -> float:
    """Smallest max flow over every interdiction set within the budget."""
    arcs, net = data["arcs"], data["network"].iloc[0]
    arc_list = list(zip(arcs["tail"], arcs["head"]))
    cost = dict(zip(arc_list, arcs["cost"]))
    positive = [c for c in cost.values() if c > 0]
    most = len(arc_list) if len(positive) < len(cost) else int(np.floor(net["budget"] / min(positive) + 1e-9))
    best = np.inf
    for k in range(min(most, len(arc_list)) + 1):
        for removed in combinations(arc_list, k):
            if sum(cost[a] for a in removed) <= net["budget"] + 1e-9:
                best = min(best, max_flow(arcs, net["source"], net["sink"], set(removed)))
    return best
