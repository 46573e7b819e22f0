"""The nonlinear problem library against its independent reference (tests/nlp_reference.py).

Each problem's ``leader_objective`` is re-derived by the cheap grid + zoom reference and
must agree within ``REL_TOL * max(1, |F*|)``; the reference itself is checked on small
problems with closed-form answers. The whole file takes about 30 s on one core.
"""
from __future__ import annotations

import pyomo.environ as pyo
import pytest

import pybilevel as bl
from nlp_library import FOLLOWER_CLASSES, LEADER_CLASSES, NLP_PROBLEMS, PUBLISHED
from nlp_reference import Settings, check, reference_optimum
from problem_library import LibraryProblem

REL_TOL = 1e-4  # the cheap reference is within 1e-5 relative on every problem (see nlp_reference)


def _tol(value: float) -> float:
    return REL_TOL * max(1.0, abs(value))


@pytest.mark.parametrize("problem", NLP_PROBLEMS, ids=lambda p: p.name)
def test_reference_finds_library_optimum(problem: LibraryProblem):
    res = check(problem.name, problem.build)
    assert res.value == pytest.approx(problem.leader_objective, abs=_tol(problem.leader_objective)), (
        f"reference {res.value} at x = {res.x}, y = {res.y}")


@pytest.mark.parametrize("problem", [p for p in NLP_PROBLEMS if p.leader_values or p.follower_values],
                         ids=lambda p: p.name)
def test_recorded_point_is_feasible_and_attains_the_values(problem: LibraryProblem):
    """The published/derived optimal point satisfies every constraint and gives F* (and f*)."""
    m = problem.build()
    values = {**problem.leader_values, **problem.follower_values}
    for name, val in values.items():
        m.find_component(name).set_value(val, skip_validation=True)
    for con in m.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(con.body, exception=False)
        if body is None:  # a variable without a recorded value
            continue
        assert pyo.value(con.lower) is None or body >= pyo.value(con.lower) - 1e-7, con.name
        assert pyo.value(con.upper) is None or body <= pyo.value(con.upper) + 1e-7, con.name
    if all(v.value is not None for v in m.component_data_objects(pyo.Var)):
        leader, follower = (next(blk.component_data_objects(pyo.Objective, active=True, descend_into=False))
                            for blk in (m, m.f))
        assert pyo.value(leader) == pytest.approx(problem.leader_objective, rel=1e-9, abs=1e-9)
        if problem.follower_objective is not None:
            assert pyo.value(follower) == pytest.approx(problem.follower_objective, rel=1e-9, abs=1e-9)


def test_library_composition():
    names = [p.name for p in NLP_PROBLEMS]
    assert len(names) == len(set(names)) >= 22
    assert set(PUBLISHED) == set(names)
    assert all(p.follower_class in FOLLOWER_CLASSES and p.leader_class in LEADER_CLASSES for p in NLP_PROBLEMS)
    assert sum(p.follower_class == "convex NLP" for p in NLP_PROBLEMS) >= 8
    assert sum(p.leader_class == "NLP" and p.follower_class in ("LP", "QP") for p in NLP_PROBLEMS) >= 6
    nonconvex = [p for p in NLP_PROBLEMS if p.follower_class == "nonconvex NLP"]
    assert len(nonconvex) >= 3 and all("NONCONVEX" in p.note for p in nonconvex)


@pytest.mark.parametrize("problem", NLP_PROBLEMS, ids=lambda p: p.name)
def test_discrepancy_with_published_value_is_explained(problem: LibraryProblem):
    """Where the verified optimum differs from the published one, the note gives the published value."""
    if abs(PUBLISHED[problem.name] - problem.leader_objective) > _tol(problem.leader_objective):
        assert "publish" in problem.note.lower() or "lists" in problem.note


# ------------------------------------------------------------ the reference itself
def _model() -> tuple[pyo.ConcreteModel, pyo.Block]:
    m = pyo.ConcreteModel()
    m.f = bl.Follower()
    return m, m.f


def test_reference_flat_quartic_follower():
    """Follower argmin (y - x)^4 is y = x; leader min (x - 1)^2 + (y - 0.5)^2 gives x = y = 0.75, F = 0.125.
    A value-tolerant follower solve would let the leader move y inside the flat valley."""
    m, f = _model()
    m.x = pyo.Var(bounds=(0, 2))
    f.y = pyo.Var(bounds=(-2, 2))
    f.obj = pyo.Objective(expr=(f.y - m.x) ** 4)
    m.obj = pyo.Objective(expr=(m.x - 1) ** 2 + (f.y - 0.5) ** 2)
    res = reference_optimum(m, Settings(grid=11, levels=16))
    assert res.value == pytest.approx(0.125, abs=1e-6)
    assert res.x[0] == pytest.approx(0.75, abs=1e-3)


def test_reference_optimistic_tie_and_senses():
    """Follower max -y1 s.t. y1 >= x, y1 + y2 <= 1 fixes y1 = x and leaves y2 in [0, 1 - x]; the leader
    max y2 - x/2 takes y2 = 1 - x (optimistic), so F = 1 - 1.5 x is maximal at x = 0 with F = 1."""
    m, f = _model()
    m.x = pyo.Var(bounds=(0, 1))
    f.y = pyo.Var([1, 2], bounds=(0, 1))
    f.c = pyo.ConstraintList()
    f.c.add(f.y[1] >= m.x)
    f.c.add(f.y[1] + f.y[2] <= 1)
    f.obj = pyo.Objective(expr=-f.y[1], sense=pyo.maximize)
    m.obj = pyo.Objective(expr=f.y[2] - m.x / 2, sense=pyo.maximize)
    res = reference_optimum(m, Settings(grid=11, levels=12, local_starts=1, optimistic=True))
    assert res.value == pytest.approx(1.0, abs=1e-6)
    assert res.y == pytest.approx([0.0, 1.0], abs=1e-6)


def test_reference_nonconvex_follower_global_response():
    """Follower min y^4/4 - y^2/2 - x y on [-2, 2] (two basins): for x > 0 the right basin wins.
    Leader min (y + 1)^2 + x^2 over x in [0, 1]: at x = 0 the optimistic tie y = -1 gives F = 0."""
    m, f = _model()
    m.x = pyo.Var(bounds=(0, 1))
    f.y = pyo.Var(bounds=(-2, 2))
    f.obj = pyo.Objective(expr=f.y ** 4 / 4 - f.y ** 2 / 2 - m.x * f.y)
    m.obj = pyo.Objective(expr=(f.y + 1) ** 2 + m.x ** 2)
    res = reference_optimum(m, Settings(grid=11, levels=12))
    assert res.value == pytest.approx(0.0, abs=1e-9)
    assert res.y == pytest.approx([-1.0])
