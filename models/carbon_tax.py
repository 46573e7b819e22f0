"""Carbon tax: a regulator sets one tax on emissions; the sectors abate at least cost.

Sector i emits E_i (baseline) less its abatement a_i; abating costs C_i(a) = b_i a + c_i a^2 / 2,
so its marginal abatement cost (MAC) is b_i + c_i a. The regulator counts the abatement cost and
the damage D per ton still emitted (tax payments are a transfer, not a social cost):

leader:   min_{tau}   sum_i C_i(a_i) + D sum_i (E_i - a_i)
          s.t.        sum_i (E_i - a_i) <= cap,   0 <= tau <= max_tax
follower: min_{a}     sum_i C_i(a_i) + tau sum_i (E_i - a_i)        (all sectors; tau * a_i is bilinear)
          s.t.        0 <= a_i <= E_i

Closed form. Each sector abates until its MAC equals the tax: a_i(tau) = clip((tau - b_i) / c_i, 0, E_i).
Along this response d(social cost)/d(tau) = (tau - D) sum_{i interior} 1 / c_i, so the social cost
falls up to tau = D (the Pigouvian tax) and rises after it; emissions fall with tau. Hence
tau* = max(D, tau_cap), where tau_cap is the smallest tax whose emissions meet the cap
(sum_i a_i(tau_cap) = sum_i E_i - cap, a piecewise-linear equation with breakpoints b_i and
b_i + c_i E_i). At tau* every sector with 0 < a_i < E_i has MAC b_i + c_i a_i = tau*.

Method: ``sos1``. The follower is a convex QP and the leader's objective is quadratic, so every
method hands the single-level model to SCIP; SOS1 complementarity needs no big-M and is exact.

Data (data/carbon_tax/):
  sectors.csv  sector, baseline_emissions [Mt], mac_intercept [$/t], mac_slope [$/t per Mt]
  policy.csv   emissions_cap [Mt], damage_per_ton [$/t], max_tax [$/t]     (one row)
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

TABLES = {
    "sectors": Table(
        columns={"sector": str, "baseline_emissions": float, "mac_intercept": float, "mac_slope": float},
        key=("sector",),
    ),
    "policy": Table(columns={"emissions_cap": float, "damage_per_ton": float, "max_tax": float}, rows=1),
}
METHOD = "sos1"


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    sectors, policy = data["sectors"].set_index("sector"), data["policy"].iloc[0]
    _check(sectors, policy)
    m = pyo.ConcreteModel(name="carbon_tax")
    m.SECTORS = pyo.Set(initialize=list(sectors.index))
    m.baseline = pyo.Param(m.SECTORS, initialize=sectors["baseline_emissions"].to_dict())
    m.mac_intercept = pyo.Param(m.SECTORS, initialize=sectors["mac_intercept"].to_dict())
    m.mac_slope = pyo.Param(m.SECTORS, initialize=sectors["mac_slope"].to_dict())
    m.tax = pyo.Var(bounds=(0.0, float(policy["max_tax"])))

    m.firms = bl.Follower()
    m.firms.abatement = pyo.Var(m.SECTORS, bounds=lambda b, i: (0.0, m.baseline[i]))
    m.firms.obj = pyo.Objective(expr=abatement_cost(m) + m.tax * emissions(m))

    m.cap = pyo.Constraint(expr=emissions(m) <= float(policy["emissions_cap"]))
    m.obj = pyo.Objective(expr=abatement_cost(m) + float(policy["damage_per_ton"]) * emissions(m))
    return m


def abatement_cost(m: pyo.ConcreteModel):
    a = m.firms.abatement
    return sum(m.mac_intercept[i] * a[i] + 0.5 * m.mac_slope[i] * a[i] ** 2 for i in m.SECTORS)


def emissions(m: pyo.ConcreteModel):
    return sum(m.baseline[i] - m.firms.abatement[i] for i in m.SECTORS)


def _check(sectors: pd.DataFrame, policy: pd.Series) -> None:
    for line, (name, row) in enumerate(sectors.iterrows(), start=2):
        if row["mac_slope"] <= 0:
            raise bl.DataError(f"sectors.csv, line {line}, column mac_slope: {row['mac_slope']:g} for {name}; "
                               "the abatement cost must be strictly convex, give a positive slope.")
        if row["baseline_emissions"] < 0:
            raise bl.DataError(f"sectors.csv, line {line}, column baseline_emissions: negative for {name}.")
    for column in ("emissions_cap", "damage_per_ton", "max_tax"):
        if policy[column] < 0:
            raise bl.DataError(f"policy.csv, line 2, column {column}: {policy[column]:g} must be 0 or more.")


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    tax = result.leader["tax"]
    abated = {i: result.follower["firms"][f"firms.abatement[{i}]"] for i in model.SECTORS}
    emitted = sum(model.baseline[i] - abated[i] for i in model.SECTORS)
    lines = [f"tax: {tax:.4f} $/t; emissions {emitted:.4f} Mt (cap {pyo.value(model.cap.upper):g} Mt); "
             f"social cost {result.leader_objective:.6g}; tax revenue {tax * emitted:.6g}"]
    for i in model.SECTORS:
        mac = model.mac_intercept[i] + model.mac_slope[i] * abated[i]
        lines.append(f"  {i}: abates {abated[i]:.4f} of {model.baseline[i]:g} Mt, marginal abatement cost {mac:.4f} $/t")
    return "\n".join(lines)
