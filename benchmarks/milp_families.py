"""Random MILP-MILP bilevel families (seeded) and ``value_function`` (and ``branch_and_cut``) on
them and on the shared general MibS instances, side by side in one run.

    .venv/bin/python benchmarks/milp_families.py [--sizes 10 15 20 30 50] [--seeds 0 1] [--time-limit 30]
        [--methods value_function branch_and_cut]

Family ``n`` (n variables per level): binary leader x with a budget sum x <= n / 3; integer
follower y in [0, 5]; the follower maximises d @ y (d in 1..9) over n / 2 packing rows
B y <= b - A x (B, A in 0..9, about 30% nonzero; b large enough that y = 0 is always feasible),
so every instance is bilevel feasible; the leader minimises cx @ x + cy @ y with cx in -5..5 and
cy in -9..9 (it wants some of the follower's items and not others). A line per instance and
method: status, objective, bound, gap, iterations (branch_and_cut: nodes), seconds.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pybilevel as bl  # noqa: E402
from integer_oracle import IntegerBilevel, to_pyomo  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "bilevel_instances"
GENERAL = ("knapsack", "linderoth", "milp_4_20_10_0110", "moore90", "moore90_2")


def family_instance(n: int, seed: int) -> IntegerBilevel:
    """The instance of the module docstring."""
    rng = np.random.default_rng(seed)
    m = max(2, n // 2)

    def sparse(rows: int, cols: int) -> np.ndarray:
        return rng.integers(0, 10, (rows, cols)) * (rng.random((rows, cols)) < 0.3)

    A, B = sparse(m, n), sparse(m, n)
    b = A.sum(axis=1) + rng.integers(5, 15, m) * np.maximum(1, B.sum(axis=1) // 6)
    return IntegerBilevel(
        cx=rng.integers(-5, 6, n), cy=rng.integers(-9, 10, n), d=rng.integers(1, 10, n),
        A=A.astype(float), B=B.astype(float), b=b.astype(float),
        x_lb=np.zeros(n), x_ub=np.ones(n), y_lb=np.zeros(n), y_ub=np.full(n, 5.0), integer=np.ones(n, dtype=bool),
        Gx=np.ones((1, n)), Gy=np.zeros((1, n)), g=[float(n // 3)], follower_max=True,
    )


def run(model, method: str, time_limit: float) -> str:
    start = time.perf_counter()
    res = bl.solve(model, method=method, time_limit=time_limit)
    gap = "-" if res.gap is None else f"{res.gap:.2g}"
    return (f"{res.status} | {res.leader_objective} | {res.bound} | {gap} | {res.iterations} | "
            f"{time.perf_counter() - start:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 15, 20, 30, 50])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--methods", nargs="+", default=["value_function"], help="methods to run on each instance")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", bl.CertificateWarning)
    cases = []
    if SHARED.is_dir():
        cases += [(name, lambda name=name: bl.read_mibs(SHARED / f"{name}.mps", SHARED / f"{name}.aux"))
                  for name in GENERAL]
    cases += [(f"family n{n} s{seed}", lambda n=n, seed=seed: to_pyomo(family_instance(n, seed)))
              for n in args.sizes for seed in args.seeds]
    print("| instance | method | status | objective | bound | gap | iterations | time [s] |")
    print("|---|---|---|---|---|---|---|---|")
    for name, build in cases:
        for method in args.methods:
            print(f"| {name} | {method} | {run(build(), method, args.time_limit)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
