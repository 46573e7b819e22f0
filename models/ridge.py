"""Ridge hyperparameter: the leader picks the penalty alpha that minimises validation error of
the ridge fit the follower trains (scikit-learn's diabetes data, the lasso domain's split).

leader:   min_{alpha in [0, alpha_max]}  (1/m) ||X_v w - y_v||^2
follower: min_w  (1/(2n)) ||X w - y||^2 + (alpha/2) ||w||^2

alpha * w^2 multiplies a leader variable by a follower square: the follower is a convex NLP in
w for every alpha >= 0 (Hessian X'X/n + alpha I), which pybilevel checks at sampled points.
Closed form for the reference: w(alpha) = (X'X/n + alpha I)^{-1} X'y/n.

Data (data/ridge/, the same rows as data/lasso/, made by data/lasso/make_data.py):
  train.csv, validation.csv   sample, age, sex, bmi, bp, s5, target   standardised
  settings.csv                alpha_max                                one row
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

FEATURES = ("age", "sex", "bmi", "bp", "s5")
_SAMPLES = {"sample": str, **{name: float for name in FEATURES}, "target": float}
TABLES = {
    "train": Table(columns=_SAMPLES, key=("sample",)),
    "validation": Table(columns=_SAMPLES, key=("sample",)),
    "settings": Table(columns={"alpha_max": float}, rows=1),
}
METHOD = "sos1"
WEIGHT_BOUND = 10.0  # |w_j| <= 10: standardised data, the least-squares fit has |w_j| < 1


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """Leader: alpha and the validation error; follower: the ridge fit on the training rows."""
    alpha_max = float(data["settings"]["alpha_max"].iloc[0])
    if alpha_max <= 0:
        raise bl.DataError("settings.csv, line 2, column alpha_max: must be positive.")
    train, valid = data["train"], data["validation"]
    n, n_valid = len(train), len(valid)
    m = pyo.ConcreteModel(name="ridge")
    m.FEATURES = pyo.Set(initialize=FEATURES)
    m.alpha = pyo.Var(bounds=(0.0, alpha_max))
    m.fit = bl.Follower()
    m.fit.w = pyo.Var(m.FEATURES, bounds=(-WEIGHT_BOUND, WEIGHT_BOUND))

    def residuals(frame):
        return [sum(float(row[j]) * m.fit.w[j] for j in FEATURES) - float(row["target"]) for _, row in frame.iterrows()]

    train_res, valid_res = residuals(train), residuals(valid)
    m.fit.obj = pyo.Objective(
        expr=sum(r**2 for r in train_res) / (2 * n) + 0.5 * m.alpha * sum(m.fit.w[j] ** 2 for j in FEATURES)
    )
    m.obj = pyo.Objective(expr=sum(r**2 for r in valid_res) / n_valid)
    return m


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    weights = ", ".join(f"{j}={result.follower['fit'][f'fit.w[{j}]']:.4g}" for j in FEATURES)
    return f"alpha = {result.leader['alpha']:.6g}; weights: {weights}; validation error {result.leader_objective:.8g}"
