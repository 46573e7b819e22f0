"""Fairness-penalty tuning: the leader picks the weight beta of a group-disparity penalty; the
follower fits a ridge regression with that penalty; the leader trades validation error against
the disparity left on validation data.

leader:   min_{beta}  (1/m) ||X_v w - y_v||^2 + gamma * (a_v @ w)^2        s.t.  0 <= beta <= beta_max
follower: min_{w, d}  (1/(2n)) ||X w - y||^2 + (ridge/2) ||w||^2 + beta * d
          s.t.  d >= a @ w,  d >= -a @ w,   -B <= w_j <= B,   0 <= d <= D

a = (mean row of group 1) - (mean row of group 2) on the training rows, so a @ w is the gap
between the groups' mean predictions and d = |a @ w| at the follower's optimum (a_v likewise on
the validation rows; the groups are the two values of the group column, in sorted order).
beta * d is linear in the follower's variables (beta * (a @ w)^2 would be leader x follower^2,
which KKT-based methods cannot take). The follower is strictly convex (ridge > 0): one fit per beta.

* B = 1.1 ||y|| / sqrt(n ridge): w = 0, d = 0 is feasible with objective ||y||^2/(2n), so
  (ridge/2)||w||^2 <= ||y||^2/(2n) at the optimum; the bound never binds. D = 1.1 ||a|| B >= |a @ w|.
* Multiplier bound (big-M, a BigM Suffix on the follower): the bounds on w and the upper bound on
  d never bind, so their multipliers are 0, and stationarity in d reads beta = mu_1 + mu_2 +
  (multiplier of d >= 0), all nonnegative: every multiplier is at most beta_max.

Data (data/fairness/, written by data/fairness/make_data.py):
  train.csv, validation.csv  person, group, experience, education, hours, pay   one row per person
  settings.csv               ridge, gamma, beta_max                              one row
Features and pay are expected standardised (the model fits no intercept).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

FEATURES = ("experience", "education", "hours")
_PEOPLE = {"person": str, "group": str, **{name: float for name in FEATURES}, "pay": float}
TABLES = {
    "train": Table(columns=_PEOPLE, key=("person",), description="people the predictor is fitted on"),
    "validation": Table(columns=_PEOPLE, key=("person",), references={"group": "train.group"}, description="people beta is judged on"),
    "settings": Table(columns={"ridge": float, "gamma": float, "beta_max": float}, rows=1),
}
METHOD = "sos1"
BOUND_MARGIN = 1.1


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """Leader: beta, validation error + gamma * validation gap^2; follower: the penalised ridge fit."""
    settings = _settings(data["settings"])
    groups = _two_groups(data["train"])
    x, y, gap = _arrays(data["train"], groups, "train.csv")
    x_v, y_v, gap_v = _arrays(data["validation"], groups, "validation.csv")
    n, m_v = len(y), len(y_v)
    bound = BOUND_MARGIN * float(np.linalg.norm(y)) / np.sqrt(n * settings["ridge"])

    m = pyo.ConcreteModel(name="fairness")
    m.GROUPS = pyo.Set(initialize=groups)
    m.FEATURES = pyo.Set(initialize=FEATURES)
    m.beta = pyo.Var(bounds=(0, settings["beta_max"]))
    m.fit = bl.Follower()
    m.fit.w = pyo.Var(m.FEATURES, bounds=(-bound, bound))
    m.fit.d = pyo.Var(bounds=(0, BOUND_MARGIN * float(np.linalg.norm(gap)) * bound))
    m.fit.gap = pyo.Expression(expr=sum(float(g) * m.fit.w[j] for g, j in zip(gap, FEATURES)))
    m.fit.above_gap = pyo.Constraint(expr=m.fit.d - m.fit.gap >= 0)
    m.fit.above_minus_gap = pyo.Constraint(expr=m.fit.d + m.fit.gap >= 0)
    hessian = x.T @ x / n + settings["ridge"] * np.eye(len(FEATURES))
    m.fit.obj = pyo.Objective(expr=_quadratic(0.5 * hessian, x.T @ y / (2 * n), y @ y / (2 * n), m.fit.w) + m.beta * m.fit.d)
    m.fit.BigM = pyo.Suffix(direction=pyo.Suffix.LOCAL)
    m.fit.BigM.update((item, settings["beta_max"]) for item in (m.fit.above_gap, m.fit.above_minus_gap, m.fit.d))
    m.fit.BigM.update((v, settings["beta_max"]) for v in m.fit.w.values())

    m.validation_gap = pyo.Expression(expr=sum(float(g) * m.fit.w[j] for g, j in zip(gap_v, FEATURES)))
    m.validation_error = pyo.Expression(expr=_quadratic(x_v.T @ x_v / m_v, x_v.T @ y_v / m_v, y_v @ y_v / m_v, m.fit.w))
    m.obj = pyo.Objective(expr=m.validation_error + settings["gamma"] * m.validation_gap**2)
    return m


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """The chosen beta, validation error and gap, and the weights."""
    first, second = model.GROUPS
    return "\n".join([
        f"beta = {result.leader['beta']:.6g} (range 0 .. {model.beta.ub:g}); leader objective = {result.leader_objective:.6g}",
        f"validation MSE = {pyo.value(model.validation_error):.6g}; validation gap of mean predictions "
        f"({first} minus {second}) = {pyo.value(model.validation_gap):.6g}; training gap = {pyo.value(model.fit.gap):.6g}",
        "weights: " + ", ".join(f"{j}={result.follower['fit'][f'fit.w[{j}]']:.4g}" for j in FEATURES),
    ])


def _settings(frame: pd.DataFrame) -> dict[str, float]:
    row = frame.iloc[0]
    for column in ("ridge", "gamma", "beta_max"):
        if row[column] < 0 or (column == "ridge" and row[column] == 0):
            need = "> 0 (it makes the fit unique and bounds the weights)" if column == "ridge" else ">= 0"
            raise bl.DataError(f"settings.csv, line 2, column {column}: {row[column]:g}; it must be {need}.")
    return {column: float(row[column]) for column in frame.columns}


def _two_groups(frame: pd.DataFrame) -> tuple[str, str]:
    """The two values of train.csv's group column, sorted."""
    seen = list(dict.fromkeys(frame["group"]))
    if len(seen) > 2:
        line = int((frame["group"] == seen[2]).to_numpy().argmax()) + 2
        raise bl.DataError(f"train.csv, line {line}, column group: a third group '{seen[2]}'; the disparity compares exactly two groups ({seen[0]}, {seen[1]}).")
    if len(seen) < 2:
        raise bl.DataError(f"train.csv, column group: every row is in group '{seen[0]}'; the disparity needs rows of two groups.")
    return tuple(sorted(seen))


def _arrays(frame: pd.DataFrame, groups: tuple[str, str], file: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, target, and the difference of the two groups' mean feature rows."""
    x = frame[list(FEATURES)].to_numpy()
    means = []
    for group in groups:
        rows = (frame["group"] == group).to_numpy()
        if not rows.any():
            raise bl.DataError(f"{file}, column group: no row of group '{group}'; each split needs rows of both groups.")
        means.append(x[rows].mean(axis=0))
    return x, frame["pay"].to_numpy(), means[0] - means[1]


def _quadratic(matrix: np.ndarray, vector: np.ndarray, constant: float, w) -> pyo.Expression:
    """w' matrix w - 2 vector' w + constant, over the FEATURES-indexed variables w."""
    pairs = [(k, l) for k in range(len(FEATURES)) for l in range(len(FEATURES))]
    quadratic = sum(float(matrix[k, l]) * w[FEATURES[k]] * w[FEATURES[l]] for k, l in pairs)
    return quadratic - 2 * sum(float(vector[k]) * w[j] for k, j in enumerate(FEATURES)) + float(constant)
