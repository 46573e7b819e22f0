"""``interdiction_cuts`` (monotone interdiction games) against brute force, BOBILib's optima and the
other methods; refusals outside its form."""
import csv
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from interdiction_instances import (
    Knapsack,
    binary_knapsack_brute_force,
    binary_knapsack_model,
    knapsack_brute_force,
    knapsack_instance,
    knapsack_model,
)

import pybilevel as bl

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


# MibS's 20-item knapsack interdiction instances, kept as CSV in benchmarks/data/knapsack_interdiction
# (benchmarks/knapsack_interdiction.py; the README there cites the files).
KNAPSACKS = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "knapsack_interdiction"


def mibs_knapsack(name: str) -> Knapsack:
    """The instance read from the CSV files with the csv module (independent of the benchmark loader)."""
    items = [r for r in csv.DictReader(open(KNAPSACKS / "items.csv")) if r["instance"] == name]
    source = next(r for r in csv.DictReader(open(KNAPSACKS / "sources.csv")) if r["instance"] == name)
    column = lambda key: np.array([float(r[key]) for r in items])  # noqa: E731
    return Knapsack(column("profit"), column("weight"), column("interdiction_cost"),
                    float(source["capacity"]), float(source["budget"]))


@pytest.mark.parametrize("name", ["K5020W07.KNP", "K5020W09.KNP", "K5020W17.KNP"])
def test_mibs_20_item_knapsack_interdiction_at_the_brute_force_optimum(name):
    """The optimum of every leader decision enumerated (1 s), against interdiction_cuts."""
    inst = mibs_knapsack(name)
    reference = binary_knapsack_brute_force(inst)
    res = bl.solve(binary_knapsack_model(inst))  # auto picks interdiction_cuts
    assert res.method == "interdiction_cuts"
    assert res.ok and res.leader_objective == pytest.approx(reference)
    assert res.bound == pytest.approx(reference)


@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared instances not found at {DATA}")
@pytest.mark.parametrize("small, large", [("K5010W02", "K5040W02"), ("K5010W03", "K5030W03"), ("K5010W07", "K5020W07")])
def test_transcribed_instances_extend_the_shared_10_item_files(small, large):
    """MibS's generator repeats the first items across sizes: the CSV's first 10 items equal the
    shared 10-item MPS/AUX files (copied separately), a check of the transcription."""
    m = bl.read_mibs(DATA / f"{small}.KNP.mps", DATA / f"{small}.KNP.aux")
    follower = bl.analyze(m).followers[0]
    inst = mibs_knapsack(f"{large}.KNP")
    assert np.array_equal(-follower.c, inst.profit[:10])
    capacity_row = follower.A_y.tocsr()[np.flatnonzero(np.diff(follower.A_x.tocsr().indptr) == 0)].toarray()
    assert capacity_row.shape[0] == 1 and np.array_equal(capacity_row[0], inst.weight[:10])


def test_an_unknown_option_or_another_solver_is_refused_by_name():
    """Like every decomposition (methods/base.py decomposition_options): interdiction_cuts solves
    with HiGHS only, so solver='scip' is refused rather than silently ignored."""
    m = binary_knapsack_model(knapsack_instance(5, 0))
    with pytest.raises(bl.MethodRefusedError, match="has no option depth; its options are max_iterations, time_limit, mip_gap"):
        bl.solve(m, method="interdiction_cuts", depth=3)
    with pytest.raises(bl.MethodRefusedError, match="solves every MILP with HiGHS; leave solver unset .got 'scip'"):
        bl.solve(m, method="interdiction_cuts", solver="scip")
