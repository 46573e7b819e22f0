"""Adversarial label poisoning: an attacker alters training labels within a budget to make the
ridge regression a defender trains on them as wrong as possible on the defender's validation set.

leader (attacker):   max_{delta, u}  (1/m) ||X_v w - y_v||^2
                     s.t.  |delta_i| <= u_i <= max_change,   sum_i u_i <= total_change
follower (defender): min_w  (1/(2n)) ||X w - (y + delta)||^2 + (alpha/2) ||w||^2

The follower is a strictly convex QP in w (Hessian X'X/n + alpha I); delta_i * w_j is a bilinear
leader-follower coupling. Its optimum is linear in the perturbation,
w(delta) = (X'X/n + alpha I)^{-1} X'(y + delta)/n, so the damage is a convex quadratic in delta and
its maximum over the budget polytope P = {|delta_i| <= eps, sum_i |delta_i| <= B} lies at a vertex
of P: floor(B/eps) labels moved by +-eps and, if B/eps is not whole, one more by +-(B - floor(B/eps) eps)
(the reference in tests/test_domain_adversarial.py enumerates them). Maximising a convex function
is a nonconvex problem, which SCIP solves globally by spatial branch-and-bound.

Method: ``sos1``. The follower has no inequality rows, so its KKT conditions are the linear
stationarity equations alone: ``sos1``, ``kkt`` and ``bigm`` build the same model (nonconvex
quadratic objective, linear constraints) for SCIP, ``strong_duality`` adds a bilinear duality row;
``regularized`` (Ipopt) finds a local maximum only.

Data (data/adversarial/, the standardised diabetes rows of data/lasso/, made by data/lasso/make_data.py):
  train.csv, validation.csv   sample, age, sex, bmi, bp, s5, target   one row per patient
  settings.csv                ridge_penalty alpha (> 0), max_change eps (> 0), total_change B (> 0)
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

FEATURES = ("age", "sex", "bmi", "bp", "s5")
_SAMPLES = {"sample": str, **{name: float for name in FEATURES}, "target": float}
TABLES = {
    "train": Table(columns=_SAMPLES, key=("sample",), description="patients the defender trains on; their labels can be altered"),
    "validation": Table(columns=_SAMPLES, key=("sample",), description="patients the damage is measured on"),
    "settings": Table(columns={"ridge_penalty": float, "max_change": float, "total_change": float}, rows=1),
}
METHOD = "sos1"


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """Leader: label changes and the validation error; follower: the ridge fit on the altered labels."""
    settings = data["settings"].iloc[0]
    for column in ("ridge_penalty", "max_change", "total_change"):
        if settings[column] <= 0:
            raise bl.DataError(f"settings.csv, line 2, column {column}: {settings[column]:g}; it must be positive.")
    train, valid = data["train"], data["validation"]
    n = len(train)
    m = pyo.ConcreteModel(name="adversarial")
    m.FEATURES = pyo.Set(initialize=FEATURES)
    m.SAMPLES = pyo.Set(initialize=list(train["sample"]))
    eps = float(settings["max_change"])
    m.change = pyo.Var(m.SAMPLES, bounds=(-eps, eps))
    m.size = pyo.Var(m.SAMPLES, bounds=(0.0, eps))
    m.size_above = pyo.Constraint(m.SAMPLES, rule=lambda b, i: b.size[i] >= b.change[i])
    m.size_below = pyo.Constraint(m.SAMPLES, rule=lambda b, i: b.size[i] >= -b.change[i])
    m.budget = pyo.Constraint(expr=sum(m.size[i] for i in m.SAMPLES) <= float(settings["total_change"]))

    m.fit = bl.Follower()
    m.fit.w = pyo.Var(m.FEATURES)

    def prediction(row):
        return sum(float(row[j]) * m.fit.w[j] for j in FEATURES)

    train_residuals = [prediction(row) - float(row["target"]) - m.change[row["sample"]] for _, row in train.iterrows()]
    m.fit.obj = pyo.Objective(
        expr=sum(r**2 for r in train_residuals) / (2 * n)
        + 0.5 * float(settings["ridge_penalty"]) * sum(m.fit.w[j] ** 2 for j in FEATURES)
    )
    valid_residuals = [prediction(row) - float(row["target"]) for _, row in valid.iterrows()]
    m.obj = pyo.Objective(expr=sum(r**2 for r in valid_residuals) / len(valid), sense=pyo.maximize)
    m.clean_error = pyo.Param(initialize=_clean_error(train, valid, float(settings["ridge_penalty"])))
    return m


def _clean_error(train: pd.DataFrame, valid: pd.DataFrame, alpha: float) -> float:
    """Validation MSE of the ridge fit on the true labels (for the report)."""
    x, y = train[list(FEATURES)].to_numpy(), train["target"].to_numpy()
    w = np.linalg.solve(x.T @ x / len(y) + alpha * np.eye(len(FEATURES)), x.T @ y / len(y))
    return float(np.mean((valid[list(FEATURES)].to_numpy() @ w - valid["target"].to_numpy()) ** 2))


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """The altered labels, the poisoned weights and the damage."""
    changes = {i: result.leader[model.change[i].name] for i in model.SAMPLES}
    moved = sorted((i for i, d in changes.items() if abs(d) > 1e-6), key=lambda i: -abs(changes[i]))
    weights = ", ".join(f"{j}={result.follower['fit'][model.fit.w[j].name]:.4g}" for j in FEATURES)
    lines = [
        f"validation MSE: {result.leader_objective:.6g} after poisoning, {pyo.value(model.clean_error):.6g} on the true labels",
        f"labels changed: {len(moved)} of {len(changes)} (total change {sum(abs(d) for d in changes.values()):.4g}, "
        f"budget {pyo.value(model.budget.upper):g}, at most {model.change[moved[0]].ub if moved else 0:g} each)",
    ]
    lines += [f"  sample {i}: label {changes[i]:+.4f}" for i in moved]
    lines.append(f"poisoned weights: {weights}")
    return "\n".join(lines)
