"""Time (and optionally profile) every phase of pybilevel's pipeline at one size, solver capped.

At 10,000 and 50,000 follower variables the big-M MILP does not finish in minutes, so a normal
run never reaches ``invert`` and ``certify``. This script runs the phases one by one as
``pybilevel.solve`` does (compile, reformulate, size, translate + solve with the solver capped
at ``--solver-seconds``), then loads a bilevel-feasible point (x = 0, the follower's optimum
there, by scipy's linprog) and times ``invert`` and ``certify`` on it. One JSON line::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/profile_phases.py \\
        benchmarks/instances/lp_lp_n10000_s0.npz bigm [--profile out.prof]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import load_instance  # noqa: E402
from pybilevel_runner import build_model  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    """CLI: seconds per phase as one JSON line; cProfile stats of all phases with ``--profile``."""
    import pybilevel  # noqa: F401  (registers the methods)
    from pybilevel.certify.certificate import certify
    from pybilevel.methods.base import METHODS_BY_NAME
    from pybilevel.methods.reformulation import outcome_of
    from pybilevel.model.structure import analyze
    from pybilevel.solvers.embedded import SolveOutcome, choose_solver, solve_model
    from pybilevel.solvers.model_size import model_size

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("method")
    parser.add_argument("--solver-seconds", type=float, default=1.0, help="solver time limit (default: %(default)s)")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the phases here")
    parser.add_argument("--top", type=int, default=25, help="functions to print from the profile")
    args = parser.parse_args(argv)

    inst = load_instance(args.instance)
    seconds: dict[str, float] = {}
    profiler = cProfile.Profile() if args.profile else None

    def timed(phase: str, fn, *fn_args):
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        try:
            return fn(*fn_args)
        finally:
            if profiler:
                profiler.disable()
            seconds[phase] = time.perf_counter() - start

    model = timed("build", build_model, inst)
    structure = timed("compile", analyze, model)
    reformulation = timed("reformulate", METHODS_BY_NAME[args.method].transformation().reformulate, structure)
    size = timed("size", model_size, model)
    solver, _ = choose_solver(reformulation.features)
    outcome = timed("translate", solve_model, model, solver, args.solver_seconds)
    run = getattr(outcome, "solver_seconds", None)  # None: a pybilevel that does not report it
    seconds["solve"] = args.solver_seconds if run is None else run
    seconds["translate"] -= seconds["solve"]
    _load_follower_optimum(model, inst)
    loaded = SolveOutcome(solver, "optimal", "point loaded for timing", None, None, True, 0.0)
    timed("invert", outcome_of, reformulation, loaded, "")
    reformulation.remove()
    timed("certify", certify, structure)
    record = {"instance": args.instance.stem, "method": args.method, "solver": solver, "seconds": seconds,
              "overhead": sum(v for k, v in seconds.items() if k != "solve"), "model_size": size,
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    print(json.dumps(record), flush=True)
    if profiler:
        profiler.dump_stats(args.profile)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(args.top)


def _load_follower_optimum(model, inst: dict) -> None:
    """x = 0 and the follower's optimal response there (a bilevel-feasible point)."""
    A, B, b, d, uy = (inst[k] for k in ("A", "B", "b", "d", "uy"))
    response = linprog(d, A_ub=B, b_ub=b, bounds=np.column_stack([np.zeros_like(uy), uy]), method="highs")
    for var in model.x.values():
        var.set_value(0.0)
    for var, value in zip(model.follower.y.values(), response.x.tolist()):
        var.set_value(value)


if __name__ == "__main__":
    main()
