"""The SCIP branch-and-cut (method branch_and_cut) (pybilevel/methods/branch_and_cut.py) against brute-force enumeration.

Its optimum must equal the enumerated optimum of small random integer bilevel instances
(tests/integer_oracle.py), its point must be bilevel feasible (the follower re-solved by the
oracle at its leader decision), and each disjunction it branches on must keep every
bilevel-feasible point of the instance while excluding the candidate it was built at.
"""
from __future__ import annotations

import re
from itertools import product
from pathlib import Path

import numpy as np
import pytest

import pybilevel as bl
from integer_oracle import random_integer_bilevel, to_pyomo
from pybilevel.methods.branch_and_cut import (
    _Disjunctions,
    _excludes,
    solve_branch_and_cut,
)
from pybilevel.model.structure import analyze

KINDS = {
    "binary-leader": {"box": 1, "y_box": 2, "n_x": 4, "n_y": 3},
    "integer-leader": {"box": 2, "n_x": 3, "n_y": 3},
    "fractional": {"box": 1, "y_box": 2, "n_x": 3, "n_y": 3, "fractional": True},
    "wide": {"box": 3, "n_x": 2, "n_y": 4, "m": 4},
}
CASES = [(kind, seed) for kind in KINDS for seed in range(5)]


def instance(kind: str, seed: int, maximise: bool = False):
    """The instance, its enumerated optimum (both levels maximised with ``maximise``)."""
    p, reference = random_integer_bilevel(seed, **KINDS[kind])
    if maximise:
        p.leader_max = p.follower_max = True
        reference = p.solve_by_enumeration()
    return p, reference


def columns(model, p, hpr):
    return [hpr.column_of(model.x[i]) for i in range(p.n_x)], [hpr.column_of(model.f.y[j]) for j in range(p.n_y)]


@pytest.mark.parametrize("disjunctions", ["step", "response", "fewest", "linking"])
@pytest.mark.parametrize("kind, seed", CASES, ids=[f"{k}-{s}" for k, s in CASES])
def test_optimum_equals_enumeration(kind, seed, disjunctions):
    p, reference = instance(kind, seed)
    model = to_pyomo(p)
    structure = analyze(model)
    run = solve_branch_and_cut(structure, time_limit=60, disjunctions=disjunctions)
    assert run.status == "optimal"
    assert run.objective == pytest.approx(reference[0], abs=1e-6)
    assert run.bound == pytest.approx(reference[0], abs=1e-6)
    x_cols, y_cols = columns(model, p, _Disjunctions(structure).hpr)
    x, y = run.point[x_cols], run.point[y_cols]
    assert (p.A @ x + p.B @ y <= p.b + 1e-6).all()
    assert p.d @ y == pytest.approx(p.follower_value(x), abs=1e-6)  # the follower's optimum at x


def count_intersection_cuts(monkeypatch) -> list:
    """A list that gets an entry whenever the search computes its intersection cuts."""
    computed = []
    cuts = _Disjunctions.intersection_cuts
    monkeypatch.setattr(_Disjunctions, "intersection_cuts", lambda self, *args: computed.append(1) or cuts(self, *args))
    return computed


@pytest.mark.parametrize("kind, seed", [(kind, seed) for kind in ("binary-leader", "integer-leader", "wide")
                                        for seed in range(3)])
def test_intersection_cuts_at_the_root_keep_the_optimum(kind, seed, monkeypatch):
    """With the cuts from the start (no search without them first), the optimum is still the
    enumerated one: the cuts cut off no bilevel-feasible point the search needs."""
    from pybilevel.methods import branch_and_cut

    monkeypatch.setattr(branch_and_cut, "DEFER_SECONDS", 0.0)
    computed = count_intersection_cuts(monkeypatch)
    p, reference = instance(kind, seed)
    run = solve_branch_and_cut(analyze(to_pyomo(p)), time_limit=60)
    assert run.status == "optimal" and run.objective == pytest.approx(reference[0], abs=1e-6)
    assert computed == [1]


def test_intersection_cuts_wait_until_the_search_without_them_stops(monkeypatch):
    """An instance proven in the first DEFER_SECONDS never computes the cuts; one that is not
    (the first search given 0.01 s) starts again with them, its nodes counted with the first's."""
    from pybilevel.methods import branch_and_cut

    computed = count_intersection_cuts(monkeypatch)
    p, reference = instance("wide", 1)
    run = solve_branch_and_cut(analyze(to_pyomo(p)), time_limit=60)
    assert run.objective == pytest.approx(reference[0], abs=1e-6) and not computed
    assert "no intersection cuts" in run.message
    monkeypatch.setattr(branch_and_cut, "DEFER_SECONDS", 1e-9)  # SCIP's shortest limit, 0.01 s
    files = MIBS_GENERAL / "milp_10_20_50_2310_3a.mps", MIBS_GENERAL / "milp_10_20_50_2310_3a.aux"
    run = solve_branch_and_cut(analyze(bl.read_mibs(*files)), time_limit=60)
    assert run.status == "optimal" and computed == [1]
    assert run.objective == pytest.approx(-20567, abs=1e-6)  # both methods' optimum (test_mibs_general_instances_agree_with_value_function)
    first = re.search(r"(\d+) of them in .* without intersection cuts, then \d+ at the root", run.message)
    assert first is not None and run.nodes > int(first.group(1)), run.message


@pytest.mark.parametrize("seed", range(4))
def test_maximising_levels(seed):
    p, reference = instance("integer-leader", seed, maximise=True)
    assert reference is not None
    run = solve_branch_and_cut(analyze(to_pyomo(p)), time_limit=60, disjunctions="fewest")
    assert run.status == "optimal"
    assert run.objective == pytest.approx(reference[0], abs=1e-6)


def test_branchings_happen_without_unit_steps():
    """Not vacuous: without the unit-step rows the step and response disjunctions are branched on."""
    counts = {"step": 0, "response": 0}
    for seed in range(4):
        p, reference = instance("integer-leader", seed)
        for kind in counts:
            run = solve_branch_and_cut(analyze(to_pyomo(p)), time_limit=60, disjunctions=kind, unit_steps=False)
            assert run.objective == pytest.approx(reference[0], abs=1e-6)
            counts[kind] += run.branchings[kind]
    assert min(counts.values()) > 0


@pytest.mark.parametrize("kind, seed", [("integer-leader", 0), ("integer-leader", 1), ("fractional", 2), ("wide", 3)])
def test_disjunctions_keep_every_bilevel_feasible_point(kind, seed):
    """At every follower-feasible but not optimal (x, y): every bilevel-feasible point (x', y')
    satisfies some step and some response alternative, and each alternative excludes (x, y)
    (except on rows with halves, where "broken" is relaxed to "broken or tight": the handler
    checks exclusion and falls back)."""
    p, _ = instance(kind, seed)
    model = to_pyomo(p)
    parts = _Disjunctions(analyze(model))
    parts.tighten_row_ranges(lambda: None)
    x_cols, y_cols = columns(model, p, parts.hpr)
    n = len(parts.hpr.columns)
    xs = [np.array(x, float) for x in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.x_lb, p.x_ub)))]
    ys = [np.array(y, float) for y in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(p.y_lb, p.y_ub)))]

    def point(x, y):
        z = np.zeros(n)
        z[x_cols], z[y_cols] = x, y
        return z

    feasible = {tuple(x): [y for y in ys if (p.A @ x + p.B @ y <= p.b + 1e-9).all()] for x in xs}
    phi = {key: min(p.d @ y for y in found) for key, found in feasible.items() if found}
    bilevel = [point(np.array(key), y) for key, found in feasible.items() for y in found if key in phi and p.d @ y <= phi[key] + 1e-9]
    checked = 0
    for key, found in feasible.items():
        if key not in phi:
            continue
        optimum = next(y for y in found if p.d @ y <= phi[key] + 1e-9)
        for y in found[::3]:
            if p.d @ y <= phi[key] + 1e-9:
                continue
            z = point(np.array(key), y)
            for alternatives in (parts.step(optimum, y), parts.response(optimum)):
                if not alternatives:
                    continue
                assert kind == "fractional" or all(_excludes(alt, z) for alt in alternatives)
                for b in bilevel:
                    assert any(_holds(alt, b) for alt in alternatives), (key, y, b)
                checked += 1
    assert checked >= 5


def _holds(alternative, z) -> bool:
    row, sense, rhs = alternative
    return row @ z >= rhs - 1e-9 if sense > 0 else row @ z <= rhs + 1e-9


MIBS_GENERAL = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "mibs_general"


@pytest.mark.parametrize("name", ["miblp_20_15_50_0110_10_10", "miblp_20_20_50_0110_10_3", "miblp_20_20_50_0110_10_5",
                                  "milp_10_20_50_2310_3a", "milp_10_20_50_2310_4a", "milp_10_20_50_2310_5a"])
def test_mibs_general_instances_agree_with_value_function(name):
    """MibS's general instances (10 x 10 integers in [0, 500] or [0, 1500], no published optima
    here): two different searches (SCIP branching here, HiGHS MILP masters with big-M cuts in
    value_function) prove the same optimum, and the follower re-solved at the answer agrees."""
    files = MIBS_GENERAL / f"{name}.mps", MIBS_GENERAL / f"{name}.aux"
    ours = bl.solve(bl.read_mibs(*files), method="branch_and_cut", time_limit=120)
    theirs = bl.solve(bl.read_mibs(*files), method="value_function", time_limit=120)
    assert ours.ok and theirs.ok, (ours.message, theirs.message)
    assert ours.leader_objective == pytest.approx(theirs.leader_objective, abs=1e-9)
    assert ours.certified and ours.gap <= 1e-9


def stop_after_first_enforcement(monkeypatch) -> None:
    """Make the search stop right after its first enforcement, before SCIP is offered the
    restricted problem's point found there."""
    from pybilevel.methods import branch_and_cut

    enforce = branch_and_cut.BilevelConshdlr._enforce

    def enforce_once(self):
        result = enforce(self)
        self.model.interruptSolve()
        return result

    monkeypatch.setattr(branch_and_cut.BilevelConshdlr, "_offer_restricted", lambda self: None)
    monkeypatch.setattr(branch_and_cut.BilevelConshdlr, "_enforce", enforce_once)


def test_restricted_points_not_yet_offered_count(monkeypatch):
    """Stopped before SCIP is offered the restricted problem's point, that point is still the
    answer (bilevel feasible, not optimal)."""
    p, reference = instance("integer-leader", 1)  # SCIP has no bilevel-feasible point of its own when stopped
    stop_after_first_enforcement(monkeypatch)
    run = solve_branch_and_cut(analyze(to_pyomo(p)), time_limit=60, unit_steps=False)
    assert run.status == "feasible" and run.objective is not None
    assert run.objective >= reference[0] - 1e-9  # a bilevel-feasible point: never better than the optimum


def test_a_stopped_search_reports_its_bound_and_counts_nodes(monkeypatch):
    """Stopped early, the result has a point, a proven bound below it and a gap; the message counts
    the branch-and-bound nodes (``res.iterations``) and the printed result does not call them iterations."""
    p, reference = instance("integer-leader", 1)
    stop_after_first_enforcement(monkeypatch)
    res = bl.solve(to_pyomo(p), method="branch_and_cut", time_limit=60)
    assert res.status == "feasible" and res.gap > 0
    assert res.bound <= reference[0] + 1e-9 <= res.leader_objective + 2e-9
    assert f"after {res.iterations} nodes" in res.message
    assert f"proven bound: {res.bound:.10g} (gap {res.gap:.3g})" in str(res)
    assert "iterations" not in str(res)
