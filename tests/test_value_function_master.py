"""value_function's master strengthenings, each checked for validity by enumeration.

A wrong strengthening cuts off a bilevel-feasible point. These tests check them against every
integer point of small random instances (tests/integer_oracle.py), independently of whether a
solve happens to reach that point: every follower optimum at every leader decision satisfies
the unit-step rows and the conditions of learnt improving steps (and some non-optimal answer
does not), and the robust response is never below the follower's value."""
from __future__ import annotations

from itertools import product

import numpy as np
import pytest

from integer_oracle import random_integer_bilevel, to_pyomo
from pybilevel.methods import value_function
from pybilevel.methods.value_function import ValueFunctionDecomposition
from pybilevel.model.structure import analyze

# binary leader and integer follower in 0..2; integer leader in 0..2; halves in the linking
# coefficients; one continuous follower variable (whose steps are not constrained)
KINDS = {
    "binary-leader": {"box": 1, "y_box": 2, "n_x": 4, "n_y": 3},
    "integer-leader": {"box": 2, "n_x": 3, "n_y": 3},
    "fractional": {"box": 1, "y_box": 2, "n_x": 3, "n_y": 3, "fractional": True},
    "mixed": {"box": 2, "n_x": 2, "n_y": 3, "mixed": True},
}
CASES = [(kind, seed) for kind in KINDS for seed in range(10)]


def setting(kind: str, seed: int):
    """The instance, its decomposition (not run), every leader decision, and the positions of
    the instance's x and y in the high-point relaxation's columns."""
    p, _ = random_integer_bilevel(seed, **KINDS[kind])
    model = to_pyomo(p)
    decomposition = ValueFunctionDecomposition(analyze(model))
    hpr = decomposition.hpr
    cols = ([hpr.column_of(model.x[i]) for i in range(p.n_x)], [hpr.column_of(model.f.y[j]) for j in range(p.n_y)])
    xs = [np.array(x, dtype=float) for x in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.x_lb, p.x_ub)))]
    return p, decomposition, xs, cols


def integer_answers(p, x: np.ndarray) -> list[np.ndarray]:
    """Every follower-feasible y at x (all follower variables integer)."""
    ys = (np.array(y, dtype=float) for y in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.y_lb, p.y_ub))))
    return [y for y in ys if (p.A @ x + p.B @ y <= p.b + 1e-9).all()]


def admits(decomposition: ValueFunctionDecomposition, cols, x: np.ndarray, y: np.ndarray) -> bool:
    """Whether the master (high-point relaxation + unit-step rows, before any cut) has a point
    with these x and y (its step binaries free)."""
    master, n = decomposition.master, len(decomposition.hpr.columns)
    z = np.zeros(n)
    z[cols[0]], z[cols[1]] = x, y
    master.set_col_bounds(np.arange(n), z, z)
    return master.solve(np.zeros(master.n_cols)).status == "optimal"


def improving_steps(p, d: ValueFunctionDecomposition, cols, seed: int, count: int = 4) -> list[np.ndarray]:
    """Random improving steps of the follower's integer variables, in the instance's y order
    (entries -2..2; zero on a continuous variable)."""
    rng = np.random.default_rng(seed)
    order = [list(d.y_cols).index(c) for c in cols[1]]  # the instance's y_j is the form's variable order[j]
    cost = d.form.c[order]  # minimisation form
    integer = np.asarray(d.form.integer, dtype=bool)[order]
    steps: list[np.ndarray] = []
    while len(steps) < count:
        step = np.where(integer, rng.integers(-2, 3, p.n_y), 0).astype(float)
        if cost @ step < -1e-9:
            steps.append(step)
    return steps


def add_steps(d: ValueFunctionDecomposition, cols, steps: list[np.ndarray]) -> None:
    """Learn each step (given in the instance's y order) as the master's step cut."""
    order = [list(d.y_cols).index(c) for c in cols[1]]
    for step in steps:
        in_form = np.zeros(len(d.y_cols))
        in_form[order] = step
        d.add_step_cut(in_form)


@pytest.mark.parametrize("kind, seed", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_every_follower_optimum_satisfies_the_step_rows(kind, seed):
    p, d, xs, cols = setting(kind, seed)
    add_steps(d, cols, improving_steps(p, d, cols, seed))
    sign = -1 if p.follower_max else 1
    checked = 0
    for x in xs:
        phi = p.follower_value(x)
        if phi is None:
            continue
        if kind == "mixed":  # the leader's best optimum, its continuous part from the oracle's LP
            found = p.best_response(x)
            optima = [] if found is None else [found[1]]
        else:
            optima = [y for y in integer_answers(p, x) if sign * p.d @ y <= phi + 1e-9]
        for y in optima:
            if len(p.g) and (p.Gx @ x + p.Gy @ y > p.g + 1e-9).any():
                continue  # outside the high-point relaxation (the leader's rows)
            assert admits(d, cols, x, y), (x, y)
            checked += 1
    assert checked > 0


def test_unit_step_rows_exclude_improvable_answers():
    """Not vacuous: follower-feasible answers that a unit step improves are excluded."""
    excluded = 0
    for seed in range(6):
        p, d, xs, cols = setting("binary-leader", seed)
        sign = -1 if p.follower_max else 1
        for x in xs[:4]:
            for y in integer_answers(p, x):
                steps = [y + s * e for e in np.eye(p.n_y) for s in (1, -1)]
                improvable = any((p.y_lb <= t).all() and (t <= p.y_ub).all() and (p.A @ x + p.B @ t <= p.b + 1e-9).all()
                                 and sign * p.d @ t < sign * p.d @ y - 1e-9 for t in steps)
                if improvable and (not len(p.g) or (p.Gx @ x + p.Gy @ y <= p.g + 1e-9).all()):
                    assert not admits(d, cols, x, y), (seed, x, y)
                    excluded += 1
    assert excluded > 10


def test_learnt_step_rows_exclude_answers_the_step_improves():
    """Not vacuous: a follower-feasible answer y with y + step feasible at x (and the step improving)
    is excluded once the step is learnt, even where no unit step improves it."""
    excluded = 0
    for seed in range(6):
        p, d, xs, cols = setting("integer-leader", seed)
        steps = improving_steps(p, d, cols, seed, count=6)
        add_steps(d, cols, steps)
        assert d.step_cuts > 0
        for x in xs[:6]:
            for y in integer_answers(p, x):
                improved = any((p.y_lb <= y + s).all() and (y + s <= p.y_ub).all() and (p.A @ x + p.B @ (y + s) <= p.b + 1e-9).all()
                               for s in steps)
                if improved and (not len(p.g) or (p.Gx @ x + p.Gy @ y <= p.g + 1e-9).all()):
                    assert not admits(d, cols, x, y), (seed, x, y)
                    excluded += 1
    assert excluded > 10


@pytest.mark.parametrize("kind, seed", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_robust_response_bounds_the_follower_value_at_every_bilevel_feasible_decision(kind, seed):
    p, d, xs, _ = setting(kind, seed)
    d.tighten_row_ranges(lambda: None)
    d.add_robust_cut(None)
    values = [p.follower_value(x) for x in xs if p.best_response(x) is not None]  # phi, minimisation form
    assert max(values) <= d.value_max


@pytest.mark.parametrize("seed", range(8))
def test_local_search_ends_at_a_bilevel_feasible_local_optimum(seed):
    """From the worst bilevel-feasible decision, the local search ends at a decision whose value the
    oracle confirms, no worse than the start, that no single move of one linking variable by +-1
    improves (by the oracle's best response there)."""
    p, d, xs, cols = setting("integer-leader", seed)
    values = {tuple(x): found[0] for x in xs if (found := p.best_response(x)) is not None}
    assert values  # these seeds' instances are bilevel feasible
    start = max(values, key=values.get)
    point = np.zeros(len(d.hpr.columns))
    point[cols[0]] = start
    upper, best = d._evaluate(point, set(), np.inf, None, None)
    assert upper == pytest.approx(values[start])
    upper, best = d._local_search(best, upper, set(), lambda: None)
    x = np.round(best[cols[0]])
    assert upper == pytest.approx(values[tuple(x)]) and upper <= values[start] + 1e-9
    link = [i for i, c in enumerate(cols[0]) if c in set(d.link_cols)]
    for i, step in product(link, (1, -1)):
        neighbour = x.copy()
        neighbour[i] += step
        if tuple(neighbour) in values:
            assert values[tuple(neighbour)] >= upper - 1e-9, (x, neighbour)


@pytest.mark.parametrize("time_limit, cap", [(None, 10.0), (30.0, 3.0), (500.0, 10.0)])
def test_strengthenings_get_a_share_of_the_time(time_limit, cap, monkeypatch):
    """The robust response and the intersection cuts are strengthenings: each gets at most a tenth
    of the time left and 10 s (on a 200 x 200 random family the robust MILP alone had run 100 s of
    a 100 s limit). The cuts wait DEFER_SECONDS (0 here)."""
    _, decomposition, _, _ = setting("integer-leader", 0)
    given = []
    monkeypatch.setattr(value_function, "DEFER_SECONDS", 0.0)
    monkeypatch.setattr(decomposition, "add_robust_cut", lambda limit: given.append(limit))
    monkeypatch.setattr(decomposition, "intersection_bound", lambda limit: given.append(limit) or -np.inf)
    decomposition.run(time_limit)
    assert len(given) == 2 and all(0.9 * cap <= limit <= cap + 1e-9 for limit in given), given


def test_easy_instances_skip_the_deferred_strengthenings(monkeypatch):
    """Proven before DEFER_SECONDS: neither the intersection-cut bound nor the local search runs
    (they made BOBILib's 2AP05 assignment games 4-5 times slower)."""
    _, decomposition, _, _ = setting("integer-leader", 0)
    called = []
    monkeypatch.setattr(decomposition, "intersection_bound", lambda limit: called.append("cuts") or -np.inf)
    monkeypatch.setattr(decomposition, "_local_search", lambda *args: called.append("search") or args[:2][::-1])
    run = decomposition.run(60)
    assert run.status == "optimal" and called == []
