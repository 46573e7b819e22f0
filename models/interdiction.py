"""Max-flow network interdiction (Wood 1993): the leader removes arcs within a budget to minimise
the maximum flow the follower can then send from source to sink.

leader:   min_{x binary}  v                  s.t.  sum_a cost_a x_a <= budget
follower: max_{f, v}      v                  s.t.  flow conservation (v leaves the source, enters the sink)
                                                   0 <= f_a <= capacity_a (1 - x_a)

The follower's objective is the negative of the leader's and the binary leader variables only cut
capacities, so the dedicated method 'interdiction' applies (one MILP over the follower's LP dual,
docs/interdiction.md); 'bigm', 'sos1' and 'strong_duality' give the same answer.

Data (data/interdiction/):
  arcs.csv     tail, head, capacity, cost   one row per directed arc
  network.csv  source, sink, budget         one row
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import NONNEGATIVE, Table

TABLES = {
    "arcs": Table(columns={"tail": str, "head": str, "capacity": float, "cost": float}, key=("tail", "head"),
                  ranges={"capacity": NONNEGATIVE, "cost": NONNEGATIVE}),
    "network": Table(columns={"source": str, "sink": str, "budget": float}, ranges={"budget": NONNEGATIVE}, rows=1),
}
METHOD = "interdiction"


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    arcs = data["arcs"]
    network = data["network"].iloc[0]
    nodes = sorted(set(arcs["tail"]) | set(arcs["head"]))
    for column in ("source", "sink"):
        if network[column] not in nodes:
            raise bl.DataError(f"network.csv, line 2, column {column}: '{network[column]}' is not a node of arcs.csv.")
    arc_list = list(zip(arcs["tail"], arcs["head"]))
    capacity = dict(zip(arc_list, arcs["capacity"]))
    cost = dict(zip(arc_list, arcs["cost"]))

    m = pyo.ConcreteModel(name="interdiction")
    m.ARCS = pyo.Set(initialize=arc_list, dimen=2)
    m.NODES = pyo.Set(initialize=nodes)
    m.interdict = pyo.Var(m.ARCS, within=pyo.Binary)
    m.budget = pyo.Constraint(expr=sum(cost[a] * m.interdict[a] for a in m.ARCS) <= network["budget"])

    m.flow = bl.Follower()
    m.flow.f = pyo.Var(m.ARCS, within=pyo.NonNegativeReals)
    m.flow.value = pyo.Var(within=pyo.NonNegativeReals)

    leaving, entering = {n: [] for n in nodes}, {n: [] for n in nodes}  # one pass over the arcs, not one per node
    for arc in arc_list:
        leaving[arc[0]].append(arc)
        entering[arc[1]].append(arc)

    def balance(b, n):
        out = sum(b.f[a] for a in leaving[n])
        into = sum(b.f[a] for a in entering[n])
        supply = b.value if n == network["source"] else (-b.value if n == network["sink"] else 0)
        return out - into == supply

    m.flow.balance = pyo.Constraint(m.NODES, rule=balance)
    m.flow.capacity = pyo.Constraint(m.ARCS, rule=lambda b, i, j: b.f[i, j] <= capacity[i, j] * (1 - m.interdict[i, j]))
    m.flow.obj = pyo.Objective(expr=m.flow.value, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=m.flow.value, sense=pyo.minimize)
    return m


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    removed = [f"{i}->{j}" for (i, j) in model.ARCS if result.leader[f"interdict[{i},{j}]"] > 0.5]
    return f"interdicted arcs: {', '.join(removed) or 'none'}; remaining max flow: {result.leader_objective:g}"
