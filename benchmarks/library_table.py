"""Print problems x methods for a literature library: solved / local / refused / uncertified / limit / wrong.

    .venv/bin/python benchmarks/library_table.py          # LP-LP and QP library
    .venv/bin/python benchmarks/library_table.py --nlp    # nonlinear library (slower)
"""
from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pybilevel as bl  # noqa: E402
from library_run import classify  # noqa: E402
from nlp_library import NLP_PROBLEMS  # noqa: E402
from problem_library import PROBLEMS  # noqa: E402

OUTCOMES = ("solved", "local", "local_other", "refused", "uncertified", "limit", "wrong")


def main() -> None:
    warnings.simplefilter("ignore", bl.CertificateWarning)
    nonlinear = "--nlp" in sys.argv
    problems, rel_tol = (NLP_PROBLEMS, 1e-4) if nonlinear else (PROBLEMS, 1e-5)
    totals = {method: Counter() for method in bl.METHODS}
    print(f"{'problem':34s} {'class':6s} " + " ".join(f"{m:>16s}" for m in bl.METHODS))
    for problem in problems:
        cells = []
        for method in bl.METHODS:
            start = time.perf_counter()
            outcome, _, _ = classify(problem, method, rel_tol=rel_tol)
            totals[method][outcome] += 1
            cells.append(f"{outcome} {time.perf_counter() - start:5.2f}s")
        print(f"{problem.name:34s} {problem.leader_class + '-' + problem.follower_class:6s} " + " ".join(f"{c:>16s}" for c in cells))
    print()
    for method, counts in totals.items():
        print(f"{method:16s} " + ", ".join(f"{k} {counts[k]}" for k in OUTCOMES))


if __name__ == "__main__":
    main()
