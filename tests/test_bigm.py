"""Big-M values: every source recorded and queryable, reached values reported, none silent."""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel.methods.reformulation import reached_bigm


def model():
    """min x - 4y  s.t. follower argmin {y : y >= 3 - x... } written so the follower multiplier is 1.

    Follower: min y  s.t.  c1: x + y >= 3,  c2: y <= 5,  y >= 0.   Leader: min x - 4y, x in [0, 4]
    Follower optimum y = max(0, 3 - x); leader value x - 4 max(0, 3 - x) is smallest at x = 0: -12.
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    m.f.c1 = pyo.Constraint(expr=m.x + m.f.y >= 3)
    m.f.c2 = pyo.Constraint(expr=m.f.y <= 5)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x - 4 * m.f.y)
    return m


def records(reformulation, kind):
    return {r.key: r for r in reformulation.bigm if r.kind == kind}


def test_slack_bounds_are_inferred_from_bounds_or_by_lp():
    m = model()
    pyo.TransformationFactory("bilevel.bigm").apply_to(m, dual_bound=7)
    slack = records(bl.find_reformulation(m, "bigm"), "slack")
    # c1 lower slack x + y - 3: x <= 4, y <= 5 only through c2 (an LP bound): 4 + 5 - 3 = 6
    assert slack["f.c1:lower"].value == pytest.approx(6) and slack["f.c1:lower"].source == "lp"
    # c2 upper slack 5 - y with y >= 0: interval arithmetic gives 5
    assert slack["f.c2:upper"].value == pytest.approx(5) and slack["f.c2:upper"].source == "bounds"
    assert slack["f.y:lower"].value == pytest.approx(5) and slack["f.y:lower"].source == "lp"


def test_multiplier_bounds_argument_suffix_heuristic():
    m = model()
    m.f.BigM = pyo.Suffix(direction=pyo.Suffix.LOCAL)
    m.f.BigM[m.f.c2] = 42
    pyo.TransformationFactory("bilevel.bigm").apply_to(m, dual_bound={m.f.c1: 11})
    mult = records(bl.find_reformulation(m), "multiplier")
    assert (mult["f.c1:lower"].value, mult["f.c1:lower"].source) == (11, "argument")
    assert (mult["f.c2:upper"].value, mult["f.c2:upper"].source) == (42, "suffix")
    # nothing given for y >= 0: the stated heuristic, factor x largest sampled multiplier (1 here)
    assert mult["f.y:lower"].value == pytest.approx(10.0)
    assert mult["f.y:lower"].source.startswith("heuristic: 10 x largest follower multiplier (1)")
    # the added components sit in one block per follower, keyed by the source constraint
    block = bl.find_reformulation(m).follower_block("f")
    assert block.multiplier_bigm["f.c1:lower"].upper is not None
    assert set(block.indicator) == {"f.c1:lower", "f.c2:upper", "f.y:lower"}


def test_too_small_dual_bound_cuts_off_the_optimum():
    # The follower multiplier of c1 is 1 whenever y > 0; a bound of 0.5 forbids every y > 0, so
    # the MILP returns x = 3, y = 0 (leader 3), follower-optimal yet not the bilevel optimum -12:
    # the hazard of Kleinert et al. (2020) that makes pybilevel record and report every M's source.
    m = model()
    res = bl.solve(m, method="bigm", dual_bound=0.5)
    assert res.leader_objective == pytest.approx(3)
    assert all(r.source == "argument" for r in res.bigm if r.kind == "multiplier")
    correct = bl.solve(model(), method="bigm", dual_bound=5)
    assert correct.ok and correct.leader_objective == pytest.approx(-12)
    assert not [r for r in correct.bigm_reached if not r.proven]


def test_reached_values_are_flagged_and_printed():
    m = model()
    res = bl.solve(m, method="bigm", dual_bound=1.0)  # exactly the true multiplier of c1
    assert res.ok and res.leader_objective == pytest.approx(-12)
    reached = {r.key for r in res.bigm_reached if r.kind == "multiplier"}
    assert "f.c1:lower" in reached
    assert "big-M reached: multiplier of f.c1:lower at M=1 (argument)" in str(res)


def test_unbounded_slack_is_an_error_that_names_the_constraint():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    m.f.c1 = pyo.Constraint(expr=m.x + m.f.y >= 3)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x - m.f.y)
    with pytest.raises(bl.BigMError, match="slack of f.c1:lower in follower f has no upper bound.*method='sos1'"):
        bl.solve(m, method="bigm")
    assert bl.solve(m, method="sos1").ok  # no big-M needed there


def test_solve_leaves_the_model_as_it_was():
    m = model()
    before = [c.name for c in m.component_objects(descend_into=True)]
    for method in bl.METHODS:
        if method in ("value_function", "branch_and_cut"):
            continue  # refuse this continuous leader; checked on integer models in test_integer_follower.py
        bl.solve(m, method=method, **({"dual_bound": 5} if method == "bigm" else {}))
        assert [c.name for c in m.component_objects(descend_into=True)] == before
        assert m.f.obj.active and m.obj.active and not m.x.fixed


def test_reached_bigm_helper_on_the_transformed_model():
    m = model()
    reformulation = pyo.TransformationFactory("bilevel.bigm").reformulate(bl.analyze(m), dual_bound=3)
    m.x.set_value(0)
    m.f.y.set_value(3)
    reformulation.duals[0].block.dual_lower["f.c1"].set_value(3)
    reached = reached_bigm(reformulation)
    assert [r.key for r in reached if r.kind == "multiplier"] == ["f.c1:lower"]


def test_slack_of_a_row_with_a_leader_nonlinear_term_is_bounded_over_that_term():
    """Follower min y s.t. y <= x^2, 0 <= y <= 10 answers y = 0; leader min -y - x/10 over x in
    [0, 3] is best at x = 3: F = -0.3 (closed form). The row's slack x^2 - y reaches 9; bounding it
    by its linear part alone (-y <= 0) once forced y = x^2 and returned F = 0, certified."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 3))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.c = pyo.Constraint(expr=m.f.y <= m.x ** 2)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=-m.f.y - m.x / 10)
    pyo.TransformationFactory("bilevel.bigm").apply_to(m, dual_bound=7)
    slack = records(bl.find_reformulation(m, "bigm"), "slack")
    assert slack["f.c:upper"].value == pytest.approx(9)  # x^2 - y over [0, 3] x [0, 10]
    bl.find_reformulation(m, "bigm").remove()
    res = bl.solve(m, method="bigm")
    assert res.status == bl.Status.OPTIMAL and res.certified
    assert res.leader_objective == pytest.approx(-0.3)
    assert m.x.value == pytest.approx(3)


def test_a_row_that_is_never_active_gets_no_binary():
    """c3: y <= 20 cannot bind (its slack 20 - y is at least 14 over the box y <= 6): its
    multiplier is fixed at 0 and no indicator is made for it; the optimum is unchanged (-12)."""
    m = model()
    m.f.y.setub(6)
    m.f.c3 = pyo.Constraint(expr=m.f.y <= 20)
    pyo.TransformationFactory("bilevel.bigm").apply_to(m, dual_bound=7)
    reformulation = bl.find_reformulation(m, "bigm")
    block = reformulation.duals[0].block
    assert "f.c3:upper" not in set(block.indicator.keys())
    assert "f.c1:lower" in set(block.indicator.keys())
    assert block.dual_upper["f.c3"].fixed and block.dual_upper["f.c3"].value == 0
    reformulation.remove()
    res = bl.solve(m, method="bigm")
    assert res.certified and res.leader_objective == pytest.approx(-12)
