"""Verify the optima of the knapsack interdiction instances in ``data/knapsack_interdiction``
by methods independent of pybilevel's, and write ``optima.csv`` (rows of instances not run are kept).

    .venv/bin/python benchmarks/knapsack_optima.py [--time-limit 600] [--instances K5020W01.KNP ...] [--methods ...]

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
* ``B&B`` (every size): a depth-first branch-and-bound over the leader's decisions, numpy only.
  At a node (items interdicted, items kept, budget b left) the follower's best knapsack y of the
  items not interdicted (DP over the capacity) is the follower's answer if the leader leaves the
  node's decisions as they are; if the leader can no longer afford any item of y, that is the
  node's value, otherwise branch on the most profitable affordable item of y (interdict it / keep
  it). Bound: for every packing y met so far, any completion leaves y's items outside the ones it
  interdicts, so the follower gets at least profit(y on items not interdicted) minus the most
  profit the leader can still take out of y with budget b, which is at most the fractional
  knapsack (greedy by profit / cost, Dantzig 1957), rounded down on integer profits. A node whose
  bound reaches the incumbent is closed. No solver, no pybilevel code; the optimum when the
  search ends.
"""
from __future__ import annotations

import argparse
import csv
import re
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


def knapsack_dp(profit: np.ndarray, weight: np.ndarray, capacity: int, avail: np.ndarray) -> np.ndarray:
    """A most profitable 0/1 packing of the items ``avail`` within ``capacity`` (DP over the capacity)."""
    best, taken = np.zeros(capacity + 1), []
    items = [i for i in np.flatnonzero(avail) if weight[i] <= capacity]
    for i in items:
        with_i = np.full(capacity + 1, -1.0)
        with_i[weight[i]:] = best[: capacity + 1 - weight[i]] + profit[i]
        taken.append(with_i > best)
        best = np.where(taken[-1], with_i, best)
    y, room = np.zeros(len(profit), dtype=bool), capacity
    for i, take in zip(reversed(items), reversed(taken)):
        if take[room]:
            y[i], room = True, room - weight[i]
    return y


def branch_and_bound(inst: Knapsack, time_limit: float) -> tuple[float | None, int]:
    """(optimum or None at the time limit, nodes) of the ``B&B`` of the module docstring."""
    profit, weight, cost = (a.astype(np.int64) for a in (inst.profit, inst.weight, inst.cost))
    capacity, n = int(inst.capacity), len(profit)
    order = np.argsort(-profit / cost, kind="stable")  # the greedy order of the leader's fractional knapsack
    p, c = profit[order].astype(float), cost[order].astype(float)
    pool = np.zeros((0, n))  # the packings met, columns in greedy order
    best, nodes, start = np.inf, 0, time.perf_counter()

    def bound(packings: np.ndarray, avail: np.ndarray, free: np.ndarray, budget: int) -> float:
        on = packings * free  # items of each packing the leader may still interdict
        spent = np.cumsum(on * c, axis=1)
        whole = spent <= budget
        taken = np.where(whole, on * p, 0.0).sum(axis=1)
        over = ~whole & (on > 0)
        first = over.argmax(axis=1)  # the first item that no longer fits whole
        room = budget - np.where(whole, on * c, 0.0).sum(axis=1)
        taken += np.where(over.any(axis=1), room / c[first] * p[first], 0.0)
        return float(np.max((packings * avail * p).sum(axis=1) - np.floor(taken + 1e-9)))

    stack = [(np.zeros(n, dtype=bool), np.zeros(n, dtype=bool), int(inst.budget))]
    while stack:
        if time.perf_counter() - start > time_limit:
            return None, nodes
        interdicted, kept, budget = stack.pop()
        nodes += 1
        free = ~interdicted & ~kept & (cost <= budget)
        avail_o, free_o = (~interdicted)[order].astype(float), free[order].astype(float)
        if len(pool) and bound(pool, avail_o, free_o, budget) >= best:
            continue
        y = knapsack_dp(profit, weight, capacity, ~interdicted)
        pool = np.vstack([pool, y[order][None, :].astype(float)])
        if not (y & free).any():  # every completion leaves y whole, so the follower gets exactly y
            best = min(best, float(profit[y].sum()))
            continue
        if bound(pool[-1:], avail_o, free_o, budget) >= best:
            continue
        j = max(np.flatnonzero(y & free), key=lambda i: profit[i])
        keep = kept.copy()
        keep[j] = True
        stack.append((interdicted, keep, budget))
        cut = interdicted.copy()
        cut[j] = True
        stack.append((cut, kept, budget - int(cost[j])))  # interdicting first: good incumbents early
    return best, nodes


METHODS = ("brute force", "DP MILP", "B&B")
_ENTRY = re.compile(r"(.+) (\S+) in (\S+) s")  # one method's part of verified_by


def verify(name: str, inst: Knapsack, methods: list[str], time_limit: float) -> dict[str, tuple[float, float]]:
    """{method: (optimum, seconds)} of the methods that proved one."""
    found = {}
    if "brute force" in methods and len(inst.profit) <= BRUTE_FORCE_ITEMS:
        start = time.perf_counter()
        found["brute force"] = (binary_knapsack_brute_force(inst), time.perf_counter() - start)
    if "DP MILP" in methods:
        start = time.perf_counter()
        value, bound, status = dp_milp(inst, time_limit)
        if status == "Optimal" and round(value) == round(bound):
            found["DP MILP"] = (round(value), time.perf_counter() - start)
        else:
            print(f"{name}: DP MILP {status}, {value} with bound {bound}", file=sys.stderr)
    if "B&B" in methods:
        start = time.perf_counter()
        value, nodes = branch_and_bound(inst, time_limit)
        if value is not None:
            found["B&B"] = (value, time.perf_counter() - start)
        else:
            print(f"{name}: B&B stopped at the time limit after {nodes} nodes", file=sys.stderr)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per method (default 600)")
    parser.add_argument("--instances", nargs="+", help="only these instances")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=["brute force", "B&B"],
                        help="default: brute force (up to 24 items) and B&B")
    args = parser.parse_args(argv)
    instances = load()
    out: dict[str, dict[str, tuple[float, float]]] = {}  # earlier runs' entries, updated by this one
    if (FOLDER / "optima.csv").is_file():
        with open(FOLDER / "optima.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                entries = (_ENTRY.fullmatch(part).groups() for part in row["verified_by"].split("; "))
                out[row["instance"]] = {m: (float(v), float(t)) for m, v, t in entries}
    for name, inst in instances.items():
        if args.instances and name not in args.instances:
            continue
        found = {**out.get(name, {}), **verify(name, inst, args.methods, args.time_limit)}
        if len({v for v, _ in found.values()}) != 1:
            print(f"{name}: not verified ({found})", file=sys.stderr)
            out.pop(name, None)
            continue
        out[name] = found
        print(f"{name}: {_how(found)}", file=sys.stderr, flush=True)
    with open(FOLDER / "optima.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["instance", "optimum", "verified_by"])
        writer.writerows((name, next(iter(out[name].values()))[0], _how(out[name])) for name in instances if name in out)
    return 0


def _how(found: dict[str, tuple[float, float]]) -> str:
    return "; ".join(f"{k} {v:g} in {s:.1f} s" for k, (v, s) in found.items())


if __name__ == "__main__":
    sys.exit(main())
