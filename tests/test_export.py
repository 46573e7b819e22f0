"""The single-level model for users who solve it themselves: bl.reformulate and pybilevel export
--format lp|mps|nl|gms, whose files reload and give pybilevel's optimum."""
from __future__ import annotations

import json
from pathlib import Path

import highspy
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from problem_library import PROBLEMS
from pybilevel.io.cli import main
from pybilevel.methods.transformation import BLOCK_PREFIX

ROOT = Path(__file__).resolve().parents[1]
MODEL, DATA = ROOT / "models" / "interdiction.py", ROOT / "data" / "interdiction"
#: pybilevel's certified optimum of models/interdiction.py on its sample data
INTERDICTION_OPTIMUM = 6.0


def _export(tmp_path: Path, fmt: str, method: str = "bigm") -> Path:
    out = tmp_path / f"interdiction.{fmt}"
    assert main(["export", str(MODEL), "--data", str(DATA), "--method", method, "--format", fmt, "--out", str(out),
                 "--quiet"]) == 0
    return out


@pytest.mark.parametrize("fmt", ["lp", "mps"])
def test_lp_and_mps_files_solve_to_pybilevel_optimum(tmp_path, fmt: str) -> None:
    out = _export(tmp_path, fmt)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(out)) == highspy.HighsStatus.kOk
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert highs.getInfo().objective_function_value == pytest.approx(INTERDICTION_OPTIMUM, abs=1e-6)
    names = json.loads(Path(f"{out}.json").read_text())
    assert names["method"] == "bigm" and names["format"] == fmt
    assert len(names["leader"]) == 9 and len(names["followers"]["flow"]["variables"]) == 10
    assert names["followers"]["flow"]["multipliers"]
    columns = set(highs.getLp().col_names_)
    for role in (names["leader"], names["followers"]["flow"]["variables"], names["followers"]["flow"]["multipliers"]):
        assert set(role) <= columns


def test_nl_file_and_its_names(tmp_path) -> None:
    out = _export(tmp_path, "nl", method="sos1")
    names = json.loads(Path(f"{out}.json").read_text())
    text, columns = out.read_text(), (tmp_path / "interdiction.col").read_text().split()
    for symbol, pyomo_name in names["leader"].items():
        assert symbol.startswith("v") and pyomo_name in columns
    assert all(name in text or name in columns for name in names["followers"]["flow"]["variables"].values())


def test_gams_file_holds_the_names(tmp_path) -> None:
    out = _export(tmp_path, "gms")
    names = json.loads(Path(f"{out}.json").read_text())
    text = out.read_text()
    assert all(symbol in text for symbol in names["leader"])


def test_export_refuses_a_folder_as_out(tmp_path, capsys) -> None:
    assert main(["export", str(MODEL), "--data", str(DATA), "--format", "lp", "--out", str(tmp_path)]) == 1
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize("problem", PROBLEMS[:4], ids=lambda p: p.name)
def test_reformulate_solve_yourself_and_map_back(problem) -> None:
    m = problem.build()
    reformulation = bl.reformulate(m, "bigm")
    assert any(c.local_name.startswith(BLOCK_PREFIX) for c in m.component_objects(pyo.Block, descend_into=False))
    results = pyo.SolverFactory("appsi_highs").solve(m)
    assert results.solver.termination_condition == pyo.TerminationCondition.optimal
    reformulation.complete_solution()
    assert pyo.value(m.obj) == pytest.approx(problem.leader_objective, abs=1e-6)
    for name, expected in problem.leader_values.items():
        assert m.find_component(name).value == pytest.approx(expected, abs=1e-6)
    reformulation.remove()
    assert not any(c.local_name.startswith(BLOCK_PREFIX) for c in m.component_objects(pyo.Block, descend_into=False))
    assert m.f.obj.active
    assert bl.solve(m).leader_objective == pytest.approx(problem.leader_objective, abs=1e-6)


def test_reformulate_refuses_a_decomposition() -> None:
    with pytest.raises(bl.MethodRefusedError, match="decomposition"):
        bl.reformulate(PROBLEMS[0].build(), "value_function")
