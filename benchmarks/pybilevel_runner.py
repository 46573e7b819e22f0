"""Solve benchmark instances with pybilevel, one child process per (instance, method).

Runs in the project venv from the repository root, e.g.::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/pybilevel_runner.py \\
        benchmarks/instances/lp_lp_n1000_s0.npz --methods bigm strong_duality

One JSON object per (instance, method) on stdout, with the same keys as
``pao_runner.py`` where they mean the same thing: ``status``, ``objective``,
``follower_objective`` (= d@y), ``x``, ``time_build`` (Pyomo model from the
arrays), ``time_phases`` (pybilevel's own ``result.timings``: compile,
reformulate, size, translate, solve, invert, certify, plus ``other``, the part
of the ``bl.solve`` call outside them), ``time_total`` (build + ``bl.solve``),
``baseline_rss_mb`` (after imports), ``peak_rss_mb`` (``ru_maxrss`` of the
child), ``model_size`` (rows, columns, nonzeros of the single-level model).
``time_limit`` goes to the single-level solver; ``--timeout`` kills the child.
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
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import load_instance  # noqa: E402

DEFAULT_METHODS = ("bigm", "strong_duality")
PROGRESS_TAG = "pybilevel_runner progress: "


def build_model(inst: dict) -> Any:
    """The instance as a Pyomo bilevel model, built from its arrays.

    One indexed ``Var`` per level and one indexed ``Constraint`` for the follower's
    rows; each row is a ``LinearExpression`` made from a CSR slice of ``A`` and ``B``
    (no Python loop over coefficients).
    """
    import pyomo.environ as pe
    from pyomo.core.expr.numeric_expr import LinearExpression

    import pybilevel as bl

    A, B = inst["A"].tocsr(), inst["B"].tocsr()
    n_x, n_y, m = A.shape[1], B.shape[1], B.shape[0]
    model = pe.ConcreteModel(name=inst["meta"]["family"])
    model.x = pe.Var(range(n_x), within=pe.Integers if inst["x_integer"] else pe.Reals,
                     bounds=dict(zip(range(n_x), zip([0.0] * n_x, inst["ux"].tolist()))))
    model.follower = bl.Follower()
    model.follower.y = pe.Var(range(n_y), bounds=dict(zip(range(n_y), zip([0.0] * n_y, inst["uy"].tolist()))))
    x = np.empty(n_x, dtype=object)
    x[:] = list(model.x.values())
    y = np.empty(n_y, dtype=object)
    y[:] = list(model.follower.y.values())
    leader = LinearExpression(constant=0.0, linear_coefs=inst["cx"].tolist() + inst["cy"].tolist(),
                              linear_vars=x.tolist() + y.tolist())
    if "qx" in inst:
        leader = leader + pe.quicksum(0.5 * q * v ** 2 for q, v in zip(inst["qx"].tolist(), x) if q) \
            + pe.quicksum(0.5 * q * v ** 2 for q, v in zip(inst["qy"].tolist(), y) if q)
    model.leader_objective = pe.Objective(expr=leader)
    model.follower.objective = pe.Objective(
        expr=LinearExpression(constant=0.0, linear_coefs=inst["d"].tolist(), linear_vars=y.tolist()))
    b = inst["b"].tolist()

    def row(_, i: int) -> Any:
        a0, a1, b0, b1 = A.indptr[i], A.indptr[i + 1], B.indptr[i], B.indptr[i + 1]
        body = LinearExpression(constant=0.0, linear_coefs=A.data[a0:a1].tolist() + B.data[b0:b1].tolist(),
                                linear_vars=x[A.indices[a0:a1]].tolist() + y[B.indices[b0:b1]].tolist())
        return body <= b[i]

    model.follower.rows = pe.Constraint(range(m), rule=row)
    return model


def _progress(**event: Any) -> None:
    print(PROGRESS_TAG + json.dumps(event), file=sys.stderr, flush=True)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {p: version(p) for p in ("pyomo", "numpy", "scipy", "highspy", "pyscipopt")}


def solve_one(path: Path, method: str, time_limit: float | None) -> dict:
    """Build and solve one instance with one method in this process; return the record."""
    import pybilevel as bl

    baseline = _rss_mb()
    inst = load_instance(path)
    meta = inst["meta"]
    record: dict[str, Any] = {
        "tool": "pybilevel", "method": method, "instance": path.stem, "family": meta["family"],
        "n_x": meta["n_x"], "n_y": meta["n_y"], "m": meta["m"], "time_limit": time_limit,
        "versions": _versions(), "baseline_rss_mb": round(baseline, 1),
    }
    _progress(phase="build", event="start")
    start = time.perf_counter()
    model = build_model(inst)
    record["time_build"] = time.perf_counter() - start
    _progress(phase="solve", event="start")
    solve_start = time.perf_counter()
    try:
        result = bl.solve(model, method=method, time_limit=time_limit)
    except bl.BilevelError as err:
        record.update(status="refused", error=f"{type(err).__name__}: {err}")
        return record
    except Exception as err:  # noqa: BLE001  (reported, the benchmark goes on)
        record.update(status="error", error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc()[-2000:])
        return record
    solve_seconds = time.perf_counter() - solve_start
    record["time_total"] = record["time_build"] + solve_seconds
    phases = dict(result.timings)
    phases["other"] = solve_seconds - sum(phases.values())
    record["time_phases"] = phases
    record["peak_rss_mb"] = round(_rss_mb(), 1)
    record["model_size"] = result.model_size
    record["solver"] = result.solver
    record["status"] = "ok" if result.ok else result.status
    record["pybilevel_status"] = result.status
    record["certified"] = result.certified
    record["bound"] = result.bound
    record["bigm"] = _bigm_summary(result)
    if result.leader_objective is not None:
        x = np.array([model.x[j].value for j in range(meta["n_x"])], dtype=float)
        y = np.array([model.follower.y[j].value for j in range(meta["n_y"])], dtype=float)
        record.update(objective=result.leader_objective, follower_objective=float(inst["d"] @ y), x=x.tolist())
    if result.certificate:
        cert = result.certificate[0]
        record["certificate"] = {"passed": cert.passed, "gap": cert.gap, "max_violation": cert.max_violation}
    return record


def _bigm_summary(result: Any) -> dict[str, Any]:
    """How many big-M values, their largest value and sources, how many the solution reached."""
    if not result.bigm:
        return {}
    sources = sorted({record.source.split(":")[0] for record in result.bigm})
    return {"count": len(result.bigm), "max": max(record.value for record in result.bigm),
            "sources": sources, "reached": len(result.bigm_reached)}


def _run_isolated(path: Path, method: str, args: argparse.Namespace) -> dict:
    """Run one (instance, method) in a child process, killed after ``args.timeout`` seconds."""
    cmd = [sys.executable, os.path.abspath(__file__), "--single", "--methods", method]
    if args.time_limit is not None:
        cmd += ["--time-limit", str(args.time_limit)]
    cmd.append(str(path))
    start = time.perf_counter()
    base = {"tool": "pybilevel", "method": method, "instance": path.stem}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired as err:
        stderr = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else (err.stderr or "")
        started = [json.loads(ln[len(PROGRESS_TAG):])["phase"] for ln in stderr.splitlines()
                   if ln.startswith(PROGRESS_TAG)]
        return {**base, "status": "timeout", "timeout_s": args.timeout, "time_wall": time.perf_counter() - start,
                "timed_out_in": started[-1] if started else None}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(ln for ln in proc.stderr.splitlines() if not ln.startswith(PROGRESS_TAG))[-2000:]
        return {**base, "status": "crash", "returncode": proc.returncode, "stderr_tail": tail,
                "time_wall": time.perf_counter() - start}
    record = json.loads(lines[-1])
    record["time_wall"] = time.perf_counter() - start
    return record


def main(argv: list[str] | None = None) -> None:
    """CLI entry point: one JSON line per (instance, method) on stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", type=Path, nargs="+", help="instance .npz files")
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS),
                        help="pybilevel methods (default: %(default)s)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds for the single-level solver (default: none)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds per (instance, method) before the child is killed (default: %(default)s)")
    parser.add_argument("--single", action="store_true", help="solve in this process, no timeout")
    args = parser.parse_args(argv)
    for path in args.instances:
        for method in args.methods:
            if args.single:
                record = solve_one(path, method, args.time_limit)
            else:
                record = _run_isolated(path, method, args)
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
