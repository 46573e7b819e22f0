"""A seeded toll-revenue network (the grid of issue 19) and its independent references.

Leader: ``max sum_a toll_a * flow_a`` over the tollable arcs, ``0 <= toll_a <= max_toll``.
Follower: one unit of demand from the first to the last node along a shortest path, arc cost
``cost_a + toll_a``: an LP whose flow-balance rows (one per node) have one redundant row (the
grid is connected). References: the toll-free bound (shortest path with every tollable arc
removed minus the untolled shortest path, both HiGHS LPs through scipy's ``linprog``), and,
for small networks, the exact optimum by path enumeration (one LP in the tolls per path).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from scipy.optimize import linprog

import pybilevel as bl


@dataclass
class TollGrid:
    """Arcs (tail, head), their costs, which are tollable, the toll cap, origin and destination."""

    n_nodes: int
    arcs: list[tuple[int, int]]
    cost: np.ndarray
    tollable: list[int]
    max_toll: float
    origin: int
    destination: int


def grid(rows: int, cols: int, n_tollable: int, seed: int, max_toll: float = 50.0) -> TollGrid:
    """A rows x cols grid, both directions of each edge an arc, integer costs 1..10, tollable arcs
    drawn at random (seeded); demand from node 0 to the opposite corner."""
    rng = np.random.default_rng(seed)
    node = lambda r, c: r * cols + c  # noqa: E731
    arcs = []
    for r in range(rows):
        for c in range(cols):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < rows and c + dc < cols:
                    arcs += [(node(r, c), node(r + dr, c + dc)), (node(r + dr, c + dc), node(r, c))]
    cost = rng.integers(1, 11, size=len(arcs)).astype(float)
    tollable = sorted(rng.choice(len(arcs), size=n_tollable, replace=False).tolist())
    return TollGrid(rows * cols, arcs, cost, tollable, max_toll, 0, rows * cols - 1)


def build(net: TollGrid) -> pyo.ConcreteModel:
    """The bilevel toll-revenue model of ``net`` (see the module docstring)."""
    m = pyo.ConcreteModel(name="toll_grid")
    A, T = range(len(net.arcs)), net.tollable
    m.toll = pyo.Var(T, bounds=(0.0, net.max_toll))
    m.f = bl.Follower()
    m.f.flow = pyo.Var(A, within=pyo.NonNegativeReals)

    def supply(i: int) -> float:
        return 1.0 if i == net.origin else (-1.0 if i == net.destination else 0.0)

    m.f.balance = pyo.Constraint(range(net.n_nodes), rule=lambda b, i: sum(
        b.flow[a] for a in A if net.arcs[a][0] == i) - sum(b.flow[a] for a in A if net.arcs[a][1] == i) == supply(i))
    m.f.obj = pyo.Objective(expr=sum(net.cost[a] * m.f.flow[a] for a in A) + sum(m.toll[a] * m.f.flow[a] for a in T))
    m.obj = pyo.Objective(expr=sum(m.toll[a] * m.f.flow[a] for a in T), sense=pyo.maximize)
    return m


def shortest_path_cost(net: TollGrid, removed: list[int] = ()) -> float:
    """Cost of the shortest origin-destination path without the ``removed`` arcs (HiGHS via linprog)."""
    incidence = np.zeros((net.n_nodes, len(net.arcs)))
    for a, (i, j) in enumerate(net.arcs):
        incidence[i, a], incidence[j, a] = 1.0, -1.0
    rhs = np.zeros(net.n_nodes)
    rhs[net.origin], rhs[net.destination] = 1.0, -1.0
    bounds = [(0.0, 0.0) if a in removed else (0.0, None) for a in range(len(net.arcs))]
    res = linprog(net.cost, A_eq=incidence, b_eq=rhs, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return float(res.fun)


def toll_free_bound(net: TollGrid) -> float:
    """Upper bound on the revenue: no driver pays more than the detour avoiding every toll."""
    return shortest_path_cost(net, removed=list(net.tollable)) - shortest_path_cost(net)


def simple_paths(net: TollGrid) -> list[list[int]]:
    """Every simple origin-destination path, as lists of arcs (depth-first)."""
    out = {i: [a for a, (t, _) in enumerate(net.arcs) if t == i] for i in range(net.n_nodes)}
    found, stack = [], [(net.origin, [], {net.origin})]
    while stack:
        node, path, seen = stack.pop()
        if node == net.destination:
            found.append(path)
            continue
        for a in out[node]:
            head = net.arcs[a][1]
            if head not in seen:
                stack.append((head, path + [a], seen | {head}))
    return found


def enumerated_optimum(net: TollGrid) -> float:
    """The exact optimal revenue: for each path P, the LP max sum_{a in P} toll_a s.t. P is a
    shortest path at the tolls (cost(P) + toll(P) <= cost(Q) + toll(Q) for every path Q); the
    best over P. Optimistic: ties go the leader's way."""
    paths, T = simple_paths(net), list(net.tollable)
    col = {a: k for k, a in enumerate(T)}

    def tolled(path: list[int]) -> np.ndarray:
        row = np.zeros(len(T))
        for a in path:
            if a in col:
                row[col[a]] = 1.0
        return row

    best = 0.0
    for p in paths:
        on_p, cost_p = tolled(p), net.cost[p].sum()
        others = [q for q in paths if q is not p]
        A = np.array([on_p - tolled(q) for q in others]) if others else None
        b = np.array([net.cost[q].sum() - cost_p for q in others]) if others else None
        res = linprog(-on_p, A_ub=A, b_ub=b, bounds=[(0, net.max_toll)] * len(T), method="highs")
        if res.status == 0:
            best = max(best, -float(res.fun))
    return best
