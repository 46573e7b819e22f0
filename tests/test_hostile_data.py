"""Issue 18, CSV data: non-finite numbers, other encodings, unreadable files, line breaks in cells,
values the model's meaning forbids and extra rows in one-row tables are refused naming the file,
line, column and rule; through the CLI: exit 1, no traceback, --out untouched (docs/reliability.md)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pybilevel.errors import DataError
from pybilevel.io.data_io import NONNEGATIVE, POSITIVE, Range, Table, load_tables

ROOT = Path(__file__).resolve().parents[1]
ARCS = Table(columns={"tail": str, "head": str, "capacity": float, "cost": float}, key=("tail", "head"),
             ranges={"capacity": NONNEGATIVE, "cost": POSITIVE})
HEADER = "tail,head,capacity,cost\n"


def load(tmp_path: Path, content: bytes | str, table: Table = ARCS) -> None:
    path = tmp_path / "arcs.csv"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    load_tables(tmp_path, {"arcs": table})


@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e400", "-1e999"])
def test_non_finite_number_refused(tmp_path, cell):
    with pytest.raises(DataError, match=rf"arcs.csv, line 3, column capacity: '{cell}' is not a finite number; numeric cells must be finite"):
        load(tmp_path, HEADER + f"s,a,1,1\na,t,{cell},1\n")


@pytest.mark.parametrize("cell", ["nan", "NaN", "abc"])
def test_not_a_number_refused(tmp_path, cell):
    with pytest.raises(DataError, match=rf"arcs.csv, line 2, column cost: '{cell}' is not a number"):
        load(tmp_path, HEADER + f"s,a,1,{cell}\n")


def test_latin1_refused_with_line(tmp_path):
    with pytest.raises(DataError, match=r"arcs.csv, line 3, character 1: byte 0xe9 is not UTF-8 \(the file is probably Latin-1"):
        load(tmp_path, (HEADER + "s,a,1,1\néa,t,1,1\n").encode("latin-1"))


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_refused(tmp_path, codec):
    with pytest.raises(DataError, match=r"arcs.csv: the file is UTF-16 encoded, not UTF-8; save it as UTF-8"):
        load(tmp_path, (HEADER + "s,a,1,1\n").encode(codec))


def test_utf8_with_bom_read(tmp_path):
    load(tmp_path, (HEADER + "s,é,1,1\n").encode("utf-8-sig"))


def test_unreadable_file(tmp_path, monkeypatch):
    (tmp_path / "arcs.csv").write_text(HEADER + "s,a,1,1\n")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(DataError, match=r"arcs.csv: cannot be read \(Permission denied\); check that it is a readable file"):
        load_tables(tmp_path, {"arcs": ARCS})


def test_unreadable_folder(tmp_path, monkeypatch):
    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "is_file", denied)
    with pytest.raises(DataError, match=r"arcs.csv: cannot be read \(Permission denied\)"):
        load_tables(tmp_path, {"arcs": ARCS})


def test_csv_named_folder(tmp_path):
    (tmp_path / "arcs.csv").mkdir()
    with pytest.raises(DataError, match=r"arcs.csv: file missing"):
        load_tables(tmp_path, {"arcs": ARCS})


@pytest.mark.parametrize("row, column", [('"s\nx",a,1,1\n', "tail"), ('s,"a\r\nb",1,1\n', "head")])
def test_quoted_line_break_refused(tmp_path, row, column):
    with pytest.raises(DataError, match=rf"arcs.csv, line 3, column {column}: the cell holds a line break"):
        load(tmp_path, HEADER + "a,b,1,1\n" + row)


@pytest.mark.parametrize("capacity, cost, message", [
    ("-1", "1", "line 2, column capacity: -1; it must be >= 0."),
    ("0", "0", "line 2, column cost: 0; it must be > 0."),
    ("2", "-0.5", "line 2, column cost: -0.5; it must be > 0."),
])
def test_value_outside_range_refused(tmp_path, capacity, cost, message):
    with pytest.raises(DataError) as refused:
        load(tmp_path, HEADER + f"s,a,{capacity},{cost}\n")
    assert message in str(refused.value)


def test_range_reason_and_describe():
    assert Range(0, 1).describe() == "between 0 and 1"
    assert Range(high=5, high_open=True).describe() == "< 5"
    assert Range(0, 1, low_open=True).describe() == "> 0 and <= 1"
    with pytest.raises(ValueError, match="not a numeric column"):
        Table(columns={"name": str}, ranges={"name": NONNEGATIVE})


def test_reason_in_message(tmp_path):
    table = Table(columns={"tail": str, "head": str, "capacity": float, "cost": float},
                  ranges={"capacity": Range(0, why="a capacity cannot be negative")})
    with pytest.raises(DataError, match=r"line 2, column capacity: -3; it must be >= 0 \(a capacity cannot be negative\)\."):
        load(tmp_path, HEADER + "s,a,-3,1\n", table)


def test_extra_row_in_one_row_table(tmp_path):
    table = Table(columns={"source": str, "sink": str, "budget": float}, rows=1)
    (tmp_path / "network.csv").write_text("source,sink,budget\ns,t,1\ns,t,2\n")
    with pytest.raises(DataError, match=r"network.csv, line 3: extra row; this table must have exactly 1 data row \(2 found\): delete the others"):
        load_tables(tmp_path, {"network": table})


def test_every_model_declares_one_row_settings():
    """Every settings-like table of the 15 model files has rows=1; the sample data still load."""
    from pybilevel.io.cli import load_model_file

    single = {"settings", "policy", "network", "community"}
    for path in sorted((ROOT / "models").glob("*.py")):
        module = load_model_file(path)
        for name, table in module.TABLES.items():
            if name in single:
                assert table.rows == 1, (path.name, name)


# through the command line: exit 1, one message, no traceback, --out untouched
@pytest.mark.parametrize("file, content, message", [
    ("arcs.csv", HEADER.encode() + b"s,a,inf,1\n", "arcs.csv, line 2, column capacity: 'inf' is not a finite number"),
    ("arcs.csv", HEADER.encode() + "s,a,1,1\nb\xe9,t,1,1\n".encode("latin-1"), "arcs.csv, line 3, character 2: byte 0xe9 is not UTF-8"),
    ("arcs.csv", HEADER.encode() + b"s,a,-4,1\n", "arcs.csv, line 2, column capacity: -4; it must be >= 0."),
    ("network.csv", b"source,sink,budget\ns,t,-1\n", "network.csv, line 2, column budget: -1; it must be >= 0."),
    ("network.csv", b"source,sink,budget\ns,t,1\ns,t,5\n", "network.csv, line 3: extra row; this table must have exactly 1 data row"),
])
def test_cli_refuses_bad_data_without_traceback(tmp_path, file, content, message):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "interdiction", data)
    (data / file).write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    (out / "result.json").write_text("previous")
    run = subprocess.run([sys.executable, "-m", "pybilevel", "solve", ROOT / "models" / "interdiction.py", "--data", data,
                          "--out", out], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert message in run.stderr and "Traceback" not in run.stderr
    assert [p.name for p in out.iterdir()] == ["result.json"] and (out / "result.json").read_text() == "previous"
