"""The shape of the package: one method interface, no import circles, few import floors, and the
worked example of docs/architecture.md (a new method in one file) working end to end."""
import ast
import importlib.util
import sys
from pathlib import Path

import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel.methods.base import GLOBAL, LOCAL, METHODS_BY_NAME, SPECIAL, Method

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import import_graph  # noqa: E402


def test_no_import_circle_and_at_most_eight_floors():
    graph = import_graph.import_graph(ROOT)
    assert import_graph.circles(graph) == []
    assert import_graph.circles(import_graph.import_graph(ROOT, type_imports=True)) == []  # not even in type hints
    floors = import_graph.floors(graph)
    assert max(floors.values()) <= 8, sorted(floors.items(), key=lambda item: -item[1])[:5]


def test_the_import_graph_sees_a_circle_and_counts_floors(tmp_path):
    """The tool itself, on a made-up package: a -> b -> a is a circle; c -> d -> e has 3 floors."""
    package = tmp_path / "pybilevel"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pybilevel.b import f\n")
    (package / "b.py").write_text("def f():\n    from pybilevel import a\n")
    (package / "c.py").write_text("import pybilevel.d\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pybilevel.a\n")
    (package / "d.py").write_text("from pybilevel import e\n")
    (package / "e.py").write_text("import os\n")
    graph = import_graph.import_graph(tmp_path)
    assert import_graph.circles(graph) == [["pybilevel.a", "pybilevel.b"]]
    graph["pybilevel.b"].clear()
    assert import_graph.floors(graph)["pybilevel.c"] == 3  # the TYPE_CHECKING import is no edge


def test_the_pipeline_names_no_method():
    """solve.py is short and has no branch on a method: no method's name outside docstrings."""
    source = (ROOT / "pybilevel" / "solve.py").read_text()
    assert len(source.splitlines()) < 120
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree) if isinstance(node, (ast.Module, ast.FunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and id(node) not in docstrings}
    assert not strings & set(METHODS_BY_NAME)


def test_every_registered_method_has_the_interface():
    assert tuple(METHODS_BY_NAME) == (*bl.METHODS, *bl.SPECIAL_METHODS)
    for name, method in METHODS_BY_NAME.items():
        assert isinstance(method, Method) and method.name == name
        assert method.kind in (GLOBAL, LOCAL, SPECIAL)
    assert bl.GLOBAL_METHODS == ("kkt", "bigm", "strong_duality", "sos1", "value_function", "branch_and_cut")
    assert bl.LOCAL_METHODS == ("regularized",)


def integer_leader_model():
    """x in {0..4} integer; follower max y s.t. y <= x + 1, y <= 6 - x; leader min -y + 0.5 x.

    The follower answers y = min(x + 1, 6 - x); the leader's objective over x = 0..4 is
    -1, -1.5, -2, -1.5, -0.0: optimum x = 2, y = 3, F = -2.
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.Integers, bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.a = pyo.Constraint(expr=m.f.y <= m.x + 1)
    m.f.b = pyo.Constraint(expr=m.f.y <= 6 - m.x)
    m.f.obj = pyo.Objective(expr=m.f.y, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=-m.f.y + 0.5 * m.x)
    return m


@pytest.fixture
def enumeration():
    """The worked example, docs/examples/enumeration.py, imported (registered) and unregistered after."""
    spec = importlib.util.spec_from_file_location("enumeration_example", ROOT / "docs" / "examples" / "enumeration.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    del METHODS_BY_NAME["enumeration"]


def test_a_method_in_one_file_solves_through_the_pipeline(enumeration):
    res = bl.solve(integer_leader_model(), method="enumeration")
    assert res.ok and res.method == "enumeration"
    assert res.leader["x"] == 2 and res.follower["f"]["f.y"] == pytest.approx(3)
    assert res.leader_objective == pytest.approx(-2)  # the closed form in integer_leader_model
    other = bl.solve(integer_leader_model(), method="sos1")
    assert other.leader_objective == pytest.approx(res.leader_objective)


def test_a_method_in_one_file_refuses_by_name(enumeration):
    m = integer_leader_model()
    m.x.domain = pyo.Reals
    with pytest.raises(bl.MethodRefusedError, match="needs bounded integer leader variables; x is not"):
        bl.solve(m, method="enumeration")


def test_auto_names_the_follower_when_no_method_accepts():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))  # continuous, in the integer follower's row: value_function refuses
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.Integers, bounds=(-1, 1))
    m.f.c = pyo.Constraint(expr=m.f.y <= m.x)
    m.f.obj = pyo.Objective(expr=-m.f.y)
    m.obj = pyo.Objective(expr=m.x + m.f.y)
    with pytest.raises(bl.MethodRefusedError, match="follower f .*leader variable x"):
        bl.solve(m)
