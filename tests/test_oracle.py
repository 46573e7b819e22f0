"""Checks of the brute-force oracle, and of the problem library with the oracle."""
from __future__ import annotations

import math

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

from oracle import TinyBilevel, random_tiny_bilevel, tiny_from_model
from problem_library import PROBLEMS, LibraryProblem

NONE = np.zeros((0, 1))


# ------------------------------------------------------- closed-form problems
def test_lp_closed_form():
    """min -x - 3y, 0 <= x <= 2; y = argmax{y : y <= x, y <= 2 - x}: y = min(x, 2 - x),
    so F = -x - 3 min(x, 2 - x) is minimal at x = 1, y = 1, F = -4."""
    tiny = TinyBilevel(cx=[-1], cy=[-3], A=[[-1], [1]], B=[[1], [1]], b=[0, 2], d=[1],
                       follower_max=True, x_lb=[0], x_ub=[2])
    value, x, y = tiny.solve_by_enumeration()
    assert value == pytest.approx(-4) and x == pytest.approx([1]) and y == pytest.approx([1])
    assert tiny.solve_follower([0.5])[0] == pytest.approx(0.5)


def test_maximising_leader_closed_form():
    """The same problem with the leader maximising x + 3y: F = 4 at (1, 1)."""
    tiny = TinyBilevel(cx=[1], cy=[3], A=[[-1], [1]], B=[[1], [1]], b=[0, 2], d=[1],
                       follower_max=True, leader_max=True, x_lb=[0], x_ub=[2])
    value, x, _ = tiny.solve_by_enumeration()
    assert value == pytest.approx(4) and x == pytest.approx([1])


def test_optimistic_tie_breaking():
    """Follower min y1 + y2 s.t. y1 + y2 >= x is indifferent between its optima; the
    leader (min -y1 + 2 y2, 0 <= x <= 3) gets y = (x, 0), hence F = -3 at x = 3.
    A pessimistic reading would give y = (0, x) and a different answer."""
    tiny = TinyBilevel(cx=[0], cy=[-1, 2], A=[[1]], B=[[-1, -1]], b=[0], d=[1, 1], x_lb=[0], x_ub=[3])
    value, x, y = tiny.solve_by_enumeration()
    assert value == pytest.approx(-3) and x == pytest.approx([3]) and y == pytest.approx([3, 0])


def test_qp_closed_form():
    """min (x-2)^2 + y^2; y = argmin{0.5 y^2 - x y : 0 <= y <= 1} = clip(x, 0, 1).
    For x <= 1, F = (x-2)^2 + x^2 >= 2; for x >= 1, F = (x-2)^2 + 1: x = 2, y = 1, F = 1."""
    tiny = TinyBilevel(cx=[-4], cy=[0], P=np.diag([2.0, 2.0]), leader_const=4, A=NONE, B=NONE, b=[],
                       d=[0], Q=[[1]], D=[[-1]], y_ub=[1])
    value, x, y = tiny.solve_by_enumeration()
    assert value == pytest.approx(1, abs=1e-6)
    assert x == pytest.approx([2], abs=1e-4) and y == pytest.approx([1], abs=1e-6)
    assert tiny.is_follower_optimal([0.3], [0.3]) and not tiny.is_follower_optimal([0.3], [0.5])


def _cap_problem(coupled: bool, x_ub: float) -> TinyBilevel:
    """min -y over 0 <= x <= x_ub; y = argmax{y : y <= 2} plus the row y <= 1 + x,
    either as a coupling (leader) row or as a follower row."""
    row = dict(Gx=[[-1]], Gy=[[1]], g=[1]) if coupled else {}
    A, B, b = ([[0]], [[1]], [2]) if coupled else ([[0], [-1]], [[1], [1]], [2, 1])
    return TinyBilevel(cx=[0], cy=[-1], A=A, B=B, b=b, d=[1], follower_max=True, x_lb=[0], x_ub=[x_ub], **row)


def test_coupling_constraint_differs_from_follower_constraint():
    """As a coupling row, y <= 1 + x only admits x where the follower's answer y = 2 fits,
    i.e. x = 1 (F = -2), and nothing when x <= 0.5. As a follower row it caps the answer
    at y = 1 + x, so with x <= 0.5 the optimum is x = 0.5, y = 1.5, F = -1.5."""
    value, x, y = _cap_problem(True, 1.0).solve_by_enumeration()
    assert value == pytest.approx(-2) and x == pytest.approx([1]) and y == pytest.approx([2])
    assert _cap_problem(True, 0.5).solve_by_enumeration() is None
    value, x, y = _cap_problem(False, 0.5).solve_by_enumeration()
    assert value == pytest.approx(-1.5) and x == pytest.approx([0.5]) and y == pytest.approx([1.5])


def test_infeasible_and_unbounded():
    infeasible = TinyBilevel(cx=[0], cy=[1], A=[[0]], B=[[1]], b=[1], d=[-1], Gx=[[0]], Gy=[[-1]], g=[-2],
                             x_lb=[0], x_ub=[1])
    assert infeasible.solve_by_enumeration() is None
    assert infeasible.solve_by_enumeration(prune=False) is None
    unbounded = TinyBilevel(cx=[-1], cy=[0], A=[[1]], B=[[-1]], b=[0], d=[1])
    assert unbounded.solve_by_enumeration()[0] == -math.inf


# ---------------------------------------------------------- random instances
def _optimistic_value(tiny: TinyBilevel, x: np.ndarray) -> float:
    """Leader's best value over the follower's optimal set at x (LP, minimising follower), by linprog."""
    best = tiny.solve_follower(x)
    A, B, b = tiny.follower_rows()
    optimal_face = np.vstack([B, tiny.d[None, :]])
    rhs = np.concatenate([b - A @ x, [best[0] + 1e-9 * (1 + abs(best[0]))]])
    res = linprog(tiny.cy, A_ub=optimal_face, b_ub=rhs, bounds=[(0, None)] * tiny.n_y, method="highs")
    return float(tiny.cx @ x + res.fun)


@pytest.mark.parametrize("seed", [0, 3, 5, 8])
def test_random_against_grid_search(seed):
    """Oracle vs. the optimistic value function V sampled on a grid over the x box.

    The instances have no coupling rows, a follower feasible and bounded on the whole
    box and random real costs (unique follower optimum almost surely), so V is continuous
    and piecewise linear. (i) Every grid value is an attained bilevel value, so the oracle
    may not be worse than the grid minimum beyond solver noise (1e-6). (ii) The grid is
    cell-centred (it never contains the box corners, where many optima sit), and the
    optimum lies within h/2 of a grid point along each axis, so the grid minimum exceeds
    min V by at most L*h, L the largest partial slope of V; L is estimated from
    neighbouring grid values and the bound doubled in case a steep piece falls between
    grid points. Seeds 5 and 8 have optima off the box vertices.
    """
    tiny = random_tiny_bilevel(seed)
    value, x, y = tiny.solve_by_enumeration()
    assert tiny.is_follower_optimal(x, y) and tiny.leader_feasible(x, y)
    assert tiny.leader_value(x, y) == pytest.approx(value)
    n = 24
    h = 3.0 / n
    axis = (np.arange(n) + 0.5) * h
    grid = np.array([[_optimistic_value(tiny, np.array([a, b])) for b in axis] for a in axis])
    assert grid.min() >= value - 1e-6
    slope = max(np.abs(np.diff(grid, axis=0)).max(), np.abs(np.diff(grid, axis=1)).max()) / h
    assert grid.min() <= value + 2 * slope * h + 1e-6


@pytest.mark.parametrize("seed", range(6))
def test_pruning_matches_full_enumeration(seed):
    """The pruned tree search returns the optimum of the full 2**m enumeration."""
    tiny = random_tiny_bilevel(100 + seed, n_y=3, m=3, coupling=seed % 2 == 1)
    pruned, full = tiny.solve_by_enumeration(), tiny.solve_by_enumeration(prune=False)
    assert pruned[0] == pytest.approx(full[0], abs=1e-7)
    assert tiny.is_follower_optimal(pruned[1], pruned[2]) and tiny.leader_feasible(pruned[1], pruned[2])


# ------------------------------------------------------------ problem library
def test_library_composition():
    names = [p.name for p in PROBLEMS]
    assert len(names) == len(set(names)) and len(PROBLEMS) >= 30
    assert sum(p.leader_class == p.follower_class == "LP" for p in PROBLEMS) >= 22
    assert sum("QP" in (p.leader_class, p.follower_class) for p in PROBLEMS) >= 6


@pytest.mark.parametrize("problem", PROBLEMS, ids=lambda p: p.name)
def test_library_problem(problem: LibraryProblem):
    """The oracle reproduces the expected optimum; the recorded point attains it."""
    model = problem.build()
    tiny, xnames, ynames = tiny_from_model(model)
    assert problem.leader_class == ("QP" if np.any(tiny.P) else "LP")
    assert problem.follower_class == ("QP" if np.any(tiny.Q) or np.any(tiny.D) else "LP")
    value, _, _ = tiny.solve_by_enumeration()
    assert value == pytest.approx(problem.leader_objective, rel=1e-6, abs=1e-6)
    if len(tiny.follower_rows()[2]) <= 9:  # the full 2**m enumeration agrees (cheap up to m = 9)
        assert tiny.solve_by_enumeration(prune=False)[0] == pytest.approx(value, rel=1e-7, abs=1e-7)
    if not problem.leader_values:
        return
    assert set(problem.leader_values) == set(xnames) and set(problem.follower_values) == set(ynames)
    x = np.array([problem.leader_values[n] for n in xnames], dtype=float)
    y = np.array([problem.follower_values[n] for n in ynames], dtype=float)
    assert tiny.leader_feasible(x, y) and tiny.is_follower_optimal(x, y)
    assert tiny.leader_value(x, y) == pytest.approx(problem.leader_objective, rel=1e-6, abs=1e-6)
    for var in model.component_data_objects(pyo.Var):
        var.set_value(problem.leader_values.get(var.name, problem.follower_values.get(var.name)))
    follower_obj = next(model.f.component_data_objects(pyo.Objective))
    if problem.follower_objective is not None:
        assert pyo.value(follower_obj) == pytest.approx(problem.follower_objective, rel=1e-6, abs=1e-6)
