"""Strategic bidding: one firm chooses the price offers of its generators; a DC optimal power flow
clears the market and pays each bus its locational marginal price (LMP).

leader:   max_{o}       sum_{g in firm} (lambda_{n(g)} - cost_g) p_g          (the firm's profit)
          s.t.          cost_g <= o_g <= offer_cap_g                            (g in firm)
follower: min_{p,f,th}  sum_{g in firm} o_g p_g + sum_{g not in firm} cost_g p_g   (offers as costs)
          s.t.          balance_n:  sum_{g at n} p_g - sum_{l out of n} f_l + sum_{l into n} f_l = load_n
                        flow_l:     f_l = (th_from - th_to) / reactance_l     th_reference = 0
                        capacity_g: p_g <= capacity_g,   p_g >= 0
                        flow_max_l: f_l <= limit_l,  flow_min_l: f_l >= -limit_l   (lines with a limit)

lambda_n = bl.dual(balance[n]) is the LMP: d(dispatch cost)/d(load_n) (docs/conventions.md).
The profit lambda * p is bilinear: ``build(data, linearised=False)`` keeps it so, for SCIP
(method "sos1": global, no big-M).

``build(data)`` (the default, ``linearised=True``) writes the same profit linearly (Ruiz & Conejo
2009, "Pool strategy of a producer with endogenous formation of locational marginal prices", IEEE
Trans. Power Syst. 24(4)): the firm's generators' stationarity o_g - lambda_{n(g)} - nu_g - r_g = 0
with complementarity gives lambda p = o p - nu capacity, and strong duality of the LP follower
gives sum_{firm} o p, so that

    profit = sum_n lambda_n load_n + sum_{g not in firm} nu_g capacity_g
             + sum_l limit_l (dual(flow_max_l) - dual(flow_min_l)) - sum_g cost_g p_g

(nu_g = dual(capacity_g) <= 0): exact at every KKT point of the follower, and linear, so
``method="bigm"`` (``METHOD``) makes the whole problem one MILP for HiGHS. Its big-M values are
proven (the offers are only in the market's cost: ``docs/guide.md``, "dual lp"), and the MILP
starts from the market cleared at the offers' lower ends, upper ends and middles, whichever
profit is best.

The follower keeps the angle formulation (one sparse row per bus and per line) rather than PTDF
rows (one dense row per limited line over all buses): on PEGASE 1354 the angle rows have about
13,000 nonzeros, PTDF rows for its 1,432 limited lines about 1.9 million (1,432 x 1,353); the
binaries of the MILP (one per complementarity pair) would be the same. No PTDF variant was run.

Data: data/strategic_bidding/ is the IEEE 118-bus case, data/strategic_bidding_300/, _1354/ and
_2869/ the IEEE 300-bus and PEGASE cases, all converted from pandapower's MATPOWER cases by
data/strategic_bidding/convert.py (``make grids``; rules in data/strategic_bidding/README.md);
data/strategic_bidding_pjm5/ is the PJM 5-bus case (data/strategic_bidding_pjm5/README.md):
  buses.csv       bus, load (MW), reference (1 for the angle reference bus, else 0)
  lines.csv       line, from_bus, to_bus, reactance (p.u., nonzero), limit (MW; 0: no limit)
  generators.csv  generator, bus, cost ($/MWh), capacity (MW)
  firm.csv        generator (the strategic firm's), offer_cap ($/MWh, >= its cost)
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

TABLES = {
    "buses": Table(columns={"bus": str, "load": float, "reference": int}, key=("bus",)),
    "lines": Table(
        columns={"line": str, "from_bus": str, "to_bus": str, "reactance": float, "limit": float},
        key=("line",), references={"from_bus": "buses.bus", "to_bus": "buses.bus"},
    ),
    "generators": Table(
        columns={"generator": str, "bus": str, "cost": float, "capacity": float},
        key=("generator",), references={"bus": "buses.bus"},
    ),
    "firm": Table(columns={"generator": str, "offer_cap": float}, key=("generator",),
                  references={"generator": "generators.generator"}),
}
#: the linearised profit as one MILP for HiGHS, with proven big-M values: on the 118-bus case it
#: certifies in about 2 s (300 buses: 53 s; 1354: about 2 minutes), where SCIP on the bilinear form found no point
#: in 120 s (docs/performance.md)
METHOD = "bigm"
#: a line at this fraction of its limit or more is reported as congested
CONGESTED = 1 - 1e-6


def build(data: dict[str, pd.DataFrame], linearised: bool = True) -> pyo.ConcreteModel:
    """The bilevel model; ``linearised``: the profit written linearly (module docstring), else bilinear."""
    buses, lines = data["buses"].set_index("bus"), data["lines"].set_index("line")
    gens, firm = data["generators"].set_index("generator"), data["firm"].set_index("generator")
    _check(buses, lines, gens, firm)
    m = pyo.ConcreteModel(name="strategic_bidding")
    m.BUSES, m.LINES, m.GENS = (pyo.Set(initialize=list(t.index)) for t in (buses, lines, gens))
    m.FIRM = pyo.Set(initialize=list(firm.index))
    m.LIMITED = pyo.Set(initialize=[l for l in lines.index if lines.at[l, "limit"] > 0])
    cost, capacity = gens["cost"].to_dict(), gens["capacity"].to_dict()
    m.cost = pyo.Param(m.GENS, initialize=cost)
    m.bus_of = pyo.Param(m.GENS, initialize=gens["bus"].to_dict(), within=pyo.Any)
    m.limit = pyo.Param(m.LIMITED, initialize=lambda _, l: float(lines.at[l, "limit"]))
    m.offer = pyo.Var(m.FIRM, bounds=lambda _, g: (cost[g], float(firm.at[g, "offer_cap"])))

    m.market = bl.Follower()
    k = m.market
    k.p = pyo.Var(m.GENS, bounds=(0, None))
    k.flow = pyo.Var(m.LINES)
    k.angle = pyo.Var(m.BUSES)
    for n in buses.index[buses["reference"] == 1]:
        k.angle[n].setlb(0.0), k.angle[n].setub(0.0)
    at_bus, leaving, entering = (_grouped(frame, column) for frame, column in ((gens, "bus"), (lines, "from_bus"), (lines, "to_bus")))
    k.balance = pyo.Constraint(m.BUSES, rule=lambda b, n: (
        sum(b.p[g] for g in at_bus.get(n, ())) - sum(b.flow[l] for l in leaving.get(n, ()))
        + sum(b.flow[l] for l in entering.get(n, ())) == float(buses.at[n, "load"])
    ))
    ends = lines[["from_bus", "to_bus", "reactance"]].to_dict("index")
    k.flow_law = pyo.Constraint(m.LINES, rule=lambda b, l: (
        ends[l]["reactance"] * b.flow[l] - b.angle[ends[l]["from_bus"]] + b.angle[ends[l]["to_bus"]] == 0
    ))
    k.capacity = pyo.Constraint(m.GENS, rule=lambda b, g: b.p[g] <= capacity[g])
    k.flow_max = pyo.Constraint(m.LIMITED, rule=lambda b, l: b.flow[l] <= lines.at[l, "limit"])
    k.flow_min = pyo.Constraint(m.LIMITED, rule=lambda b, l: b.flow[l] >= -lines.at[l, "limit"])
    k.obj = pyo.Objective(expr=sum((m.offer[g] if g in m.FIRM else cost[g]) * k.p[g] for g in m.GENS))

    price = bl.dual(k.balance)
    if linearised:
        nu, up, down = bl.dual(k.capacity), bl.dual(k.flow_max), bl.dual(k.flow_min)
        profit = (
            sum(price[n] * float(buses.at[n, "load"]) for n in m.BUSES)
            + sum(nu[g] * capacity[g] for g in m.GENS if g not in m.FIRM)
            + sum(float(lines.at[l, "limit"]) * (up[l] - down[l]) for l in m.LIMITED)
            - sum(cost[g] * k.p[g] for g in m.GENS)
        )
    else:
        profit = sum((price[gens.at[g, "bus"]] - cost[g]) * k.p[g] for g in m.FIRM)
    m.obj = pyo.Objective(expr=profit, sense=pyo.maximize)
    return m


def _grouped(frame: pd.DataFrame, column: str) -> dict[str, list[str]]:
    """The frame's index labels grouped by the value of ``column`` (e.g. the generators at each bus)."""
    return {key: list(labels) for key, labels in frame.groupby(column, sort=False).groups.items()}


def _check(buses: pd.DataFrame, lines: pd.DataFrame, gens: pd.DataFrame, firm: pd.DataFrame) -> None:
    references = list(buses.index[buses["reference"] == 1])
    if len(references) != 1 or not buses["reference"].isin([0, 1]).all():
        raise bl.DataError(f"buses.csv, column reference: exactly one bus must be 1 (the others 0); found {len(references)}.")
    for line, (name, value) in enumerate(lines["reactance"].items(), start=2):
        if value == 0:  # negative: a series capacitor (IEEE 300-bus case)
            raise bl.DataError(f"lines.csv, line {line}, column reactance: 0 for {name}; it must be nonzero.")
    for line, (name, value) in enumerate(gens["capacity"].items(), start=2):
        if value <= 0:
            raise bl.DataError(f"generators.csv, line {line}, column capacity: {value:g} for {name}; it must be positive.")
    for line, (name, value) in enumerate(lines["limit"].items(), start=2):
        if value < 0:
            raise bl.DataError(f"lines.csv, line {line}, column limit: {value:g} for {name}; use 0 for no limit.")
    for line, (name, cap) in enumerate(firm["offer_cap"].items(), start=2):
        if cap < gens.at[name, "cost"]:
            raise bl.DataError(f"firm.csv, line {line}, column offer_cap: {cap:g} for {name} is below its cost {gens.at[name, 'cost']:g}.")
    if float(buses["load"].sum()) > float(gens["capacity"].sum()):
        raise bl.DataError("buses.csv, column load: total load exceeds total generator capacity; no dispatch exists.")


def firm_profit(model: pyo.ConcreteModel, result: bl.BilevelResult) -> float:
    """sum over the firm's generators of (LMP - cost) x dispatch, from the result's duals and values."""
    lmp, values = result.follower_duals["market"], result.follower["market"]
    return sum(
        (lmp[model.market.balance[model.bus_of[g]].name] - model.cost[g]) * values[model.market.p[g].name] for g in model.FIRM
    )


def truthful(model: pyo.ConcreteModel) -> bl.BilevelResult:
    """The market cleared with the firm offering its costs (the offers fixed, then restored).

    With the offers fixed, strong duality makes the optimistic reading one LP (no binaries)."""
    saved = {g: model.offer[g].value for g in model.FIRM}
    for g in model.FIRM:
        model.offer[g].fix(model.cost[g])
    try:
        return bl.solve(model, method="strong_duality")
    finally:
        for g in model.FIRM:
            model.offer[g].unfix()
            model.offer[g].set_value(saved[g])


def congested_lines(model: pyo.ConcreteModel, result: bl.BilevelResult) -> list[str]:
    """Lines whose flow is at its limit."""
    flows = result.follower["market"]
    return [l for l in model.LIMITED if abs(flows[model.market.flow[l].name]) >= CONGESTED * model.limit[l]]


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """Offers, profit against truthful offers, LMPs (range and the firm's buses) and congested lines."""
    honest = truthful(model)
    firm_buses = sorted({model.bus_of[g] for g in model.FIRM})
    offers = ", ".join(f"{g} {result.leader[model.offer[g].name]:.4g} (cost {model.cost[g]:g}, "
                       f"{result.follower['market'][model.market.p[g].name]:.4g} MW)" for g in model.FIRM)
    return "\n".join([
        f"firm's profit: {firm_profit(model, result):.6g} $/h with offers {offers} [$/MWh]",
        f"firm's profit with truthful offers (offer = cost): {round(firm_profit(model, honest), 2) + 0.0:.6g} $/h (to the cent)",
        f"LMPs [$/MWh]: {_prices(model, result, firm_buses)}",
        f"LMPs with truthful offers: {_prices(model, honest, firm_buses)}",
        f"congested lines: {_congestion(model, result)}",
        f"congested lines with truthful offers: {_congestion(model, honest)}",
    ])


def _prices(model: pyo.ConcreteModel, result: bl.BilevelResult, firm_buses: list[str]) -> str:
    """'from low to high; firm's buses: n price, ...' (every bus listed on a grid of at most 10)."""
    lmp = {n: result.follower_duals["market"][model.market.balance[n].name] for n in model.BUSES}
    if len(lmp) <= 10:
        return ", ".join(f"{n} {price:.4g}" for n, price in lmp.items())
    return (f"{min(lmp.values()):.4g} to {max(lmp.values()):.4g} over {len(lmp)} buses; firm's buses: "
            + ", ".join(f"{n} {lmp[n]:.4g}" for n in firm_buses))


def _congestion(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """The congested lines with flow, limit and shadow price, or 'none'."""
    values, duals, market = result.follower["market"], result.follower_duals["market"], model.market
    lines = [f"{l} ({values[market.flow[l].name]:+.4g} MW, limit {model.limit[l]:g}, shadow price "
             f"{duals[market.flow_max[l].name] + duals[market.flow_min[l].name]:+.4g} $/MWh)"
             for l in congested_lines(model, result)]
    return ", ".join(lines) if lines else "none"
