"""The value_function master's strengthenings, each checked for validity by enumeration.

A wrong cut cuts off a bilevel-feasible point; these tests check every cut against every
integer point of small random instances (tests/integer_oracle.py), independently of whether a
solve happens to reach the cut-off point: neighbourhood cuts (D = 0 at their decision, D >= 1
wherever their response is infeasible, D >= 0 everywhere), the unit-step rows (every follower
optimum at every decision satisfies them) and the robust response (never below phi)."""
from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from integer_oracle import random_integer_bilevel, to_pyomo

from pybilevel.methods.value_function import ValueFunctionDecomposition
from pybilevel.methods.value_function_cuts import neighbourhood_deviation
from pybilevel.model.structure import analyze

# binary leader, integer follower in 0..2; general integer leader in 0..2; fractional linking data
KINDS = {
    "binary-leader": {"box": 1, "y_box": 2, "n_x": 4, "n_y": 3},
    "integer-leader": {"box": 2, "n_x": 3, "n_y": 3},
    "fractional": {"box": 1, "y_box": 2, "n_x": 3, "n_y": 3, "fractional": True},
}
CASES = [(kind, seed) for kind in KINDS for seed in range(10)]


def setting(kind: str, seed: int):
    p, _ = random_integer_bilevel(seed, **KINDS[kind])
    model = to_pyomo(p)
    decomposition = ValueFunctionDecomposition(analyze(model))
    hpr = decomposition.hpr
    decomposition.test_x = [hpr.column_of(model.x[i]) for i in range(p.n_x)]  # p's order in the columns
    decomposition.test_y = [hpr.column_of(model.f.y[j]) for j in range(p.n_y)]
    xs = [np.array(x, dtype=float) for x in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.x_lb, p.x_ub)))]
    ys = [np.array(y, dtype=float) for y in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.y_lb, p.y_ub)))]
    return p, decomposition, xs, ys


def columns(decomposition: ValueFunctionDecomposition, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(x, y) placed in the high-point relaxation's columns."""
    z = np.zeros(len(decomposition.hpr.columns))
    z[decomposition.test_x], z[decomposition.test_y] = x, y
    return z


def order(decomposition: ValueFunctionDecomposition) -> np.ndarray:
    """Position in p's y of each follower variable of the follower form."""
    return np.array([decomposition.test_y.index(c) for c in decomposition.y_cols])


def feasible(p, x: np.ndarray, y: np.ndarray) -> bool:
    return bool((p.A @ x + p.B @ y <= p.b + 1e-9).all())


@pytest.mark.parametrize("kind, seed", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_neighbourhood_cut_is_zero_at_its_decision_and_at_least_one_where_its_response_breaks(kind, seed):
    p, d, xs, ys = setting(kind, seed)
    form, written = d.form, 0
    for x_hat in xs:
        for y in (y for y in ys if feasible(p, x_hat, y)):
            dev = neighbourhood_deviation(d.leader_rows, form.row_lower, form.row_upper, form.A_y @ y[order(d)],
                                          columns(d, x_hat, y), d.lower, d.upper)
            if dev is None:
                continue
            written += 1
            value = lambda x: dev.coef @ columns(d, x, y) + dev.constant  # noqa: E731
            assert abs(value(x_hat)) <= 1e-9
            for x in xs:
                assert value(x) >= -1e-9
                if not feasible(p, x, y):
                    assert value(x) >= 1 - 1e-9, (x_hat, y, x, value(x))
    if kind != "integer-leader":  # at binary decisions every linking variable is at a bound
        assert written > 0


@pytest.mark.parametrize("kind, seed", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_every_follower_optimum_satisfies_the_unit_step_rows(kind, seed):
    p, d, xs, ys = setting(kind, seed)
    master = d.master  # the high-point relaxation plus the unit-step rows and their binaries
    n = len(d.hpr.columns)
    sign = -1 if p.follower_max else 1
    checked = 0
    for x in xs:
        phi = p.follower_value(x)
        if phi is None:
            continue
        for y in (y for y in ys if feasible(p, x, y) and sign * p.d @ y <= phi + 1e-9):
            z = columns(d, x, y)
            if (p.Gx @ x + p.Gy @ y > p.g + 1e-9).any():
                continue  # not a point of the high-point relaxation
            master.set_col_bounds(np.arange(n), z, z)
            assert master.solve(np.zeros(master.n_cols)).status == "optimal", (x, y)
            checked += 1
    assert checked > 0


def test_unit_step_rows_cut_off_an_improvable_follower_answer():
    """The rows are not vacuous: some follower-feasible, non-optimal answer is excluded."""
    excluded = 0
    for seed in range(10):
        p, d, xs, ys = setting("binary-leader", seed)
        n = len(d.hpr.columns)
        sign = -1 if p.follower_max else 1
        for x in xs[:4]:
            phi = p.follower_value(x)
            for y in (y for y in ys if feasible(p, x, y) and phi is not None and sign * p.d @ y > phi + 0.5):
                z = columns(d, x, y)
                d.master.set_col_bounds(np.arange(n), z, z)
                excluded += d.master.solve(np.zeros(d.master.n_cols)).status == "infeasible"
    assert excluded > 0


@pytest.mark.parametrize("kind, seed", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_robust_response_bounds_the_follower_value_at_every_bilevel_feasible_decision(kind, seed):
    p, d, xs, _ = setting(kind, seed)
    d.add_robust_cut(None)
    values = [p.follower_value(x) for x in xs if p.best_response(x) is not None]  # phi, minimisation form
    assert max(values) <= d.value_max
