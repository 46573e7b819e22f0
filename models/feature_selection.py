"""Best-subset feature selection: the leader picks at most k features; the follower fits a ridge
regression on the training rows using only those; the leader minimises the validation error.

leader:   min_{z binary}  (1/m) ||X_v w - y_v||^2                 s.t.  sum_j z_j <= k
follower: min_{w}         (1/(2n)) ||X w - y||^2 + (ridge/2) ||w||^2
          s.t.            -M z_j <= w_j <= M z_j     (a dropped feature gets weight 0)

* M = 1.1 min(||y|| / (2 sqrt(n ridge)), ||y|| / sigma_min(X)). The rows force w_j = 0 for the
  dropped features, so the follower's optimum is the ridge fit w_S on the chosen columns X_S if
  that fit lies inside the box. It does: its optimality condition X_S'(X_S w_S - y) + n ridge w_S = 0
  gives ||X_S w_S||^2 + n ridge ||w_S||^2 = (X_S w_S)'y, hence ||X_S w_S|| <= ||y||,
  n ridge ||w_S||^2 <= max_t (t ||y|| - t^2) = ||y||^2 / 4, and ||w_S|| <= ||y|| / sigma_min(X_S)
  with sigma_min(X_S) >= sigma_min(X) (interlacing); so |w_j| <= ||w_S|| < M. The ridge term
  (ridge > 0) makes the fit unique.
* Multiplier bound (big-M, a BigM Suffix on the follower): a row binds only when z_j = 0, and then
  its multiplier is |g_j| with g = X'(Xw - y)/n (one of the two rows carries it, the other 0); since
  ||Xw - y|| <= ||y|| at the optimum, |g_j| <= ||X_j|| ||y|| / n.

Data (data/feature_selection/, written by data/feature_selection/make_data.py):
  train.csv, validation.csv   sample, x1, ..., x8, y      one row per sample
  settings.csv                max_features, ridge         one row (k = max_features)
Features and y are expected standardised (the model fits no intercept).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

FEATURES = tuple(f"x{j}" for j in range(1, 9))
_SAMPLES = {"sample": str, **{name: float for name in FEATURES}, "y": float}
TABLES = {
    "train": Table(columns=_SAMPLES, key=("sample",), description="samples the follower fits on"),
    "validation": Table(columns=_SAMPLES, key=("sample",), description="samples the subset is judged on"),
    "settings": Table(columns={"max_features": int, "ridge": float}, rows=1),
}
METHOD = "sos1"
BOUND_MARGIN = 1.1


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """Leader: the feature subset and the validation error; follower: the ridge fit on that subset."""
    k, ridge = _settings(data["settings"])
    x, y = data["train"][list(FEATURES)].to_numpy(), data["train"]["y"].to_numpy()
    x_v, y_v = data["validation"][list(FEATURES)].to_numpy(), data["validation"]["y"].to_numpy()
    n = len(y)
    smallest_singular_value = np.linalg.svd(x, compute_uv=False).min()
    big_m = BOUND_MARGIN * float(np.linalg.norm(y)) / max(2 * np.sqrt(n * ridge), smallest_singular_value)

    m = pyo.ConcreteModel(name="feature_selection")
    m.FEATURES = pyo.Set(initialize=FEATURES)
    m.use = pyo.Var(m.FEATURES, within=pyo.Binary)
    m.at_most_k = pyo.Constraint(expr=sum(m.use[j] for j in FEATURES) <= k)
    m.fit = bl.Follower()
    m.fit.w = pyo.Var(m.FEATURES)
    m.fit.upper = pyo.Constraint(m.FEATURES, rule=lambda b, j: b.w[j] - big_m * m.use[j] <= 0)
    m.fit.lower = pyo.Constraint(m.FEATURES, rule=lambda b, j: b.w[j] + big_m * m.use[j] >= 0)
    hessian = x.T @ x / n + ridge * np.eye(len(FEATURES))
    w = [m.fit.w[j] for j in FEATURES]
    m.fit.obj = pyo.Objective(expr=0.5 * _form(hessian, w) - _dot(x.T @ y / n, w) + float(y @ y) / (2 * n))
    m.fit.BigM = pyo.Suffix(direction=pyo.Suffix.LOCAL)
    multiplier = float(np.linalg.norm(x, axis=0).max() * np.linalg.norm(y)) / n
    m.fit.BigM.update((c, multiplier) for c in [*m.fit.upper.values(), *m.fit.lower.values()])
    m.obj = pyo.Objective(
        expr=(_form(x_v.T @ x_v, w) - 2 * _dot(x_v.T @ y_v, w) + float(y_v @ y_v)) / len(y_v)
    )
    return m


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """The chosen features, their weights and the validation error."""
    chosen = [j for j in FEATURES if result.leader[f"use[{j}]"] > 0.5]
    weights = ", ".join(f"{j}={result.follower['fit'][f'fit.w[{j}]']:.4g}" for j in chosen)
    return "\n".join([
        f"selected {len(chosen)} of {len(FEATURES)} features (at most {int(model.at_most_k.upper)}): {', '.join(chosen) or 'none'}",
        f"weights: {weights or 'none'}; validation MSE = {result.leader_objective:.6g}",
    ])


def _settings(frame: pd.DataFrame) -> tuple[int, float]:
    k, ridge = int(frame.at[0, "max_features"]), float(frame.at[0, "ridge"])
    if not 1 <= k <= len(FEATURES):
        raise bl.DataError(f"settings.csv, line 2, column max_features: {k}; it must be between 1 and {len(FEATURES)}.")
    if ridge <= 0:
        raise bl.DataError(f"settings.csv, line 2, column ridge: {ridge:g}; it must be > 0 (it makes each fit unique and bounds the weights).")
    return k, ridge


def _form(matrix: np.ndarray, w: list) -> pyo.Expression:
    """w' matrix w."""
    return sum(float(matrix[k, l]) * w[k] * w[l] for k in range(len(w)) for l in range(len(w)))


def _dot(vector: np.ndarray, w: list) -> pyo.Expression:
    return sum(float(c) * v for c, v in zip(vector, w))
