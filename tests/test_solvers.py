"""The embedded-solver layer: limits reach the solver, answers match enumeration."""
from __future__ import annotations

import itertools

import numpy as np
import pyomo.environ as pyo
import pytest

from pybilevel.solvers.embedded import solve_model


def _knapsack(n: int = 12, seed: int = 4) -> tuple[pyo.ConcreteModel, float]:
    """A 0-1 knapsack and its optimum by enumerating all 2^n choices."""
    rng = np.random.default_rng(seed)
    value, weight = rng.integers(5, 40, n), rng.integers(3, 30, n)
    capacity = int(weight.sum() // 2)
    m = pyo.ConcreteModel()
    m.z = pyo.Var(range(n), within=pyo.Binary)
    m.cap = pyo.Constraint(expr=sum(int(weight[i]) * m.z[i] for i in range(n)) <= capacity)
    m.obj = pyo.Objective(expr=sum(int(value[i]) * m.z[i] for i in range(n)), sense=pyo.maximize)
    best = max(
        float(value @ np.array(choice)) for choice in itertools.product((0, 1), repeat=n)
        if weight @ np.array(choice) <= capacity
    )
    return m, best


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_optimum_matches_enumeration(solver: str) -> None:
    model, best = _knapsack()
    outcome = solve_model(model, solver)
    assert outcome.status == "optimal"
    assert outcome.objective == pytest.approx(best)


def test_time_limit_reaches_highs_on_the_array_path() -> None:
    """A tiny time limit stops HiGHS before it proves anything (it was once overwritten by inf)."""
    model, _ = _knapsack()
    outcome = solve_model(model, "highs", time_limit=1e-9)
    assert outcome.termination == "maxTimeLimit"
    assert outcome.status != "optimal"


@pytest.mark.parametrize("solver", ["highs", "scip", "ipopt"])
def test_no_time_left_means_no_solver_call(solver: str) -> None:
    """A spent budget (0 s) returns 'limit' at once instead of handing a solver 0 s (Ipopt refuses it)."""
    model, _ = _knapsack()
    outcome = solve_model(model, solver, time_limit=0.0)
    assert (outcome.status, outcome.has_solution, outcome.seconds) == ("limit", False, 0.0)


def test_an_lp_time_limit_holds_per_solve_not_over_all_solves_on_one_object() -> None:
    """HiGHS compares an LP's time limit with the run time summed over every solve on the same
    object; ArrayLP offsets it, so 300 quick LPs under a 50 ms limit each all finish (without the
    offset the fourth or fifth stopped at 'time limit reached', measured)."""
    import scipy.sparse as sp

    from pybilevel.solvers.highs import ArrayLP

    n, m = 400, 300
    A = sp.random(m, n, density=0.05, random_state=1, format="csc")
    lp = ArrayLP(A, np.full(m, -np.inf), np.ones(m), np.zeros(n), np.ones(n))
    rng = np.random.default_rng(0)
    statuses = {lp.solve(rng.standard_normal(n), time_limit=0.05).status for _ in range(300)}
    assert statuses == {"optimal"}
