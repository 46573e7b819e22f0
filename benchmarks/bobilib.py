"""Solve a folder of MibS instances (MPS + AUX, BOBILib's format) and compare with its optima.csv.

    .venv/bin/python benchmarks/bobilib.py                       # the shared instances, method auto
    .venv/bin/python benchmarks/bobilib.py DIR --methods auto sos1 value_function --time-limit 60
    make bobilib BENCH_ARGS="--methods auto value_function"
    .venv/bin/python benchmarks/bobilib.py benchmarks/data/mibs_general --time-limit 60 --enumerate 20000

``optima.csv`` needs the columns ``instance`` and ``optimal_objective`` (BOBILib's proven optima);
each instance is ``<instance>.mps`` with ``<instance>.aux``. A folder without ``optima.csv`` runs
every ``<instance>.aux`` there, with no reference optimum unless ``--enumerate N``: then an
instance whose integer leader has at most N decisions gets the optimum by enumeration
(``mibs_enumeration.py``, HiGHS at each decision, no pybilevel code). One line per instance and method:
status, objective, bound, optimum, difference, gap, time, certified, the method used and why
(``res.method``, ``res.method_reason``); then a summary per method. "solved" means proven
optimal, certified and within 1e-6 of the optimum.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pybilevel as bl
from mibs_enumeration import enumerate_optimum
from pybilevel.io.mibs import read_mibs

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "data" / "bilevel_instances"
TOL = 1e-6


@dataclass
class Run:
    """One instance solved by one method."""

    instance: str
    requested: str
    status: str
    objective: float | None
    optimum: float | None  # None: no reference optimum
    gap: float | None
    seconds: float
    certified: bool
    method: str
    reason: str
    bound: float | None = None  # the proven bound, in the leader's sense

    @property
    def difference(self) -> float | None:
        return None if self.objective is None or self.optimum is None else self.objective - self.optimum

    @property
    def outcome(self) -> str:
        if self.status == "refused":
            return "refused"
        if self.status == bl.Status.OPTIMAL and self.certified:
            if self.optimum is None:
                return "proven, no reference"
            return "solved" if abs(self.difference) <= TOL else "wrong"
        return "limit" if self.status in (bl.Status.FEASIBLE, bl.Status.LIMIT) else "other"


def instances(folder: Path) -> list[tuple[str, float | None]]:
    """(instance, optimum) for every row of ``folder/optima.csv``; without it, (instance, None)
    for every ``folder/*.aux``."""
    if not (folder / "optima.csv").is_file():
        return [(aux.stem, None) for aux in sorted(folder.glob("*.aux"))]
    with open(folder / "optima.csv", newline="") as handle:
        return [(row["instance"], float(row["optimal_objective"])) for row in csv.DictReader(handle)]


def run(folder: Path, name: str, optimum: float | None, method: str, time_limit: float) -> Run:
    """Read (not timed) and solve one instance; a refusal is a row too."""
    model = read_mibs(folder / f"{name}.mps", folder / f"{name}.aux")
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bl.CertificateWarning)
            res = bl.solve(model, method=method, time_limit=time_limit)
    except bl.BilevelError as exc:
        return Run(name, method, "refused", None, optimum, None, time.perf_counter() - start, False, method, str(exc))
    return Run(name, method, res.status, res.leader_objective, optimum, res.gap, time.perf_counter() - start,
               res.certified, res.method, res.method_reason, res.bound)


def _cell(value: float | None, fmt: str = "{:.6g}") -> str:
    return "-" if value is None else fmt.format(value)


def print_table(runs: list[Run]) -> None:
    """A Markdown table, one row per run."""
    print("| instance | requested | status | objective | bound | optimum | difference | gap | time [s] | certified "
          "| method | why |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {r.instance} | {r.requested} | {r.status} | {_cell(r.objective)} | {_cell(r.bound)} | {_cell(r.optimum)} | "
              f"{_cell(r.difference, '{:.2g}')} | {_cell(r.gap, '{:.2g}')} | {r.seconds:.2f} | "
              f"{'yes' if r.certified else 'no'} | {r.method} | {r.reason} |")


def print_summary(runs: list[Run]) -> None:
    print()
    for method in dict.fromkeys(r.requested for r in runs):
        mine = [r for r in runs if r.requested == method]
        outcomes = ("solved", "proven, no reference", "wrong", "limit", "refused", "other")
        counts = {o: sum(r.outcome == o for r in mine) for o in outcomes}
        wrong = [r.instance for r in mine if r.outcome == "wrong"]
        print(f"{method}: {len(mine)} instances, " + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
              + f"; total {sum(r.seconds for r in mine):.1f} s, slowest {max(r.seconds for r in mine):.1f} s"
              + (f"; differs from optima.csv: {', '.join(wrong)}" if wrong else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER,
                        help=f"folder with <instance>.mps, <instance>.aux and optionally optima.csv "
                             f"(default {DEFAULT_FOLDER})")
    parser.add_argument("--methods", nargs="+", default=["auto"], help="methods to run (default: auto)")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per solve (default 300)")
    parser.add_argument("--instances", nargs="+", help="only these instances")
    parser.add_argument("--enumerate", type=int, default=0, metavar="N",
                        help="without a reference optimum, enumerate leader boxes of at most N decisions")
    args = parser.parse_args(argv)
    if not instances(args.folder):
        parser.error(f"no optima.csv and no *.aux in {args.folder}")
    runs = []
    for name, optimum in instances(args.folder):
        if args.instances and name not in args.instances:
            continue
        if optimum is None and args.enumerate:
            start = time.perf_counter()
            optimum = enumerate_optimum(args.folder / f"{name}.mps", args.folder / f"{name}.aux", args.enumerate)
            print(f"{name}: optimum by enumeration {_cell(optimum)} in {time.perf_counter() - start:.1f} s",
                  file=sys.stderr, flush=True)
        for method in args.methods:
            runs.append(run(args.folder, name, optimum, method, args.time_limit))
            r = runs[-1]
            print(f"{name} {method}: {r.outcome} ({r.status}, {_cell(r.objective)} vs {_cell(optimum)}) in {r.seconds:.2f} s",
                  file=sys.stderr, flush=True)
    print_table(runs)
    print_summary(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
