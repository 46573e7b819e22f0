"""Import tariffs: a government sets a tariff (negative: a subsidy) per good; the home market clears.

Per good g: world price p_g; consumers' utility U_g(x) = a_g x - b_g x^2 / 2 (inverse demand
a_g - b_g x); domestic producers' cost C_g(q) = alpha_g q + beta_g q^2 / 2 (supply price alpha_g + beta_g q);
imports m_g at the world price plus the tariff t_g. A price-taking competitive market is the
follower: it maximises total surplus at the domestic price p_g + t_g, which is the competitive
equilibrium (consumption x, production q, imports m = x - q).

leader:   max_{t}      sum_g [ t_g m_g  +  beta_g q_g^2 / 2  +  w b_g x_g^2 / 2 ]
          s.t.         tariff_min_g <= t_g <= tariff_max_g
follower: max_{x,q,m}  sum_g [ U_g(x_g) - C_g(q_g) - (p_g + t_g) m_g ]      (t_g m_g is bilinear)
          s.t.         x_g = q_g + m_g,   0 <= x_g, q_g, m_g <= max_quantity_g

The leader's objective is tariff revenue + producer surplus + w x consumer surplus (a
politically weighted welfare; w = consumer_weight). At a competitive equilibrium with
0 < q < max_quantity and 0 < x < max_quantity the domestic price P equals both the supply price and
the demand price, so producer surplus P q - C(q) = beta q^2 / 2 and consumer surplus
U(x) - P x = b x^2 / 2: both are exact in the leader's variables.

Closed form (imports positive): P = p + t, x = (a - P) / b, q = (P - alpha) / beta, and
dW/dt = (1 - w) x - t (1/b + 1/beta), so W is concave in t with maximiser
t* = (1 - w)(a - p) / (2 - w + b/beta), clipped to [tariff_min, tariff_max]. With w = 1 (plain
welfare) the optimum is free trade, t* = 0, the small-country result.

Method: ``sos1``. The leader's objective has products t_g m_g and is not concave, so every method
hands the single-level model to SCIP (global); SOS1 complementarity needs no big-M.

Data (data/tariff/):
  goods.csv   good, world_price, demand_intercept, demand_slope, supply_intercept, supply_slope,
              max_quantity, tariff_min, tariff_max
  policy.csv  consumer_weight   (one row)
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import NONNEGATIVE, Table

TABLES = {
    "goods": Table(
        columns={
            "good": str, "world_price": float, "demand_intercept": float, "demand_slope": float,
            "supply_intercept": float, "supply_slope": float, "max_quantity": float,
            "tariff_min": float, "tariff_max": float,
        },
        key=("good",),
        ranges={"world_price": NONNEGATIVE},
    ),
    "policy": Table(columns={"consumer_weight": float}, rows=1),
}
METHOD = "sos1"


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    goods, weight = data["goods"].set_index("good"), float(data["policy"].iloc[0]["consumer_weight"])
    _check(goods, weight)
    m = pyo.ConcreteModel(name="tariff")
    m.GOODS = pyo.Set(initialize=list(goods.index))
    g = {column: goods[column].to_dict() for column in goods.columns}
    m.tariff = pyo.Var(m.GOODS, bounds=lambda _, i: (g["tariff_min"][i], g["tariff_max"][i]))

    m.market = bl.Follower()
    cap = lambda _, i: (0.0, g["max_quantity"][i])  # noqa: E731
    m.market.consumption = pyo.Var(m.GOODS, bounds=cap)
    m.market.production = pyo.Var(m.GOODS, bounds=cap)
    m.market.imports = pyo.Var(m.GOODS, bounds=cap)
    x, q, imp = m.market.consumption, m.market.production, m.market.imports
    m.market.balance = pyo.Constraint(m.GOODS, rule=lambda _, i: x[i] - q[i] - imp[i] == 0)
    m.market.obj = pyo.Objective(
        expr=sum(
            g["demand_intercept"][i] * x[i] - 0.5 * g["demand_slope"][i] * x[i] ** 2
            - g["supply_intercept"][i] * q[i] - 0.5 * g["supply_slope"][i] * q[i] ** 2
            - (g["world_price"][i] + m.tariff[i]) * imp[i]
            for i in m.GOODS
        ),
        sense=pyo.maximize,
    )
    m.obj = pyo.Objective(
        expr=sum(
            m.tariff[i] * imp[i] + 0.5 * g["supply_slope"][i] * q[i] ** 2 + weight * 0.5 * g["demand_slope"][i] * x[i] ** 2
            for i in m.GOODS
        ),
        sense=pyo.maximize,
    )
    return m


def _check(goods: pd.DataFrame, weight: float) -> None:
    for line, (name, row) in enumerate(goods.iterrows(), start=2):
        for column in ("demand_slope", "supply_slope", "max_quantity"):
            if row[column] <= 0:
                raise bl.DataError(f"goods.csv, line {line}, column {column}: {row[column]:g} for {name}; it must be positive.")
        if row["tariff_min"] > row["tariff_max"]:
            raise bl.DataError(f"goods.csv, line {line}, column tariff_max: below tariff_min for {name}.")
    if weight < 0:
        raise bl.DataError(f"policy.csv, line 2, column consumer_weight: {weight:g} must be 0 or more.")


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    market = result.follower["market"]
    lines = [f"government objective (revenue + producer surplus + weighted consumer surplus): {result.leader_objective:.6g}"]
    for i in model.GOODS:
        t = result.leader[f"tariff[{i}]"]
        x, q, imp = (market[f"market.{v}[{i}]"] for v in ("consumption", "production", "imports"))
        kind = "tariff" if t >= 0 else "subsidy"
        lines.append(f"  {i}: {kind} {abs(t):.4f} per unit; consumption {x:.4f}, domestic production {q:.4f}, "
                     f"imports {imp:.4f}, revenue {t * imp:.6g}")
    return "\n".join(lines)
