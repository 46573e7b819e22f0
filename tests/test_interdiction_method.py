"""method='interdiction': the dual-based MILP for min-max problems, against brute force over every
leader decision; the form it needs, refused with the reason otherwise."""
import numpy as np
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from interdiction_instances import knapsack_brute_force, knapsack_follower_value, knapsack_instance, knapsack_model


def leader_decision(res, n):
    return np.array([res.leader[f"x[{j}]"] for j in range(n)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_knapsack_interdiction_matches_brute_force(seed):
    inst = knapsack_instance(8, seed)  # 256 leader decisions, follower solved greedily for each
    expected, _ = knapsack_brute_force(inst)
    res = bl.solve(knapsack_model(inst), method="interdiction")
    assert res.ok and res.solver == "highs"
    assert res.leader_objective == pytest.approx(expected, abs=1e-6)
    x = leader_decision(res, 8)
    assert inst.cost @ x <= inst.budget + 1e-6
    assert knapsack_follower_value(inst, np.round(x)) == pytest.approx(expected, abs=1e-6)
    # the same instance by the general path
    assert bl.solve(knapsack_model(inst), method="sos1").leader_objective == pytest.approx(expected, abs=1e-6)
    # with the multiplier bound proven in docs/interdiction.md (the benchmark's "proven" column)
    proven = max(inst.profit.max(), inst.weight.max() * (inst.profit / inst.weight).max())
    res = bl.solve(knapsack_model(inst), method="interdiction", dual_bound=float(proven))
    assert res.ok and res.leader_objective == pytest.approx(expected, abs=1e-6)


def test_partial_interdiction_through_the_follower_objective():
    # interdicting item j halves its profit: x_j * y_j products in both objectives (matrix C)
    inst = knapsack_instance(7, seed=3, penalty=0.5)
    expected, _ = knapsack_brute_force(inst)
    assert expected < knapsack_follower_value(inst, np.zeros(7)) - 1  # interdiction matters
    res = bl.solve(knapsack_model(inst), method="interdiction")
    # the leader's x * y terms become part of the follower's dual objective: a MILP for HiGHS
    assert res.ok and res.solver == "highs"
    assert res.leader_objective == pytest.approx(expected, abs=1e-6)
    # general path: the leader's own objective keeps its x * y products (SCIP)
    general = bl.solve(knapsack_model(inst), method="strong_duality")
    assert general.ok and general.leader_objective == pytest.approx(expected, abs=1e-6)


def test_scaled_maximising_leader_with_its_own_terms():
    # leader max -(2 x follower profit) - 3 * (number of items removed): scale 2, x-only terms
    inst = knapsack_instance(6, seed=4)
    m = knapsack_model(inst)
    m.obj.deactivate()
    m.obj2 = pyo.Objective(
        expr=-2 * sum(inst.profit[j] * m.f.y[j] for j in range(6)) - 3 * sum(m.x[j] for j in range(6)),
        sense=pyo.maximize,
    )
    best = -np.inf
    for bits in np.ndindex(*(2,) * 6):
        x = np.array(bits, dtype=float)
        if inst.cost @ x <= inst.budget:
            best = max(best, -2 * knapsack_follower_value(inst, x) - 3 * x.sum())
    res = bl.solve(m, method="interdiction")
    assert res.ok and res.leader_objective == pytest.approx(best, abs=1e-6)


def follower_can_become_infeasible():
    """Follower max y s.t. y <= 1 - x1, y >= x2, 0 <= y <= 1; leader min y. At x = (1, 1) the
    follower has no feasible point, so that decision is not bilevel feasible (its dual is unbounded,
    which without the primal rows would look best). Enumeration: (0,0) 1, (1,0) 0, (0,1) 1."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], within=pyo.Binary)
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 1))
    m.f.cap = pyo.Constraint(expr=m.f.y <= 1 - m.x[1])
    m.f.need = pyo.Constraint(expr=m.f.y - m.x[2] >= 0)
    m.f.obj = pyo.Objective(expr=m.f.y, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=m.f.y - 0.5 * m.x[2])
    return m


def test_decisions_that_leave_the_follower_infeasible_are_excluded():
    # values: (0,0) 1, (1,0) 0, (0,1) 1 - 0.5 = 0.5; (1,1) would be -0.5 - ... but is infeasible
    res = bl.solve(follower_can_become_infeasible(), method="interdiction")
    assert res.ok and res.leader_objective == pytest.approx(0.0, abs=1e-7)
    assert (round(res.leader["x[1]"]), round(res.leader["x[2]"])) == (1, 0)
    assert bl.solve(follower_can_become_infeasible(), method="sos1").leader_objective == pytest.approx(0.0, abs=1e-7)


def test_transformation_is_registered_and_undone():
    inst = knapsack_instance(4, seed=0)
    m = knapsack_model(inst)
    pyo.TransformationFactory("bilevel.interdiction").apply_to(m)
    reformulation = bl.find_reformulation(m, "interdiction")
    block = reformulation.follower_block("f")
    # one product per (multiplier of a row with a leader variable, binary leader variable)
    assert len(block.product) == 4 and not m.obj.active and block.objective.active
    # y = 0 is feasible at every decision, so the follower's primal rows are left out
    assert not m.f.capacity.active
    assert {r.kind for r in reformulation.bigm} == {"multiplier"}
    reformulation.remove()
    assert m.obj.active and m.f.capacity.active and m.f.obj.active
    res = bl.solve(m, method="interdiction")
    assert res.ok and [c.name for c in m.component_objects(descend_into=True)] == [
        c.name for c in knapsack_model(inst).component_objects(descend_into=True)
    ]


def test_dual_bound_argument_is_recorded_and_too_small_is_reported():
    inst = knapsack_instance(6, seed=1)
    expected, _ = knapsack_brute_force(inst)
    res = bl.solve(knapsack_model(inst), method="interdiction", dual_bound=1e-3)
    # only the rows leader variables enter (removed[j]) need bounds, all from the argument
    assert {(r.key.split("[")[0], r.source) for r in res.bigm} == {("f.removed", "argument")}
    # the reported multipliers are the follower's duals at the decision (HiGHS re-solve): at an
    # interdicted item the removal row's dual is the item's profit minus its weight times the
    # capacity dual or more (stationarity, the item's lower-bound multiplier being >= 0), far
    # above 1e-3, so the bound may have cut off a better decision: reported
    assert res.certified and res.leader_objective >= expected - 1e-9
    removed = {j for j in range(6) if res.leader[f"x[{j}]"] > 0.5}
    assert removed and {r.key for r in res.bigm_reached} == {f"f.removed[{j}]:upper" for j in removed}
    duals = res.follower_duals["f"]
    for j in removed:  # maximising follower, <= row: dual >= 0 (docs/conventions.md)
        assert duals[f"f.removed[{j}]"] >= inst.profit[j] - inst.weight[j] * duals["f.capacity"] - 1e-9 > 1e-3
    assert f"big-M reached: multiplier of f.removed[{min(removed)}]:upper at M=0.001 (argument)" in str(res)


def base():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.Binary)
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 4))
    m.f.c = pyo.Constraint(expr=m.f.y <= 3 - 2 * m.x)
    m.f.obj = pyo.Objective(expr=m.f.y, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=m.f.y + m.x)
    return m


def refuse(m, words):
    with pytest.raises(bl.MethodRefusedError, match=words):
        bl.solve(m, method="interdiction")
    assert bl.solve(m, method="auto").method != "interdiction"


def test_base_model_fits():  # the refusals below each change one thing of this model
    res = bl.solve(base(), method="interdiction")
    assert res.ok and res.leader_objective == pytest.approx(2.0)  # x = 1: y = 1, 1 + 1 (x = 0: 3)


def test_refuses_a_follower_objective_that_is_not_opposite():
    m = base()
    m.obj.deactivate()
    m.obj2 = pyo.Objective(expr=m.x - m.f.y)  # the leader wants what the follower wants
    refuse(m, r"follower f: the leader's objective obj2 is not the negative of the follower's objective f.obj")


def test_refuses_a_leader_constraint_on_follower_variables():
    m = base()
    m.link = pyo.Constraint(expr=m.f.y >= 1)
    refuse(m, "leader constraint link uses follower variable f.y")


def test_refuses_a_continuous_leader_variable_in_follower_constraints():
    m = base()
    m.x.domain = pyo.Reals
    m.x.setlb(0), m.x.setub(1)
    refuse(m, "leader variable x enters constraint f.c but is not binary")


def test_refuses_a_quadratic_follower_and_a_leader_product_of_follower_variables():
    m = base()
    m.f.obj.deactivate()
    m.f.obj2 = pyo.Objective(expr=m.f.y - m.f.y ** 2, sense=pyo.maximize)
    refuse(m, "it is a convex QP follower, and the interdiction form needs an LP follower")
    m = base()
    m.f.z = pyo.Var(bounds=(0, 1))
    m.obj.deactivate()
    m.obj2 = pyo.Objective(expr=m.f.y + m.f.y * m.f.z)
    refuse(m, "multiplies follower variables")
