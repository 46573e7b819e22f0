"""Print problems x methods for a literature library: solved / local / refused / uncertified / limit / wrong.

    .venv/bin/python benchmarks/library_table.py          # LP-LP and QP library
    .venv/bin/python benchmarks/library_table.py --nlp    # nonlinear library (slower)
    .venv/bin/python benchmarks/library_table.py --nonconvex  # nonconvex followers, method discretization
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


def nonconvex_table(time_limit: float = 60.0) -> None:
    """Problem, recorded optimum, published value, ours, bound, time, outcome for ``discretization``.

    solved: optimal, certified, and within [optimum - EPS_GAIN, optimum + WORSE_TOL] (the leader's
    possible gain from an eps_follower-optimal response, and the gap tolerance: tests/test_discretization.py).
    """
    from nonconvex_library import NONCONVEX_PROBLEMS, PUBLISHED  # noqa: PLC0415
    from test_discretization import EPS_GAIN, WORSE_TOL  # noqa: PLC0415

    counts = Counter()
    print(f"{'problem':32s} {'optimum':>10s} {'published':>10s} {'ours':>12s} {'bound':>12s} {'time':>7s} outcome")
    for problem in NONCONVEX_PROBLEMS:
        start = time.perf_counter()
        try:
            res = bl.solve(problem.build(), method="discretization", time_limit=time_limit)
        except bl.MethodRefusedError:
            outcome, res = "refused", None
        else:
            opt = problem.leader_objective
            near = res.leader_objective is not None and (
                opt - EPS_GAIN <= res.leader_objective <= opt + WORSE_TOL * max(1.0, abs(opt)))
            if res.status == bl.Status.OPTIMAL and res.certified and near:
                outcome = "solved"
            elif res.status in (bl.Status.FEASIBLE, bl.Status.LIMIT) and (res.certified or res.status == bl.Status.LIMIT):
                outcome = "limit"
            else:
                outcome = "wrong" if res.certified or not res.certificate else "uncertified"
        counts[outcome] += 1
        ours = "-" if res is None or res.leader_objective is None else f"{res.leader_objective:.6f}"
        bound = "-" if res is None or res.bound is None else f"{res.bound:.6f}"
        print(f"{problem.name:32s} {problem.leader_objective:10.6f} {PUBLISHED[problem.name][0]:10.4g} {ours:>12s} "
              f"{bound:>12s} {time.perf_counter() - start:6.2f}s {outcome}", flush=True)
    print("\n" + ", ".join(f"{k} {counts[k]}" for k in ("solved", "limit", "refused", "uncertified", "wrong")))


def main() -> None:
    warnings.simplefilter("ignore", bl.CertificateWarning)
    if "--nonconvex" in sys.argv:
        nonconvex_table()
        return
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
