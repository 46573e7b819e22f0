"""Feature-selection domain: the bilevel subset against brute force over every subset of at
most k features, each fitted by numpy least squares with the same ridge term."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

import pybilevel as bl
from domain_helpers import (
    assert_refused,
    copy_data,
    drop_column,
    edit_cell,
    load_domain,
    model_path,
    ridge_fit,
    run_cli,
)


def brute_force(module, data) -> dict[tuple[str, ...], float]:
    """Validation error of the ridge fit on every subset of at most max_features features."""
    settings = data["settings"].iloc[0]
    train, valid = data["train"], data["validation"]
    n = len(train)
    errors = {}
    for size in range(int(settings["max_features"]) + 1):
        for subset in combinations(module.FEATURES, size):
            columns = list(subset)
            # (1/(2n))||Xw - y||^2 + (ridge/2)||w||^2  =  (1/n) [0.5||Xw - y||^2 + 0.5 (n ridge) ||w||^2]
            w = ridge_fit(train[columns].to_numpy(), train["y"].to_numpy(), n * settings["ridge"]) if columns else np.zeros(0)
            errors[subset] = float(np.mean((valid[columns].to_numpy() @ w - valid["y"].to_numpy()) ** 2))
    return errors


@pytest.mark.parametrize("method", ["sos1", "bigm"])
def test_subset_matches_brute_force(method):
    module, data = load_domain("feature_selection")
    res = bl.solve(module.build(data), method=method)
    assert res.ok
    errors = brute_force(module, data)
    best = min(errors, key=errors.get)
    chosen = tuple(j for j in module.FEATURES if res.leader[f"use[{j}]"] > 0.5)
    assert chosen == best
    # same subset, same ridge fit: the validation errors agree to SCIP's 1e-6 feasibility tolerance
    assert res.leader_objective == pytest.approx(errors[best], abs=1e-6)
    second = sorted(errors.values())[1]
    assert second - errors[best] > 1e-3  # the optimum is not a near-tie the tolerance could flip


def test_cli_prints_the_selected_features(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("feature_selection"), "--data", copy_data("feature_selection", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "selected 3 of 8 features (at most 3): x1, x4, x6" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "validation.csv", 6, "x7", "n/a"), "validation.csv, line 6, column x7: 'n/a' is not a number"),
        (lambda d: drop_column(d / "train.csv", "x3"), "train.csv: missing column(s) x3"),
        (lambda d: edit_cell(d / "settings.csv", 2, "max_features", "2.5"), "settings.csv, line 2, column max_features: '2.5' is not a whole number"),
        (lambda d: edit_cell(d / "settings.csv", 2, "max_features", "9"), "settings.csv, line 2, column max_features: 9; it must be between 1 and 8"),
        (lambda d: edit_cell(d / "settings.csv", 2, "ridge", "-1"), "settings.csv, line 2, column ridge: -1; it must be > 0"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "feature_selection", edit, message)
