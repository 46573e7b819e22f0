"""Max-flow interdiction domain: every method against enumeration of all interdiction sets."""
from pathlib import Path

import pytest

import pybilevel as bl
from interdiction_instances import layered_network, network_brute_force
from pybilevel.io.cli import load_model_file
from pybilevel.io.data_io import load_tables

ROOT = Path(__file__).resolve().parents[1]
MODULE = load_model_file(ROOT / "models" / "interdiction.py")


def sample_data(budget):
    data = load_tables(ROOT / "data" / "interdiction", MODULE.TABLES)
    data["network"].loc[0, "budget"] = budget
    return data


@pytest.mark.parametrize("budget", [0, 1, 2])
@pytest.mark.parametrize("method", [*bl.GLOBAL_METHODS, "interdiction"])  # value_function, branch_and_cut too: binary leader, LP follower
def test_interdiction_matches_enumeration(method, budget):
    data = sample_data(budget)
    res = bl.solve(MODULE.build(data), method=method)
    assert res.ok
    assert res.leader_objective == pytest.approx(network_brute_force(data), abs=1e-6)


def test_auto_picks_the_interdiction_method_and_says_why():
    res = bl.solve(MODULE.build(sample_data(1)))
    assert res.method == "interdiction" and res.solver == "highs"
    assert "negative of the leader's" in res.method_reason
    # the reported flow is the follower's own optimum at the decision (re-solved), and the
    # reported duals are HiGHS's: a max-flow dual is a minimum cut, capacity multipliers in [0, 1]
    assert res.ok and res.follower_objectives["flow"] == pytest.approx(res.leader_objective)
    capacity = [v for k, v in res.follower_duals["flow"].items() if k.startswith("flow.capacity")]
    assert min(capacity) >= -1e-9 and max(capacity) <= 1 + 1e-9
    assert not [r for r in res.bigm_reached if not r.proven]


@pytest.mark.parametrize("seed", [0, 1])
def test_random_layered_network_matches_enumeration(seed):
    data = layered_network(layers=2, width=3, seed=seed, budget=2)  # 12 arcs, 79 interdiction sets
    expected = network_brute_force(data)
    # dual_bound=1: the min-cut bound proven in docs/interdiction.md (the benchmark relies on it)
    for method, options in (("interdiction", {}), ("bigm", {}), ("interdiction", {"dual_bound": 1.0})):
        res = bl.solve(MODULE.build(data), method=method, **options)
        assert res.ok, (method, res.message)
        assert res.leader_objective == pytest.approx(expected, abs=1e-6), (method, options)
