"""``interdiction_cuts`` (monotone interdiction games) against brute force, BOBILib's optima and the
other methods; its parts (knapsack DP, optimality rows) against enumeration; refusals outside its
form; issue 20's classes (knapsack, assignment, shortest path here, max-flow in test_interdiction.py)
against brute force."""
import csv
import sys
from itertools import permutations, product
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

import pybilevel as bl
from interdiction_instances import (
    Knapsack,
    binary_knapsack_brute_force,
    binary_knapsack_model,
    knapsack_brute_force,
    knapsack_instance,
    knapsack_model,
)
from pybilevel.methods.interdiction_dominance import optimality_rows
from pybilevel.methods.interdiction_game import monotone_interdiction
from pybilevel.methods.knapsack_dp import BinaryKnapsack

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


@pytest.mark.parametrize("seed", range(3))
def test_knapsack_dp_matches_enumeration(seed):
    """methods/knapsack_dp.py (used for the fractional cuts) against all 2^12 item sets."""
    rng = np.random.default_rng(seed)
    weight, profit = rng.integers(0, 30, 12), rng.uniform(-5, 40, 12)
    capacity = int(0.4 * weight.sum())
    sets = np.array(list(product((0, 1), repeat=12)), dtype=float)
    best = max(s @ profit for s in sets if s @ weight <= capacity)
    knapsack = BinaryKnapsack.of(sp.csr_matrix(weight[None, :].astype(float)), np.array([capacity]), np.zeros(12),
                                 np.ones(12), np.ones(12, dtype=bool))
    y = knapsack.solve(profit)
    assert y @ weight <= capacity and y @ profit == pytest.approx(best)


@pytest.mark.parametrize("seed", range(4))
def test_optimality_rows_keep_an_optimal_decision_and_cut_others(seed):
    """methods/interdiction_dominance.py: over every binary decision within the budget, the best
    one that also meets the rows (useless, maximal, dominance) is as good as the best of all, and
    the rows exclude decisions (enumeration, follower by all 2^10 item sets)."""
    inst = knapsack_instance(10, seed)
    inst.weight[seed] = inst.capacity + 1  # an item that never fits: its removal is useless
    game = monotone_interdiction(bl.analyze(binary_knapsack_model(inst)))
    packing = np.diff(game.form.A_x.tocsr().indptr) == 0
    rows, lower, upper = optimality_rows(game, game.form.A_y.tocsr()[packing], game.form.row_upper[packing])
    item = [v.index() for v in game.form.variables]
    sets = np.array(list(product((0, 1), repeat=10)), dtype=float)  # follower's item sets
    fits = sets @ inst.weight <= inst.capacity

    def follower(x):
        removed = np.zeros(10)
        for i, blockers in enumerate(game.blockers):
            removed[item[i]] = max(x[b] for b in blockers)
        return max(s @ inst.profit for s, ok in zip(sets, fits) if ok and s @ removed == 0)

    decisions = [x for x in sets if game.leader_rows @ x <= game.leader_upper + 1e-9]
    kept = [x for x in decisions if np.all(rows @ x >= lower - 1e-9) and np.all(rows @ x <= upper + 1e-9)]
    assert 0 < len(kept) < len(decisions) / 2
    assert min(map(follower, kept)) == min(map(follower, decisions)) == binary_knapsack_brute_force(inst)


def assignment_brute_force(weight: np.ndarray, cost: np.ndarray, budget: float) -> float:
    """min over removal sets within the budget of the heaviest matching of the edges left
    (every permutation, an edge counting when left and positive)."""
    n = weight.shape[0]
    best = np.inf
    for removed in product((0, 1), repeat=n * n):
        if sum(c for c, r in zip(cost.flat, removed) if r) > budget:
            continue
        left = np.where(np.reshape(removed, (n, n)) == 1, 0.0, np.maximum(weight, 0.0))
        best = min(best, max(sum(left[i, p[i]] for i in range(n)) for p in permutations(range(n))))
    return best


@pytest.mark.parametrize("seed", range(3))
def test_assignment_interdiction_matches_brute_force(seed):
    """Issue 20's assignment class: the follower picks a heaviest matching (integer y, a row and a
    column limit per node: a packing problem with many rows, so the fractional cuts go through
    HiGHS rather than the knapsack DP), the leader removes edges within a budget."""
    rng = np.random.default_rng(seed)
    n = 3
    weight, cost = rng.integers(1, 20, (n, n)).astype(float), rng.integers(1, 4, (n, n)).astype(float)
    budget = 4.0
    cells = list(product(range(n), range(n)))
    m = pyo.ConcreteModel()
    m.x = pyo.Var(cells, within=pyo.Binary)
    m.budget = pyo.Constraint(expr=sum(cost[c] * m.x[c] for c in cells) <= budget)
    m.f = bl.Follower()
    m.f.y = pyo.Var(cells, within=pyo.Binary)
    m.f.row = pyo.Constraint(range(n), rule=lambda b, i: sum(b.y[i, j] for j in range(n)) <= 1)
    m.f.col = pyo.Constraint(range(n), rule=lambda b, j: sum(b.y[i, j] for i in range(n)) <= 1)
    m.f.removed = pyo.Constraint(cells, rule=lambda b, i, j: b.y[i, j] <= 1 - m.x[i, j])
    m.f.obj = pyo.Objective(expr=sum(weight[c] * m.f.y[c] for c in cells), sense=pyo.maximize)
    m.obj = pyo.Objective(expr=sum(weight[c] * m.f.y[c] for c in cells))
    res = bl.solve(m)
    assert res.method == "interdiction_cuts"
    assert res.ok and res.leader_objective == pytest.approx(assignment_brute_force(weight, cost, budget))
    assert res.bound == pytest.approx(res.leader_objective)


@pytest.mark.parametrize("seed", range(2))
def test_shortest_path_interdiction_matches_brute_force(seed):
    """Issue 20's network class with a minimising follower (max-flow is in test_interdiction.py):
    the leader lengthens up to two arcs by their delay, the follower takes a shortest s-t path (an
    LP: unit flow), the leader maximises its length. Reference: scipy's Dijkstra for every set."""
    rng = np.random.default_rng(seed)
    nodes = 6
    arcs = [(i, j) for i in range(nodes) for j in range(i + 1, min(nodes, i + 3))]
    length, delay = rng.integers(1, 10, len(arcs)).astype(float), rng.integers(5, 15, len(arcs)).astype(float)

    def path(extra):
        graph = sp.csr_matrix((length + extra, ([i for i, _ in arcs], [j for _, j in arcs])), shape=(nodes, nodes))
        return shortest_path(graph, indices=0)[nodes - 1]

    reference = max(path(delay * np.array(x)) for x in product((0, 1), repeat=len(arcs)) if sum(x) <= 2)
    a = range(len(arcs))
    m = pyo.ConcreteModel()
    m.x = pyo.Var(a, within=pyo.Binary)
    m.budget = pyo.Constraint(expr=sum(m.x[k] for k in a) <= 2)
    m.f = bl.Follower()
    m.f.y = pyo.Var(a, bounds=(0, 1))
    supply = {0: 1, nodes - 1: -1}
    m.f.flow = pyo.Constraint(range(nodes), rule=lambda b, v: sum(b.y[k] for k in a if arcs[k][0] == v)
                              - sum(b.y[k] for k in a if arcs[k][1] == v) == supply.get(v, 0))
    cost = sum((length[k] + delay[k] * m.x[k]) * m.f.y[k] for k in a)
    m.f.obj = pyo.Objective(expr=cost)
    m.obj = pyo.Objective(expr=cost, sense=pyo.maximize)
    res = bl.solve(m)
    assert res.method == "interdiction"  # auto: binary leader, LP follower with leader-dependent costs
    assert res.ok and res.leader_objective == pytest.approx(reference)


@pytest.mark.parametrize("seed", range(4))
def test_the_reference_branch_and_bound_of_the_benchmark_matches_brute_force(seed):
    """benchmarks/knapsack_optima.py's B&B (the 30- and 40-item references) on small instances."""
    sys.path.insert(0, str(KNAPSACKS.parents[1]))
    from knapsack_optima import branch_and_bound

    inst = knapsack_instance(14, seed)
    value, nodes = branch_and_bound(inst, time_limit=60)
    assert value == binary_knapsack_brute_force(inst) and nodes >= 1


def test_a_node_limit_leaves_a_valid_bound_and_an_evaluated_incumbent():
    """Stopped after 5 nodes on K5020W19 (hundreds needed): the bound is below the brute-force
    optimum, the incumbent (if any) at or above it, and the status says not proven."""
    inst = mibs_knapsack("K5020W19.KNP")
    reference = binary_knapsack_brute_force(inst)
    res = bl.solve(binary_knapsack_model(inst), method="interdiction_cuts", max_iterations=5)
    assert res.status in ("feasible", "limit") and res.iterations == 5
    assert res.bound is not None and res.bound < reference
    assert res.leader_objective is None or res.leader_objective >= reference


def test_leader_constraints_without_a_binary_solution_are_reported_infeasible():
    m = binary_knapsack_model(knapsack_instance(6, 0))
    m.at_least = pyo.Constraint(expr=sum(m.x.values()) >= 2.5)
    m.at_most = pyo.Constraint(expr=sum(m.x.values()) <= 2.6)
    res = bl.solve(m, method="interdiction_cuts")
    assert res.status == "infeasible"


def test_one_node_already_gives_an_evaluated_decision():
    """The root's LP point rounded and evaluated: a point (at or above the optimum, certified by
    the follower's re-solve) even when the search stops after the root."""
    inst = mibs_knapsack("K5020W19.KNP")
    res = bl.solve(binary_knapsack_model(inst), method="interdiction_cuts", max_iterations=1)
    assert res.status == "feasible" and res.certified
    assert res.bound <= binary_knapsack_brute_force(inst) <= res.leader_objective
