"""Solve benchmark instances with PAO's Fortuny-Amat big-M method (``pao.pyomo.FA``).

Runs in the PAO venv made by ``benchmarks/setup_pao.sh`` (PAO 1.0.2 needs numpy<2
and PyUtilib), e.g.::

    benchmarks/.venv-pao/bin/python benchmarks/pao_runner.py benchmarks/instances/lp_lp_n1000_s0.npz

Each instance runs in a fresh child process (so peak RSS is per instance and a run
can be killed at ``--timeout``); one JSON object per instance is printed on stdout.
A killed run reports the phases it finished and the one it was in, read from the
progress lines the child writes to stderr.

Phase times come from wrapping, not replacing, the PAO functions that
``pao.pyomo.FA`` calls: Pyomo -> PAO problem conversion, standard form, KKT model,
complementarity -> disjunction -> big-M transformations, and the MIP solve (Pyomo's
HiGHS interface, with HiGHS's own run time reported separately).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import load_instance  # noqa: E402

PHASES = ("build", "convert_pyomo_to_mpr", "standard_form", "kkt_model", "bigm_transform", "mip_solve")
PROGRESS_TAG = "pao_runner progress: "


def build_pao_model(inst: dict) -> Any:
    """Pyomo model of ``inst`` with the follower as a ``pao.pyomo.SubModel``.

    Integer leader bounds are written as leader constraints ``0 <= x <= ux`` over
    ``NonNegativeIntegers`` variables: PAO 1.0.2 crashes on integer variables with
    two finite bounds and drops the lower bound of integer leader variables in
    its KKT model (see benchmarks/README.md).
    """
    import pyomo.environ as pe
    from pao.pyomo import SubModel

    A, B = inst["A"], inst["B"]
    n_x, n_y, m = A.shape[1], B.shape[1], B.shape[0]
    ux, uy, b = inst["ux"].tolist(), inst["uy"].tolist(), inst["b"].tolist()
    M = pe.ConcreteModel(name=inst["meta"]["family"])
    if inst["x_integer"]:
        M.x = pe.Var(range(n_x), within=pe.NonNegativeIntegers)
        M.x_box = pe.Constraint(range(n_x), rule=lambda M, j: (0, M.x[j], ux[j]))
    else:
        M.x = pe.Var(range(n_x), bounds=lambda M, j: (0, ux[j]))
    M.y = pe.Var(range(n_y), bounds=lambda M, j: (0, uy[j]))
    leader = pe.quicksum(c * M.x[j] for j, c in enumerate(inst["cx"].tolist())) \
        + pe.quicksum(c * M.y[j] for j, c in enumerate(inst["cy"].tolist()))
    if "qx" in inst:
        leader += pe.quicksum(0.5 * q * M.x[j] ** 2 for j, q in enumerate(inst["qx"].tolist()) if q) \
            + pe.quicksum(0.5 * q * M.y[j] ** 2 for j, q in enumerate(inst["qy"].tolist()) if q)
    M.o = pe.Objective(expr=leader)
    M.L = SubModel(fixed=M.x)
    M.L.o = pe.Objective(expr=pe.quicksum(c * M.y[j] for j, c in enumerate(inst["d"].tolist())))
    A, B = A.tocsr(), B.tocsr()

    def row(_, i: int) -> Any:
        ax = pe.quicksum(v * M.x[j] for j, v in zip(A.indices[A.indptr[i]:A.indptr[i + 1]].tolist(),
                                                    A.data[A.indptr[i]:A.indptr[i + 1]].tolist()))
        by = pe.quicksum(v * M.y[j] for j, v in zip(B.indices[B.indptr[i]:B.indptr[i + 1]].tolist(),
                                                    B.data[B.indptr[i]:B.indptr[i + 1]].tolist()))
        return ax + by <= b[i]

    M.L.c = pe.Constraint(range(m), rule=row)
    return M


def _progress(**event: Any) -> None:
    print(PROGRESS_TAG + json.dumps(event), file=sys.stderr, flush=True)


def _phase_table(seconds: dict[str, float]) -> dict[str, float]:
    """Phases in pipeline order; ``kkt_and_bigm`` split into ``kkt_model`` + ``bigm_transform``."""
    seconds = dict(seconds)
    if "kkt_and_bigm" in seconds:
        seconds["bigm_transform"] = seconds.pop("kkt_and_bigm") - seconds.get("kkt_model", 0.0)
    return {p: seconds[p] for p in PHASES if p in seconds}


class _PhaseTimer:
    """Accumulates wall time of wrapped callables by phase name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.highs_run: float | None = None
        self.mip_model: Any = None

    def wrap(self, phase: str, fn: Callable) -> Callable:
        """``fn`` timed as ``phase``; start and end go to stderr so a killed run still tells."""
        def timed(*args: Any, **kwargs: Any) -> Any:
            _progress(phase=phase, event="start")
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.seconds[phase] = self.seconds.get(phase, 0.0) + elapsed
                _progress(phase=phase, seconds=elapsed)
        return timed


class _TimedMIPSolver:
    """Pyomo solver passed to PAO as ``mip_solver``; records HiGHS's own run time."""

    def __init__(self, name: str, timer: _PhaseTimer) -> None:
        import pyomo.environ as pe

        self._opt = pe.SolverFactory(name)
        self._timer = timer
        self.name = name

    def solve(self, model: Any, **kwargs: Any) -> Any:
        self._timer.mip_model = model
        results = self._timer.wrap("mip_solve", self._opt.solve)(model, **kwargs)
        self._timer.highs_run = (getattr(results, "timing_info", None) or {}).get("highs_time")
        return results


def _install_phase_timers(timer: _PhaseTimer) -> None:
    """Wrap the PAO internals that pao.pyomo.FA -> pao.mpr.FA call, by module global."""
    import pao.mpr.solvers.fa as fa
    import pao.pyomo.solver as pyomo_solver

    pyomo_solver.convert_pyomo2MultilevelProblem = timer.wrap(
        "convert_pyomo_to_mpr", pyomo_solver.convert_pyomo2MultilevelProblem)
    fa.convert_to_standard_form = timer.wrap("standard_form", fa.convert_to_standard_form)
    fa.create_model_replacing_LL_with_kkt = timer.wrap("kkt_model", fa.create_model_replacing_LL_with_kkt)
    create = fa.LinearMultilevelSolver_FA._create_pyomo_model
    fa.LinearMultilevelSolver_FA._create_pyomo_model = timer.wrap("kkt_and_bigm", create)


def _mip_size(model: Any) -> dict[str, int]:
    """Variables (and how many binary / integer), constraints and nonzeros (distinct variables per row)."""
    import pyomo.environ as pe
    from pyomo.core.expr.visitor import identify_variables

    variables = list(model.component_data_objects(pe.Var, active=True, descend_into=True))
    constraints = list(model.component_data_objects(pe.Constraint, active=True, descend_into=True))
    return {
        "variables": len(variables),
        "binaries": sum(1 for v in variables if v.is_binary()),
        "integers": sum(1 for v in variables if v.is_integer() and not v.is_binary()),
        "constraints": len(constraints),
        "nonzeros": sum(len({id(v) for v in identify_variables(c.body, include_fixed=False)}) for c in constraints),
    }


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("pao", "pyomo", "numpy", "scipy", "highspy", "pyutilib")}


def solve_one(path: Path, mip_solver: str, bigm: float | None) -> dict:
    """Build and solve one instance in this process; return the result record."""
    import pao
    import pao.mpr.solvers.fa as fa
    import pyomo.environ as pe

    timer = _PhaseTimer()
    _install_phase_timers(timer)
    if bigm is not None:
        # pao.pyomo.FA drops a bigm= keyword; the class default is what pao.mpr.FA reads.
        fa.LinearMultilevelSolver_FA.config.bigm = bigm
    inst = load_instance(path)
    meta = inst["meta"]
    record: dict[str, Any] = {
        "tool": "pao", "method": "pao.pyomo.FA", "instance": path.stem, "family": meta["family"],
        "n_x": meta["n_x"], "n_y": meta["n_y"], "m": meta["m"], "mip_solver": mip_solver,
        "bigm": fa.LinearMultilevelSolver_FA.config.bigm, "versions": _versions(),
        "baseline_rss_mb": round(_rss_mb(), 1),
    }
    start = time.perf_counter()
    model = timer.wrap("build", build_pao_model)(inst)
    record["time_build"] = time.perf_counter() - start
    start = time.perf_counter()
    try:
        results = pao.Solver("pao.pyomo.FA", mip_solver=_TimedMIPSolver(mip_solver, timer)).solve(model)
    except Exception as err:  # a PAO failure is a benchmark result, not a runner crash
        linear_only = isinstance(err, AssertionError) and "can only solve a linear" in str(err)
        record.update(status="unsupported" if linear_only else "error",
                      message=f"{type(err).__name__}: {err}", traceback=traceback.format_exc(limit=-3))
    else:
        x = np.array([pe.value(model.x[j]) for j in range(meta["n_x"])])
        y = np.array([pe.value(model.y[j]) for j in range(meta["n_y"])])
        record.update(
            status="ok", termination=str(results.solver.termination_condition),
            objective=pe.value(model.o), follower_objective=float(inst["d"] @ y), x=x.tolist())
    record["time_pao_total"] = time.perf_counter() - start
    phases = _phase_table(timer.seconds)
    phases.pop("build")
    phases["other"] = record["time_pao_total"] - sum(phases.values())
    if timer.highs_run is not None:
        phases["highs_run"] = timer.highs_run
    record["time_phases"] = phases
    record["peak_rss_mb"] = round(_rss_mb(), 1)
    if timer.mip_model is not None:
        record["mip_size"] = _mip_size(timer.mip_model)
    return record


def _run_isolated(path: Path, args: argparse.Namespace) -> dict:
    """Run one instance in a child process with a wall-clock limit."""
    cmd = [sys.executable, os.path.abspath(__file__), "--single", "--mip-solver", args.mip_solver]
    if args.bigm is not None:
        cmd += ["--bigm", str(args.bigm)]
    cmd.append(str(path))
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired as err:
        events = [json.loads(ln[len(PROGRESS_TAG):]) for ln in _text(err.stderr).splitlines()
                  if ln.startswith(PROGRESS_TAG)]
        done = {e["phase"]: e["seconds"] for e in events if "seconds" in e}
        running = [e["phase"] for e in events if e.get("event") == "start" and e["phase"] not in done]
        where = {"kkt_and_bigm": "bigm_transform"}.get(running[-1], running[-1]) if running else None
        return {"tool": "pao", "method": "pao.pyomo.FA", "instance": path.stem, "status": "timeout",
                "timeout_s": args.timeout, "time_wall": time.perf_counter() - start,
                "phases_done": _phase_table(done), "timed_out_in": where}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"tool": "pao", "method": "pao.pyomo.FA", "instance": path.stem, "status": "crash",
                "returncode": proc.returncode,
                "stderr_tail": "\n".join(ln for ln in proc.stderr.splitlines()
                                         if not ln.startswith(PROGRESS_TAG))[-2000:],
                "time_wall": time.perf_counter() - start}
    record = json.loads(lines[-1])
    record["time_wall"] = time.perf_counter() - start
    return record


def _text(data: bytes | str | None) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else (data or "")


def main(argv: list[str] | None = None) -> None:
    """CLI entry point: one JSON line per instance on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", type=Path, nargs="+", help="instance .npz files")
    parser.add_argument("--mip-solver", default="highs",
                        help="Pyomo solver name for the MIP (default: %(default)s; appsi_highs also works)")
    parser.add_argument("--bigm", type=float, default=None, help="override PAO's big-M (default: PAO's 1e5)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per instance (default: %(default)s)")
    parser.add_argument("--single", action="store_true", help="solve in this process, no time limit")
    args = parser.parse_args(argv)
    for path in args.instances:
        record = solve_one(path, args.mip_solver, args.bigm) if args.single else _run_isolated(path, args)
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
