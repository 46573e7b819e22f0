"""Verify the optima of the knapsack interdiction instances in ``data/knapsack_interdiction``
by methods independent of pybilevel's, and write ``optima.csv`` (rows of instances not run are kept).

    .venv/bin/python benchmarks/knapsack_optima.py [--time-limit 600] [--instances K5020W01.KNP ...]

* ``brute force`` (up to 24 items): every leader decision within the budget, the follower's best
  0/1 knapsack of the items left by subset maxima over all 2^n item sets
  (``tests/interdiction_instances.binary_knapsack_brute_force``; numpy, no solver).
* ``DP MILP`` (every size): one single-level MILP from the follower's dynamic program. V[j, r], the
  best profit from items j.. with room r, is the least solution of
  V[j, r] >= V[j+1, r] and V[j, r] >= p_j (1 - x_j) + V[j+1, r - w_j] (r >= w_j), so
  min V[0, C] over these rows, the leader's budget and binary x is the bilevel optimum (the DP's
  states are those reachable from C, with r capped at the weight of the items left). Solved by
  HiGHS directly (highspy), no pybilevel code. Its optimum counts as verified when HiGHS proves
  it (gap 0).
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from interdiction_instances import Knapsack, binary_knapsack_brute_force  # noqa: E402
from knapsack_interdiction import FOLDER, load  # noqa: E402

BRUTE_FORCE_ITEMS = 24


def dp_milp(inst: Knapsack, time_limit: float) -> tuple[float, float, str]:
    """(objective, bound, HiGHS status) of the DP MILP of the module docstring."""
    n = len(inst.profit)
    weight, profit = inst.weight.astype(int), inst.profit
    rest = np.append(np.cumsum(weight[::-1])[::-1], 0)  # weight of items j.. ; rest[n] = 0
    layers = [np.array([min(int(inst.capacity), rest[0])])]
    for j in range(n - 1):
        r = layers[j]
        nxt = np.concatenate([np.minimum(r, rest[j + 1]), np.minimum(r[r >= weight[j]] - weight[j], rest[j + 1])])
        layers.append(np.unique(nxt))
    offset = n  # columns: x (n), then V[j, r] layer by layer
    starts = np.cumsum([offset] + [len(layer) for layer in layers])
    column = [dict(zip(layer.tolist(), range(starts[j], starts[j + 1]))) for j, layer in enumerate(layers)]
    rows, cols, vals, lower = [], [], [], []

    def row(entries: list[tuple[int, float]], low: float) -> None:
        k = len(lower)
        for c, v in entries:
            rows.append(k), cols.append(c), vals.append(v)
        lower.append(low)

    for j, layer in enumerate(layers):
        for r in layer.tolist():
            here = column[j][r]
            keep = [] if j == n - 1 else [(column[j + 1][min(r, rest[j + 1])], -1.0)]
            row([(here, 1.0), *keep], 0.0)  # V[j, r] >= V[j+1, r]
            if r >= weight[j]:
                take = [] if j == n - 1 else [(column[j + 1][min(r - weight[j], rest[j + 1])], -1.0)]
                row([(here, 1.0), (j, float(profit[j])), *take], float(profit[j]))
    budget_row = len(lower)
    row([(j, float(inst.cost[j])) for j in range(n)], -np.inf)
    n_cols = starts[-1]
    matrix = sp.csc_matrix((vals, (rows, cols)), shape=(len(lower), n_cols))
    upper = np.full(len(lower), np.inf)
    upper[budget_row] = inst.budget
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, len(lower)
    lp.col_cost_ = np.zeros(n_cols)
    lp.col_cost_[starts[0]] = 1.0  # V[0, C]
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.append(np.ones(n), np.full(n_cols - n, np.inf))
    lp.row_lower_, lp.row_upper_ = np.array(lower), upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * (n_cols - n)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", time_limit)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.setOptionValue("mip_abs_gap", 0.99)  # integer profits: a gap below 1 proves the optimum
    highs.passModel(lp)
    highs.run()
    info = highs.getInfo()
    return info.objective_function_value, info.mip_dual_bound, highs.modelStatusToString(highs.getModelStatus())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per DP MILP (default 600)")
    parser.add_argument("--instances", nargs="+", help="only these instances")
    args = parser.parse_args(argv)
    instances = load()
    out = {}  # rows kept from an earlier run, updated by this one
    if (FOLDER / "optima.csv").is_file():
        with open(FOLDER / "optima.csv", newline="") as handle:
            out = {row["instance"]: (row["instance"], row["optimum"], row["verified_by"]) for row in csv.DictReader(handle)}
    for name, inst in instances.items():
        if args.instances and name not in args.instances:
            continue
        found = {}
        if len(inst.profit) <= BRUTE_FORCE_ITEMS:
            start = time.perf_counter()
            found["brute force"] = (binary_knapsack_brute_force(inst), time.perf_counter() - start)
        start = time.perf_counter()
        value, bound, status = dp_milp(inst, args.time_limit)
        if status == "Optimal" and round(value) == round(bound):
            found["DP MILP"] = (round(value), time.perf_counter() - start)
        values = {v for v, _ in found.values()}
        if len(values) != 1:
            print(f"{name}: not verified ({found}, DP MILP {status} {value} bound {bound})", file=sys.stderr)
            continue
        how = "; ".join(f"{k} {v:g} in {s:.1f} s" for k, (v, s) in found.items())
        print(f"{name}: {values.pop():g} ({how})", file=sys.stderr, flush=True)
        out[name] = (name, found[next(iter(found))][0], how)
    with open(FOLDER / "optima.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["instance", "optimum", "verified_by"])
        writer.writerows(out[name] for name in instances if name in out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
