"""The benchmark's pybilevel runner on a 100-variable instance, against the independent highspy reference."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from generate import generate_instance, load_instance, save_instance  # noqa: E402
from pybilevel_runner import solve_one  # noqa: E402
from reference import follower_check, solve_reference  # noqa: E402


@pytest.mark.parametrize("family", ["lp_lp", "milp_lp"])
def test_runner_matches_reference(tmp_path: Path, family: str) -> None:
    path = save_instance(generate_instance(family, 100, seed=3), tmp_path)
    inst = load_instance(path)  # what every tool reads
    reference = solve_reference(inst, time_limit=60.0)
    assert reference["status"] == "Optimal"

    record = solve_one(path, "bigm", time_limit=60.0)

    assert record["status"] == "ok" and record["certified"]
    assert record["objective"] == pytest.approx(reference["objective"], rel=1e-7)
    # the follower's answer is optimal at the leader's decision (scipy's linprog, not pybilevel)
    optimum = follower_check(inst, np.asarray(record["x"]))["follower_optimum"]
    assert record["follower_objective"] == pytest.approx(optimum, rel=1e-7)
    assert {"compile", "reformulate", "translate", "solve", "invert", "certify"} <= set(record["time_phases"])
    # rows: the follower's m, n_y stationarity rows, two big-M rows per pair that can be active;
    # a follower row with b - max over the box of A x - B uy > 0 never is (y's bounds always can)
    A, B = inst["A"].tocsr(), inst["B"].tocsr()
    highest_ax = A.maximum(0) @ inst["ux"]  # x >= 0
    never_active = int(np.sum(inst["b"] - highest_ax - B @ inst["uy"] > 1e-9))
    pairs = record["m"] - never_active + 2 * record["n_y"]
    assert record["model_size"]["rows"] == record["m"] + record["n_y"] + 2 * pairs
