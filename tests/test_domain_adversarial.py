"""Adversarial label poisoning: the bilevel attack against enumeration of the budget polytope's
vertices and, for a linear damage, against the closed form.

The ridge fit is linear in the label changes, w(delta) = w0 + K delta with K = (X'X/n + alpha I)^{-1} X'/n.
A convex damage (validation MSE) is maximised at a vertex of P = {|delta_i| <= eps, sum |delta_i| <= B}:
m = floor(B/eps) labels at +-eps and, if r = B - m eps > 0, one more at +-r (the others 0).
A linear damage g @ delta is maximised by moving the m labels with the largest |g_i| by eps sign(g_i)
and the next one by r sign(g_i).
"""
from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli

GLOBAL_METHODS = ("sos1", "kkt", "bigm", "strong_duality")


def ridge_map(module, data, alpha: float):
    """(w0, K, X_v, y_v): the fit on the true labels, its sensitivity to the labels, the validation rows."""
    x, y = data["train"][list(module.FEATURES)].to_numpy(), data["train"]["target"].to_numpy()
    gain = np.linalg.solve(x.T @ x / len(y) + alpha * np.eye(x.shape[1]), x.T / len(y))
    valid = data["validation"]
    return gain @ y, gain, valid[list(module.FEATURES)].to_numpy(), valid["target"].to_numpy()


def worst_vertex(module, data) -> tuple[float, np.ndarray]:
    """Largest validation MSE over every vertex of the budget polytope, and that vertex."""
    alpha, eps, budget = (float(data["settings"][c].iloc[0]) for c in ("ridge_penalty", "max_change", "total_change"))
    w0, gain, xv, yv = ridge_map(module, data, alpha)
    shift, base = xv @ gain, xv @ w0 - yv  # validation residuals = base + shift @ delta
    n = gain.shape[1]
    full = int(np.floor(budget / eps + 1e-12))
    rest = budget - full * eps if full < n else 0.0
    full = min(full, n)
    signs = np.array(list(itertools.product((-1.0, 1.0), repeat=full))).reshape(-1, full)
    best, arg = -np.inf, None
    for chosen in itertools.combinations(range(n), full):
        residuals = base[:, None] + eps * shift[:, chosen] @ signs.T  # one column per sign pattern
        extras = [(None, 0.0)] if rest <= 1e-12 else [(j, s * rest) for j in range(n) if j not in chosen for s in (-1, 1)]
        for j, amount in extras:
            moved = residuals if j is None else residuals + amount * shift[:, [j]]
            errors = np.mean(moved**2, axis=0)
            k = int(np.argmax(errors))
            if errors[k] > best:
                best, arg = errors[k], np.zeros(n)
                arg[list(chosen)] = eps * signs[k]
                if j is not None:
                    arg[j] = amount
    return float(best), arg


def follower_weights(module, model, res) -> np.ndarray:
    return np.array([res.follower["fit"][model.fit.w[j].name] for j in module.FEATURES])


def label_changes(model, res) -> np.ndarray:
    return np.array([res.leader[model.change[i].name] for i in model.SAMPLES])


@pytest.mark.parametrize("method", GLOBAL_METHODS)
def test_attack_is_the_worst_vertex(method):
    module, data = load_domain("adversarial")
    model = module.build(data)
    res = bl.solve(model, method=method)
    assert res.ok, res.message
    best, vertex = worst_vertex(module, data)
    assert res.leader_objective == pytest.approx(best, rel=1e-7)  # 0.69209386
    delta = label_changes(model, res)
    np.testing.assert_allclose(delta, vertex, atol=1e-5)  # the worst vertex is unique here
    w0, gain, _, _ = ridge_map(module, data, float(data["settings"]["ridge_penalty"].iloc[0]))
    np.testing.assert_allclose(follower_weights(module, model, res), w0 + gain @ delta, atol=1e-7)


def test_fractional_budget_reaches_the_fractional_vertex():
    module, data = load_domain("adversarial")
    data["settings"].loc[0, "total_change"] = 2.5  # two labels by 1, a third by 0.5
    res = bl.solve(module.build(data), method="sos1")
    assert res.ok
    best, vertex = worst_vertex(module, data)
    assert res.leader_objective == pytest.approx(best, rel=1e-7)
    assert sorted(np.abs(vertex[vertex != 0])) == [0.5, 1.0, 1.0]


def test_regularized_finds_a_local_attack_no_better_than_the_worst_vertex():
    module, data = load_domain("adversarial")
    model = module.build(data)
    res = bl.solve(model, method="regularized")
    assert res.ok and res.status == bl.Status.LOCALLY_OPTIMAL
    best, _ = worst_vertex(module, data)
    assert res.leader_objective <= best + 1e-8
    delta = label_changes(model, res)
    assert np.abs(delta).max() <= 1 + 1e-6 and np.abs(delta).sum() <= 3 + 1e-6  # Ipopt keeps each row to 1e-9
    w0, gain, xv, yv = ridge_map(module, data, float(data["settings"]["ridge_penalty"].iloc[0]))
    w = w0 + gain @ delta
    np.testing.assert_allclose(follower_weights(module, model, res), w, atol=1e-6)
    assert res.leader_objective == pytest.approx(np.mean((xv @ w - yv) ** 2), abs=1e-8)


@pytest.mark.parametrize("method", ["sos1", "bigm", "strong_duality"])
def test_linear_damage_matches_the_closed_form(method):
    """Damage = the prediction for the first validation patient: a linear leader objective."""
    module, data = load_domain("adversarial")
    model = module.build(data)
    patient = data["validation"].iloc[0]
    model.obj.deactivate()
    model.shift = pyo.Objective(expr=sum(float(patient[j]) * model.fit.w[j] for j in module.FEATURES), sense=pyo.maximize)
    res = bl.solve(model, method=method)
    assert res.ok, res.message
    w0, gain, _, _ = ridge_map(module, data, float(data["settings"]["ridge_penalty"].iloc[0]))
    g = patient[list(module.FEATURES)].to_numpy(dtype=float) @ gain
    order = np.argsort(-np.abs(g))
    delta = np.zeros_like(g)
    delta[order[:3]] = np.sign(g[order[:3]])  # eps = 1, B = 3: three labels moved by 1
    expected = float(patient[list(module.FEATURES)].to_numpy(dtype=float) @ (w0 + gain @ delta))
    assert res.leader_objective == pytest.approx(expected, rel=1e-8)
    np.testing.assert_allclose(label_changes(model, res), delta, atol=1e-6)


def test_cli_prints_the_attack(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("adversarial"), "--data", copy_data("adversarial", tmp_path))
    assert code == 0 and "status: optimal (certified)" in out
    assert "validation MSE: 0.692094 after poisoning, 0.551229 on the true labels" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "settings.csv", 2, "max_change", "0"), "settings.csv, line 2, column max_change: 0; it must be positive"),
        (lambda d: edit_cell(d / "train.csv", 4, "target", "high"), "train.csv, line 4, column target: 'high' is not a number"),
    ],
)
def test_malformed_csv_is_refused(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "adversarial", edit, message)
