"""MibS's 20-, 30- and 40-item knapsack interdiction instances (``data/knapsack_interdiction``)
solved by pybilevel, against the verified optima of ``optima.csv``.

    .venv/bin/python benchmarks/knapsack_table.py [--methods auto] [--time-limit 60] [--instances ...]

The model is built from the CSV files (binary leader x within the budget removes items; the
follower packs a 0/1 knapsack of the rest for the most profit; the leader minimises that profit).
Prints the Markdown table and summary of ``benchmarks/bobilib.py``; an instance without a verified
optimum shows "-" there and counts as "proven, no reference" when pybilevel proves its answer.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pybilevel as bl  # noqa: E402
from bobilib import Run, print_summary, print_table  # noqa: E402
from interdiction_instances import binary_knapsack_model  # noqa: E402
from knapsack_interdiction import load, optima  # noqa: E402


def run(name: str, inst, optimum: float | None, method: str, time_limit: float) -> Run:
    """Build (not timed) and solve one instance."""
    model = binary_knapsack_model(inst)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.CertificateWarning)
        res = bl.solve(model, method=method, time_limit=time_limit)
    return Run(name, method, res.status, res.leader_objective, optimum, res.gap, time.perf_counter() - start,
               res.certified, res.method, res.method_reason)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["auto"])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--instances", nargs="+", help="only these instances")
    args = parser.parse_args(argv)
    known = optima()
    runs = []
    for name, inst in load().items():
        if args.instances and name not in args.instances:
            continue
        for method in args.methods:
            runs.append(run(name, inst, known.get(name), method, args.time_limit))
            print(f"{name} {method}: {runs[-1].outcome} in {runs[-1].seconds:.1f} s", file=sys.stderr, flush=True)
    print_table(runs)
    print_summary(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
