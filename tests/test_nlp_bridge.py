"""The Pyomo -> Ipopt bridge: exact derivatives, solves against independent references, statuses."""
from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.mpec import Complementarity, complements

from pybilevel.errors import MethodRefusedError, SolverUnavailableError, StructureError
from pybilevel.solvers.ipopt import CompiledNLP, compile_nlp, solve_nlp

STEP = 1e-6


def _mixed_model() -> pyo.ConcreteModel:
    """exp, log, sqrt, powers, products, division, a named expression, a parameter, a fixed variable."""
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(1, 4)
    m.x = pyo.Var(m.I, bounds=(0.2, 5.0), initialize=1.0)
    m.fixed = pyo.Var(initialize=1.7)
    m.fixed.fix()
    m.p = pyo.Param(initialize=0.8, mutable=True)
    m.e = pyo.Expression(expr=m.x[1] * m.x[2] ** 2)
    m.obj = pyo.Objective(
        expr=pyo.exp(0.3 * m.x[1]) * m.x[2] - pyo.log(m.x[3]) + m.e + m.p * m.x[4] ** 3
        + (m.x[1] - 2) ** 2 + 3 * m.x[3] * m.x[4] + 2 * m.x[2] - 1
    )
    m.c_ineq = pyo.Constraint(expr=pyo.sqrt(m.x[1] * m.x[3]) + m.x[2] / m.x[4] >= 1)
    m.c_eq = pyo.Constraint(expr=m.x[1] ** 2.5 + m.fixed * m.x[2] * m.x[3] * m.x[4] == 6)
    m.c_range = pyo.Constraint(expr=(-1, m.x[1] + 2 * m.x[2] - m.x[3] + m.x[4] ** 2, 8))
    m.c_lin = pyo.Constraint(expr=m.x[1] + m.x[2] <= 3 + m.x[4])
    m.c_trig = pyo.Constraint(expr=pyo.sin(m.x[1]) * pyo.cos(m.x[2]) + pyo.atan(m.x[3]) - m.x[4] <= 2)
    return m


def _maximised_model() -> pyo.ConcreteModel:
    """A maximisation with only linear and quadratic rows (no nonlinear remainder)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), initialize=0.5)
    m.obj = pyo.Objective(expr=-(m.x[0] ** 2) + 3 * m.x[0] * m.x[1] - m.x[2] ** 2 + 4 * m.x[2], sense=pyo.maximize)
    m.c = pyo.Constraint(expr=m.x[0] * m.x[1] + m.x[1] * m.x[2] + 2 * m.x[0] <= 5)
    m.d = pyo.Constraint(expr=m.x[0] - m.x[1] + 7 * m.x[2] == 1)
    return m


def _central(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Central finite-difference Jacobian of f (rows: outputs, columns: x)."""
    cols = []
    for k in range(len(x)):
        e = np.zeros_like(x)
        e[k] = STEP
        cols.append((np.atleast_1d(f(x + e)) - np.atleast_1d(f(x - e))) / (2 * STEP))
    return np.column_stack(cols)


def _full(lower: np.ndarray) -> np.ndarray:
    return lower + lower.T - np.diag(np.diag(lower))


def _check_derivatives(nlp: CompiledNLP, x: np.ndarray, lam: np.ndarray, obj_factor: float) -> None:
    """Gradient, Jacobian and Lagrangian Hessian at x against central differences."""
    np.testing.assert_allclose(nlp.gradient(x), _central(nlp.objective, x)[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(nlp.jacobian(x).toarray(), _central(nlp.constraint_values, x), rtol=1e-6, atol=1e-6)

    def lagrangian_gradient(z: np.ndarray) -> np.ndarray:
        return obj_factor * nlp.gradient(z) + nlp.jacobian(z).T @ lam

    hess = _full(nlp.hessian(x, lam, obj_factor).toarray())
    np.testing.assert_allclose(hess, _central(lagrangian_gradient, x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("build", [_mixed_model, _maximised_model])
def test_derivatives_match_central_differences(build: Callable[[], pyo.ConcreteModel]) -> None:
    """Three random points per model; the Hessian structure is the lower triangle."""
    nlp = compile_nlp(build())
    assert np.all(nlp.hess_rows >= nlp.hess_cols)
    rng = np.random.default_rng(7)
    for _ in range(3):
        _check_derivatives(nlp, rng.uniform(0.5, 2.0, nlp.n), rng.normal(size=nlp.m), rng.uniform(0.5, 2.0))


def test_compiled_values_match_pyomo_with_fixed_variable_inlined() -> None:
    """The fixed variable is no column, and values agree with pyo.value."""
    m = _mixed_model()
    nlp = compile_nlp(m)
    assert sorted(v.name for v in nlp.variables) == [f"x[{i}]" for i in range(1, 5)]
    x = np.array([1.5, 0.7, 2.2, 1.1])
    for var, val in zip(nlp.variables, x):
        var.set_value(val)
    assert nlp.objective(x) == pytest.approx(pyo.value(m.obj))
    np.testing.assert_allclose(nlp.constraint_values(x), [pyo.value(c.body) for c in nlp.constraints])


def test_domain_error_evaluates_to_nan() -> None:
    """log/sqrt outside their domain give NaN (Ipopt then cuts its step) rather than an exception."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.obj = pyo.Objective(expr=pyo.log(m.x) + m.x ** 0.5)
    nlp = compile_nlp(m)
    assert np.isnan(nlp.objective(np.array([-1.0])))
    assert np.isnan(nlp.gradient(np.array([0.0]))).all()


def _qp(sense: int) -> pyo.ConcreteModel:
    """Strictly convex QP (negated when maximised); by hand its KKT point is x=2.5, y=-0.5, z=0,
    w=1.25, v=1 with duals le -1, ge 2, eq -1.5, ranged -4 and bound dual 6 on z (all strict)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(None, 10))
    m.y = pyo.Var()
    m.z = pyo.Var(bounds=(0, None))
    m.w = pyo.Var(bounds=(-5, 5))
    m.v = pyo.Var()
    q = ((m.x - 2.125) ** 2 + (m.y - 4.25) ** 2 + (m.z + 1) ** 2 + m.x * m.y + 0.5 * m.z ** 2
         + m.w ** 2 - 4 * m.w + (m.v - 3) ** 2)
    m.obj = pyo.Objective(expr=q if sense == pyo.minimize else -q, sense=sense)
    m.le = pyo.Constraint(expr=m.x + m.y <= 2)
    m.ge = pyo.Constraint(expr=m.x - m.y >= 3)
    m.ranged = pyo.Constraint(expr=(-4, m.y + m.z + m.v, 0.5))
    m.eq = pyo.Constraint(expr=m.w + 0.5 * m.x == 2.5)
    m.slack = pyo.Constraint(expr=m.x >= m.y - 50)
    return m


@pytest.mark.parametrize("sense", [pyo.minimize, pyo.maximize])
def test_convex_qp_matches_highs_including_duals(sense: int) -> None:
    """Primal, objective, row duals and bound duals agree with HiGHS and with the hand-made KKT point."""
    ref = _qp(sense)
    highs = SolverFactory("highs").solve(ref)
    ref_duals = highs.solution_loader.get_duals()
    ref_rc = highs.solution_loader.get_reduced_costs()
    m = _qp(sense)
    res = solve_nlp(m, tol=1e-10)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(pyo.value(ref.obj), abs=1e-6)
    for name in ("x", "y", "z", "w", "v"):
        assert m.component(name).value == pytest.approx(ref.component(name).value, abs=1e-6)
    duals = {c.name: v for c, v in res.duals.items()}
    assert {c.name: pytest.approx(v, abs=1e-6) for c, v in ref_duals.items()} == duals
    sign = 1 if sense == pyo.minimize else -1
    expected = {"le": -1, "ge": 2, "ranged": -4, "eq": -1.5, "slack": 0}
    assert {k: pytest.approx(sign * v, abs=1e-6) for k, v in expected.items()} == duals
    bound = {v.name: d for v, d in res.bound_duals.items()}
    assert {v.name: pytest.approx(d, abs=1e-6) for v, d in ref_rc.items()} == bound
    assert bound["z"] == pytest.approx(6 * sign)


def test_projection_closed_form() -> None:
    """min (x-1)^2 + (y-2)^2 s.t. x + y <= 1: x=0, y=1, objective 2, d obj/d rhs = -2."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.y = pyo.Var()
    m.obj = pyo.Objective(expr=(m.x - 1) ** 2 + (m.y - 2) ** 2)
    m.c = pyo.Constraint(expr=m.x + m.y <= 1)
    res = solve_nlp(m)
    assert res.status == "optimal" and res.iterations > 0 and res.solve_time > 0
    assert (m.x.value, m.y.value, res.objective) == (pytest.approx(0, abs=1e-7), pytest.approx(1), pytest.approx(2))
    assert res.duals[m.c] == pytest.approx(-2, rel=1e-6)


def test_exp_log_kkt_point() -> None:
    """min e^x + 1.5y - log y s.t. x + y >= 2 (strictly convex): grad f = (e^x, 1.5 - 1/y) = mu (1, 1)
    holds at x=0, y=2 with mu=1, so f* = 4 - log 2 and the >= row has dual +1."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.5)
    m.y = pyo.Var(bounds=(1e-3, None), initialize=0.2)
    m.obj = pyo.Objective(expr=pyo.exp(m.x) + 1.5 * m.y - pyo.log(m.y))
    m.c = pyo.Constraint(expr=m.x + m.y >= 2)
    res = solve_nlp(m)
    assert res.status == "optimal"
    assert (m.x.value, m.y.value) == (pytest.approx(0, abs=1e-7), pytest.approx(2, rel=1e-7))
    assert (res.objective, res.duals[m.c]) == (pytest.approx(4 - np.log(2)), pytest.approx(1, rel=1e-6))
    assert res.bound_duals[m.y] == pytest.approx(0, abs=1e-7)


def test_hs071_nonconvex_reference() -> None:
    """Hock-Schittkowski 71, published optimum f* = 17.0140173."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(4), bounds=(1, 5), initialize={0: 1, 1: 5, 2: 5, 3: 1})
    m.obj = pyo.Objective(expr=m.x[0] * m.x[3] * (m.x[0] + m.x[1] + m.x[2]) + m.x[2])
    m.prod = pyo.Constraint(expr=m.x[0] * m.x[1] * m.x[2] * m.x[3] >= 25)
    m.sq = pyo.Constraint(expr=sum(m.x[i] ** 2 for i in range(4)) == 40)
    res = solve_nlp(m)
    assert res.status == "optimal" and res.objective == pytest.approx(17.0140173, rel=1e-7)
    expected = [1.0, 4.74299963, 3.82114998, 1.37940829]
    assert [m.x[i].value for i in range(4)] == pytest.approx(expected, rel=1e-6)
    assert res.duals[m.prod] > 0 and res.bound_duals[m.x[0]] > 0


def test_infeasible_problem() -> None:
    """The unit disk misses x + y >= 3; nothing is loaded into the model."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0)
    m.y = pyo.Var(initialize=0)
    m.obj = pyo.Objective(expr=m.x ** 2 + m.y)
    m.disk = pyo.Constraint(expr=m.x ** 2 + m.y ** 2 <= 1)
    m.far = pyo.Constraint(expr=m.x + m.y >= 3)
    res = solve_nlp(m)
    assert res.status == "infeasible" and np.isnan(res.objective)
    assert (m.x.value, m.y.value) == (0, 0)


def _chain(n: int) -> pyo.ConcreteModel:
    """A sparse nonlinear chain, big enough for limits to bite."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(n), bounds=(0, 1), initialize=0.5)
    m.obj = pyo.Objective(expr=sum((m.x[i] - np.sin(i)) ** 2 + (m.x[i + 1] - m.x[i]) ** 2 for i in range(n - 1)))
    m.c = pyo.Constraint(range(n - 2), rule=lambda m, i: m.x[i] + pyo.exp(0.1 * m.x[i + 1]) + m.x[i + 2] >= 1.5)
    return m


def test_iteration_and_time_limits() -> None:
    """max_iter and time_limit (wall clock, from Ipopt's per-iteration callback; its max_cpu_time
    too) map to readable statuses."""
    nlp = compile_nlp(_chain(3000))
    assert nlp.solve(max_iter=1).status == "iteration limit"
    limited = nlp.solve(time_limit=1e-3)
    assert limited.status == "time limit" and limited.message == "Maximum wall-clock time exceeded"
    by_cpu = nlp.solve(options={"max_cpu_time": 1e-3})
    assert by_cpu.status == "time limit" and by_cpu.message == "Maximum CPU time exceeded"


def test_warm_start_from_previous_duals() -> None:
    """Restarting from the previous primal and duals needs fewer iterations and gives the same duals."""
    m = _chain(500)
    nlp = compile_nlp(m)
    cold = nlp.solve(tol=1e-10)
    assert cold.status == "optimal"
    warm = nlp.solve(
        tol=1e-10,
        initial_duals=cold.duals,
        initial_bound_duals=cold.bound_duals,
        options={"mu_init": 1e-9, "warm_start_bound_push": 1e-9, "warm_start_mult_bound_push": 1e-9},
    )
    assert warm.status == "optimal" and warm.iterations < cold.iterations
    assert warm.objective == pytest.approx(cold.objective, rel=1e-8)
    assert all(warm.duals[c] == pytest.approx(d, abs=1e-6) for c, d in cold.duals.items())


def test_missing_ipyopt_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ipyopt the user is told what to install."""
    monkeypatch.setitem(sys.modules, "ipyopt", None)
    with pytest.raises(SolverUnavailableError, match="pip install ipyopt"):
        solve_nlp(_maximised_model())


def test_refusals() -> None:
    """Two objectives, a discrete variable, a live complementarity, an Expr_if: each named."""
    m = _maximised_model()
    m.extra = pyo.Objective(expr=m.x[0])
    with pytest.raises(StructureError, match="exactly one active objective"):
        CompiledNLP(m)
    m.extra.deactivate()
    m.n = pyo.Var(domain=pyo.Integers)
    m.uses_n = pyo.Constraint(expr=m.n + m.x[0] <= 3)
    with pytest.raises(MethodRefusedError, match="continuous"):
        CompiledNLP(m)
    m.uses_n.deactivate()
    m.cc = Complementarity(expr=complements(m.x[0] >= 0, m.x[1] >= 0))
    with pytest.raises(StructureError, match="Complementarity 'cc'"):
        CompiledNLP(m)
    m.cc.deactivate()
    m.branch = pyo.Constraint(expr=pyo.Expr_if(IF=m.x[0] >= 0, THEN=m.x[1], ELSE=m.x[2]) ** 2 <= 1)
    with pytest.raises(MethodRefusedError, match="Expr_ifExpression"):
        CompiledNLP(m)
