"""Ridge hyperparameter domain: the bilevel alpha against the closed form on a fine alpha grid."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli


def closed_form(module, data, alpha: float) -> tuple[np.ndarray, float]:
    """w(alpha) = (X'X/n + alpha I)^{-1} X'y/n and its validation error, independent of pybilevel."""
    x, y = data["train"][list(module.FEATURES)].to_numpy(), data["train"]["target"].to_numpy()
    xv, yv = data["validation"][list(module.FEATURES)].to_numpy(), data["validation"]["target"].to_numpy()
    n = len(y)
    w = np.linalg.solve(x.T @ x / n + alpha * np.eye(x.shape[1]), x.T @ y / n)
    return w, float(np.mean((xv @ w - yv) ** 2))


@pytest.mark.parametrize("method", ["sos1", "regularized"])
def test_ridge_alpha_matches_the_closed_form_optimum(method):
    module, data = load_domain("ridge")
    alpha_max = float(data["settings"]["alpha_max"].iloc[0])
    res = bl.solve(module.build(data), method=method)
    assert res.ok, res.message
    alpha = res.leader["alpha"]
    weights, error = closed_form(module, data, alpha)
    got = np.array([res.follower["fit"][f"fit.w[{j}]"] for j in module.FEATURES])
    assert got == pytest.approx(weights, abs=1e-6)  # the follower's answer is the ridge fit
    # SCIP keeps stationarity to its 1e-6 feasibility tolerance, so the reported error may sit
    # up to ~1e-6 off the closed-form error at the same alpha
    assert res.leader_objective == pytest.approx(error, abs=1e-6)
    # the global optimum over alpha: a 5001-point grid, then a bounded 1-D search around its best
    grid = np.linspace(0.0, alpha_max, 5001)
    errors = [closed_form(module, data, a)[1] for a in grid]
    k = int(np.argmin(errors))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    best = minimize_scalar(lambda a: closed_form(module, data, a)[1], bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    # SCIP holds the quadratic objective to its 1e-6 tolerance; a local method may stop elsewhere,
    # but here the error is unimodal in alpha, so both must reach the optimum
    assert res.leader_objective == pytest.approx(best.fun, abs=2e-6)
    assert alpha == pytest.approx(best.x, abs=5e-3)


def test_cli_prints_alpha(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("ridge"), "--data", copy_data("ridge", tmp_path))
    assert code == 0 and "alpha = " in out and "status: optimal (certified)" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "train.csv", 3, "bmi", "abc"), "train.csv, line 3, column bmi: 'abc' is not a number"),
        (lambda d: edit_cell(d / "settings.csv", 2, "alpha_max", "-1"), "settings.csv, line 2, column alpha_max: must be positive"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "ridge", edit, message)
