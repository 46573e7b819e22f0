"""Robust supply plan domain: the bilevel min-max against the plan optimised over every vertex of U.

Reference, independent of pybilevel: the worst case of a linear loss over the polytope
U = {0 <= xi <= 1, sum xi <= Gamma} is attained at a vertex, so the robust plan solves one LP,
min nominal @ x + theta  s.t.  theta >= sum_j deviation_j x_j v_j for every vertex v of U,
sum x = D, 0 <= x <= capacity (scipy's linprog). The vertices of U are the 0/1 vectors with at most
floor(Gamma) ones and, for fractional Gamma, those with floor(Gamma) ones and one entry Gamma - floor(Gamma).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli


def vertices(n: int, budget: float) -> list[np.ndarray]:
    whole, fraction = int(np.floor(budget)), budget - np.floor(budget)
    found = []
    for k in range(whole + 1):
        for ones in combinations(range(n), k):
            v = np.zeros(n)
            v[list(ones)] = 1.0
            found.append(v)
            if k == whole and fraction > 0:
                for j in set(range(n)) - set(ones):
                    w = v.copy()
                    w[j] = fraction
                    found.append(w)
    return found


def robust_plan(data) -> tuple[float, np.ndarray]:
    """(worst-case cost, plan) of the LP over all vertices of U."""
    suppliers, settings = data["suppliers"], data["settings"].iloc[0]
    nominal, deviation = suppliers["nominal_cost"].to_numpy(), suppliers["cost_deviation"].to_numpy()
    n = len(suppliers)
    cuts = np.array([np.append(deviation * v, -1.0) for v in vertices(n, settings["budget"])])
    res = linprog(np.append(nominal, 1.0), A_ub=cuts, b_ub=np.zeros(len(cuts)), A_eq=[np.append(np.ones(n), 0.0)],
                  b_eq=[settings["demand"]], bounds=[(0.0, c) for c in suppliers["capacity"]] + [(None, None)])
    assert res.status == 0
    return res.fun, res.x[:n]


def worst_case(data, plan: np.ndarray) -> float:
    """The plan's cost at its worst vertex."""
    suppliers, budget = data["suppliers"], data["settings"].loc[0, "budget"]
    deviation = suppliers["cost_deviation"].to_numpy()
    return float(suppliers["nominal_cost"].to_numpy() @ plan + max(deviation * plan @ v for v in vertices(len(plan), budget)))


@pytest.mark.parametrize("budget", [0.0, 1.0, 1.5, 2.0, 3.0])
def test_matches_vertex_enumeration(budget):
    module, data = load_domain("robust_design")
    data["settings"].loc[0, "budget"] = budget
    res = bl.solve(module.build(data), method=module.METHOD)
    assert res.ok
    expected, _ = robust_plan(data)
    plan = np.array([res.leader[f"buy[{j}]"] for j in data["suppliers"]["supplier"]])
    # SCIP solves the single-level model to a 1e-9 relative gap and 1e-6 relative feasibility;
    # on these data the answers agree to 5e-11 relative, so 1e-8 is tight with room to spare
    assert res.leader_objective == pytest.approx(expected, rel=1e-8)
    assert worst_case(data, plan) == pytest.approx(expected, rel=1e-8)


def test_cli_prints_plan_and_worst_case(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("robust_design"), "--data", copy_data("robust_design", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "worst-case cost 43147.6 = nominal 39244 + worst-case extra 3903.61" in out
    assert "nuclear: buy 300.0000, exposure deviation x amount 1800\n" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "suppliers.csv", 3, "capacity", "big"), "suppliers.csv, line 3, column capacity: 'big' is not a number"),
        (lambda d: edit_cell(d / "suppliers.csv", 6, "cost_deviation", "-1"), "suppliers.csv, line 6, column cost_deviation: negative for hydro"),
        (lambda d: edit_cell(d / "settings.csv", 2, "budget", "7"), "settings.csv, line 2, column budget: 7 must lie in [0, 6]"),
        (lambda d: edit_cell(d / "settings.csv", 2, "demand", "5000"), "settings.csv, line 2, column demand: 5000 exceeds the total capacity 1600"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "robust_design", edit, message)
