"""Issue 18, tracebacks where a message belongs: model input that Pyomo or pybilevel used to
crash on becomes a pybilevel error naming the component and what to do (docs/reliability.md)."""
from __future__ import annotations

import pyomo.environ as pyo
import pytest
from pyomo.core.expr import inequality

import pybilevel as bl
from test_hostile_components import toy


def fixed_without_value(m):
    m.z = pyo.Var()
    m.z.fix()
    m.f.c2 = pyo.Constraint(expr=m.f.y >= m.z)


def fixed_without_value_in_objective(m):
    m.z = pyo.Var()
    m.z.fix()
    m.obj.deactivate()
    m.obj2 = pyo.Objective(expr=m.x + m.z)


def ranged_follower(m):
    m.f.r = pyo.Constraint(expr=inequality(m.x, m.f.y, 8))


def ranged_leader(m):
    m.r = pyo.Constraint(expr=inequality(m.f.y, m.x, 8))


def add_constraint(m):
    m.f.add_variables(m.lc)


def add_param(m):
    m.p = pyo.Param(initialize=2, mutable=True)
    m.f.add_variables(m.p)


def add_number(m):
    m.f.add_variables(3)


@pytest.mark.parametrize("edit, message", [
    (fixed_without_value, "variable z in constraint f.c2 is fixed but has no value: fix it at a value (z.fix(3.0)) or unfix it"),
    (fixed_without_value_in_objective, "variable z in objective obj2 is fixed but has no value"),
    (ranged_follower, "constraint f.r in follower f cannot be read as a row: Constraint 'f.r' is a Ranged Inequality with a variable lower bound."),
    (ranged_leader, "constraint r in the leader's model cannot be read as a row"),
    (add_constraint, "f.add_variables() takes Pyomo Var components, got lc (Constraint); pass e.g. m.z or m.z[1]"),
    (add_param, "f.add_variables() takes Pyomo Var components, got p (Param)"),
    (add_number, "f.add_variables() takes Pyomo Var components, got 3 (int)"),
])
def test_model_error_is_a_structure_error(edit, message):
    m = toy()
    with pytest.raises(bl.StructureError) as refused:
        edit(m)
        bl.solve(m)
    assert message in str(refused.value)


@pytest.mark.parametrize("argument, message", [
    (None, "expected a Pyomo model (a ConcreteModel or Block with a pybilevel Follower on it), got NoneType None"),
    (5, "got int 5"),
    ("model.py", "got str 'model.py'"),
    ([toy()], "got list"),
    (pyo.AbstractModel(), "is an AbstractModel that is not constructed: pass model.create_instance(data) instead"),
])
def test_solve_of_a_non_model(argument, message):
    with pytest.raises(bl.StructureError) as refused:
        bl.solve(argument)
    assert message in str(refused.value)
    with pytest.raises(bl.StructureError):
        bl.analyze(argument)


def test_indexed_block_refused():
    m = pyo.ConcreteModel()
    m.b = pyo.Block([1, 2])
    with pytest.raises(bl.StructureError, match=r"b is an indexed block; pass one of its blocks, e.g. b\[i\]"):
        bl.solve(m.b)


def foreign_in_follower(m, other):
    m.f.c3 = pyo.Constraint(expr=m.f.y >= other.x)


def foreign_in_leader(m, other):
    m.lc3 = pyo.Constraint(expr=m.x >= other.x)


def foreign_in_objective(m, other):
    m.obj.deactivate()
    m.obj2 = pyo.Objective(expr=m.x + other.x)


def foreign_added_to_follower(m, other):
    m.f.add_variables(other.x)


@pytest.mark.parametrize("edit, where", [
    (foreign_in_follower, "constraint f.c3"),
    (foreign_in_leader, "constraint lc3"),
    (foreign_in_objective, "objective obj2"),
    (foreign_added_to_follower, "f.add_variables()"),
])
def test_variable_of_another_model_refused(edit, where):
    """A variable named like one of this model's (x) must not overwrite its reported value."""
    m = toy()
    other = pyo.ConcreteModel(name="other")
    other.x = pyo.Var(bounds=(0, 1))
    edit(m, other)
    with pytest.raises(bl.StructureError) as refused:
        bl.solve(m)
    assert f"{where} uses variable x, which is not part of model toy (it belongs to another model, other)" in str(refused.value)
