"""How exact the returned points are: per method, the largest row/bound violation and the largest
objective error over the literature library and random LP-LP / QP-LP instances.

    .venv/bin/python benchmarks/exactness.py            # this checkout
    PYTHONPATH=/path/to/other/checkout .venv/bin/python /path/to/other/checkout/benchmarks/exactness.py

Violation: the largest violation of an active constraint or variable bound of the model after
the solve, divided by max(1, |bound|). Objective error: |leader objective - reference| /
max(1, |reference|), the reference being the library's (oracle-checked) optimum or the KKT
enumeration of ``tests/oracle.py`` for the random instances. Only certified optimal answers
count; the others are tallied as "not optimal". Prints one table; asserts nothing.
"""
from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pyomo.environ as pyo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import pybilevel as bl  # noqa: E402
from oracle import random_tiny_bilevel, tiny_to_pyomo  # noqa: E402
from problem_library import PROBLEMS  # noqa: E402


def violation(model: pyo.ConcreteModel) -> float:
    """Largest relative violation of an active constraint or a variable bound at the current values."""
    worst = 0.0
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        body = pyo.value(con.body, exception=False)
        if body is None:
            return float("inf")
        for bound, excess in ((con.lower, lambda b: pyo.value(b) - body), (con.upper, lambda b: body - pyo.value(b))):
            if bound is not None:
                worst = max(worst, excess(bound) / max(1.0, abs(pyo.value(bound))))
    for var in model.component_data_objects(pyo.Var, descend_into=True):
        if var.value is None:
            continue
        for bound, excess in ((var.lb, lambda b: b - var.value), (var.ub, lambda b: var.value - b)):
            if bound is not None:
                worst = max(worst, excess(bound) / max(1.0, abs(bound)))
    return worst


def random_model(seed: int, quadratic: bool) -> tuple[pyo.ConcreteModel, float]:
    """The oracle's random instance (a PSD follower Hessian for QP-LP) and its enumerated optimum."""
    tiny = random_tiny_bilevel(seed, n_x=2, n_y=3, m=3, coupling=seed % 2 == 1)
    if quadratic:
        root = np.random.default_rng(100 + seed).uniform(-1, 1, (3, 3))
        tiny.Q = root @ root.T
    return tiny_to_pyomo(tiny), tiny.solve_by_enumeration()[0]


def cases():
    for problem in PROBLEMS:
        yield f"library/{problem.name}", problem.build, problem.leader_objective
    for quadratic in (False, True):
        for seed in range(6):
            yield f"random/{'qp' if quadratic else 'lp'}_lp/{seed}", (lambda s=seed, q=quadratic: random_model(s, q)[0]), \
                random_model(seed, quadratic)[1]


def main() -> None:
    warnings.simplefilter("ignore")
    methods = [m for m in bl.METHODS if m != "value_function"]
    stats = {m: {"violation": 0.0, "error": 0.0, "worst": "", "optimal": 0, "other": 0, "seconds": 0.0} for m in methods}
    for name, build, reference in cases():
        for method in methods:
            model = build()
            start = time.perf_counter()
            try:
                res = bl.solve(model, method=method, time_limit=30)
            except bl.BilevelError:
                continue
            record = stats[method]
            record["seconds"] += time.perf_counter() - start
            if not (res.status == "optimal" and res.certified) or reference is None:
                record["other"] += 1
                continue
            record["optimal"] += 1
            v = violation(model)
            e = abs(res.leader_objective - reference) / max(1.0, abs(reference))
            if v > record["violation"]:
                record["violation"], record["worst"] = v, name
            record["error"] = max(record["error"], e)
    print("| method | certified optimal | not optimal | largest violation (where) | largest objective error | time [s] |")
    print("|---|---|---|---|---|---|")
    for method, r in stats.items():
        print(f"| {method} | {r['optimal']} | {r['other']} | {r['violation']:.2g} ({r['worst'] or '-'}) | "
              f"{r['error']:.2g} | {r['seconds']:.1f} |")


if __name__ == "__main__":
    main()
