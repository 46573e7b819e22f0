"""res.plot() and the CLI's --plot: the inducible region's numbers against the follower solved
independently (closed form in 1-D, scipy's linprog in 2-D), the PNG files, the convergence plot."""
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from interdiction_instances import knapsack_instance
from problem_library import _tuy_falk, bard1998_ex5_1_1
from pybilevel.io.cli import main
from pybilevel.plot.grid import grid_values, inducible_region
from test_interdiction_cuts import binary_knapsack_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 10_000  # a picture, not an empty canvas
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left beside it


def snapshot(model):
    return [(v.name, v.value, v.fixed) for v in model.component_data_objects(pyo.Var, descend_into=True)]


def bard_reaction(x):
    """Bard (1998) Ex. 5.1.1 by hand: the follower minimises y over y >= 3 - x, y >= (3x - 4)/2,
    y <= 2x, y <= 12 - 2x, y >= 0, so y*(x) = max(3 - x, (3x - 4)/2) on [1, 4] (empty elsewhere)."""
    return np.maximum(3 - x, (3 * x - 4) / 2)


def test_one_leader_variable_follows_the_closed_form_and_is_drawn(tmp_path):
    m = bard1998_ex5_1_1()
    res = bl.solve(m, method="sos1")
    assert res.ok and res.leader_objective == pytest.approx(-12.0)
    before = snapshot(m)
    region = inducible_region(bl.analyze(m), points=13)
    x = region.axes[0]
    assert x[0] == pytest.approx(1.0) and x[-1] == pytest.approx(4.0)  # the range where the follower is feasible
    y = bard_reaction(x)
    assert region.reaction["f.y"] == pytest.approx(y, abs=1e-6)
    assert region.leader_objective == pytest.approx(x - 4 * y, abs=1e-5)
    assert np.nanargmin(region.leader_objective) == len(x) - 1  # F is lowest at x = 4, the optimum found
    assert snapshot(m) == before
    figure = res.plot(tmp_path / "pictures" / "bard.png")
    assert_png(tmp_path / "pictures" / "bard.png")
    assert snapshot(m) == before  # values and fixed flags restored after the grid
    curve = figure.axes[0].lines[0]  # the leader objective along the follower's response
    assert len(curve.get_xdata()) == 101 and np.nanmin(curve.get_ydata()) == pytest.approx(-12.0, abs=1e-5)


def test_the_docs_example_is_the_closed_form_problem():
    """docs/examples/plot_example.py draws docs/plot_example.png: the same problem, the same curve."""
    spec = importlib.util.spec_from_file_location("plot_example", ROOT / "docs" / "examples" / "plot_example.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    region = inducible_region(bl.analyze(example.bard_example()), points=7)
    assert region.leader_objective == pytest.approx(region.axes[0] - 4 * bard_reaction(region.axes[0]), abs=1e-5)
    assert (ROOT / "docs" / "plot_example.png").read_bytes()[:8] == PNG_SIGNATURE


def test_leader_infeasible_decisions_are_gaps_with_the_reaction_kept():
    m = bard1998_ex5_1_1()
    m.leader_row = pyo.Constraint(expr=m.f.y >= 1.5)  # violated where y*(x) < 1.5: 1.5 < x < 7/3
    region = inducible_region(bl.analyze(m), points=13)
    x = region.axes[0]
    gap = bard_reaction(x) < 1.5 - 1e-9
    assert list(x[gap]) == pytest.approx([1.75, 2.0, 2.25])
    assert np.isnan(region.leader_objective[gap]).all() and np.isfinite(region.leader_objective[~gap]).all()
    assert region.reaction["f.y"] == pytest.approx(bard_reaction(x), abs=1e-6)


def tie_model():
    """The follower is indifferent to y in [0, x] (it minimises z alone); the leader minimises x - y:
    optimistic y*(x) = x and F = 0, pessimistic y*(x) = 0 and F = x (by hand)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 2))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, None))
    m.f.z = pyo.Var(bounds=(0, None))
    m.f.c = pyo.Constraint(expr=m.f.y <= m.x)
    m.f.obj = pyo.Objective(expr=m.f.z)
    m.obj = pyo.Objective(expr=m.x - m.f.y + 1)
    return m


@pytest.mark.parametrize("reading", ["optimistic", "pessimistic"])
def test_the_reading_of_the_result_picks_the_follower_optimum(reading):
    m = tie_model()
    res = bl.solve(m, reading=reading)
    assert res.ok and res.leader_objective == pytest.approx(1.0)
    region = inducible_region(bl.analyze(m), points=5, reading=res.reading)
    x = np.linspace(0, 2, 5)
    y = x if reading == "optimistic" else 0 * x
    assert region.reaction["f.y"] == pytest.approx(y, abs=1e-6)
    assert region.leader_objective == pytest.approx(x - y + 1, abs=1e-6)
    drawn = res.plot(points=5).axes[0].lines[0]  # res.plot() draws the result's own reading
    assert drawn.get_ydata() == pytest.approx(x - y + 1, abs=1e-6)
    with pytest.raises(bl.BilevelError, match="points=1: give a whole number of at least 2"):
        res.plot(points=1)


def tuy_follower(x1, x2):
    """Tuy, Migdalas & Värbrand (1993): the follower's LP with the leader fixed, by scipy (HiGHS via
    linprog, not through pybilevel or Pyomo): min -4 y1 + y2, y1 - y2 <= 2 x1 - 2.5, y2 <= 2 - x1 + 3 x2."""
    lp = linprog([-4, 1], A_ub=[[1, -1], [0, 1]], b_ub=[2 * x1 - 2.5, 2 - x1 + 3 * x2], bounds=[(0, None)] * 2)
    return lp.x if lp.status == 0 else None


def test_two_leader_variables_match_linprog_and_are_drawn(tmp_path):
    m = _tuy_falk(True)
    res = bl.solve(m)
    assert res.ok and res.leader_objective == pytest.approx(-3.25)
    region = inducible_region(bl.analyze(m), points=9)
    assert region.axes[0] == pytest.approx(np.linspace(0, 2, 9)) and region.axes[1] == pytest.approx(np.linspace(0, 2, 9))
    counts = {"no response": 0, "leader infeasible": 0, "point": 0}
    for i, x1 in enumerate(region.axes[0]):
        for j, x2 in enumerate(region.axes[1]):
            y = tuy_follower(x1, x2)
            got = (region.reaction["f.y[1]"][i, j], region.reaction["f.y[2]"][i, j])
            if y is None:
                counts["no response"] += 1
                assert np.isnan(got).all() and np.isnan(region.leader_objective[i, j])
                continue
            assert got == pytest.approx(y, abs=1e-6)
            if x1 + x2 > 2 + 1e-9:  # the leader's own row x1 + x2 <= 2
                counts["leader infeasible"] += 1
                assert np.isnan(region.leader_objective[i, j])
            else:
                counts["point"] += 1
                assert region.leader_objective[i, j] == pytest.approx(-2 * x1 + x2 + 0.5 * y[0], abs=1e-5)
    # by hand: no response where x1 + 3 x2 < 0.5 ((0, 0), (0.25, 0)); x1 + x2 > 2 at 36 of the 81 points
    assert counts == {"no response": 2, "leader infeasible": 36, "point": 43}
    assert np.nanmin(region.leader_objective) == pytest.approx(res.leader_objective, abs=1e-5)
    res.plot(tmp_path / "tuy.png", points=9)
    assert_png(tmp_path / "tuy.png")


def test_integer_leader_variables_are_gridded_on_integers():
    m = pyo.ConcreteModel()
    m.k = pyo.Var(within=pyo.Integers)
    m.r = pyo.Var()
    assert list(grid_values(m.k, (-0.5, 3.2), 50)) == [0, 1, 2, 3]  # every integer of the range
    assert list(grid_values(m.k, (0, 10), 3)) == [0, 5, 10]
    assert list(grid_values(m.r, (0, 1), 3)) == [0, 0.5, 1]


def test_an_integer_leader_is_gridded_on_its_integer_values():
    m = bard1998_ex5_1_1()
    m.x.domain = pyo.NonNegativeIntegers
    region = inducible_region(bl.analyze(m))
    assert list(region.axes[0]) == [1, 2, 3, 4]  # every integer where the follower is feasible
    assert region.leader_objective == pytest.approx(region.axes[0] - 4 * bard_reaction(region.axes[0]), abs=1e-5)
    assert m.x.domain is pyo.NonNegativeIntegers and not m.x.fixed


def test_the_axes_of_the_caller_are_drawn_into():
    from matplotlib.figure import Figure

    m = bard1998_ex5_1_1()
    res = bl.solve(m)
    figure = Figure()
    ax = figure.add_subplot()
    assert res.plot(ax=ax, points=7) is figure
    assert ax.lines[0].get_xdata() == pytest.approx(np.linspace(1, 4, 7))


def test_many_leader_variables_without_history_are_refused():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(5), bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.c = pyo.Constraint(expr=m.f.y >= sum(m.x.values()) - 1)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.f.y - sum(m.x.values()))
    res = bl.solve(m, method="bigm")
    assert res.ok and res.history == []
    with pytest.raises(bl.BilevelError, match=r"res.plot\(\): the problem has 5 leader variables and method bigm records "
                       r"no iteration history; .* convergence plot for the iterative methods \(value_function"):
        res.plot()


def test_convergence_plot_of_an_iterative_method(tmp_path):
    res = bl.solve(binary_knapsack_model(knapsack_instance(9, seed=3)), method="value_function")
    assert res.ok and len(res.history) == res.iterations >= 2
    bounds = [h.bound for h in res.history if h.bound is not None]
    incumbents = [h.incumbent for h in res.history if h.incumbent is not None]
    assert bounds == sorted(bounds) and incumbents == sorted(incumbents, reverse=True)  # the leader minimises
    assert res.history[-1].bound == pytest.approx(res.bound) and incumbents[-1] == pytest.approx(res.leader_objective)
    figure = res.plot(tmp_path / "convergence.png")
    assert_png(tmp_path / "convergence.png")
    drawn = {line.get_label(): line for line in figure.axes[0].lines}
    assert list(drawn) == ["bound", "incumbent"]
    assert drawn["bound"].get_xdata() == pytest.approx([h.seconds for h in res.history])
    assert drawn["incumbent"].get_ydata()[-1] == pytest.approx(res.leader_objective)


def test_regularized_records_each_round_as_an_incumbent_without_bound():
    res = bl.solve(bard1998_ex5_1_1(), method="regularized")
    assert res.status == bl.Status.LOCALLY_OPTIMAL and len(res.history) == len(res.mpcc["rounds"]) >= 2
    assert all(h.bound is None for h in res.history)
    assert res.history[-1].incumbent == pytest.approx(res.leader_objective, abs=1e-6)


def test_without_matplotlib_the_error_says_what_to_install(monkeypatch):
    res = bl.solve(bard1998_ex5_1_1())
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    with pytest.raises(bl.BilevelError, match=r"pip install pybilevel\[plot\]"):
        res.plot()


def test_importing_pybilevel_does_not_import_matplotlib():
    code = "import sys, pybilevel; print('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


BARD_MODEL_FILE = '''
"""Bard (1998) Ex. 5.1.1 from rows a*x + b*y <= rhs."""
import pyomo.environ as pyo
import pybilevel as bl
from pybilevel.io.data_io import Table

TABLES = {"rows": Table({"name": str, "a": float, "b": float, "rhs": float}, key=("name",))}
METHOD = "sos1"


def build(data):
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals)
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    rows = data["rows"].set_index("name")
    m.f.c = pyo.Constraint(list(rows.index), rule=lambda f, r: rows.a[r] * m.x + rows.b[r] * f.y <= rows.rhs[r])
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x - 4 * m.f.y)
    return m
'''


def test_cli_plot_flag_writes_the_picture(tmp_path, capsys):
    (tmp_path / "bard.py").write_text(textwrap.dedent(BARD_MODEL_FILE))
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rows.csv").write_text("name,a,b,rhs\nc1,-1,-1,-3\nc2,-2,1,0\nc3,2,1,12\nc4,3,-2,4\n")
    picture = tmp_path / "pictures" / "bard.png"
    code = main(["solve", str(tmp_path / "bard.py"), "--data", str(tmp_path / "data"), "--plot", str(picture)])
    stdout = capsys.readouterr().out
    assert code == 0 and "leader objective: -12" in stdout and f"wrote the picture {picture}" in stdout
    assert_png(picture)
    code = main(["solve", str(tmp_path / "bard.py"), "--data", str(tmp_path / "data"), "--plot", str(tmp_path / "x.pdf")])
    captured = capsys.readouterr()
    assert code == 1 and "give a name ending in .png" in captured.err and "solving" not in captured.out
