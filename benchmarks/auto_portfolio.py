"""auto (a portfolio since issue 19) against the virtual best single method.

For every instance: the literature library (tests/problem_library.py), toll grids
(tests/toll_grid.py: the 6-node grid and 64-node grids) and small random families
(benchmarks/generate.py: LP-LP, QP-LP), run ``auto`` and each single method (sos1,
strong_duality, bigm, kkt), in this process, with the same time limit. A run counts as
solved when it is a certified optimum whose objective agrees with the best known (the
library's published value; else the best certified value of any run). The virtual best is the
fastest solving single method per instance. Prints one line per instance and a summary:
instances solved by auto and by the virtual best, and the shifted geometric mean (shift 1 s)
of auto's time over the virtual best's.

    PYTHONPATH=$PWD:$PWD/tests .venv/bin/python benchmarks/auto_portfolio.py --time-limit 20
"""
from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import problem_library  # noqa: E402
import pybilevel as bl  # noqa: E402
import toll_grid  # noqa: E402
from generate import generate_instance  # noqa: E402
from pybilevel_runner import build_model  # noqa: E402

METHODS = ("sos1", "strong_duality", "bigm", "kkt")


def instances(sizes: list[int], seeds: int) -> list[tuple[str, object, float | None]]:
    """(name, model builder, published leader objective or None)."""
    found = [(p.name, p.build, p.leader_objective) for p in problem_library.PROBLEMS]
    found.append(("toll_grid_6", lambda: toll_grid.build(toll_grid.grid(2, 3, 4, seed=3)), 13.0))
    for seed in (21, 23, 27):
        net = toll_grid.grid(8, 8, 20, seed=seed)
        found.append((f"toll_grid_64_s{seed}", lambda net=net: toll_grid.build(net), None))
    for family in ("lp_lp", "qp_lp"):
        for n_y in sizes:
            for seed in range(seeds):
                inst = generate_instance(family, n_y, seed)
                inst["x_integer"] = inst["meta"]["x_integer"]
                found.append((f"{family}_n{n_y}_s{seed}", lambda inst=inst: build_model(inst), None))
    return found


def run(build, method: str, time_limit: float) -> tuple[float, str, float | None, bool]:
    """Seconds, status, leader objective and whether certified, for one run (refusal: 'refused')."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = bl.solve(build(), method=method, time_limit=time_limit)
    except bl.BilevelError:
        return time.perf_counter() - start, "refused", None, False
    return time.perf_counter() - start, res.status, res.leader_objective, res.ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--sizes", type=int, nargs="*", default=[20, 50])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--only", default="", help="substring of the instance names to run")
    args = parser.parse_args(argv)
    ratios, auto_solved, best_solved, rows = [], 0, 0, 0
    for name, build, published in instances(args.sizes, args.seeds):
        if args.only not in name:
            continue
        runs = {method: run(build, method, args.time_limit) for method in ("auto", *METHODS)}
        certified = [r[2] for r in runs.values() if r[3] and r[2] is not None]
        target = published if published is not None else (certified[0] if certified else None)

        def solved(r) -> bool:
            return r[3] and r[1] == "optimal" and target is not None and abs(r[2] - target) <= 1e-5 * max(1, abs(target))

        singles = {m: runs[m][0] for m in METHODS if solved(runs[m])}
        best = min(singles.items(), key=lambda kv: kv[1]) if singles else None
        auto_ok = solved(runs["auto"])
        rows += 1
        auto_solved += auto_ok
        best_solved += best is not None
        cap = args.time_limit
        auto_time = runs["auto"][0] if auto_ok else cap
        best_time = best[1] if best else cap
        ratios.append((auto_time + 1) / (best_time + 1))
        print(f"{name:34s} auto {auto_time:7.2f} s {'ok ' if auto_ok else 'NOT'}  "
              f"virtual best {best[0] + ' ' + format(best[1], '.2f') + ' s' if best else 'none':24s}  "
              + "  ".join(f"{m} {runs[m][0]:.2f}{'' if solved(runs[m]) else '*'}" for m in METHODS), flush=True)
    geo = math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else float("nan")
    print(f"\n{rows} instances: auto solved {auto_solved}, virtual best {best_solved}; "
          f"shifted geometric mean (1 s) of auto / virtual best time: {geo:.3f} (* = not a certified optimum)")


if __name__ == "__main__":
    main()
