"""Toll setting over a Wardrop user equilibrium: a road authority tolls links so that the drivers'
own route choice, tolls included, minimises the total travel time of the network.

leader:   min_{toll}  sum_a x_a t_a(x_a)                         0 <= toll_a <= max_toll_a (tollable a; else 0)
follower: min_{f, x}  sum_a int_0^{x_a} t_a(s) ds + sum_a toll_a x_a          (Beckmann 1956)
          s.t.        sum_{a into i} f_oa - sum_{a out of i} f_oa = demand_oi  (origin o, node i != o)
                      x_a = sum_o f_oa,   f_oa >= 0,   x_a >= 0
BPR link cost:        t_a(x) = t0_a (1 + b_a (x / c_a)^p_a),
                      int_0^x t_a = t0_a (x + b_a c_a / (p_a + 1) (x / c_a)^(p_a + 1))

The follower's optimality conditions are Wardrop's first principle with generalised cost
time + toll: every route used from an origin to a destination costs the same, no unused route
costs less. The follower is a convex QP for p = 1 and a convex NLP otherwise; x_a toll_a is a
bilinear leader-follower coupling. Link flows x are unique (t_a increasing); the flows by origin
f_oa need not be, but the leader's objective depends on x only.

Marginal-cost pricing (Pigou; Beckmann, McGuire, Winsten 1956): at the system optimum x_SO
(min sum_a x_a t_a(x_a) over the same flows), the tolls x_a t_a'(x_a) make x_SO a user equilibrium.
So with every link tollable and max_toll above those tolls the bilevel optimum is the system
optimum; every user equilibrium is a feasible flow of the system-optimum problem, so its total
travel time is a lower bound on the leader's objective for any tolls.

Flows are modelled in units of U = 10^floor(log10(max capacity)) vehicles (Sioux Falls: 10,000),
which keeps flow / capacity and the flow-balance rows of order 1; the leader's objective is
reported in vehicles x time.

Method: ``auto``: the Braess network (p = 1, 7 follower variables) goes to ``sos1`` (SCIP,
global); Sioux Falls (p = 4, 1,900 follower variables) to ``regularized`` (Ipopt, local).

Data (data/toll/, data/toll_sioux_falls/, written by data/toll/convert_tntp.py):
  links.csv   link, tail, head, free_flow_time t0 (>= 0), capacity c (> 0), b (>= 0), power p (> 0),
              tollable (0/1), max_toll (>= 0)                                   one row per link
  demand.csv  origin (a link's tail), destination (a link's head), trips (> 0)   one row per OD pair
"""
from __future__ import annotations

import math

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table
from pybilevel.solvers.embedded import solve_model

TABLES = {
    "links": Table(
        columns={"link": str, "tail": str, "head": str, "free_flow_time": float, "capacity": float,
                 "b": float, "power": float, "tollable": int, "max_toll": float},
        key=("link",),
    ),
    "demand": Table(
        columns={"origin": str, "destination": str, "trips": float},
        key=("origin", "destination"),
        references={"origin": "links.tail", "destination": "links.head"},
    ),
}
METHOD = "auto"
SHOWN_LINKS = 10  # the summary lists every link of a small network, else the most tolled ones
BOUND_TOLERANCE = 1e-7  # relative; the solves hold their rows to 1e-9


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """Leader: tolls and total travel time; follower: the drivers' user equilibrium (Beckmann)."""
    links, demand = data["links"], data["demand"]
    _check(links, demand)
    unit = 10.0 ** math.floor(math.log10(links["capacity"].max()))
    table = links.set_index("link")
    origins = sorted(set(demand["origin"]))
    nodes = sorted(set(links["tail"]) | set(links["head"]))
    trips = {(o, d): t / unit for o, d, t in demand.itertuples(index=False)}

    m = pyo.ConcreteModel(name="toll")
    m.flow_unit = pyo.Param(initialize=unit)
    m.LINKS = pyo.Set(initialize=list(table.index))
    m.TOLLABLE = pyo.Set(initialize=[a for a in table.index if table.at[a, "tollable"] == 1])
    m.ORIGINS = pyo.Set(initialize=origins)
    m.t0 = pyo.Param(m.LINKS, initialize=table["free_flow_time"].to_dict())
    m.capacity = pyo.Param(m.LINKS, initialize=(table["capacity"] / unit).to_dict())
    m.b = pyo.Param(m.LINKS, initialize=table["b"].to_dict())
    m.power = pyo.Param(m.LINKS, initialize=table["power"].to_dict())
    m.toll = pyo.Var(m.TOLLABLE, bounds=lambda _, a: (0.0, float(table.at[a, "max_toll"])))

    m.drivers = bl.Follower()
    d = m.drivers
    d.flow = pyo.Var(m.ORIGINS, m.LINKS, within=pyo.NonNegativeReals)
    d.total = pyo.Var(m.LINKS, within=pyo.NonNegativeReals)
    d.link_total = pyo.Constraint(m.LINKS, rule=lambda b, a: b.total[a] == sum(b.flow[o, a] for o in m.ORIGINS))
    into = {i: [a for a in table.index if table.at[a, "head"] == i] for i in nodes}
    out_of = {i: [a for a in table.index if table.at[a, "tail"] == i] for i in nodes}
    d.balance = pyo.Constraint(
        [(o, i) for o in origins for i in nodes if i != o],
        rule=lambda b, o, i: sum(b.flow[o, a] for a in into[i]) - sum(b.flow[o, a] for a in out_of[i]) == trips.get((o, i), 0.0),
    )
    d.obj = pyo.Objective(
        expr=sum(link_cost_integral(m, a) for a in m.LINKS) + sum(m.toll[a] * d.total[a] for a in m.TOLLABLE)
    )
    m.obj = pyo.Objective(expr=unit * sum(d.total[a] * link_time(m, a) for a in m.LINKS))
    return m


def link_time(m: pyo.ConcreteModel, a: str):
    """BPR travel time t_a(x_a) of link a at the follower's flow."""
    return m.t0[a] * (1 + m.b[a] * (m.drivers.total[a] / m.capacity[a]) ** m.power[a])


def link_cost_integral(m: pyo.ConcreteModel, a: str):
    """int_0^{x_a} t_a(s) ds, the link's term of Beckmann's objective."""
    x, p = m.drivers.total[a], pyo.value(m.power[a])
    return m.t0[a] * (x + m.b[a] * m.capacity[a] / (p + 1) * (x / m.capacity[a]) ** (p + 1))


def _check(links: pd.DataFrame, demand: pd.DataFrame) -> None:
    rules = {
        "free_flow_time": (lambda v: v >= 0, "must be 0 or more"),
        "capacity": (lambda v: v > 0, "must be positive"),
        "b": (lambda v: v >= 0, "must be 0 or more (travel time must not fall with flow)"),
        "power": (lambda v: v > 0, "must be positive (BPR power)"),
        "tollable": (lambda v: v in (0, 1), "must be 0 or 1"),
        "max_toll": (lambda v: v >= 0, "must be 0 or more"),
    }
    for column, (ok, what) in rules.items():
        bad = ~links[column].map(ok)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise bl.DataError(f"links.csv, line {row + 2}, column {column}: {links[column].iloc[row]:g} {what}.")
    bad = ~(demand["trips"] > 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise bl.DataError(f"demand.csv, line {row + 2}, column trips: {demand['trips'].iloc[row]:g} must be positive (drop the row instead).")


def untolled_and_system_optimum(model: pyo.ConcreteModel) -> tuple[float | None, float | None]:
    """Total travel time of the user equilibrium without tolls and of the system optimum (least
    total travel time over all flows meeting the demand, a lower bound for every toll vector),
    each by Ipopt on a copy of the model; None where Ipopt fails."""
    untolled = model.clone()
    untolled.toll.fix(0.0)
    untolled.obj.deactivate()
    system = model.clone()
    system.drivers.obj.deactivate()
    values = []
    for copy in (untolled, system):
        outcome = solve_model(copy, "ipopt")
        values.append(pyo.value(copy.obj.expr) if outcome.status == "optimal" else None)
    return values[0], values[1]


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """Total travel time against the untolled equilibrium and the system optimum, tolls and link
    flows (in vehicles), with the marginal-cost toll at each flow."""
    unit = pyo.value(model.flow_unit)
    flows = {a: result.follower["drivers"][model.drivers.total[a].name] for a in model.LINKS}
    tolls = {a: result.leader[model.toll[a].name] if a in model.TOLLABLE else 0.0 for a in model.LINKS}
    untolled, system = untolled_and_system_optimum(model)
    revenue = unit * sum(tolls[a] * flows[a] for a in model.LINKS)
    revenue = revenue if abs(revenue) > 1e-9 * abs(result.leader_objective) else 0.0  # solver noise
    lines = [
        f"total travel time (vehicles x time): {result.leader_objective:.9g} with the tolls, "
        f"{_number(untolled)} without tolls; system optimum {_number(system)} (a lower bound for any tolls)",
        *_bound_verdict(result, system),
        f"toll revenue {revenue:.6g}; "
        f"{sum(1 for a in model.TOLLABLE if tolls[a] > 1e-6)} of {len(model.TOLLABLE)} tollable links tolled",
    ]
    shown = list(model.LINKS)
    if len(shown) > SHOWN_LINKS:
        shown = sorted(model.TOLLABLE, key=lambda a: -tolls[a])[:SHOWN_LINKS]
        lines.append(f"the {len(shown)} highest tolls:")
    for a in shown:
        x, t0, b, p, c = flows[a], *(pyo.value(v[a]) for v in (model.t0, model.b, model.power, model.capacity))
        travel = t0 * (1 + b * (x / c) ** p)
        marginal = t0 * b * p * (x / c) ** p  # x t'(x)
        lines.append(
            f"  {a}: flow {unit * x:.6g}, time {travel:.6g}, toll {tolls[a]:.6g}"
            + ("" if a in model.TOLLABLE else " (not tollable)")
            + f", marginal-cost toll x t'(x) {marginal:.6g}"
        )
    return "\n".join(lines)


def _bound_verdict(result: bl.BilevelResult, system: float | None) -> list[str]:
    """A line saying whether the tolls reach the system optimum, which proves them globally optimal
    (only for a certified answer: its flows must be the drivers' equilibrium at its tolls)."""
    if system is None or not result.ok:
        return []
    gap = (result.leader_objective - system) / system
    if gap <= BOUND_TOLERANCE:
        return [f"the tolls reach the system optimum (gap {gap:.1e}): no tolls can do better, so they are globally optimal"]
    return [f"gap to the system optimum: {gap:.2e} relative (the optimum may be out of reach of these tolls, or the answer is only local)"]


def _number(value: float | None) -> str:
    return "(Ipopt failed)" if value is None else f"{value:.9g}"
