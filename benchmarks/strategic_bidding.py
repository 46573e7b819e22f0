"""Strategic bidding on real grids: per grid and per route, the single-level model's size, the time
to a certified optimum (or the gap at the time limit) and the peak memory.

    .venv/bin/python benchmarks/strategic_bidding.py [--grids 118 300 1354] [--routes sos1 bigm auto]
                                                      [--time-limit 600]

Routes: ``sos1`` = SCIP on the bilinear profit (build(data, linearised=False), method sos1);
``bigm`` = the linearised profit as one MILP for HiGHS (build(data), method bigm); ``auto`` =
pybilevel's own choice on the bilinear form. Each (grid, route) runs in its own process so that
its time and peak memory (ru_maxrss of that process) are its own. "seconds" is build + solve
(the size probe, which reformulates once more after the solve, is not counted; CPU seconds and peak
memory are the solve's: the row is printed before the probe, and a probe killed at the time limit
leaves the sizes out). Table in docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRIDS = {"5": "strategic_bidding_pjm5", "118": "strategic_bidding", "300": "strategic_bidding_300",
         "1354": "strategic_bidding_1354", "2869": "strategic_bidding_2869"}
ROUTES = ("sos1", "bigm", "auto")
MARGIN = 300.0  # seconds past the time limit before a run is killed (building, certifying)


def run(grid: str, route: str, time_limit: float) -> dict:
    """One (grid, route) solve in this process: sizes, status, objective, gap, seconds, peak MB."""
    import pyomo.environ as pyo

    import pybilevel as bl
    from pybilevel.io.cli import load_model_file
    from pybilevel.io.data_io import load_tables

    module = load_model_file(ROOT / "models" / "strategic_bidding.py")
    data = load_tables(ROOT / "data" / GRIDS[grid], module.TABLES)
    linearised = route == "bigm"
    start = time.perf_counter()
    model = module.build(data, linearised=linearised)
    built = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = bl.solve(model, method=route, time_limit=time_limit)
    seconds, cpu = built + time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
    row = {"grid": grid, "route": route, "status": result.status, "certified": result.certified,
           "method": result.method, "solver": result.solver, "objective": result.leader_objective,
           "bound": result.bound, "gap": gap(result.leader_objective, result.bound, result.gap), "seconds": round(seconds, 1),
           "cpu_seconds": round(cpu.ru_utime + cpu.ru_stime, 1), "peak_mb": round(cpu.ru_maxrss / 1024),
           "phases": {k: round(v, 1) for k, v in result.timings.items()}, "message": result.message[:300]}
    print(json.dumps(row), flush=True)  # kept if the size probe below is killed
    return {**row, **reformulated_size(bl, pyo, model, route)}


def gap(objective: float | None, bound: float | None, reported: float | None) -> float | None:
    """The method's gap, else |objective - bound| / max(1, |objective|) where both are finite."""
    if reported is not None or objective is None or bound is None or not math.isfinite(bound):
        return reported
    return abs(objective - bound) / max(1.0, abs(objective))


def reformulated_size(bl, pyo, model, route: str) -> dict:
    """Rows, columns, binaries and SOS1 sets of the route's single-level model (then removed)."""
    try:
        reformulation = bl.reformulate(model, route)
    except bl.BilevelError as error:  # auto may choose a decomposition: no single-level model
        return {"rows": None, "columns": None, "binaries": None, "sos1": None, "size_note": str(error)[:120]}
    rows = sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True))
    variables = [v for v in model.component_data_objects(pyo.Var, active=True) if not v.fixed]
    sos = sum(1 for _ in model.component_data_objects(pyo.SOSConstraint, active=True))
    reformulation.remove()
    return {"rows": rows, "columns": len(variables), "binaries": sum(v.is_binary() for v in variables), "sos1": sos}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", nargs="+", default=["118", "300", "1354"], choices=GRIDS)
    parser.add_argument("--routes", nargs="+", default=list(ROUTES), choices=ROUTES)
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve (default 600)")
    parser.add_argument("--child", nargs=2, metavar=("GRID", "ROUTE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(*args.child, args.time_limit)))
        return
    print("| grid | route | rows | columns | binaries | SOS1 sets | status | certified | profit | gap | seconds | CPU s | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for grid in args.grids:
        for route in args.routes:
            row = child(grid, route, args.time_limit)
            print("| " + " | ".join(_cell(row.get(k)) for k in ("grid", "route", "rows", "columns", "binaries", "sos1", "status",
                                                               "certified", "objective", "gap", "seconds", "cpu_seconds", "peak_mb")) + " |", flush=True)
            print(f"<!-- {json.dumps(row)} -->", flush=True)


def child(grid: str, route: str, time_limit: float) -> dict:
    """Run one (grid, route) in a fresh Python process; a crash or a kill is reported as such."""
    command = [sys.executable, __file__, "--child", grid, route, "--time-limit", str(time_limit)]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=time_limit + MARGIN)
    except subprocess.TimeoutExpired as killed:
        output = killed.stdout or ""
        output = output.decode() if isinstance(output, bytes) else output
        rows = [line for line in output.splitlines() if line.startswith("{")]
        if rows:  # the solve finished; its size probe did not
            return {**json.loads(rows[-1]), "size_note": f"size probe killed at {time_limit + MARGIN:g} s"}
        return {"grid": grid, "route": route, "status": f"killed after {time_limit + MARGIN:g} s"}
    if done.returncode != 0:
        return {"grid": grid, "route": route, "status": f"crashed: {done.stderr.strip().splitlines()[-1][:150]}",
                "seconds": round(time.perf_counter() - start, 1)}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


if __name__ == "__main__":
    main()
