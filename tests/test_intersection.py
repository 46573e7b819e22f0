"""Improving-direction intersection cuts (pybilevel/methods/intersection.py), checked by enumeration.

A wrong cut removes a bilevel-feasible point. On small random pure-integer instances
(tests/integer_oracle.py: every variable in 0..box) every bilevel-feasible point is enumerated
(each leader decision, every follower optimum there, the leader's row) and must satisfy every
cut; on a hand-made instance the cut is the one worked out on paper and removes the LP's vertex."""
from __future__ import annotations

from itertools import product

import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp

import pybilevel as bl
from integer_oracle import random_integer_bilevel, to_pyomo
from pybilevel.io.mibs import _matrix
from pybilevel.methods.intersection import STALL_ROUNDS, _stalled, _tidy, intersection_cut_rounds
from pybilevel.methods.value_function import ValueFunctionDecomposition
from pybilevel.model.structure import analyze
from pybilevel.solvers.highs import ArrayLP

# whole rows (integer data), and halves in the linking coefficients (rows that are not whole)
# (treating the halves' rows as whole removes bilevel-feasible points at 5 of these 30 fractional seeds)
KINDS = {
    "integer": ({"box": 4, "n_x": 2, "n_y": 3}, range(12)),
    "integer-3x3": ({"box": 3, "n_x": 3, "n_y": 3}, range(12)),
    "fractional": ({"box": 4, "n_x": 3, "n_y": 2, "m": 4, "fractional": True}, range(30)),
}


def cut_rounds(model: pyo.ConcreteModel, rounds: int = 6):
    """The cuts on the high-point relaxation's LP, and the decomposition (for its columns)."""
    d = ValueFunctionDecomposition(analyze(model))
    hpr = d.hpr
    cuts = intersection_cut_rounds(hpr.A, hpr.row_lower, hpr.row_upper, d.lower, d.upper, d.cost, d.form,
                                   d.y_cols, d.x_cols, d.integer, rounds=rounds)
    return cuts, d


def bilevel_feasible(p) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every (x, y) with y a follower optimum at x (all of them, ties included) and the leader's row met."""
    ys = np.array(list(product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.y_lb, p.y_ub)))), dtype=float)
    points = []
    for x in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.x_lb, p.x_ub))):
        x = np.array(x, dtype=float)
        feasible = ys[(ys @ p.B.T <= p.b - p.A @ x + 1e-9).all(axis=1)]
        if not len(feasible):
            continue
        values = feasible @ p.d
        for y in feasible[values <= values.min() + 1e-9]:
            if (p.Gx @ x + p.Gy @ y <= p.g + 1e-9).all():
                points.append((x, y))
    return points


@pytest.mark.parametrize("kind", KINDS)
def test_every_cut_keeps_every_bilevel_feasible_point(kind):
    options, seeds = KINDS[kind]
    cut_count, cases_with_cuts = 0, 0
    for seed in seeds:
        p, (optimum, _, _) = random_integer_bilevel(seed, **options)
        model = to_pyomo(p)
        cuts, d = cut_rounds(model)
        x_cols = [d.hpr.column_of(model.x[i]) for i in range(p.n_x)]
        y_cols = [d.hpr.column_of(model.f.y[j]) for j in range(p.n_y)]
        points = bilevel_feasible(p)
        assert points, (kind, seed)
        z = np.zeros((len(points), len(d.hpr.columns)))
        for k, (x, y) in enumerate(points):
            z[k, x_cols], z[k, y_cols] = x, y
        activity = z @ cuts.A.toarray().T  # one column per cut
        worst = (activity - cuts.lower).min(initial=np.inf)
        assert worst >= -1e-7, f"{kind} seed {seed}: a cut removes a bilevel-feasible point by {-worst:g}"
        # the LP bound only rises, and stays a bound on the leader's optimum (enumerated)
        assert np.all(np.diff(cuts.bounds) >= -1e-7), (kind, seed, cuts.bounds)
        assert cuts.bounds[-1] <= optimum + 1e-6, (kind, seed, cuts.bounds, optimum)
        cut_count += cuts.A.shape[0]
        cases_with_cuts += cuts.A.shape[0] > 0
    assert cases_with_cuts >= len(seeds) // 3, (kind, cases_with_cuts, cut_count)  # the check above saw real cuts


def test_cuts_on_the_value_function_master_keep_every_bilevel_feasible_point():
    """The cut rounds on the master's LP (high-point relaxation + unit-step rows and binaries, as
    value_function builds it): every bilevel-feasible point, fixed, leaves master + cuts feasible."""
    with_cuts = 0
    for seed in range(12):
        p, _ = random_integer_bilevel(seed, **KINDS["integer"][0])
        model = to_pyomo(p)
        d = ValueFunctionDecomposition(analyze(model))
        lp = d.master.highs.getLp()
        A, n = _matrix(lp), len(d.hpr.columns)
        lower, upper = np.array(lp.col_lower_), np.array(lp.col_upper_)
        integer = np.append(d.integer, np.ones(A.shape[1] - n, dtype=bool))
        cuts = intersection_cut_rounds(A, lp.row_lower_, lp.row_upper_, lower, upper,
                                       np.append(d.cost, np.zeros(A.shape[1] - n)), d.form, d.y_cols, d.x_cols, integer)
        with_cuts += cuts.A.shape[0] > 0
        master = ArrayLP(sp.vstack([A, cuts.A]), np.append(lp.row_lower_, cuts.lower),
                         np.append(lp.row_upper_, cuts.upper), lower, upper)
        x_cols = [d.hpr.column_of(model.x[i]) for i in range(p.n_x)]
        y_cols = [d.hpr.column_of(model.f.y[j]) for j in range(p.n_y)]
        for x, y in bilevel_feasible(p):
            z = np.zeros(n)
            z[x_cols], z[y_cols] = x, y
            master.set_col_bounds(np.arange(n), z, z)
            assert master.solve(np.zeros(A.shape[1])).status == "optimal", (seed, x, y)
    assert with_cuts >= 4, with_cuts  # the check above saw real cuts


def test_the_cut_on_a_hand_made_instance():
    """x, y in 0..4 integer; follower min -y s.t. y <= x (so y = x); leader min -x + y.

    The LP vertex is (4, 0) (bound -4), not bilevel feasible. The improving direction w = +1
    gives C = {y - x < 0, y < 4} (y <= x relaxed by 1 and shifted back by w; y's bound 4 + 1 - 1);
    the rays from (4, 0), x down and y up, leave C after 4 steps each: the cut is
    (4 - x)/4 + y/4 >= 1, that is -x + y >= 0, and the LP bound becomes 0, the bilevel optimum."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.Integers, bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.Integers, bounds=(0, 4))
    m.f.row = pyo.Constraint(expr=m.f.y <= m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=-m.x + m.f.y)
    cuts, d = cut_rounds(m, rounds=3)
    x, y = d.hpr.column_of(m.x), d.hpr.column_of(m.f.y)
    assert cuts.A.shape[0] == 1  # after it the LP vertex is bilevel feasible: no improving direction from it
    row = cuts.A.toarray()[0]
    assert row[x] == pytest.approx(-1.0) and row[y] == pytest.approx(1.0)  # scaled to largest coefficient 1
    assert cuts.lower[0] == pytest.approx(0.0, abs=1e-5)
    vertex = np.zeros(2)
    vertex[x] = 4
    assert row @ vertex < cuts.lower[0] - 0.9  # the vertex (4, 0) is cut off
    assert cuts.bounds == pytest.approx([-4.0, 0.0], abs=1e-5)


def test_a_dropped_coefficient_relaxes_the_cut_by_its_term():
    """z1 + 5e-10 z2 >= 1 with z2 in [-1e9, 1e9]: dropping the tiny term leaves z1 >= 0.5, which
    every point of the original cut still satisfies (z1 = 0.6, z2 = 1e9 among them)."""
    a, lower = _tidy(np.array([1.0, 5e-10]), 1.0, np.array([0.0, -1e9]), np.array([1.0, 1e9]), np.zeros(2))
    assert a == pytest.approx([1.0, 0.0]) and lower == pytest.approx(0.5)
    grid = np.array(list(product(np.linspace(0, 1, 11), np.linspace(-1e9, 1e9, 21))))
    kept = grid[grid @ [1.0, 5e-10] >= 1.0]
    assert len(kept) and (kept @ a >= lower - 1e-12).all()


def test_rounds_stop_when_the_bound_stalls():
    """Stop once the last STALL_ROUNDS rounds moved the bound by under 1 % of its move so far."""
    rising = [float(k) for k in range(STALL_ROUNDS + 5)]
    assert not _stalled(rising)
    step = 1.0 / (STALL_ROUNDS - 1)
    flat_tail = [0.0, 100.0] + [100.0 + 0.8 * step * k for k in range(STALL_ROUNDS)]  # 0.8 in the last rounds < 1 %
    assert _stalled(flat_tail)
    slow_tail = [0.0, 100.0] + [100.0 + 1.2 * step * k for k in range(STALL_ROUNDS)]  # 1.2 > 1 % of 101.2
    assert not _stalled(slow_tail)
    assert not _stalled([5.0] * STALL_ROUNDS)  # too few rounds to judge
