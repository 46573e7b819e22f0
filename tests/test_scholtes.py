"""The Ipopt solves behind ``method="regularized"`` and the certificate: the Scholtes schedule of t,
warm-started rounds, and bounds kept exactly."""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel.solvers.embedded import solve_model
from test_nonlinear import exp_follower


def test_rounds_divide_t_by_ten_and_end_once_at_the_final_value():
    """1.0 * 0.1**9 is 1.0000000000000005e-09 > 1e-9: the schedule must not add a round at 1e-9 after it."""
    res = bl.solve(exp_follower(), method="regularized")
    assert res.ok
    values = [t for t, _ in res.mpcc["rounds"] if t > 0]
    assert values[-1] == 1e-9  # this problem needs every round: its residual stays above t
    assert all(earlier / later == pytest.approx(10.0) for earlier, later in zip(values, values[1:]))


def quadratic_nlp(shift: float) -> pyo.ConcreteModel:
    """min (x - shift)^4 + (y - 1)^2 s.t. x + y <= 1, x^2 + y^2 <= 0.8, x, y >= 0: both rows can bind."""
    m = pyo.ConcreteModel()
    m.shift = pyo.Param(initialize=shift, mutable=True)
    m.x = pyo.Var(bounds=(0, None), initialize=0.1)
    m.y = pyo.Var(bounds=(0, None), initialize=0.1)
    m.line = pyo.Constraint(expr=m.x + m.y <= 1)
    m.disc = pyo.Constraint(expr=m.x**2 + m.y**2 <= 0.8)
    m.obj = pyo.Objective(expr=(m.x - m.shift) ** 4 + (m.y - 1) ** 2)
    return m


@pytest.mark.parametrize("shift", [1.0, 1.2, -0.5])
def test_a_warm_started_ipopt_solve_finds_what_a_cold_one_finds(shift):
    """Warm start from the optimum of a neighbouring problem (shift 0.9), as the sequence does."""
    warm = quadratic_nlp(0.9)
    first = solve_model(warm, "ipopt")
    assert first.status == "optimal" and first.duals is not None
    warm.shift.set_value(shift)
    again = solve_model(warm, "ipopt", warm_start=first.duals)
    cold = quadratic_nlp(shift)
    reference = solve_model(cold, "ipopt")
    assert again.status == reference.status == "optimal"
    assert again.objective == pytest.approx(reference.objective, abs=1e-9)
    assert (warm.x.value, warm.y.value) == pytest.approx((cold.x.value, cold.y.value), abs=1e-6)


def test_ipopt_keeps_bounds_and_rows_exact():
    """Ipopt's default bound relaxation (1e-8 per bound) lets 999 variables at their bound 0 go
    slightly negative and moves them back at the end: sum f = 1 then failed by 9e-6 and the
    objective came out 4.6e-6 low. min sum_i (1 + i/n) f_i + f_i^2 / 2 s.t. sum f = 1, f >= 0;
    reference: the KKT conditions, f_i = max(0, mu - 1 - i/n) with sum f = 1, by bisection on mu."""
    n = 1000
    m = pyo.ConcreteModel()
    m.f = pyo.Var(range(n), bounds=(0, None))
    m.total = pyo.Constraint(expr=sum(m.f[i] for i in range(n)) == 1)
    m.obj = pyo.Objective(expr=sum((1 + i / n) * m.f[i] + 0.5 * m.f[i] ** 2 for i in range(n)))
    outcome = solve_model(m, "ipopt")
    assert outcome.status == "optimal"
    assert abs(sum(v.value for v in m.f.values()) - 1) <= 1e-9
    assert min(v.value for v in m.f.values()) >= 0
    low, high = 1.0, 3.0
    for _ in range(200):
        mu = (low + high) / 2
        low, high = (mu, high) if sum(max(0.0, mu - 1 - i / n) for i in range(n)) < 1 else (low, mu)
    f = [max(0.0, mu - 1 - i / n) for i in range(n)]
    # the interior point leaves each of the 999 zero variables at ~1e-10: 9e-8 on the objective
    assert outcome.objective == pytest.approx(sum((1 + i / n) * fi + 0.5 * fi**2 for i, fi in enumerate(f)), abs=1e-6)
