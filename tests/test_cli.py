"""Command line: solves from CSV, refuses malformed CSV with file/line/column, writes all or nothing."""
import json
import shutil
from pathlib import Path

import pytest

from pybilevel.io.cli import main

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "interdiction.py"
DATA = ROOT / "data" / "interdiction"


@pytest.fixture
def data_dir(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_solve_writes_every_result_file(capsys, data_dir, tmp_path):
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "solve", MODEL, "--data", data_dir, "--out", out)
    assert code == 0
    assert "status: optimal (certified)" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["bigm.csv", "certificate.csv", "duals.csv", "result.json", "values.csv"]
    result = json.loads((out / "result.json").read_text())
    assert result["certified"] is True and result["status"] == "optimal"


def test_inspect_prints_structure_and_size(capsys, data_dir):
    code, stdout, _ = run(capsys, "inspect", MODEL, "--data", data_dir, "--method", "sos1")
    assert code == 0
    assert "follower flow: LP, 10 variables, 15 constraints" in stdout
    assert "method sos1:" in stdout and "rows" in stdout


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: (d / "arcs.csv").unlink(), "arcs.csv: file missing; it needs the columns tail, head, capacity, cost"),
        (lambda d: (d / "arcs.csv").write_text(""), "arcs.csv: file is empty"),
        (lambda d: (d / "arcs.csv").write_text("tail,head,capacity,cost\n"), "arcs.csv: no data rows"),
        (lambda d: (d / "arcs.csv").write_text("tail,head,capacity\ns,t,1\n"), "arcs.csv: missing column(s) cost"),
        (lambda d: (d / "arcs.csv").write_text("tail,head,capacity,cost,color\ns,t,1,1,red\n"), "unexpected column(s) color"),
        (lambda d: (d / "arcs.csv").write_text("tail,head,capacity,cost\ns,t,1,1\ns,t,abc,1\n"), "arcs.csv, line 3, column capacity: 'abc' is not a number"),
        (lambda d: (d / "arcs.csv").write_text("tail,head,capacity,cost\ns,t,1,1\ns,t,2,1\n"), "arcs.csv, line 3: duplicate key (tail=s, head=t)"),
        (lambda d: (d / "arcs.csv").write_text("tail,head,capacity,cost\ns,t,,1\n"), "arcs.csv, line 2, column capacity: empty cell"),
        (lambda d: (d / "network.csv").write_text("source,sink,budget\ns,z,1\n"), "network.csv, line 2, column sink: 'z' is not a node"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, data_dir, tmp_path, edit, message):
    edit(data_dir)
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "solve", MODEL, "--data", data_dir, "--out", out)
    assert code == 1
    assert message in stderr
    assert not out.exists()  # nothing half-written


def test_existing_output_keeps_other_files(capsys, data_dir, tmp_path):
    # issue 18 changed this on purpose: --out no longer replaces the whole folder (it deleted
    # every other file in it); only the result files are replaced, each atomically
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.csv").write_text("old")
    code, _, _ = run(capsys, "solve", MODEL, "--data", data_dir, "--out", out)
    assert code == 0
    assert (out / "stale.csv").read_text() == "old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging left


def test_missing_model_and_data_folder(capsys, tmp_path):
    code, _, stderr = run(capsys, "solve", tmp_path / "nope.py", "--data", tmp_path)
    assert code == 1 and "model file" in stderr and "does not exist" in stderr
    code, _, stderr = run(capsys, "solve", MODEL, "--data", tmp_path / "missing")
    assert code == 1 and "data directory" in stderr
