"""LASSO hyperparameter tuning: the leader picks the penalty alpha that minimises the validation
error of the LASSO fit the follower trains with it.

leader:   min_{alpha}  (1/m) sum_{i in validation} (x_i @ w - y_i)^2     s.t.  0 <= alpha <= alpha_max
follower: min_{w+, w-} (1/(2n)) sum_{i in train} (x_i @ w - y_i)^2 + alpha * sum_j (w+_j + w-_j)
          s.t.  w = w+ - w-,  0 <= w+_j, w-_j <= B

This is scikit-learn's Lasso objective (fit_intercept=False) written as a smooth QP; alpha * w is
a bilinear leader-follower coupling, so the follower's KKT conditions stay linear.

* alpha_max = max_j |X_j @ y| / n is the smallest penalty whose fit is w = 0: every larger alpha
  gives the same fit, so [0, alpha_max] holds every distinct answer.
* B = 1.1 * ||w_OLS||_1. The l1 norm of the LASSO fit never grows with alpha (add the two
  optimality inequalities at alpha1 < alpha2), and at alpha = 0 the fit is the unique least-squares
  w_OLS (the training columns must be independent), so |w_j| <= ||w_OLS||_1 < B: the bound never
  binds and changes no fit.
* Multiplier bound (big-M, a BigM Suffix on the follower): with the upper bounds inactive their
  multipliers are 0, and the multiplier of w+_j >= 0 is g_j + alpha with g = X'(Xw - y)/n and
  |g_j| <= alpha at a LASSO optimum (likewise alpha - g_j for w-_j); so 2 * alpha_max bounds them all.

Data (data/lasso/, written by data/lasso/make_data.py):
  train.csv, validation.csv   sample, age, sex, bmi, bp, s5, target   one row per patient
Features and target are expected standardised (the model fits no intercept).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import Table

FEATURES = ("age", "sex", "bmi", "bp", "s5")
_COLUMNS = {"sample": str, **{name: float for name in FEATURES}, "target": float}
TABLES = {
    "train": Table(columns=_COLUMNS, key=("sample",), description="patients the LASSO is fitted on"),
    "validation": Table(columns=_COLUMNS, key=("sample",), description="patients alpha is judged on"),
}
METHOD = "sos1"
WEIGHT_MARGIN = 1.1


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """Leader: alpha and the validation error; follower: the LASSO fit on the training rows."""
    x_train, y_train = _arrays(data["train"])
    x_valid, y_valid = _arrays(data["validation"])
    n = len(y_train)
    alpha_max = float(np.abs(x_train.T @ y_train).max() / n)
    bound = WEIGHT_MARGIN * float(np.abs(_least_squares(x_train, y_train)).sum())

    m = pyo.ConcreteModel(name="lasso")
    m.FEATURES = pyo.Set(initialize=FEATURES)
    m.alpha = pyo.Var(bounds=(0, alpha_max))
    m.fit = bl.Follower()
    m.fit.w_plus = pyo.Var(m.FEATURES, bounds=(0, bound))
    m.fit.w_minus = pyo.Var(m.FEATURES, bounds=(0, bound))
    m.fit.w = pyo.Expression(m.FEATURES, rule=lambda b, j: b.w_plus[j] - b.w_minus[j])
    m.fit.obj = pyo.Objective(
        expr=_squared_error(x_train, y_train, m.fit.w) / (2 * n)
        + m.alpha * sum(m.fit.w_plus[j] + m.fit.w_minus[j] for j in FEATURES)
    )
    m.fit.BigM = pyo.Suffix(direction=pyo.Suffix.LOCAL)
    for var in (m.fit.w_plus, m.fit.w_minus):
        m.fit.BigM.update((v, 2 * alpha_max) for v in var.values())
    m.obj = pyo.Objective(expr=_squared_error(x_valid, y_valid, m.fit.w) / len(y_valid))
    return m


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    """The chosen alpha, the validation error and the fitted weights."""
    weights = {j: result.follower["fit"][f"fit.w_plus[{j}]"] - result.follower["fit"][f"fit.w_minus[{j}]"] for j in FEATURES}
    dropped = [j for j, w in weights.items() if abs(w) < 1e-7]
    return "\n".join([
        f"alpha = {result.leader['alpha']:.6g} (range 0 .. {model.alpha.ub:.6g}); validation MSE = {result.leader_objective:.6g}",
        "weights: " + ", ".join(f"{j}={w:.4g}" for j, w in weights.items()),
        f"dropped features: {', '.join(dropped) or 'none'}",
    ])


def _arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame[list(FEATURES)].to_numpy(), frame["target"].to_numpy()


def _least_squares(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The unique least-squares weights; DataError if the training columns are dependent."""
    rank = np.linalg.matrix_rank(x)
    if rank < x.shape[1]:
        raise bl.DataError(
            f"train.csv: the columns {', '.join(FEATURES)} of its {x.shape[0]} rows have rank {rank} < {x.shape[1]}: "
            "the fit at alpha = 0 is not unique; add rows or drop a column that is a combination of the others."
        )
    return np.linalg.lstsq(x, y, rcond=None)[0]


def _squared_error(x: np.ndarray, y: np.ndarray, w) -> pyo.Expression:
    """||x @ w - y||^2 as w'Gw - 2b'w + y'y with G = x'x, b = x'y: p^2 terms, whatever the row count."""
    gram, moment = x.T @ x, x.T @ y
    quadratic = sum(float(gram[a, b]) * w[j] * w[k] for a, j in enumerate(FEATURES) for b, k in enumerate(FEATURES))
    return quadratic - 2 * sum(float(moment[a]) * w[j] for a, j in enumerate(FEATURES)) + float(y @ y)
