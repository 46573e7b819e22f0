"""Fairness-penalty domain: the bilevel beta against a grid search over beta, with the follower
solved at each beta in closed form (numpy only, independent of pybilevel and of any QP solver).

Closed form: the follower minimises 0.5 w'Hw - b'w + beta |a'w| (d = |a'w| at its optimum) with
H = X'X/n + ridge I, b = X'y/n. Its optimality condition H w - b + beta s a = 0, s in sign(a'w),
gives w = w0 - beta sign(a'w0) H^-1 a (w0 = H^-1 b) while that keeps the sign of a'w, i.e. for
beta <= |a'w0| / (a'H^-1 a); beyond, the gap is closed: w = w0 - (a'w0 / a'H^-1 a) H^-1 a.
"""
from __future__ import annotations

import numpy as np
import pytest

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli

GRID_POINTS = 4001


class ClosedForm:
    """The follower's fit and the leader's objective at any beta, from the CSV data."""

    def __init__(self, module, data) -> None:
        features = list(module.FEATURES)
        settings = data["settings"].iloc[0]
        self.gamma = float(settings["gamma"])
        groups = sorted(set(data["train"]["group"]))
        train, valid = data["train"], data["validation"]
        x, y = train[features].to_numpy(), train["pay"].to_numpy()
        self.x_v, self.y_v = valid[features].to_numpy(), valid["pay"].to_numpy()
        self.gap = gap = self._group_difference(train, features, groups)
        self.gap_v = self._group_difference(valid, features, groups)
        hessian = x.T @ x / len(y) + settings["ridge"] * np.eye(len(features))
        self.w0 = np.linalg.solve(hessian, x.T @ y / len(y))
        self.direction = np.linalg.solve(hessian, gap)
        self.gap0 = float(gap @ self.w0)
        self.closing_beta = abs(self.gap0) / float(gap @ self.direction)

    @staticmethod
    def _group_difference(frame, features, groups) -> np.ndarray:
        first, second = (frame.loc[frame["group"] == g, features].to_numpy().mean(axis=0) for g in groups)
        return first - second

    def weights(self, beta: float) -> np.ndarray:
        return self.w0 - min(beta, self.closing_beta) * np.sign(self.gap0) * self.direction

    def leader(self, beta: float) -> float:
        w = self.weights(beta)
        return float(np.mean((self.x_v @ w - self.y_v) ** 2) + self.gamma * (self.gap_v @ w) ** 2)


@pytest.mark.parametrize("method", ["sos1", "bigm"])
def test_fairness_beta_beats_the_grid(method):
    module, data = load_domain("fairness")
    model = module.build(data)
    res = bl.solve(model, method=method)
    assert res.ok
    beta = res.leader["beta"]
    reference = ClosedForm(module, data)
    weights = np.array([res.follower["fit"][f"fit.w[{j}]"] for j in module.FEATURES])
    # the follower's fit is the closed-form fit at the same beta (SCIP's 1e-6 feasibility tolerance)
    np.testing.assert_allclose(weights, reference.weights(beta), atol=1e-6)
    assert res.follower["fit"]["fit.d"] == pytest.approx(abs(reference.gap @ weights), abs=1e-6)
    assert res.leader_objective == pytest.approx(reference.leader(beta), abs=1e-6)
    # no beta of the grid (spacing beta_max/4000) does better, and its best comes within 1e-6:
    # the leader objective is a smooth quadratic in beta near the optimum
    grid = np.linspace(0, model.beta.ub, GRID_POINTS)
    values = np.array([reference.leader(b) for b in grid])
    assert res.leader_objective <= values.min() + 1e-7
    assert res.leader_objective >= values.min() - 1e-6
    assert beta == pytest.approx(grid[values.argmin()], abs=2e-3)
    assert 0 < beta < reference.closing_beta  # the trade-off is interior: some, not all, of the gap closed


def test_cli_prints_beta_and_gaps(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("fairness"), "--data", copy_data("fairness", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "validation gap of mean predictions (a minus b)" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "train.csv", 7, "hours", "many"), "train.csv, line 7, column hours: 'many' is not a number"),
        (lambda d: edit_cell(d / "validation.csv", 4, "group", "c"), "validation.csv, line 4, column group: unknown 'c'; it must be one of the group values in train.csv"),
        (lambda d: edit_cell(d / "train.csv", 9, "group", "c"), "train.csv, line 9, column group: a third group 'c'"),
        (lambda d: edit_cell(d / "settings.csv", 2, "ridge", "0"), "settings.csv, line 2, column ridge: 0; it must be > 0"),
        (lambda d: (d / "settings.csv").write_text("ridge,gamma\n0.01,1\n"), "settings.csv: missing column(s) beta_max"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "fairness", edit, message)
