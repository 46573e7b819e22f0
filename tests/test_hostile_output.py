"""Issue 18, output files: --out keeps what is not a result file, writes each atomically, refuses
paths it must not write, never lets an uncertified result silently replace a certified one, and
Ctrl-C leaves the folder as it was (docs/reliability.md)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pybilevel.errors import DataError
from pybilevel.io.output import check_output_folder, write_result
from pybilevel.results import BilevelResult, Status

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "interdiction.py"
RESULT_FILES = ["bigm.csv", "certificate.csv", "duals.csv", "result.json", "values.csv"]


def cli(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pybilevel", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "interdiction", target)
    return target


def test_other_files_kept_and_result_files_replaced(data, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "result.json").write_text("{}")
    run = cli("solve", MODEL, "--data", data, "--out", out)
    assert run.returncode == 0 and "Traceback" not in run.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(RESULT_FILES + ["notes.txt"])
    assert (out / "notes.txt").read_text() == "mine"
    assert json.loads((out / "result.json").read_text())["certified"] is True


def test_out_is_data_folder_refused_inputs_untouched(data):
    before = snapshot(data)
    run = cli("solve", MODEL, "--data", data, "--out", data)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "is the data folder" in run.stderr
    assert snapshot(data) == before


def test_out_is_a_file_refused_and_kept(data, tmp_path):
    out = tmp_path / "out"
    out.write_text("precious")
    run = cli("solve", MODEL, "--data", data, "--out", out)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"--out {out}: exists and is not a folder" in run.stderr
    assert out.read_text() == "precious"


def test_out_under_a_file_refused(data, tmp_path):
    (tmp_path / "file").write_text("x")
    run = cli("solve", MODEL, "--data", data, "--out", tmp_path / "file" / "out")
    assert run.returncode == 1 and "is a file, so the folder cannot be created" in run.stderr


def test_unwritable_folder_refused_before_solve(tmp_path, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(DataError, match=r"--out .*out: cannot write in .* \(Permission denied\); choose a writable folder"):
        check_output_folder(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_new_folder_created_with_umask_permissions(data, tmp_path):
    out = tmp_path / "a" / "b"
    run = cli("solve", MODEL, "--data", data, "--out", out)
    assert run.returncode == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left


def uncertified(status: str, message: str) -> BilevelResult:
    return BilevelResult(status=status, message=message, method="bigm", solver="highs", solver_reason="test")


def test_uncertified_result_does_not_replace_certified_one(data, tmp_path):
    out = tmp_path / "out"
    assert cli("solve", MODEL, "--data", data, "--out", out).returncode == 0
    good = snapshot(out)
    limited = uncertified(Status.LIMIT, "stopped")
    written = write_result(limited, out)
    assert [p.name for p in written] == ["values.limit.csv", "duals.limit.csv", "certificate.limit.csv", "bigm.limit.csv", "result.limit.json"]
    assert {k: v for k, v in snapshot(out).items() if k in good} == good  # the certified files are untouched
    assert json.loads((out / "result.limit.json").read_text())["status"] == "limit"
    forced = write_result(limited, out, force=True)
    assert forced[-1].name == "result.json"
    assert json.loads((out / "result.json").read_text())["status"] == "limit"


def test_uncertified_result_replaces_uncertified_one(tmp_path):
    out = tmp_path / "out"
    write_result(uncertified(Status.INFEASIBLE, "first"), out)
    written = write_result(uncertified(Status.ERROR, "second"), out)
    assert written[-1].name == "result.json"
    assert json.loads((out / "result.json").read_text())["message"] == "second"


def test_failed_write_leaves_previous_files(tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_result(uncertified(Status.ERROR, "old"), out)
    before = snapshot(out)
    calls = []

    def replace_fails_late(src, dst):
        calls.append(dst)
        if str(dst).endswith("result.json"):
            raise OSError(28, "No space left on device")
        os.rename(src, dst)

    monkeypatch.setattr(os, "replace", replace_fails_late)
    with pytest.raises(OSError):
        write_result(uncertified(Status.ERROR, "new"), out)
    assert json.loads((out / "result.json").read_text())["message"] == "old"  # the index still the old one
    assert before.keys() == snapshot(out).keys()  # no temporary file left


def test_interrupt_exits_130_and_leaves_out_as_it_was(tmp_path):
    data = tmp_path / "optknock"
    shutil.copytree(ROOT / "data" / "optknock", data)
    settings = (data / "settings.csv").read_text().replace(",EX_ac_e,1,", ",EX_ac_e,2,")  # about 26 s with SCIP
    (data / "settings.csv").write_text(settings)
    out = tmp_path / "out"
    out.mkdir()
    (out / "result.json").write_text("previous")
    process = subprocess.Popen([sys.executable, "-m", "pybilevel", "solve", ROOT / "models" / "optknock.py", "--data", data,
                                "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert "solving with method" in process.stdout.readline()  # the solve has started (load times vary)
    time.sleep(1.0)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert time.perf_counter() - sent < 10.0  # promptly (about 0.5 s unloaded), not after the 26 s solve
    assert process.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert snapshot(out) == {"result.json": b"previous"}
