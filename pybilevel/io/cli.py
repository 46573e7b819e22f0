"""Command line: ``pybilevel solve|inspect MODEL.py --data DIR``.

A model file defines ``TABLES`` (a dict of :class:`pybilevel.io.data_io.Table`), ``build(data)``
returning the Pyomo model, and optionally ``METHOD`` (default method), ``OPTIONS`` (method
options) and ``summarize(model, result) -> str`` (domain lines printed after the solve).
Exit codes: 0 solved and certified, 1 bad input or refused model, 3 solved but not certified
optimal (infeasible, limit, certificate failed).
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

from pybilevel.errors import BilevelError, DataError
from pybilevel.io.data_io import load_tables
from pybilevel.io.output import write_result
from pybilevel.methods.base import METHODS_BY_NAME
from pybilevel.methods.choice import choose_method
from pybilevel.model.structure import analyze
from pybilevel.solve import solve
from pybilevel.solvers.embedded import SOLVERS

__all__ = ["main", "load_model_file"]


def load_model_file(path: str | Path) -> ModuleType:
    """Import a model file and check that it defines TABLES and build(data)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"model file {path} does not exist; models live in models/<name>.py.")
    spec = importlib.util.spec_from_file_location(f"pybilevel_model_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("TABLES", "build"):
        if not hasattr(module, name):
            raise DataError(f"model file {path} defines no {name}; a model file needs TABLES and build(data).")
    return module


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pybilevel", description="Solve bilevel models written with Pyomo.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("solve", "solve a model on CSV data"), ("inspect", "structure check and reformulated size, no solve")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("model", help="model file, e.g. models/interdiction.py")
        sub.add_argument("--data", required=True, help="folder with the model's CSV files")
        sub.add_argument("--method", choices=("auto", *METHODS_BY_NAME), help="reformulation (default: the model's METHOD, else auto)")
    solve_cmd = commands.choices["solve"]
    solve_cmd.add_argument("--solver", choices=sorted(SOLVERS), help="single-level solver (default: chosen from the model)")
    solve_cmd.add_argument("--time-limit", type=float, help="seconds for the solver")
    solve_cmd.add_argument("--reading", choices=("optimistic", "pessimistic"), default="optimistic",
                           help="which follower optimum counts when it has several (default: optimistic)")
    solve_cmd.add_argument("--out", help="folder for result.json and CSV tables (written atomically)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        module = load_model_file(args.model)
        start = time.perf_counter()
        data = load_tables(args.data, module.TABLES)
        model = module.build(data)
        load_seconds = time.perf_counter() - start
        method = args.method or getattr(module, "METHOD", "auto")
        options = dict(getattr(module, "OPTIONS", {}))
        if args.command == "inspect":
            return _inspect(model, method, options)
        print(f"{Path(args.model).stem}: solving with method '{method}' ...", flush=True)
        result = solve(model, method=method, solver=args.solver, time_limit=args.time_limit, reading=args.reading, **options)
    except BilevelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result.timings = {"load data and build": load_seconds, **result.timings}
    print(result)
    if hasattr(module, "summarize") and result.leader_objective is not None:
        print(module.summarize(model, result))
    if args.out:
        written = write_result(result, args.out)
        print(f"wrote {', '.join(p.name for p in written)} to {args.out}")
    return 0 if result.ok else 3


def _inspect(model, method: str, options: dict) -> int:
    structure = analyze(model)
    print(structure.describe())
    if method == "auto":
        chosen, why = choose_method(structure)
        print(why)
    else:
        chosen = METHODS_BY_NAME[method]
    print(chosen.describe(structure, options))
    return 0
