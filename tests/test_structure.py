"""Structure check: leader/follower split, follower classes, refusals with the right message."""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel.model.convexity import FollowerClass


def base_model():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.f = bl.Follower()
    m.f.y = pyo.Var([1, 2], within=pyo.NonNegativeReals)
    m.f.c = pyo.Constraint(expr=m.x + m.f.y[1] + m.f.y[2] <= 8)
    m.obj = pyo.Objective(expr=m.x - m.f.y[1])
    return m


def test_compiled_arrays_match_the_model():
    m = base_model()
    m.f.r = pyo.Constraint(expr=pyo.inequality(-2, 3 * m.x - m.f.y[2] + 1, 5))
    m.f.obj = pyo.Objective(expr=2 * m.f.y[1] + m.x * m.f.y[2] + m.f.y[1] ** 2, sense=pyo.maximize)
    form = bl.analyze(m).followers[0]
    assert [v.name for v in form.variables] == ["f.y[1]", "f.y[2]"]
    assert [v.name for v in form.leader_variables] == ["x"]
    assert form.sense == -1
    assert form.c.tolist() == [-2.0, 0.0]  # minimisation form
    assert form.Q.toarray().tolist() == [[-2.0, 0.0], [0.0, 0.0]]
    assert form.C.toarray().tolist() == [[0.0, -1.0]]
    assert form.A_y.toarray().tolist() == [[1, 1], [0, -1]]
    assert form.A_x.toarray().tolist() == [[1], [3]]
    assert form.row_lower.tolist()[1] == -3.0 and form.row_upper.tolist() == [8.0, 4.0]
    assert form.follower_class == FollowerClass.NONCONVEX_QP  # -y1^2 once written as a min


def test_external_follower_variable_and_indexed_followers():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.z = pyo.Var(within=pyo.NonNegativeReals)
    m.f = bl.Follower()
    m.f.add_variables(m.z)
    m.f.c = pyo.Constraint(expr=m.z <= m.x)
    m.f.obj = pyo.Objective(expr=-m.z)
    m.obj = pyo.Objective(expr=m.x - 2 * m.z)
    structure = bl.analyze(m)
    assert [v.name for v in structure.followers[0].variables] == ["z"]
    assert [v.name for v in structure.leader_variables] == ["x"]
    res = bl.solve(m, method="sos1")
    assert res.ok and res.leader_objective == pytest.approx(-4.0)  # z follows x up to 4


@pytest.mark.parametrize(
    "make_follower, cls",
    [
        (lambda m: setattr(m.f, "obj", pyo.Objective(expr=m.f.y[1] + m.f.y[2])), FollowerClass.LP),
        (lambda m: setattr(m.f, "obj", pyo.Objective(expr=(m.f.y[1] - m.f.y[2]) ** 2 + m.f.y[1])), FollowerClass.QP),
        (lambda m: setattr(m.f, "obj", pyo.Objective(expr=m.f.y[1] * m.f.y[2])), FollowerClass.NONCONVEX_QP),
        (lambda m: setattr(m.f, "obj", pyo.Objective(expr=pyo.exp(m.f.y[1]))), FollowerClass.CONVEX_NLP),
        (lambda m: setattr(m.f, "obj", pyo.Objective(expr=pyo.sin(m.f.y[1]))), FollowerClass.NONCONVEX_NLP),
    ],
)
def test_follower_class(make_follower, cls):
    m = base_model()
    make_follower(m)
    assert bl.analyze(m).followers[0].follower_class == cls


def test_integer_follower_class():
    m = base_model()
    m.f.y[1].domain = pyo.Integers
    m.f.y[1].setlb(0)
    m.f.obj = pyo.Objective(expr=m.f.y[1])
    assert bl.analyze(m).followers[0].follower_class == FollowerClass.INTEGER


@pytest.mark.parametrize("method", bl.METHODS)
@pytest.mark.parametrize(
    "objective, words",
    [
        (lambda m: m.f.y[1] * m.f.y[2], "not positive semidefinite"),
        (lambda m: pyo.cos(m.f.y[1]) + m.f.y[2], "a KKT point of a nonconvex follower need not be its optimum"),
    ],
)
def test_refusals_name_the_follower_and_the_reason(method, objective, words):
    m = base_model()
    m.f.obj = pyo.Objective(expr=objective(m))
    with pytest.raises(bl.MethodRefusedError, match=rf"method '{method}'.*follower f.*{words}"):
        bl.solve(m, method=method)


@pytest.mark.parametrize("method", [m for m in bl.METHODS if m not in ("value_function", "branch_and_cut")])
def test_integer_follower_refused_by_every_kkt_method(method):
    m = base_model()
    m.f.y[2].domain = pyo.Binary
    m.f.obj = pyo.Objective(expr=m.f.y[1] + m.f.y[2])
    with pytest.raises(bl.MethodRefusedError, match="KKT conditions do not describe an integer follower.*use method 'value_function'"):
        bl.solve(m, method=method)


def test_strong_duality_refuses_leader_nonlinear_rows_and_kkt_accepts_them():
    m = base_model()
    m.f.c2 = pyo.Constraint(expr=m.f.y[2] <= m.x ** 2)
    m.f.obj = pyo.Objective(expr=-m.f.y[2])
    with pytest.raises(bl.MethodRefusedError, match="f.c2 is nonlinear in leader variables; use method 'kkt'"):
        bl.solve(m, method="strong_duality")
    # follower max y2 s.t. y1 + y2 <= 8 - x, y2 <= x^2; y1 is free for the follower, so the
    # optimistic leader takes y1 = 8 - x - min(x^2, 8 - x): leader value x - y1 = min over x in [0, 2.70]
    # of 2x - 8 + x^2 (x^2 <= 8 - x), i.e. -8 at x = 0.
    for method in ("bigm", "sos1", "kkt"):
        res = bl.solve(m, method=method)
        assert res.ok and res.leader_objective == pytest.approx(-8.0, abs=1e-6)


def test_structure_errors():
    m = base_model()
    with pytest.raises(bl.StructureError, match="follower f needs exactly one active objective, found 0"):
        bl.analyze(m)
    m.f.obj = pyo.Objective(expr=m.f.y[1])
    m.f.obj2 = pyo.Objective(expr=m.f.y[2])
    with pytest.raises(bl.StructureError, match="found 2 \\(f.obj, f.obj2\\)"):
        bl.analyze(m)

    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.obj = pyo.Objective(expr=m.x)
    with pytest.raises(bl.StructureError, match="has no follower"):
        bl.analyze(m)


def test_variable_in_two_followers_and_foreign_variables():
    m = base_model()
    m.f.obj = pyo.Objective(expr=m.f.y[1])
    m.g = bl.Follower()
    m.g.add_variables(m.f.y[1])
    m.g.obj = pyo.Objective(expr=m.x)
    with pytest.raises(bl.StructureError, match="f.y\\[1\\] belongs to both follower f and follower g"):
        bl.analyze(m)

    m = base_model()
    m.f.obj = pyo.Objective(expr=m.f.y[1])
    m.g = bl.Follower()
    m.g.w = pyo.Var(bounds=(0, 1))
    m.g.c = pyo.Constraint(expr=m.g.w <= m.f.y[1])
    m.g.obj = pyo.Objective(expr=-m.g.w)
    structure = bl.analyze(m)  # g sees f's decision: a game among the followers
    f, g = structure.followers
    assert structure.is_game
    assert [v.name for v in structure.leader_variables] == ["x"]
    assert [v.name for v in structure.other_followers_variables(g)] == ["f.y[1]"]
    assert structure.other_followers_variables(f) == []
    assert structure.followers_seeing(f) == [g] and structure.followers_seeing(g) == []
    assert "1 variables of other followers (a game among followers)" in structure.describe()


def test_nested_follower_refused():
    m = base_model()
    m.f.obj = pyo.Objective(expr=m.f.y[1])
    m.f.inner = bl.Follower()
    m.f.inner.obj = pyo.Objective(expr=m.x)
    with pytest.raises(bl.StructureError, match="trilevel"):
        bl.analyze(m)


@pytest.mark.parametrize("method", ["bigm", "strong_duality"])
def test_convex_nlp_refused_by_array_methods_with_the_alternatives(method):
    m = base_model()
    m.f.obj = pyo.Objective(expr=pyo.exp(m.f.y[1]) - m.f.y[2])
    with pytest.raises(bl.MethodRefusedError, match="convex NLP.*use method 'sos1' or 'kkt'.*'regularized'"):
        bl.solve(m, method=method)
