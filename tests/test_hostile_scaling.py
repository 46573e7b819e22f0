"""Hostile input, issue 18: badly scaled rows and convexity known only from samples.

References are independent of pybilevel: closed forms worked out by hand, and the KKT
enumeration oracle of ``tests/oracle.py`` (scipy) on the unscaled instance.
"""
import warnings

import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from oracle import random_tiny_bilevel
from oracle import tiny_to_pyomo as to_pyomo
from pybilevel.errors import ScalingError
from pybilevel.model.convexity import SAMPLES, FollowerClass, _sample_points
from pybilevel.model.structure import analyze
from pybilevel.results import ScalingWarning

SCALING_METHODS = ["sos1", "bigm", "strong_duality", "kkt"]


# ------------------------------------------------------------------ scaling
def tiny_coefficient_model() -> pyo.ConcreteModel:
    """max_y y s.t. y - 1e-9 x <= 1, y <= 10; x in [0, 1e9]; leader min -y + 5e-10 x.

    By hand: y = 1 + 1e-9 x (<= 2 < 10), so the leader gets -1 - 5e-10 x: x = 1e9, y = 2,
    objective -1.5. A solver that drops the 1e-9 coefficient sees y = 1 and answers x = 0, -1.
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1e9))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.c = pyo.Constraint(expr=m.f.y - 1e-9 * m.x <= 1)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=-m.f.y + 5e-10 * m.x)
    return m


@pytest.mark.parametrize("method", SCALING_METHODS)
def test_a_1e9_coefficient_on_a_1e9_range_is_rescaled_not_dropped(method):
    m = tiny_coefficient_model()
    written = m.f.c.expr
    res = bl.solve(m, method=method, time_limit=60)
    assert res.ok, res.message
    assert res.leader_objective == pytest.approx(-1.5, abs=1e-6)
    assert res.leader["x"] == pytest.approx(1e9, rel=1e-6)
    assert res.follower["f"]["f.y"] == pytest.approx(2.0, abs=1e-6)
    assert any("f.c multiplied by 2**" in note for note in res.scaling), res.scaling
    assert "scaling: constraint f.c" in str(res)
    # the dual of the user's row (not of the scaled one): d(-y)/d(rhs) = -1 in the follower's min form
    assert abs(res.follower_duals["f"]["f.c"]) == pytest.approx(1.0, abs=1e-6)
    assert m.f.c.expr is written  # the user's constraint is restored exactly as written


@pytest.mark.parametrize("method", ["sos1", "bigm"])
def test_the_pessimistic_reading_of_a_rescaled_row(method):
    # the follower's optimum is unique, so the pessimistic answer is the optimistic one
    res = bl.solve(tiny_coefficient_model(), method=method, reading="pessimistic", time_limit=60)
    assert res.ok, res.message
    assert res.leader_objective == pytest.approx(-1.5, abs=1e-6) and res.leader["x"] == pytest.approx(1e9, rel=1e-6)


def mixed_model(x_upper: float) -> pyo.ConcreteModel:
    """A row mixing 1e9 and 1e-9: 1e9 y - 1e-9 x <= 1e9, x in [0, x_upper]."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, x_upper))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.c = pyo.Constraint(expr=1e9 * m.f.y - 1e-9 * m.x <= 1e9)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=-m.f.y + 1e-15 * m.x)
    return m


@pytest.mark.parametrize("method", SCALING_METHODS)
def test_a_row_mixing_1e9_and_1e_9_that_matters_is_refused_by_name(method):
    # over x in [0, 1e15] the 1e-9 term moves y by 1e-3: it matters, and no row scaling keeps it
    m = mixed_model(1e15)
    written = m.f.c.expr
    with pytest.raises(ScalingError, match=r"constraint f\.c is badly scaled.*coefficient 1e-09 of x.*rescale x"):
        bl.solve(m, method=method)
    assert m.f.c.expr is written and not [b for b in m.component_objects(pyo.Block) if "_pybilevel" in b.name]


@pytest.mark.parametrize("method", SCALING_METHODS)
def test_a_row_mixing_1e9_and_1e_9_that_cannot_matter_is_scaled_with_a_warning(method):
    # over x in [0, 10] the 1e-9 term moves y by 1e-17: y <= 1 is exact to far below the tolerance,
    # so the leader gets -1 (y = 1) at any x; the dropped coefficient is named in a ScalingWarning
    with pytest.warns(ScalingWarning, match=r"constraint f\.c: the coefficient 1e-09 of x .*within the feasibility tolerance"):
        res = bl.solve(mixed_model(10.0), method=method, time_limit=60)
    assert res.ok, res.message
    assert res.leader_objective == pytest.approx(-1.0, abs=1e-6)
    assert res.follower["f"]["f.y"] == pytest.approx(1.0, abs=1e-6)
    assert any("may be dropped" in note for note in res.scaling)


def test_a_badly_scaled_row_with_a_user_dual_bound_is_left_with_a_warning_or_refused():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.c = pyo.Constraint(expr=1e5 * m.f.y - 1e5 * m.x <= 1e5)  # y <= 1 + x; dual 1e-5 in these units
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=m.x - 2 * m.f.y)
    with pytest.warns(ScalingWarning, match=r"f\.c is badly scaled .*left as written"):
        res = bl.solve(m, method="bigm", dual_bound=1.0)
    assert res.ok and res.leader_objective == pytest.approx(-2 * 5 + 4, abs=1e-6)  # x = 4, y = 5
    tiny = tiny_coefficient_model()
    with pytest.raises(ScalingError, match=r"f\.c is badly scaled .*dual bound"):
        bl.solve(tiny, method="bigm", dual_bound=10.0)


@pytest.mark.parametrize("seed", range(12))
def test_random_rows_scaled_by_powers_of_ten_give_the_unscaled_answer(seed):
    tiny = random_tiny_bilevel(seed, n_x=2, n_y=3, m=3, coupling=seed % 2 == 1)
    expected, _, _ = tiny.solve_by_enumeration()  # the oracle on the unscaled instance
    scales = 10.0 ** np.random.default_rng(1000 + seed).integers(-6, 7, size=len(tiny.b))
    unscaled_duals = bl.solve(to_pyomo(tiny), method="sos1").follower_duals["f"]
    tiny.A, tiny.B, tiny.b = tiny.A * scales[:, None], tiny.B * scales[:, None], tiny.b * scales
    for method in ["sos1", "bigm", "strong_duality"]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = bl.solve(to_pyomo(tiny), method=method, time_limit=60)
        named = [w for w in caught if issubclass(w.category, (ScalingWarning, bl.CertificateWarning)) and "f.rows" in str(w.message)]
        if not res.ok:  # allowed only with a warning naming the row
            assert named, (method, res.status, res.message)
            continue
        assert res.leader_objective == pytest.approx(expected, abs=1e-5 * max(1.0, abs(expected))), (method, scales)
        x = np.array([res.leader[f"x[{i}]"] for i in range(tiny.n_x)])
        y = np.array([res.follower["f"][f"f.y[{j}]"] for j in range(tiny.n_y)])
        assert tiny.is_follower_optimal(x, y, tol=1e-5), method
        if method == "sos1":  # duals of the user's rows: the unscaled row's dual divided by its scale
            for r, s in enumerate(scales):
                name = f"f.rows[{r}]"
                assert res.follower_duals["f"][name] * s == pytest.approx(unscaled_duals[name], abs=1e-6), (name, s)


def test_well_scaled_models_are_not_touched():
    tiny = random_tiny_bilevel(3, n_x=2, n_y=3, m=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScalingWarning)
        res = bl.solve(to_pyomo(tiny), method="sos1")
    assert res.ok and res.scaling == []


# ------------------------------------------------------------------ convexity
def dent_model(c: float, a: float = 6.0, w: float = 0.005) -> pyo.ConcreteModel:
    """min_y (y - x - 1)^2 - a exp(-((y - c)/w)^2), y in [0, 4], x in [0, 1]; leader min x + y.

    By hand: the smooth part is 0 at y = x + 1, the dent at y ~ c reaches (c - x - 1)^2 - a < 0
    for c ~ 3 and a = 6, so the follower's optimum is in the dent (y ~ c), never y = x + 1.
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 4))
    m.f.obj = pyo.Objective(expr=(m.f.y - m.x - 1) ** 2 - a * pyo.exp(-(((m.f.y - c) / w) ** 2)))
    m.obj = pyo.Objective(expr=m.x + m.f.y)
    return m


def dent_between_samples() -> float:
    """The middle of the widest gap between sampled follower points in [2.5, 3.5]."""
    form = analyze(dent_model(3.0)).followers[0]
    ys = sorted(float(point[1][0]) for point in _sample_points(form, SAMPLES, 0))
    gaps = [(b - a, 0.5 * (a + b)) for a, b in zip(ys, ys[1:]) if 2.5 <= a and b <= 3.5]
    width, middle = max(gaps)
    assert width > 20 * 0.005  # no sample within 10 dent widths
    return middle


def follower_minimum(x: float, c: float) -> float:
    """The follower's global minimum value at x, on a fine grid around both candidates (numpy)."""
    y = np.concatenate([np.linspace(0, 4, 400001), np.linspace(c - 0.05, c + 0.05, 200001)])
    return float(np.min((y - x - 1) ** 2 - 6.0 * np.exp(-(((y - c) / 0.005) ** 2))))


def test_a_narrow_dent_between_samples_is_not_proven_convex():
    structure = analyze(dent_model(dent_between_samples()))
    form = structure.followers[0]
    assert form.follower_class == FollowerClass.CONVEX_NLP  # the samples see no negative curvature
    assert not form.convexity_proven
    assert "convexity NOT proven" in structure.describe() and "SCIP" in structure.describe()


@pytest.mark.parametrize("method", ["kkt", "sos1", "auto"])
def test_a_narrow_dent_is_never_certified_wrong(method):
    c = dent_between_samples()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bl.CertificateWarning)
            res = bl.solve(dent_model(c), method=method, time_limit=60)
    except bl.errors.MethodRefusedError as refusal:  # refused as nonconvex: also acceptable
        assert "f.obj" in str(refusal)
        return
    assert "convexity NOT proven" in res.convexity["f"]
    if res.certified:  # then the reported response must be the follower's global optimum
        x = res.leader["x"]
        assert res.follower_objectives["f"] == pytest.approx(follower_minimum(x, c), abs=1e-4)
    else:
        assert any("NOT optimal" in cert.message for cert in res.certificate)


def test_a_proven_convex_follower_keeps_the_ipopt_certificate(monkeypatch):
    from pybilevel.certify import optimal_set

    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0.5, 3))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(-5, 5))
    m.f.obj = pyo.Objective(expr=pyo.exp(m.f.y) - m.x * m.f.y)  # y = ln x by hand
    m.obj = pyo.Objective(expr=(m.f.y - 0.5) ** 2 + 0.1 * m.x)
    structure = analyze(m)
    form = structure.followers[0]
    assert form.follower_class == FollowerClass.CONVEX_NLP and form.convexity_proven
    assert optimal_set.follower_solver(structure, form) == "ipopt"
    used = []
    solve_model = optimal_set.solve_model
    monkeypatch.setattr(optimal_set, "solve_model", lambda model, solver, *a, **k: used.append(solver) or solve_model(model, solver, *a, **k))
    res = bl.solve(m, method="kkt")
    assert res.ok, res.message
    assert "ipopt" in used
    assert res.follower["f"]["f.y"] == pytest.approx(np.log(res.leader["x"]), abs=1e-5)
    assert res.convexity["f"].startswith("proven convex")


def test_interval_psd_conditions():
    from pybilevel.model.convexity import _interval_psd

    assert _interval_psd(np.array([[1.0, 2.0], [2.0, 5.0]]), np.array([[1.0, 2.0], [2.0, 5.0]]))  # PSD, not dominant
    assert not _interval_psd(np.array([[1.0, 3.0], [3.0, 5.0]]), np.array([[1.0, 3.0], [3.0, 5.0]]))  # det < 0
    assert _interval_psd(np.array([[0.0]]), np.array([[np.inf]]))  # exp(y) over an unbounded y
    assert not _interval_psd(np.array([[-1.0]]), np.array([[3.0]]))


def test_a_bound_solvers_read_as_infinite_is_named():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1e20))  # HiGHS and SCIP read 1e20 as no bound at all
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.c = pyo.Constraint(expr=m.f.y <= m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=m.x - 2 * m.f.y)  # by hand: x = y = 10, objective -10
    with pytest.warns(ScalingWarning, match=r"variable x has the bound 1e\+20: solvers read bounds from 1e20 as infinite"):
        res = bl.solve(m, method="sos1")
    assert res.ok and res.leader_objective == pytest.approx(-10.0, abs=1e-6)
    assert any("variable x" in note for note in res.scaling)
