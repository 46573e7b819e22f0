"""Iterative methods log one line per iteration and keep it as ``res.history`` (pybilevel/progress.py)."""
import logging

import pytest

import pybilevel as bl
from interdiction_instances import knapsack_instance
from test_interdiction_cuts import binary_knapsack_brute_force, binary_knapsack_model


@pytest.mark.parametrize("method", ["interdiction_cuts", "value_function"])
def test_history_brackets_the_optimum_and_is_logged(method, caplog):
    inst = knapsack_instance(9, seed=3)
    reference = binary_knapsack_brute_force(inst)
    with caplog.at_level(logging.INFO, logger="pybilevel.progress"):
        res = bl.solve(binary_knapsack_model(inst), method=method)
    assert res.ok and res.leader_objective == pytest.approx(reference)
    history = res.history
    assert len(history) == res.iterations >= 1
    # the leader minimises: every bound is below the optimum, every incumbent above, both monotone
    bounds = [h.bound for h in history if h.bound is not None]
    incumbents = [h.incumbent for h in history if h.incumbent is not None]
    assert all(b <= reference + 1e-6 for b in bounds) and all(i >= reference - 1e-6 for i in incumbents)
    assert bounds == sorted(bounds) and incumbents == sorted(incumbents, reverse=True)
    assert incumbents[-1] == pytest.approx(reference)
    assert [h.seconds for h in history] == sorted(h.seconds for h in history)
    lines = [r.getMessage() for r in caplog.records if r.name == "pybilevel.progress"]
    assert len(lines) == len(history) and lines[0].startswith(f"{method} iteration 1 ")
    assert res.to_dict()["history"][-1]["incumbent"] == pytest.approx(reference)


def test_a_maximising_leader_gets_its_history_in_its_own_sense():
    inst = knapsack_instance(8, seed=1)
    m = binary_knapsack_model(inst)
    m.obj.sense = -1  # maximise minus the follower's profit: same decisions, negated values
    m.obj.expr = -m.obj.expr + 5
    res = bl.solve(m, method="value_function")
    reference = 5 - binary_knapsack_brute_force(inst)
    assert res.ok and res.leader_objective == pytest.approx(reference)
    assert res.history[-1].incumbent == pytest.approx(reference)
    assert all(h.bound >= reference - 1e-6 for h in res.history if h.bound is not None)
