"""Method ``discretization`` (nonconvex followers) against independent references.

* The library ``tests/nonconvex_library.py``: every problem is classified nonconvex, and its
  recorded optimum matches the published value within the published rounding (or the note
  says why not).
* An exact brute-force reference for the problems with one leader and one follower variable
  (written here in numpy, independently of the Pyomo models): a grid over x; at each x the
  follower's polynomial objective is minimised exactly over its feasible intervals by
  enumerating its stationary points (roots of the derivative) and the interval ends; the
  leader takes its best point among the follower's optima (optimistic reading). The grid's
  best must agree with the library's value, and the method's answer must be at least as good
  as the grid's best (a global method cannot be beaten by a grid) up to a slack.
* The method's answers: certified by re-solving the follower globally at the answer, bound
  below the optimum, answer within what eps_follower lets the leader gain.
* Bad input: unbounded follower, follower infeasible for some x, a 1 s limit, refusals.

Slow cases of the library (Mitsos & Barton 3.17, 3.19, 3.21, 3.22, Ye & Zhu 4.2) run in
``benchmarks/library_table.py --nonconvex`` only; this file takes about 20 s.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from nonconvex_library import NONCONVEX_PROBLEMS, PUBLISHED, mb_3_21
from pybilevel.methods.discretization import DEFAULTS

BY_NAME = {p.name: p for p in NONCONVEX_PROBLEMS}

#: what the leader may gain over the exact optimum because the follower's response is only
#: eps_follower-optimal (1e-9) and SCIP's tolerances are 1e-9: O(sqrt(eps)) at a quadratic
#: follower minimum, O(eps^(1/3)) at a cubic tie (Mitsos & Barton 3.13, 3.16); measured <= 8e-4
EPS_GAIN = 2e-3
#: the method must not be worse than the optimum by more than its gap tolerance (1e-4)
WORSE_TOL = 2e-4


# ----------------------------------------------------------------- the library itself
def test_library_composition():
    names = [p.name for p in NONCONVEX_PROBLEMS]
    assert len(names) == len(set(names)) >= 20
    assert set(PUBLISHED) == set(names)
    for problem in NONCONVEX_PROBLEMS:
        structure = bl.analyze(problem.build())
        assert structure.followers[0].follower_class in ("nonconvex NLP", "nonconvex QP"), problem.name


@pytest.mark.parametrize("problem", NONCONVEX_PROBLEMS, ids=lambda p: p.name)
def test_recorded_optimum_matches_the_published_value(problem):
    published, decimals = PUBLISHED[problem.name]
    if abs(problem.leader_objective - published) > 0.5 * 10 ** -decimals + 1e-12:
        assert "publish" in problem.note, problem.name


# ----------------------------------------------------------------- exact 1x1 reference
@dataclass
class OneByOne:
    """A problem with one leader variable x and one follower variable y, in numpy."""

    x_bounds: tuple[float, float]
    F: Callable  # leader objective (minimised)
    f: Callable  # follower objective (minimised), a polynomial in y of degree <= 8
    intervals: Callable  # x -> list of (low, high): the follower's feasible y
    leader_ok: Callable = lambda x, y: True  # leader constraints


def _box(low: float, high: float) -> Callable:
    return lambda x: [(low, high)]


def _q(y):
    return 16 * y**4 + 2 * y**3 - 8 * y**2 - 1.5 * y + 0.5


def _f321(x, y):
    return (y * (2 * x / 25 - 9 * x**2 / 250 + x**3 / 250) - y**3 * (2 * x / 15 - 2 / 15)
            - y**2 * (x**2 / 50 - 4 * x / 25 + 2 / 5) + y**4)


def _r322(x):
    r = math.sqrt((1 + x * x) / 100)
    return [(-1.0, -r), (r, 1.0)]


REFERENCES: dict[str, OneByOne] = {
    "mb_3_09": OneByOne((-10, 10), lambda x, y: x, lambda x, y: y**3, _box(-1, 1), lambda x, y: y <= x + 1e-12),
    "mb_3_10": OneByOne((0.1, 1), lambda x, y: y, lambda x, y: x * _q(y), _box(-1, 1)),
    "mb_3_11": OneByOne((-1, 1), lambda x, y: y, lambda x, y: x * _q(y), _box(-0.8, 1)),
    "mb_3_13": OneByOne((-1, 1), lambda x, y: x - y, lambda x, y: 0.5 * x * y**2 - y * x**3, _box(-1, 1)),
    "mb_3_14": OneByOne((-1, 1), lambda x, y: (x - 0.25) ** 2 + y**2, lambda x, y: y**3 / 3 - x * y, _box(-1, 1)),
    "mb_3_15": OneByOne((-1, 1), lambda x, y: x + y, lambda x, y: 0.5 * x * y**2 - y**3 / 3, _box(-1, 1)),
    "mb_3_16": OneByOne((-1, 1), lambda x, y: 2 * x + y, lambda x, y: -0.5 * x * y**2 - y**4 / 4, _box(-1, 1)),
    "mb_3_17": OneByOne((-1, 1), lambda x, y: (x + 0.5) ** 2 + 0.5 * y**2, lambda x, y: 0.5 * x * y**2 + y**4 / 4,
                        _box(-1, 1)),
    "mb_3_18": OneByOne((-1, 1), lambda x, y: x**2 + y**2, lambda x, y: x * y**2 - y**4 / 2, _box(-1, 1)),
    "mb_3_19": OneByOne((-1, 1), lambda x, y: x * y - y + 0.5 * y**2, lambda x, y: -x * y**2 + y**4 / 2, _box(-1, 1)),
    "mb_3_20": OneByOne((-1, 1), lambda x, y: (x - 0.25) ** 2 + y**2, lambda x, y: y**3 / 3 - x**2 * y, _box(-1, 1)),
    "mb_3_21": OneByOne((-1, 1), lambda x, y: (x + 0.6) ** 2 + y**2, _f321, _box(-1, 1)),
    "mb_3_22": OneByOne((-1, 1), lambda x, y: (x + 0.6) ** 2 + y**2, _f321, _r322),
    "mb_3_23": OneByOne((-1, 1), lambda x, y: x**2, lambda x, y: y,
                        lambda x: [(-1.0, 1.0)] if x <= 0.5 else [(0.0, 0.0)],
                        lambda x, y: y - x + 9 * x**2 - 1 >= -1e-12),
    "ka_2014_ex3": OneByOne((-1, 1), lambda x, y: x - y, lambda x, y: 0.5 * x * y**2 - x * y**3, _box(-1, 1)),
    "pa_2017b": OneByOne((-1, 1), lambda x, y: x + y, lambda x, y: x * y**2 / 2 - x**3 * y, _box(-1, 1)),
    "ye_zhu2010_ex42": OneByOne((-3, 2), lambda x, y: (x - 1) ** 2 + y**2, lambda x, y: y**3 - 3 * y,
                                lambda x: [(max(x, -10.0), 10.0)]),
}
GRID = 4001  # x step 5e-4 on [-1, 1] (contains the tie points 0, +-0.25, +-0.5)
_SAMPLES = np.linspace(-1.0, 1.0, 9)


def follower_optima(ref: OneByOne, x: float) -> list[float]:
    """The follower's global minimisers at x, exactly: stationary points and interval ends."""
    coefficients = np.polyfit(_SAMPLES, ref.f(x, _SAMPLES), 8)  # exact: f is a polynomial of degree <= 8 in y
    stationary = [r.real for r in np.roots(np.polyder(coefficients)) if abs(r.imag) < 1e-9]
    candidates = []
    for low, high in ref.intervals(x):
        candidates += [low, high] + [r for r in stationary if low <= r <= high]
    values = np.array([ref.f(x, y) for y in candidates])
    best = values.min()
    return [y for y, v in zip(candidates, values) if v <= best + 1e-12 * max(1.0, abs(best))]


def grid_reference(ref: OneByOne) -> tuple[float, float]:
    """Best leader value over the grid of x and the follower's optima there (optimistic), and its x."""
    best, where = math.inf, math.nan
    for x in np.linspace(*ref.x_bounds, GRID if ref.x_bounds == (-1, 1) else 2 * GRID - 1):
        for y in follower_optima(ref, float(x)):
            if ref.leader_ok(x, y) and ref.F(x, y) < best:
                best, where = float(ref.F(x, y)), float(x)
    return best, where


def _slack(ref: OneByOne) -> float:
    """Lipschitz slack of the grid: |dF/dx| <= 4 along every follower branch here, half a step."""
    step = (ref.x_bounds[1] - ref.x_bounds[0]) / (GRID - 1)
    return 4 * step / 2


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_grid_reference_confirms_the_recorded_optimum(name):
    best, _ = grid_reference(REFERENCES[name])
    assert best == pytest.approx(BY_NAME[name].leader_objective, abs=_slack(REFERENCES[name]))


def test_grid_reference_follower_is_exact_on_a_tie():
    """Mitsos & Barton 3.14 at x = 1/4: y^3/3 - y/4 has the minima y = 1/2 (interior) and y = -1
    (bound), both -1/12."""
    optima = follower_optima(REFERENCES["mb_3_14"], 0.25)
    assert sorted(optima) == pytest.approx([-1.0, 0.5])


# ----------------------------------------------------------------- the method
FAST = ["mb_3_09", "mb_3_10", "mb_3_11", "mb_3_13", "mb_3_14", "mb_3_15", "mb_3_16", "mb_3_18", "mb_3_20",
        "mb_3_23", "mb_3_26", "ka_2014_ex3", "ka_2014_ex4", "pa_2017b", "lampariello_sagratella2017_ex23"]


def _minimizing(model: pyo.ConcreteModel) -> int:
    (objective,) = model.component_data_objects(pyo.Objective, active=True, descend_into=False)
    return 1 if objective.is_minimizing() else -1


@pytest.mark.parametrize("name", FAST)
def test_discretization_reaches_the_optimum_certified(name):
    problem = BY_NAME[name]
    model = problem.build()
    res = bl.solve(model, method="discretization", time_limit=30)
    optimum = problem.leader_objective
    assert res.status == bl.Status.OPTIMAL, res.message
    assert res.certified, [c.message for c in res.certificate]  # follower re-solved globally by SCIP
    assert res.bound <= optimum + 1e-6 * max(1.0, abs(optimum))  # a valid lower bound
    assert res.leader_objective <= optimum + WORSE_TOL * max(1.0, abs(optimum))  # not worse than the optimum
    assert res.leader_objective >= optimum - EPS_GAIN  # better only by what eps_follower allows
    if name in REFERENCES:  # at least as good as the exact grid's best, up to its Lipschitz slack
        best, _ = grid_reference(REFERENCES[name])
        assert res.leader_objective <= best + _slack(REFERENCES[name])


def test_auto_chooses_discretization_for_a_nonconvex_follower():
    res = bl.solve(BY_NAME["mb_3_14"].build())
    assert res.method == "discretization" and "nonconvex" in res.method_reason
    assert res.ok


def test_the_model_is_left_as_it_was_with_the_best_point_loaded():
    model = BY_NAME["mb_3_22"].build()  # coupling row: binaries and box cuts are added during the solve
    before = sorted(c.name for c in model.component_objects(descend_into=True))
    res = bl.solve(model, method="discretization", time_limit=30, rel_gap=1e-2, abs_gap=1e-2)
    assert sorted(c.name for c in model.component_objects(descend_into=True)) == before
    assert model.f.obj.active and not model.x.fixed
    assert pyo.value(model.obj) == pytest.approx(res.leader_objective)
    assert model.x.value == pytest.approx(res.leader["x"]) and model.f.y.value == pytest.approx(res.follower["f"]["f.y"])


def test_iterations_are_logged(caplog):
    """One progress line and one res.history record per iteration (pybilevel/progress.py)."""
    with caplog.at_level(logging.INFO, logger="pybilevel.progress"):
        res = bl.solve(BY_NAME["mb_3_14"].build(), method="discretization")
    lines = [r.getMessage() for r in caplog.records if r.name == "pybilevel.progress"]
    assert [int(line.split()[2]) for line in lines] == list(range(1, res.iterations + 1))
    assert all(line.startswith("discretization iteration") and "bound" in line and "incumbent" in line for line in lines)
    assert [h.iteration for h in res.history] == list(range(1, res.iterations + 1))
    assert res.history[-1].bound == pytest.approx(res.bound) and res.history[-1].incumbent == pytest.approx(
        res.leader_objective, abs=1e-6)


def test_gap_options_are_respected():
    """A loose gap stops earlier than the default on Mitsos & Barton 3.21 (15 iterations at 1e-4)."""
    loose = bl.solve(mb_3_21(), method="discretization", rel_gap=0.05, abs_gap=0.05)
    assert loose.status == bl.Status.OPTIMAL and loose.certified
    assert loose.leader_objective - loose.bound <= 0.05 * max(1.0, abs(loose.leader_objective)) + 1e-9
    assert loose.bound <= BY_NAME["mb_3_21"].leader_objective + 1e-6


# ----------------------------------------------------------------- bad input
def _one(y_bounds=(-1, 1)):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=y_bounds)
    return m


def test_unbounded_nonconvex_follower_is_reported():
    """min -y^2 over all y has no optimum at any x."""
    m = _one(y_bounds=(None, None))
    m.f.obj = pyo.Objective(expr=-m.f.y**2 + m.x * m.f.y)
    m.obj = pyo.Objective(expr=m.x + m.f.y**2)
    m.c = pyo.Constraint(expr=m.f.y <= 10)  # the leader's row does not bound the follower's choice
    res = bl.solve(m, method="discretization", time_limit=20)
    assert res.status == bl.Status.FOLLOWER_UNBOUNDED, res.message
    assert "follower f has no optimum" in res.message and "x=" in res.message


def test_follower_infeasible_for_some_leader_decisions():
    """Follower max (y - 0.2)^2 over 0 <= y <= x - 0.5 has no feasible point for x < 0.5; for
    0.5 <= x < 0.9 it answers y = 0 (farther from 0.2 than x - 0.5), so min x + 2y is 0.5 at x = 0.5."""
    m = _one(y_bounds=(0, 1))
    m.f.c = pyo.Constraint(expr=m.f.y <= m.x - 0.5)
    m.f.obj = pyo.Objective(expr=(m.f.y - 0.2) ** 2, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=m.x + 2 * m.f.y)
    res = bl.solve(m, method="discretization", time_limit=20)
    assert res.status == bl.Status.OPTIMAL and res.certified, res.message
    assert res.leader_objective == pytest.approx(0.5, abs=1e-4)
    assert res.leader["x"] >= 0.5 - 1e-9


def test_one_second_limit_returns_the_best_point_and_the_bound():
    """Mitsos & Barton 3.17 needs about 60 iterations; in 1 s a bilevel-feasible point and a bound remain."""
    res = bl.solve(BY_NAME["mb_3_17"].build(), method="discretization", time_limit=1.0)
    assert res.status in (bl.Status.FEASIBLE, bl.Status.LIMIT), res.message
    assert res.bound is not None and res.bound <= 0.1875 + 1e-6
    if res.status == bl.Status.FEASIBLE:  # certified, unless the one budget left the certificate unfinished
        assert (res.certified or not res.certificate_complete) and res.leader_objective >= res.bound
    assert sum(v for k, v in res.timings.items() if k in ("lower bound", "follower", "upper bound")) < 5.0


def test_convex_follower_is_refused_with_the_method_to_use():
    m = _one()
    m.f.obj = pyo.Objective(expr=(m.f.y - m.x) ** 2)
    m.obj = pyo.Objective(expr=m.x + m.f.y)
    with pytest.raises(bl.MethodRefusedError, match=r"follower f is convex QP.*use 'sos1'"):
        bl.solve(m, method="discretization")


def test_coupling_equality_is_refused_naming_it():
    m = _one()
    m.f.z = pyo.Var(bounds=(-2, 2))
    m.f.eq = pyo.Constraint(expr=m.f.y + m.f.z == m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y**2)
    m.obj = pyo.Objective(expr=m.x)
    with pytest.raises(bl.MethodRefusedError, match="equality constraint f.eq involves leader variables"):
        bl.solve(m, method="discretization")


def test_unknown_option_is_refused():
    with pytest.raises(bl.MethodRefusedError, match="has no option eps"):
        bl.solve(BY_NAME["mb_3_09"].build(), method="discretization", eps=1e-3)
    assert set(DEFAULTS) == {"abs_gap", "rel_gap", "eps_follower", "max_iterations"}
