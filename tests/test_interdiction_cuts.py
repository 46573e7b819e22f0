"""``interdiction_cuts`` (monotone interdiction games) against brute force, BOBILib's optima and the
other methods; refusals outside its form."""
import csv
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from interdiction_instances import (
    binary_knapsack_brute_force,
    binary_knapsack_model,
    knapsack_brute_force,
    knapsack_instance,
    knapsack_model,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "bilevel_instances"


@pytest.mark.parametrize("seed", range(4))
def test_binary_knapsack_interdiction_matches_brute_force(seed):
    inst = knapsack_instance(12, seed)
    res = bl.solve(binary_knapsack_model(inst))  # auto
    assert res.method == "interdiction_cuts" and "monotone" in res.method_reason
    assert res.ok and res.leader_objective == pytest.approx(binary_knapsack_brute_force(inst))
    assert res.bound == pytest.approx(res.leader_objective)


@pytest.mark.parametrize("seed", range(3))
def test_continuous_knapsack_interdiction_matches_brute_force_and_the_dual_method(seed):
    inst = knapsack_instance(10, seed)
    best, _ = knapsack_brute_force(inst)  # the fractional knapsack by Dantzig's greedy
    res = bl.solve(knapsack_model(inst), method="interdiction_cuts")
    assert res.ok and res.leader_objective == pytest.approx(best)
    assert bl.solve(knapsack_model(inst), method="interdiction").leader_objective == pytest.approx(best)


@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared instances not found at {DATA}")
@pytest.mark.parametrize("name", ["K5010W02.KNP", "K5010W05.KNP", "K5010W08.KNP"])
def test_bobilib_knapsack_interdiction_optimum(name):
    """BOBILib's proven optima (optima.csv), the MibS files read by bl.read_mibs."""
    optima = {row["instance"]: float(row["optimal_objective"]) for row in csv.DictReader(open(DATA / "optima.csv"))}
    res = bl.solve(bl.read_mibs(DATA / f"{name}.mps", DATA / f"{name}.aux"), method="interdiction_cuts")
    assert res.ok and res.leader_objective == pytest.approx(optima[name], abs=1e-6)


def test_a_follower_that_is_not_a_packing_problem_is_refused_by_name():
    inst = knapsack_instance(6, 0)
    m = binary_knapsack_model(inst)
    m.f.must = pyo.Constraint(expr=sum(m.f.y.values()) >= 1)  # not downward closed
    with pytest.raises(bl.MethodRefusedError, match="constraint f.must is not a packing row"):
        bl.solve(m, method="interdiction_cuts")
    assert bl.solve(m).method == "value_function"  # auto falls back, exact


def test_objectives_that_are_not_opposite_are_refused():
    inst = knapsack_instance(6, 1)
    m = binary_knapsack_model(inst)
    m.obj.deactivate()
    m.other = pyo.Objective(expr=sum(m.f.y.values()))
    with pytest.raises(bl.MethodRefusedError, match="not the negative of the follower's objective"):
        bl.solve(m, method="interdiction_cuts")
