"""Hierarchical MPC: an economic layer picks a feed schedule, a safety layer plans the cooling.

A cooled reactor over a horizon of T periods, states x (reactor and jacket temperature deviations),
x_t = A x_{t-1} + B_feed f_t + B_cool u_t, x_0 given. Each state has a safe band
[lower, upper]; leaving it costs violation slack (over, under >= 0), weighted per state.

The economic layer (leader) chooses one of the candidate feed schedules F_k (binary choose_k, so
f_t = sum_k F_kt choose_k) and pays for cooling; the safety layer (follower) plans the cooling and
the trajectory that leave the safe band as little as possible, given the feed:

leader:   min_{choose}     - feed_value sum_t f_t + sum_t price_t u_t + penalty V
          s.t.             sum_k choose_k = 1
follower: min_{x,u,over,under}  V = sum_{t,i} w_i (over_it + under_it)
          s.t.             dynamics above (f_t = sum_k F_kt choose_k enters additively)
                           lower_i - under_it <= x_it <= upper_i + over_it,   0 <= u_t <= u_max_t

The safety layer's LP has many optimal plans (cooling that keeps the band costs the safety layer
nothing), and the optimistic reading lets the economic layer take the cheapest of them: for a
fixed schedule this is the lexicographic MPC "stage 1: min violation; stage 2: min cooling cost
with the violation held at its stage-1 optimum". The bilevel problem adds the leader's choice
of feed, which moves the follower's optimum. ``summarize`` also reports the pessimistic cooling
cost (the most expensive minimum-violation plan).

Method: ``sos1``. The violation slacks have no natural upper bound, so big-M would need invented
bounds; SOS1 complementarity needs none. SCIP solves it in well under a second.

Data (data/mpc_lexicographic/):
  states.csv     state, initial, lower, upper, violation_weight
  dynamics.csv   state, source, coefficient   (x_t[state] += coefficient * source; source is a
                                              state at t-1, or the input "feed" or "cooling" at t)
  periods.csv    period, cooling_price, cooling_max
  schedules.csv  schedule, period, feed        (candidate feed schedules, one row per period)
  settings.csv   feed_value, violation_penalty
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import NONNEGATIVE, Table

INPUTS = ("feed", "cooling")
TABLES = {
    "states": Table(
        columns={"state": str, "initial": float, "lower": float, "upper": float, "violation_weight": float},
        key=("state",),
        ranges={"violation_weight": NONNEGATIVE},
    ),
    "dynamics": Table(columns={"state": str, "source": str, "coefficient": float}, key=("state", "source"),
                      references={"state": "states.state"}),
    "periods": Table(columns={"period": int, "cooling_price": float, "cooling_max": float}, key=("period",),
                     ranges={"cooling_max": NONNEGATIVE}),
    "schedules": Table(columns={"schedule": str, "period": int, "feed": float}, key=("schedule", "period"),
                       references={"period": "periods.period"}),
    "settings": Table(columns={"feed_value": float, "violation_penalty": float}, ranges={"violation_penalty": NONNEGATIVE}, rows=1),
}
METHOD = "sos1"


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    states, periods = data["states"].set_index("state"), data["periods"].set_index("period")
    settings = data["settings"].iloc[0]
    _check(data)
    coef = {(state, source): c for state, source, c in data["dynamics"].itertuples(index=False)}
    feed = {(k, t): f for k, t, f in data["schedules"].itertuples(index=False)}
    T = sorted(periods.index)

    m = pyo.ConcreteModel(name="mpc_lexicographic")
    m.STATES = pyo.Set(initialize=list(states.index))
    m.PERIODS = pyo.Set(initialize=T)
    m.SCHEDULES = pyo.Set(initialize=list(dict.fromkeys(data["schedules"]["schedule"])))
    m.price = pyo.Param(m.PERIODS, initialize=periods["cooling_price"].to_dict())
    m.choose = pyo.Var(m.SCHEDULES, within=pyo.Binary)
    m.one_schedule = pyo.Constraint(expr=sum(m.choose[k] for k in m.SCHEDULES) == 1)
    m.feed = pyo.Expression(m.PERIODS, rule=lambda _, t: sum(feed[k, t] * m.choose[k] for k in m.SCHEDULES))

    m.safety = s = bl.Follower()
    s.x = pyo.Var(m.STATES, m.PERIODS)
    s.cooling = pyo.Var(m.PERIODS, bounds=lambda _, t: (0.0, periods.loc[t, "cooling_max"]))
    s.over = pyo.Var(m.STATES, m.PERIODS, within=pyo.NonNegativeReals)
    s.under = pyo.Var(m.STATES, m.PERIODS, within=pyo.NonNegativeReals)

    def step(_, i, t):
        before = {j: states.loc[j, "initial"] if t == T[0] else s.x[j, T[T.index(t) - 1]] for j in m.STATES}
        return s.x[i, t] == sum(coef.get((i, j), 0.0) * before[j] for j in m.STATES) + coef.get(
            (i, "feed"), 0.0) * m.feed[t] + coef.get((i, "cooling"), 0.0) * s.cooling[t]

    s.dynamics = pyo.Constraint(m.STATES, m.PERIODS, rule=step)
    s.upper = pyo.Constraint(m.STATES, m.PERIODS, rule=lambda _, i, t: s.x[i, t] - s.over[i, t] <= states.loc[i, "upper"])
    s.lower = pyo.Constraint(m.STATES, m.PERIODS, rule=lambda _, i, t: s.x[i, t] + s.under[i, t] >= states.loc[i, "lower"])
    s.obj = pyo.Objective(expr=violation(m, states["violation_weight"].to_dict()))

    m.obj = pyo.Objective(
        expr=-settings["feed_value"] * sum(m.feed[t] for t in m.PERIODS) + cooling_cost(m)
        + settings["violation_penalty"] * s.obj.expr
    )
    return m


def violation(m: pyo.ConcreteModel, weight: dict[str, float]):
    return sum(weight[i] * (m.safety.over[i, t] + m.safety.under[i, t]) for i in m.STATES for t in m.PERIODS)


def cooling_cost(m: pyo.ConcreteModel):
    return sum(m.price[t] * m.safety.cooling[t] for t in m.PERIODS)


def _check(data: dict[str, pd.DataFrame]) -> None:
    states = set(data["states"]["state"])
    for line, source in enumerate(data["dynamics"]["source"], start=2):
        if source not in states and source not in INPUTS:
            raise bl.DataError(f"dynamics.csv, line {line}, column source: unknown '{source}'; use a state of "
                               f"states.csv or one of the inputs {', '.join(INPUTS)}.")
    for line, row in enumerate(data["states"].itertuples(index=False), start=2):
        if row.lower > row.upper:
            raise bl.DataError(f"states.csv, line {line}, column upper: below lower for state {row.state}.")
    periods = set(data["periods"]["period"])
    for schedule, rows in data["schedules"].groupby("schedule", sort=False):
        missing = periods - set(rows["period"])
        if missing:
            line = int(rows.index[-1]) + 2
            raise bl.DataError(f"schedules.csv, line {line}, column period: schedule {schedule} has no feed for "
                               f"period(s) {', '.join(map(str, sorted(missing)))}; give one row per period.")


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    chosen = next(k for k in model.SCHEDULES if result.leader[f"choose[{k}]"] > 0.5)
    plan = result.follower["safety"]
    first = model.STATES.first()
    cooling = [plan[f"safety.cooling[{t}]"] for t in model.PERIODS]
    trajectory = [plan[f"safety.x[{first},{t}]"] for t in model.PERIODS]
    optimistic = sum(model.price[t] * u for t, u in zip(model.PERIODS, cooling))
    return "\n".join([
        f"feed schedule: {chosen}; weighted violation {result.follower_objectives['safety']:.6g}; "
        f"economic objective {result.leader_objective:.6g}",
        f"cooling plan: {np.round(cooling, 4).tolist()}",
        f"{first} trajectory: {np.round(trajectory, 4).tolist()}",
        f"cooling cost: optimistic {optimistic:.6g}, pessimistic {pessimistic_cooling_cost(model, result):.6g} "
        "(most expensive plan of minimum violation)",
    ])


def pessimistic_cooling_cost(model: pyo.ConcreteModel, result: bl.BilevelResult) -> float:
    """Max cooling cost over the safety layer's optimal plans for the chosen schedule (HiGHS)."""
    worst = model.clone()
    for k in worst.SCHEDULES:
        worst.choose[k].fix(round(result.leader[f"choose[{k}]"]))
    worst.obj.deactivate()
    worst.safety.obj.deactivate()
    optimum = result.follower_objectives["safety"]
    worst.hold = pyo.Constraint(expr=worst.safety.obj.expr <= optimum + 1e-8 * max(1.0, abs(optimum)))
    worst.worst = pyo.Objective(expr=cooling_cost(worst), sense=pyo.maximize)
    outcome = pyo.SolverFactory("appsi_highs").solve(worst, load_solutions=False)
    if outcome.solver.termination_condition != pyo.TerminationCondition.optimal:
        raise bl.BilevelError(f"pessimistic re-solve ended {outcome.solver.termination_condition}")
    worst.solutions.load_from(outcome)
    return float(pyo.value(worst.worst))
