"""Strong duality with binary leader variables: multiplier x binary and binary x follower-variable
products linearised exactly (McCormick), so an LP follower gives a MILP for HiGHS. Checked
against brute force: every binary leader decision, the optimistic follower response at each
found by the KKT-enumeration oracle with the leader fixed."""
from dataclasses import replace
from itertools import product

import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from oracle import TinyBilevel, random_tiny_bilevel


def binary_model(tiny: TinyBilevel, continuous: tuple[int, ...] = ()) -> pyo.ConcreteModel:
    """The instance with binary leader variables (except ``continuous``, kept in [0, 1]),
    follower min d@y + x@D@y s.t. A x + B y <= b, y >= 0; leader min cx@x + cy@y."""
    m = pyo.ConcreteModel()
    X, Y = range(tiny.n_x), range(tiny.n_y)
    m.x = pyo.Var(X, within=pyo.Binary)
    for i in continuous:
        m.x[i].domain = pyo.UnitInterval
    m.f = bl.Follower()
    m.f.y = pyo.Var(Y, within=pyo.NonNegativeReals)
    m.f.rows = pyo.Constraint(
        range(len(tiny.b)),
        rule=lambda b, r: sum(tiny.A[r, i] * m.x[i] for i in X) + sum(tiny.B[r, j] * b.y[j] for j in Y) <= tiny.b[r],
    )
    m.f.obj = pyo.Objective(
        expr=sum(tiny.d[j] * m.f.y[j] for j in Y)
        + sum(tiny.D[i, j] * m.x[i] * m.f.y[j] for i in X for j in Y if tiny.D[i, j])
    )
    m.obj = pyo.Objective(expr=sum(tiny.cx[i] * m.x[i] for i in X) + sum(tiny.cy[j] * m.f.y[j] for j in Y))
    return m


def binary_brute_force(tiny: TinyBilevel, continuous: tuple[int, ...] = ()) -> float:
    """Best leader value over x in {0,1}^n_x (x_i in [0, 1] for i in ``continuous``), each with the
    oracle's optimistic bilevel optimum."""
    best = np.inf
    for bits in product((0.0, 1.0), repeat=tiny.n_x):
        lower, upper = np.array(bits), np.array(bits)
        lower[list(continuous)], upper[list(continuous)] = 0.0, 1.0
        found = replace(tiny, x_lb=lower, x_ub=upper).solve_by_enumeration()
        if found is not None:
            best = min(best, found[0])
    return best


def instance(seed: int, coupling: bool) -> TinyBilevel:
    tiny = random_tiny_bilevel(seed, n_x=3, n_y=3, m=3, box=1.0)  # follower feasible at every corner
    if coupling:
        tiny = replace(tiny, D=np.random.default_rng(seed).integers(-3, 4, (3, 3)).astype(float))
    return tiny


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("coupling", [False, True])
def test_binary_leader_strong_duality_is_a_milp_matching_brute_force(seed, coupling):
    tiny = instance(seed, coupling)
    expected = binary_brute_force(tiny)
    res = bl.solve(binary_model(tiny), method="strong_duality")
    assert res.ok, res.message
    assert res.solver == "highs"  # no bilinear term left
    assert res.leader_objective == pytest.approx(expected, abs=1e-6 * max(1.0, abs(expected)))
    kinds = {r.kind for r in res.bigm}
    assert "multiplier" in kinds and ("variable" in kinds) == coupling


def test_follower_variable_ranges_are_proven_and_recorded():
    # y >= 0 from its bound; y <= ... only through the follower's rows: an LP over the
    # high-point relaxation, checked here against scipy over the same polyhedron
    from scipy.optimize import linprog

    tiny = instance(1, coupling=True)
    reformulation = pyo.TransformationFactory("bilevel.strong_duality").reformulate(bl.analyze(binary_model(tiny)))
    ranges = {r.key: r for r in reformulation.bigm if r.kind == "variable"}
    for j in range(tiny.n_y):
        assert (ranges[f"f.y[{j}]:lower"].value, ranges[f"f.y[{j}]:lower"].source) == (0.0, "bounds")
        cost = np.zeros(tiny.n_x + tiny.n_y)
        cost[tiny.n_x + j] = -1
        hpr = linprog(cost, A_ub=np.hstack([tiny.A, tiny.B]), b_ub=tiny.b, bounds=[(0, 1)] * tiny.n_x + [(0, None)] * tiny.n_y)
        upper = ranges[f"f.y[{j}]:upper"]
        assert upper.source == "lp" and upper.value == pytest.approx(-hpr.fun, rel=1e-7)
        assert upper.proven
    # one product per row multiplier x leader variable in the row, one per x_i * y_j term
    assert len(reformulation.follower_block("f").product) == np.count_nonzero(tiny.A) + np.count_nonzero(tiny.D)
    reformulation.remove()


def test_continuous_leader_products_stay_bilinear():
    tiny = instance(2, coupling=False)
    m = binary_model(tiny, continuous=(0,))
    reformulation = pyo.TransformationFactory("bilevel.strong_duality").reformulate(bl.analyze(m))
    linearised = {key[1] for key in reformulation.follower_block("f").product}
    assert linearised == {"x[1]", "x[2]"}  # x[0] is continuous: its products are not linearised
    reformulation.remove()
    res = bl.solve(m, method="strong_duality")
    assert res.ok and res.solver == "scip"
    expected = binary_brute_force(tiny, continuous=(0,))
    assert res.leader_objective == pytest.approx(expected, abs=1e-5 * max(1.0, abs(expected)))
