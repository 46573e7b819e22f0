"""Sensor placement for state estimation: the leader installs k of n candidate sensors; the
follower estimates the state from the installed sensors' readings (a Bayesian MAP / weighted
ridge estimator); the leader minimises the estimation error over calibration scenarios whose
true state is known (e.g. days on which the emission sources' own metering is available).

leader:   min_{z binary}  (1/S) sum_s ||xhat_s - x_s||^2                     s.t.  sum_i z_i = k
follower: min_{xhat, u}   sum_s [ 0.5 sum_i ((h_i @ xhat_s - m_si - u_si) / sigma_i)^2
                                 + 0.5 rho ||xhat_s||^2 ]
          s.t.            -U_si (1 - z_i) <= u_si <= U_si (1 - z_i)

h_i: sensor i's gains on the states, sigma_i its noise standard deviation, m_si its reading in
scenario s, rho the prior precision (the state is a priori N(0, I / rho)). u_si absorbs the
residual of a sensor that is not installed, so only installed sensors inform the estimate;
an installed sensor has u_si = 0. The follower is one block for all scenarios; its objective is
a sum of independent per-scenario estimators, so it optimises each scenario separately.

* U_si = 1.1 (||h_i|| R_s + |m_si|), R_s = ||m_s / sigma|| / (2 sqrt(rho)). With u_si = 0 for the
  installed sensors the estimate is the ridge fit of the weighted readings; its optimality
  condition gives rho ||xhat||^2 <= max_t (t ||m_s/sigma|| - t^2) = ||m_s/sigma||^2 / 4, so
  ||xhat_s|| <= R_s and a sensor that is not installed needs |u_si| = |h_i @ xhat_s - m_si| < U_si:
  the bounds never bind, and the estimate ignores the sensors not installed.
* Multiplier bound (big-M, a BigM Suffix on the follower): a row binds only for an installed
  sensor, and then its multiplier is |h_i @ xhat_s - m_si| / sigma_i^2 <= ||m_s/sigma|| / sigma_i
  (the weighted residual is at most ||m_s/sigma||, the follower's objective at xhat = 0).

Data (data/sensor_placement/, written by data/sensor_placement/make_data.py):
  sensors.csv       sensor, noise_std            one row per candidate sensor
  gains.csv         sensor, state, gain          h; a missing (sensor, state) pair has gain 0
  truth.csv         scenario, state, value       the true state of each calibration scenario
  measurements.csv  scenario, sensor, value      every sensor's reading in every scenario
  settings.csv      stations_to_place, prior_precision     k and rho, one row
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

TABLES = {
    "sensors": Table(columns={"sensor": str, "noise_std": float}, key=("sensor",)),
    "gains": Table(columns={"sensor": str, "state": str, "gain": float}, key=("sensor", "state"), references={"sensor": "sensors.sensor"}),
    "truth": Table(columns={"scenario": str, "state": str, "value": float}, key=("scenario", "state"), references={"state": "gains.state"}),
    "measurements": Table(
        columns={"scenario": str, "sensor": str, "value": float},
        key=("scenario", "sensor"),
        references={"scenario": "truth.scenario", "sensor": "sensors.sensor"},
    ),
    "settings": Table(columns={"stations_to_place": int, "prior_precision": float}, rows=1),
}
METHOD = "bigm"
BOUND_MARGIN = 1.1


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """Leader: which sensors to install; follower: the MAP estimate of every scenario's state."""
    sensors = list(data["sensors"]["sensor"])
    k, rho = _settings(data["settings"], len(sensors))
    sigma = _noise(data["sensors"])
    states = list(dict.fromkeys(data["gains"]["state"]))
    scenarios = list(dict.fromkeys(data["truth"]["scenario"]))
    gain = data["gains"].pivot(index="sensor", columns="state", values="gain").reindex(index=sensors, columns=states).fillna(0.0)
    truth = _complete(data["truth"], "truth.csv", scenarios, "state", states)
    reading = _complete(data["measurements"], "measurements.csv", scenarios, "sensor", sensors)
    weighted_norm = np.linalg.norm((reading / sigma).to_numpy(), axis=1)  # ||m_s / sigma|| per scenario
    radius = weighted_norm / (2 * np.sqrt(rho))
    bound = BOUND_MARGIN * (np.outer(radius, np.linalg.norm(gain.to_numpy(), axis=1)) + np.abs(reading.to_numpy()))

    m = pyo.ConcreteModel(name="sensor_placement")
    m.SENSORS, m.STATES, m.SCENARIOS = (pyo.Set(initialize=items) for items in (sensors, states, scenarios))
    m.install = pyo.Var(m.SENSORS, within=pyo.Binary)
    m.k_sensors = pyo.Constraint(expr=sum(m.install[i] for i in sensors) == k)

    m.est = bl.Follower()
    m.est.x = pyo.Var(m.SCENARIOS, m.STATES)
    m.est.u = pyo.Var(m.SCENARIOS, m.SENSORS)
    U = {(s, i): float(bound[a, b]) for a, s in enumerate(scenarios) for b, i in enumerate(sensors)}
    m.est.upper = pyo.Constraint(m.SCENARIOS, m.SENSORS, rule=lambda b, s, i: b.u[s, i] + U[s, i] * m.install[i] <= U[s, i])
    m.est.lower = pyo.Constraint(m.SCENARIOS, m.SENSORS, rule=lambda b, s, i: b.u[s, i] - U[s, i] * m.install[i] >= -U[s, i])

    def weighted_residual(s: str, i: str) -> pyo.Expression:
        predicted = sum(float(gain.at[i, j]) * m.est.x[s, j] for j in states)
        return (predicted - float(reading.at[s, i]) - m.est.u[s, i]) / float(sigma[i])

    m.est.obj = pyo.Objective(
        expr=0.5 * sum(weighted_residual(s, i) ** 2 for s in scenarios for i in sensors)
        + 0.5 * rho * sum(m.est.x[s, j] ** 2 for s in scenarios for j in states)
    )
    m.est.BigM = pyo.Suffix(direction=pyo.Suffix.LOCAL)
    for a, s in enumerate(scenarios):
        for i in sensors:
            m.est.BigM[m.est.upper[s, i]] = m.est.BigM[m.est.lower[s, i]] = float(weighted_norm[a] / sigma[i])
    m.obj = pyo.Objective(
        expr=sum((m.est.x[s, j] - float(truth.at[s, j])) ** 2 for s in scenarios for j in states) / len(scenarios)
    )
    return m


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """The installed sensors, the estimation error, and each scenario's estimate."""
    installed = [i for i in model.SENSORS if result.leader[f"install[{i}]"] > 0.5]
    lines = [
        f"install {len(installed)} of {len(model.SENSORS)} sensors: {', '.join(installed)}",
        f"mean squared estimation error per scenario: {result.leader_objective:.6g}",
    ]
    for s in model.SCENARIOS:
        estimate = ", ".join(f"{j}={result.follower['est'][f'est.x[{s},{j}]']:.3f}" for j in model.STATES)
        lines.append(f"  {s}: {estimate}")
    return "\n".join(lines)


def _settings(frame: pd.DataFrame, n_sensors: int) -> tuple[int, float]:
    k, rho = int(frame.at[0, "stations_to_place"]), float(frame.at[0, "prior_precision"])
    if not 1 <= k <= n_sensors:
        raise bl.DataError(f"settings.csv, line 2, column stations_to_place: {k}; it must be between 1 and the {n_sensors} sensors of sensors.csv.")
    if rho <= 0:
        raise bl.DataError(f"settings.csv, line 2, column prior_precision: {rho:g}; it must be > 0 (it makes every estimate unique and bounded).")
    return k, rho


def _noise(frame: pd.DataFrame) -> pd.Series:
    bad = (frame["noise_std"] <= 0).to_numpy()
    if bad.any():
        row = int(bad.argmax())
        raise bl.DataError(f"sensors.csv, line {row + 2}, column noise_std: {frame['noise_std'].iloc[row]:g}; a noise standard deviation must be > 0.")
    return frame.set_index("sensor")["noise_std"]


def _complete(frame: pd.DataFrame, file: str, scenarios: list[str], column: str, items: list[str]) -> pd.DataFrame:
    """The values as a scenario x item table; DataError naming the first missing pair."""
    table = frame.pivot(index="scenario", columns=column, values="value").reindex(index=scenarios, columns=items)
    missing = np.argwhere(table.isna().to_numpy())
    if len(missing):
        s, j = missing[0]
        raise bl.DataError(f"{file}: no row for scenario {scenarios[s]}, {column} {items[j]}; every scenario needs a value for every {column}.")
    return table
