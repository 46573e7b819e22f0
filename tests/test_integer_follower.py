"""Integer (MILP) followers: methods value_function and branch_and_cut against published optima and
brute-force enumeration."""
from dataclasses import replace
from itertools import product
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from integer_library import PROBLEMS
from integer_oracle import random_integer_bilevel, to_pyomo
from pybilevel import Status
from pybilevel.io.cli import main

ROOT = Path(__file__).resolve().parents[1]

SOLVABLE = [p for p in PROBLEMS if not p.refused_because]
#: the exact methods for MILP followers (same class of models)
EXACT = ["value_function", "branch_and_cut"]
exact = pytest.mark.parametrize("method", EXACT)


def close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(b))


@pytest.mark.parametrize("problem", SOLVABLE, ids=[p.name for p in SOLVABLE])
@exact
def test_literature_problem_matches_published_optimum_and_enumeration(problem, method):
    reference, x_ref, y_ref = problem.instance.solve_by_enumeration()
    if problem.leader_objective is not None:  # the oracle and the literature agree
        assert reference == pytest.approx(problem.leader_objective, abs=1e-9), problem.citation
    res = bl.solve(problem.build(), method=method)
    assert res.ok, res.message
    assert res.leader_objective == pytest.approx(reference, abs=1e-9), problem.citation
    assert res.bound == pytest.approx(reference, abs=1e-9) and res.gap <= 1e-9
    assert method != "value_function" or res.iterations >= 1
    for name, val in {**problem.leader_values, **{f"x[{i}]": v for i, v in enumerate(x_ref)}}.items():
        assert res.leader[name] == pytest.approx(val, abs=1e-9), name  # the optimum is unique in these problems
    for name, val in problem.follower_values.items():
        assert res.follower["f"][name] == pytest.approx(val, abs=1e-9), name


@pytest.mark.parametrize("problem", [p for p in PROBLEMS if p.refused_because], ids=lambda p: p.name)
@exact
def test_continuous_linking_variable_is_refused_by_name(problem, method):
    with pytest.raises(bl.MethodRefusedError, match=problem.refused_because):
        bl.solve(problem.build(), method=method)


CASES = [("pure", s) for s in range(12)] + [("mixed", s) for s in range(6)] + [("fractional", s) for s in range(8)]
CASES += [("binary", s) for s in range(8)] + [("wider", s) for s in range(6)] + [("binary-leader", s) for s in range(10)]
KINDS = {
    "pure": {},
    "mixed": {"mixed": True},
    "fractional": {"fractional": True},
    "binary": {"box": 1, "n_x": 4, "n_y": 4},
    "wider": {"box": 2, "n_x": 3, "n_y": 5, "m": 4},  # 27 leader decisions x 243 follower points
    "binary-leader": {"box": 1, "y_box": 3, "n_x": 4, "n_y": 4},  # 16 leader decisions x 256 follower points
}


@pytest.mark.parametrize("kind, seed", CASES, ids=[f"{k}-{s}" for k, s in CASES])
@exact
def test_random_instance_matches_enumeration(kind, seed, method):
    """pure: follower all integer; mixed: one continuous follower variable (an LP per integer part in
    the oracle); fractional: linking coefficients in halves, where a response cut is relaxed; binary:
    0/1 variables at both levels, where a cut's alternatives are the leader's binaries themselves;
    wider: 3 leader and 5 follower integer variables in 0..2 and 4 follower rows; binary-leader:
    4 binary leader and 4 integer follower variables in 0..3, where the unit-step conditions and
    the robust response have room (tests/test_value_function_master.py checks them alone)."""
    p, (expected, _, _) = random_integer_bilevel(seed, **KINDS[kind])
    res = bl.solve(to_pyomo(p), method=method, time_limit=60)
    assert res.ok, (res.status, res.message)
    # the oracle's ties allow 1e-7 relative follower slack; value_function's final point allows none
    assert close(res.leader_objective, expected), (res.leader_objective, expected)
    x = np.array([res.leader[f"x[{i}]"] for i in range(p.n_x)])
    y = np.array([res.follower["f"][f"f.y[{j}]"] for j in range(p.n_y)])
    phi = p.follower_value(x)  # the oracle's own follower optimum at the returned decision
    sign = -1 if p.follower_max else 1
    assert sign * p.d @ y <= phi + 1e-6 * max(1.0, abs(phi))


@pytest.mark.parametrize("seed", range(4))
@exact
def test_maximising_leader_and_follower_match_enumeration(seed, method):
    """The same instances with both objectives negated and both senses flipped: same points, negated values."""
    p, _ = random_integer_bilevel(seed, mixed=seed % 2 == 1)
    q = replace(p, cx=-p.cx, cy=-p.cy, d=-p.d, leader_max=True, follower_max=True)
    expected, _, _ = q.solve_by_enumeration()
    res = bl.solve(to_pyomo(q), method=method, time_limit=60)
    assert res.ok and close(res.leader_objective, expected)
    assert res.bound >= res.leader_objective - 1e-9  # a maximising leader's bound is an upper bound


def knapsack_interdiction(seed: int, n: int = 8) -> tuple[pyo.ConcreteModel, float]:
    """Knapsack interdiction (DeNegre 2011, PhD thesis, Lehigh University): the leader removes items
    within a budget to minimise the best profit the follower then packs in a binary knapsack; the
    reference enumerates every removal set and every packing."""
    rng = np.random.default_rng(seed)
    profit, weight, cost = rng.integers(1, 20, n), rng.integers(1, 10, n), rng.integers(1, 5, n)
    capacity, budget = int(weight.sum() // 2), int(cost.sum() // 3)
    m = pyo.ConcreteModel()
    items = range(n)
    m.remove = pyo.Var(items, within=pyo.Binary)
    m.budget = pyo.Constraint(expr=sum(int(cost[i]) * m.remove[i] for i in items) <= budget)
    m.f = bl.Follower()
    m.f.pack = pyo.Var(items, within=pyo.Binary)
    m.f.capacity = pyo.Constraint(expr=sum(int(weight[i]) * m.f.pack[i] for i in items) <= capacity)
    m.f.removed = pyo.Constraint(items, rule=lambda f, i: f.pack[i] + m.remove[i] <= 1)
    m.f.obj = pyo.Objective(expr=sum(int(profit[i]) * m.f.pack[i] for i in items), sense=pyo.maximize)
    m.obj = pyo.Objective(expr=sum(int(profit[i]) * m.f.pack[i] for i in items))
    sets = np.array(list(product((0, 1), repeat=n)))
    fits = sets @ weight <= capacity
    best = min((sets[fits & (sets @ r == 0)] @ profit).max() for r in sets if r @ cost <= budget)
    return m, float(best)


@pytest.mark.parametrize("seed", range(2))
@exact
def test_knapsack_interdiction_matches_enumeration(seed, method):
    m, expected = knapsack_interdiction(seed)
    res = bl.solve(m, method=method, time_limit=60)
    assert res.ok and res.leader_objective == pytest.approx(expected, abs=1e-9)
    removed = [i for i in range(8) if res.leader[f"remove[{i}]"] > 0.5]
    assert all(res.follower["f"][f"f.pack[{i}]"] < 0.5 for i in removed)


def test_auto_chooses_branch_and_cut_for_general_integer_linking_variables():
    """Moore & Bard: x in 0..10 enters the follower's rows."""
    res = bl.solve(PROBLEMS[0].build())
    assert res.method == "branch_and_cut" and "ranges over 1" in res.method_reason
    assert res.ok and res.leader_objective == pytest.approx(-22)


def test_auto_chooses_value_function_for_general_integer_linking_in_packing_rows():
    """MibS's miblp_20_20_50_0110_10_5: leader variables in 0..1500 enter the follower's rows, but
    every row is a packing row (coefficients >= 0); value_function proves it, at the optimum that
    branch_and_cut proves too (tests/test_branch_and_cut.py)."""
    files = [Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "mibs_general" /
             f"miblp_20_20_50_0110_10_5.{ext}" for ext in ("mps", "aux")]
    res = bl.solve(bl.read_mibs(*files), time_limit=60)
    assert res.method == "value_function" and res.ok and res.leader_objective == pytest.approx(-1003)


@pytest.mark.parametrize("seed", range(2))
def test_auto_chooses_value_function_for_binary_linking_variables(seed):
    """Binary leader variables in the follower's rows (the knapsack interdiction above with a
    follower that is not a packing problem, so interdiction_cuts refuses it)."""
    m, _ = knapsack_interdiction(seed)
    m.f.some = pyo.Constraint(expr=sum(m.f.pack.values()) >= 1)
    res = bl.solve(m, time_limit=60)
    assert res.method == "value_function" and "integer follower" in res.method_reason and res.ok
    assert res.leader_objective == pytest.approx(bl.solve(m, method="branch_and_cut", time_limit=60).leader_objective)


def test_iteration_limit_gives_the_best_point_and_a_proven_gap():
    """Moore & Bard needs 3 iterations; after 1 the point is bilevel feasible but not proven optimal."""
    res = bl.solve(PROBLEMS[0].build(), method="value_function", max_iterations=1)
    assert res.status == Status.FEASIBLE and not res.ok
    assert res.certified  # the point itself is bilevel feasible: the follower's answer is optimal
    assert res.bound <= -22 <= res.leader_objective  # the bound is valid, the point no better than the optimum
    assert res.gap == pytest.approx(abs(res.leader_objective - res.bound) / max(1, abs(res.leader_objective)))
    assert res.gap > 0 and "stopped" in res.message


@exact
def test_tiny_time_limit_never_claims_optimality(method):
    res = bl.solve(PROBLEMS[3].build(), method=method, time_limit=1e-9)
    assert res.status in (Status.LIMIT, Status.FEASIBLE)
    assert res.leader_objective is None or res.leader_objective >= -20 - 1e-9


def integer_skeleton():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.Integers, bounds=(0, 5))
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.Integers, bounds=(0, None))
    return m


@exact
def test_no_common_integer_point_is_infeasible_although_the_lp_relaxation_is_not(method):
    m = integer_skeleton()
    m.f.c = pyo.Constraint(expr=pyo.inequality(0.2, 2 * m.f.y - 2 * m.x, 0.8))  # y - x in [0.1, 0.4]
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x)
    res = bl.solve(m, method=method)
    assert res.status == Status.INFEASIBLE and "no common integer point" in res.message


@exact
def test_bilevel_infeasible_when_no_follower_optimum_suits_the_leader(method):
    m = integer_skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y + m.x <= 20)
    m.f.obj = pyo.Objective(expr=m.f.y)  # the follower always answers y = 0
    m.need = pyo.Constraint(expr=m.f.y >= 2)
    m.obj = pyo.Objective(expr=m.x)
    res = bl.solve(m, method=method)
    assert res.status == Status.INFEASIBLE and "bilevel infeasible" in res.message


@exact
def test_follower_unbounded_names_the_leader_decision(method):
    m = integer_skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y >= m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.cap = pyo.Constraint(expr=m.f.y <= 10)  # a leader row: the relaxation is bounded, the follower is not
    m.obj = pyo.Objective(expr=m.x)
    res = bl.solve(m, method=method)
    assert res.status == Status.FOLLOWER_UNBOUNDED and "follower f has no optimum" in res.message


@pytest.mark.parametrize(
    "follower_objective, leader_objective, words",
    [
        (lambda m: m.f.y ** 2, lambda m: m.x, "linear follower objective"),
        (lambda m: m.x * m.f.y, lambda m: m.x, "multiply leader variables"),
        (lambda m: m.f.y, lambda m: m.x ** 2 + m.f.y, "linear leader objective"),
    ],
)
@exact
def test_refusals_say_what_the_method_needs(follower_objective, leader_objective, words, method):
    m = integer_skeleton()
    m.f.c = pyo.Constraint(expr=m.f.y + m.x <= 20)
    m.f.obj = pyo.Objective(expr=follower_objective(m))
    m.obj = pyo.Objective(expr=leader_objective(m))
    with pytest.raises(bl.MethodRefusedError, match=words):
        bl.solve(m, method=method)


def test_options_it_does_not_have_are_refused():
    with pytest.raises(bl.MethodRefusedError, match="has no option dual_bound"):
        bl.solve(PROBLEMS[0].build(), method="value_function", dual_bound=5)
    with pytest.raises(bl.MethodRefusedError, match="solves every MILP with HiGHS"):
        bl.solve(PROBLEMS[0].build(), method="value_function", solver="scip")
    with pytest.raises(bl.MethodRefusedError, match="'branch_and_cut' has no option max_iterations"):
        bl.solve(PROBLEMS[0].build(), method="branch_and_cut", max_iterations=3)
    with pytest.raises(bl.MethodRefusedError, match="relaxation with SCIP"):
        bl.solve(PROBLEMS[0].build(), method="branch_and_cut", solver="highs")
    with pytest.raises(bl.MethodRefusedError, match="disjunctions='steps' is not one of 'response', 'step'"):
        bl.solve(PROBLEMS[0].build(), method="branch_and_cut", disjunctions="steps")


@pytest.mark.parametrize("disjunctions", ["step", "fewest", "linking"])
def test_branch_and_cut_disjunctions_reach_the_published_optimum(disjunctions):
    """Moore & Bard (1990): -22 with every branching rule (tests/test_branch_and_cut.py checks them on
    random instances against enumeration)."""
    res = bl.solve(PROBLEMS[0].build(), method="branch_and_cut", disjunctions=disjunctions)
    assert res.ok and res.leader_objective == pytest.approx(-22, abs=1e-9)
    assert "proven optimal after" in res.message and "nodes" in res.message


@exact
def test_unbounded_linking_variable_is_refused_by_name(method):
    m = integer_skeleton()
    m.z = pyo.Var(within=pyo.Integers)  # no bound, and nothing bounds it
    m.f.c = pyo.Constraint(expr=m.f.y - m.z >= 0)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x + m.f.y)
    with pytest.raises(bl.MethodRefusedError, match="linking variable z has no finite bound"):
        bl.solve(m, method=method)


@exact
def test_solve_leaves_the_model_as_it_was(method):
    m = PROBLEMS[0].build()
    before = [c.name for c in m.component_objects(descend_into=True)]
    bl.solve(m, method=method)
    assert [c.name for c in m.component_objects(descend_into=True)] == before
    assert m.f.obj.active and m.obj.active and not m.x[0].fixed


def test_cli_inspect_describes_the_decomposition(capsys):
    args = [str(ROOT / "models" / "interdiction.py"), "--data", str(ROOT / "data" / "interdiction")]
    assert main(["inspect", *args, "--method", "value_function"]) == 0
    assert "a decomposition; its first master problem has" in capsys.readouterr().out
    assert main(["inspect", *args, "--method", "branch_and_cut"]) == 0
    assert "SCIP's branch-and-bound over the high-point relaxation" in capsys.readouterr().out
