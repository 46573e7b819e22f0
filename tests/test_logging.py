"""Logs: every phase of bl.solve under the ``pybilevel`` logger; CLI --verbose / --quiet; no HiGHS banner."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pybilevel as bl
from problem_library import PROBLEMS
from pybilevel.io.cli import main

ROOT = Path(__file__).resolve().parents[1]
MODEL, DATA = ROOT / "models" / "interdiction.py", ROOT / "data" / "interdiction"


def test_every_phase_is_logged(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="pybilevel"):
        bl.solve(PROBLEMS[0].build(), method="bigm")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert all(r.name.startswith("pybilevel") for r in caplog.records)
    for phase in ("solve: method bigm", "analyse: ", "method bigm: 'bigm' as requested", "reformulated in",
                  "solving the single-level model with HiGHS", "single-level model {'rows'", "certify: optimal",
                  "done: optimal"):
        assert phase in text, phase


def test_nothing_logged_at_the_default_level(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="pybilevel"):
        bl.solve(PROBLEMS[0].build(), method="bigm")
    assert not caplog.records


def test_no_highs_banner_in_a_fresh_process() -> None:
    """HiGHS prints its banner once per process, at the first instance: the check needs its own process."""
    code = ("import sys; sys.path.insert(0, 'tests'); import pybilevel as bl; from problem_library import PROBLEMS; "
            "r = bl.solve(PROBLEMS[0].build(), method='bigm'); print('objective', r.leader_objective)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "objective -12.0" in run.stdout
    assert "HiGHS" not in run.stdout and "HiGHS" not in run.stderr


def test_cli_verbose_logs_to_stderr(capsys) -> None:
    assert main(["solve", str(MODEL), "--data", str(DATA), "--verbose"]) == 0
    captured = capsys.readouterr()
    assert "pybilevel.solve: analyse:" in captured.err and "certify: optimal" in captured.err
    assert "status: optimal (certified)" in captured.out


def test_cli_quiet_prints_the_result_only(capsys) -> None:
    assert main(["solve", str(MODEL), "--data", str(DATA), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "solving with method" not in captured.out and "status: optimal (certified)" in captured.out
    assert not logging.getLogger("pybilevel").handlers  # the CLI's handler is gone afterwards
