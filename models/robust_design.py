"""Min-max robust supply plan: the planner buys against the worst cost scenario an adversary picks.

The planner (leader) splits a demand D among suppliers j (amount x_j <= capacity_j). Supplier j's
unit cost is nominal_j + deviation_j xi_j with xi in the budgeted uncertainty set
U = {0 <= xi_j <= 1, sum_j xi_j <= Gamma} (Bertsimas and Sim 2004: at most Gamma suppliers
deviate fully). The adversary (follower, an LP in xi) picks the scenario that maximises exactly
the planner's extra cost:

leader:   min_{x}   sum_j nominal_j x_j + sum_j deviation_j x_j xi_j
          s.t.      sum_j x_j = D,   0 <= x_j <= capacity_j
follower: max_{xi}  sum_j deviation_j x_j xi_j           (x_j xi_j: leader times follower variable)
          s.t.      sum_j xi_j <= Gamma,   0 <= xi_j <= 1

The leader's objective is its nominal cost plus the follower's objective, so every follower
optimum gives the leader the same value: optimistic = pessimistic, and the bilevel optimum is the
min-max (robust) plan. Gamma = 0 gives the nominal plan.

Method: ``strong_duality``: the adversary's LP is replaced by primal and dual feasibility and
"primal objective <= dual objective" (the Bertsimas-Sim robust counterpart, kept in the primal
variables), with no big-M and no disjunction. The products x_j xi_j make it a nonconvex model for
SCIP, which closes it in about 0.02 s; with ``bigm`` or ``sos1`` SCIP still had a gap of about
1e-6 relative after 20-60 s (measured, see docs/domains/robust_design.md).

Data (data/robust_design/):
  suppliers.csv  supplier, nominal_cost, cost_deviation, capacity
  settings.csv   demand, budget   (one row; budget is Gamma, 0 <= Gamma <= number of suppliers)
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import NONNEGATIVE, Table

TABLES = {
    "suppliers": Table(
        columns={"supplier": str, "nominal_cost": float, "cost_deviation": float, "capacity": float},
        key=("supplier",),
    ),
    "settings": Table(columns={"demand": float, "budget": float}, ranges={"demand": NONNEGATIVE}, rows=1),
}
METHOD = "strong_duality"


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    suppliers, settings = data["suppliers"].set_index("supplier"), data["settings"].iloc[0]
    _check(suppliers, settings)
    m = pyo.ConcreteModel(name="robust_design")
    m.SUPPLIERS = pyo.Set(initialize=list(suppliers.index))
    m.nominal = pyo.Param(m.SUPPLIERS, initialize=suppliers["nominal_cost"].to_dict())
    m.deviation = pyo.Param(m.SUPPLIERS, initialize=suppliers["cost_deviation"].to_dict())
    m.buy = pyo.Var(m.SUPPLIERS, bounds=lambda _, j: (0.0, suppliers.loc[j, "capacity"]))
    m.demand = pyo.Constraint(expr=sum(m.buy[j] for j in m.SUPPLIERS) == float(settings["demand"]))

    m.adversary = bl.Follower()
    m.adversary.xi = pyo.Var(m.SUPPLIERS, bounds=(0.0, 1.0))
    m.adversary.budget = pyo.Constraint(expr=sum(m.adversary.xi[j] for j in m.SUPPLIERS) <= float(settings["budget"]))
    m.adversary.obj = pyo.Objective(expr=extra_cost(m), sense=pyo.maximize)

    m.obj = pyo.Objective(expr=nominal_cost(m) + extra_cost(m))
    return m


def nominal_cost(m: pyo.ConcreteModel):
    return sum(m.nominal[j] * m.buy[j] for j in m.SUPPLIERS)


def extra_cost(m: pyo.ConcreteModel):
    return sum(m.deviation[j] * m.buy[j] * m.adversary.xi[j] for j in m.SUPPLIERS)


def _check(suppliers: pd.DataFrame, settings: pd.Series) -> None:
    for line, (name, row) in enumerate(suppliers.iterrows(), start=2):
        for column in ("cost_deviation", "capacity"):
            if row[column] < 0:
                raise bl.DataError(f"suppliers.csv, line {line}, column {column}: negative for {name}.")
    if not 0 <= settings["budget"] <= len(suppliers):
        raise bl.DataError(f"settings.csv, line 2, column budget: {settings['budget']:g} must lie in "
                           f"[0, {len(suppliers)}] (the number of suppliers).")
    if settings["demand"] > suppliers["capacity"].sum():
        raise bl.DataError(f"settings.csv, line 2, column demand: {settings['demand']:g} exceeds the total "
                           f"capacity {suppliers['capacity'].sum():g} of suppliers.csv.")


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    buy = {j: result.leader[f"buy[{j}]"] for j in model.SUPPLIERS}
    xi = {j: result.follower["adversary"][f"adversary.xi[{j}]"] for j in model.SUPPLIERS}
    nominal = sum(model.nominal[j] * buy[j] for j in model.SUPPLIERS)
    lines = [f"worst-case cost {result.leader_objective:.6g} = nominal {nominal:.6g} + "
             f"worst-case extra {result.leader_objective - nominal:.6g}"]
    lines += [f"  {j}: buy {buy[j]:.4f}, exposure deviation x amount {model.deviation[j] * buy[j]:.6g}"
              + (f", raised by the adversary ({xi[j]:.3g} of its deviation)" if xi[j] > 1e-6 else "")
              for j in model.SUPPLIERS]
    return "\n".join(lines)
