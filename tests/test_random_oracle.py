"""Random small LP-LP instances: every method against the brute-force KKT enumeration oracle."""
import numpy as np
import pytest

import pybilevel as bl
from oracle import random_tiny_bilevel
from oracle import tiny_to_pyomo as to_pyomo


@pytest.mark.parametrize("seed", range(12))
def test_random_instance_matches_enumeration(seed):
    tiny = random_tiny_bilevel(seed, n_x=2, n_y=3, m=3, coupling=seed % 2 == 1)
    reference = tiny.solve_by_enumeration()
    assert reference is not None
    expected, _, _ = reference
    for method in bl.GLOBAL_METHODS:
        if method in ("value_function", "branch_and_cut"):
            continue  # refuse a continuous linking leader variable (tests/test_integer_follower.py)
        res = bl.solve(to_pyomo(tiny), method=method, time_limit=30)
        assert res.ok, (method, res.status, res.message)
        assert res.leader_objective == pytest.approx(expected, abs=1e-5 * max(1.0, abs(expected))), method
        x = np.array([res.leader[f"x[{i}]"] for i in range(tiny.n_x)])
        y = np.array([res.follower["f"][f"f.y[{j}]"] for j in range(tiny.n_y)])
        assert tiny.is_follower_optimal(x, y, tol=1e-5), method  # the oracle's own follower check


@pytest.mark.parametrize("seed", range(6))
def test_regularized_gives_a_certified_point_no_better_than_the_optimum(seed):
    tiny = random_tiny_bilevel(seed, n_x=2, n_y=3, m=3, coupling=seed % 2 == 1)
    expected, _, _ = tiny.solve_by_enumeration()
    res = bl.solve(to_pyomo(tiny), method="regularized")
    assert res.status == bl.Status.LOCALLY_OPTIMAL and res.certified, res.message
    assert res.leader_objective >= expected - 1e-6 * max(1.0, abs(expected))  # local, never better than global
    assert res.mpcc["residual"] <= 1e-6
