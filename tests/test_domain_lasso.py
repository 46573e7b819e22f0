"""LASSO hyperparameter domain: the bilevel alpha against a fine grid search with scikit-learn.

scikit-learn is a test-only dependency (the reference), installed by ``make test``.
"""
from __future__ import annotations

import numpy as np
import pytest

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, drop_column, edit_cell, load_domain, model_path, run_cli

GRID_POINTS = 2001


@pytest.fixture(scope="module")
def linear_model():
    """scikit-learn's linear_model module (the independent reference)."""
    import sklearn.linear_model  # noqa: PLC0415

    return sklearn.linear_model


def validation_error(module, data, weights: np.ndarray) -> float:
    frame = data["validation"]
    residual = frame[list(module.FEATURES)].to_numpy() @ weights - frame["target"].to_numpy()
    return float(np.mean(residual**2))


def sklearn_lasso(linear_model, module, data, alpha: float) -> np.ndarray:
    """scikit-learn's Lasso weights: (1/(2n))||y - Xw||^2 + alpha ||w||_1, no intercept."""
    x, y = data["train"][list(module.FEATURES)].to_numpy(), data["train"]["target"].to_numpy()
    if alpha == 0:
        return np.linalg.lstsq(x, y, rcond=None)[0]
    return linear_model.Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(x, y).coef_


def best_grid_value(linear_model, module, data, alpha_max: float) -> tuple[float, float]:
    """(validation error, alpha) of the best of GRID_POINTS evenly spaced alphas in [0, alpha_max]."""
    x, y = data["train"][list(module.FEATURES)].to_numpy(), data["train"]["target"].to_numpy()
    alphas, coefs, _ = linear_model.lasso_path(x, y, alphas=np.linspace(0, alpha_max, GRID_POINTS)[1:], tol=1e-14, max_iter=100_000)
    alphas = np.append(alphas, 0.0)  # lasso_path returns the alphas in decreasing order
    weights = np.column_stack([coefs, sklearn_lasso(linear_model, module, data, 0.0)])
    errors = [validation_error(module, data, weights[:, k]) for k in range(len(alphas))]
    best = int(np.argmin(errors))
    return errors[best], float(alphas[best])


@pytest.mark.parametrize("method", ["sos1", "bigm"])
def test_lasso_alpha_beats_the_sklearn_grid(linear_model, method):
    module, data = load_domain("lasso")
    model = module.build(data)
    res = bl.solve(model, method=method)
    assert res.ok
    alpha = res.leader["alpha"]
    weights = np.array([res.follower["fit"][f"fit.w_plus[{j}]"] - res.follower["fit"][f"fit.w_minus[{j}]"] for j in module.FEATURES])
    # the follower's answer is scikit-learn's Lasso at the same alpha: pybilevel certified it as
    # the follower's optimum, and coordinate descent to a 1e-14 duality gap is accurate to ~1e-8
    np.testing.assert_allclose(weights, sklearn_lasso(linear_model, module, data, alpha), atol=1e-6)
    assert res.leader_objective == pytest.approx(validation_error(module, data, weights), abs=1e-9)
    # No grid alpha does better. SCIP holds a quadratic objective to its 1e-6 feasibility
    # tolerance, not to the 1e-9 gap (the sos1 answer is 7.5e-7 above the grid's best), hence 2e-6.
    # The grid (spacing alpha_max/2000) misses the optimum by < 1e-7, so it is no more than 1e-6 worse.
    grid_error, grid_alpha = best_grid_value(linear_model, module, data, model.alpha.ub)
    assert grid_error - 1e-6 <= res.leader_objective <= grid_error + 2e-6
    # the error is flat near the optimum: 1e-6 in the error is ~6e-4 in alpha
    assert alpha == pytest.approx(grid_alpha, abs=2e-3)


def test_cli_prints_alpha_and_dropped_features(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("lasso"), "--data", copy_data("lasso", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "dropped features: age" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "train.csv", 3, "bmi", "abc"), "train.csv, line 3, column bmi: 'abc' is not a number"),
        (lambda d: edit_cell(d / "validation.csv", 5, "target", ""), "validation.csv, line 5, column target: empty cell"),
        (lambda d: drop_column(d / "validation.csv", "s5"), "validation.csv: missing column(s) s5"),
        (lambda d: edit_cell(d / "train.csv", 4, "sample", "203"), "train.csv, line 4: duplicate key (sample=203)"),
        (lambda d: [edit_cell(d / "train.csv", line, "age", "0") for line in range(2, 42)], "train.csv: the columns age, sex, bmi, bp, s5 of its 40 rows have rank 4 < 5"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "lasso", edit, message)
