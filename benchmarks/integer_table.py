"""Print problems x methods for integer followers: solved / refused / uncertified / limit / wrong.

    .venv/bin/python benchmarks/integer_table.py              # literature problems, every method
    .venv/bin/python benchmarks/integer_table.py --random 40  # plus 40 seeded random instances per kind

Every reference is the brute-force oracle of ``tests/integer_oracle.py`` (the published optimum,
where one exists, is checked against it first); "solved" means proven optimal, certified and equal
to the reference to 1e-6 relative.
"""
from __future__ import annotations

import sys
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pybilevel as bl  # noqa: E402
from integer_library import PROBLEMS  # noqa: E402
from integer_oracle import random_integer_bilevel, to_pyomo  # noqa: E402

OUTCOMES = ("solved", "refused", "uncertified", "limit", "wrong")


def classify(model, method: str, reference: float | None) -> str:
    try:
        res = bl.solve(model, method=method, time_limit=60)
    except bl.BilevelError:
        return "refused"
    if res.status == bl.Status.OPTIMAL and res.certified:
        ok = reference is not None and abs(res.leader_objective - reference) <= 1e-6 * max(1.0, abs(reference))
        return "solved" if ok else "wrong"
    if res.status in (bl.Status.OPTIMAL, bl.Status.FEASIBLE) and not res.certified:
        return "uncertified"
    return "limit" if res.status in (bl.Status.FEASIBLE, bl.Status.LIMIT) else "wrong"


def main() -> None:
    warnings.simplefilter("ignore", bl.CertificateWarning)
    totals = {method: Counter() for method in bl.METHODS}
    print(f"{'problem':30s} {'optimum':>8s} " + " ".join(f"{m:>16s}" for m in bl.METHODS))
    for problem in PROBLEMS:
        reference = problem.instance.solve_by_enumeration()[0] if problem.instance is not None else None
        if problem.leader_objective is not None and reference is not None:
            assert abs(reference - problem.leader_objective) <= 1e-9, problem.name
        cells = []
        for method in bl.METHODS:
            start = time.perf_counter()
            outcome = classify(problem.build(), method, reference)
            totals[method][outcome] += 1
            cells.append(f"{outcome} {time.perf_counter() - start:5.2f}s")
        shown = "-" if reference is None else f"{reference:g}"
        print(f"{problem.name:30s} {shown:>8s} " + " ".join(f"{c:>16s}" for c in cells))
    print()
    for method, counts in totals.items():
        print(f"{method:16s} " + ", ".join(f"{k} {counts[k]}" for k in OUTCOMES))
    if "--random" in sys.argv:
        count = int(sys.argv[sys.argv.index("--random") + 1])
        print()
        kinds = {"pure": {}, "mixed": {"mixed": True}, "fractional": {"fractional": True},
                 "binary": {"box": 1, "n_x": 4, "n_y": 4}}
        for kind, options in kinds.items():
            counts, seconds = Counter(), 0.0
            for seed in range(count):
                p, (reference, _, _) = random_integer_bilevel(seed, **options)
                start = time.perf_counter()
                counts[classify(to_pyomo(p), "value_function", reference)] += 1
                seconds += time.perf_counter() - start
            print(f"random {kind:10s} value_function: " + ", ".join(f"{k} {counts[k]}" for k in OUTCOMES)
                  + f" ({seconds / count:.2f} s per instance)")


if __name__ == "__main__":
    main()
