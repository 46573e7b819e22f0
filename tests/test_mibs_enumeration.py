"""benchmarks/mibs_enumeration.py (the reference for benchmarks/data/mibs_general) against
BOBILib's published optima, and the benchmark's folder without optima.csv."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bobilib import instances  # noqa: E402
from mibs_enumeration import enumerate_optimum  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "bilevel_instances"
GENERAL = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "mibs_general"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"shared instances not found at {SHARED}")


@needs_shared
@pytest.mark.parametrize("name, optimum", [("moore90", -22.0), ("moore90_2", 5.0), ("linderoth", -2.0)])
def test_enumeration_matches_bobilib_optimum(name, optimum):
    assert enumerate_optimum(SHARED / f"{name}.mps", SHARED / f"{name}.aux", 10_000) == pytest.approx(optimum)


@needs_shared
def test_enumeration_refuses_a_box_above_the_limit():
    assert enumerate_optimum(SHARED / "linderoth.mps", SHARED / "linderoth.aux", 1) is None


def test_folder_without_optima_lists_every_instance_without_reference():
    rows = instances(GENERAL)
    assert len(rows) == 19 and all(optimum is None for _, optimum in rows)
    assert all((GENERAL / f"{name}.mps").is_file() for name, _ in rows)
