"""Command line: ``pybilevel solve|inspect MODEL.py --data DIR``, ``pybilevel solve INSTANCE.mps
--aux INSTANCE.aux`` (MibS's bilevel format), ``pybilevel export MODEL.py --data DIR --format
mibs --out DIR`` and ``pybilevel export MODEL.py --data DIR --method bigm --format lp|mps|nl|gms
--out FILE`` (the single-level model and ``FILE.json``, :mod:`pybilevel.io.export`).
``solve --plot FILE.png`` writes the picture of ``res.plot()`` (docs/plotting.md).
``--verbose``: the ``pybilevel`` logger's INFO lines on stderr and the solver's own log;
``--quiet``: only errors and the result.

A model file defines ``TABLES`` (a dict of :class:`pybilevel.io.data_io.Table`), ``build(data)``
returning the Pyomo model, and optionally ``METHOD`` (default method), ``OPTIONS`` (method
options) and ``summarize(model, result) -> str`` (domain lines printed after the solve).
Exit codes: 0 solved and certified, 1 bad input or refused model, 3 solved but not certified
optimal (infeasible, limit, certificate failed), 130 interrupted (Ctrl-C; ``--out`` left as it
was). What the command promises for bad input and output folders: docs/reliability.md.
"""
from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from pybilevel.errors import BilevelError, DataError
from pybilevel.io.data_io import load_tables
from pybilevel.io.export import FORMATS, write_single_level
from pybilevel.io.mibs import read_mibs, write_mibs
from pybilevel.io.output import check_output_folder, write_result
from pybilevel.methods.base import METHODS_BY_NAME
from pybilevel.methods.choice import choose_method
from pybilevel.model.structure import analyze
from pybilevel.plot.picture import check_plot_file
from pybilevel.reformulate import reformulate
from pybilevel.solve import solve
from pybilevel.solvers.embedded import SOLVERS

__all__ = ["main", "load_model_file"]


def load_model_file(path: str | Path) -> ModuleType:
    """Import a model file and check that it defines TABLES and build(data)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"model file {path} does not exist; models live in models/<name>.py.")
    spec = importlib.util.spec_from_file_location(f"pybilevel_model_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise DataError(f"model file {path} is not a Python file; models live in models/<name>.py.")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (SyntaxError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"model file {path} cannot be loaded ({type(exc).__name__}: {exc}); fix the file.") from None
    for name in ("TABLES", "build"):
        if not hasattr(module, name):
            raise DataError(f"model file {path} defines no {name}; a model file needs TABLES and build(data).")
    return module


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pybilevel", description="Solve bilevel models written with Pyomo.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("solve", "solve a model on CSV data"), ("inspect", "structure check and reformulated size, no solve")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("model", help="model file, e.g. models/interdiction.py, or an MPS file with --aux")
        sub.add_argument("--data", help="folder with the model file's CSV files")
        sub.add_argument("--aux", help="the AUX file of an MPS model (MibS's bilevel format, docs/mibs.md)")
        sub.add_argument("--method", choices=("auto", *METHODS_BY_NAME), help="reformulation (default: the model's METHOD, else auto)")
    export = commands.add_parser("export", help="write a model in MibS's MPS + AUX format, or its single-level "
                                 "reformulation as LP, MPS, NL or GAMS")
    export.add_argument("model", help="model file, e.g. models/interdiction.py")
    export.add_argument("--data", required=True, help="folder with the model's CSV files")
    export.add_argument("--format", choices=("mibs", *FORMATS), default="mibs",
                        help="mibs: the bilevel model (MPS + AUX); lp, mps, nl, gms: the single-level model of --method, "
                        "with FILE.json mapping its names back (default: mibs)")
    export.add_argument("--method", choices=("auto", *METHODS_BY_NAME),
                        help="reformulation for lp/mps/nl/gms (default: the model's METHOD, else auto)")
    export.add_argument("--out", required=True, help="mibs: folder for <model>.mps and <model>.aux; otherwise the "
                        "file to write (folders created if absent)")
    for sub in commands.choices.values():
        noise = sub.add_mutually_exclusive_group()
        noise.add_argument("--verbose", action="store_true", help="log every phase to stderr, and the solver's own log")
        noise.add_argument("--quiet", action="store_true", help="print nothing but errors and the result")
    solve_cmd = commands.choices["solve"]
    solve_cmd.add_argument("--solver", help="single-level solver: one of " + ", ".join(sorted(SOLVERS))
                           + " (embedded), or any name Pyomo's SolverFactory knows, e.g. cbc, glpk "
                           "(default: chosen from the model)")
    solve_cmd.add_argument("--time-limit", type=float, help="seconds for the whole run, loading the data included")
    solve_cmd.add_argument("--reading", choices=("optimistic", "pessimistic"), default="optimistic",
                           help="which follower optimum counts when it has several (default: optimistic)")
    solve_cmd.add_argument("--out", help="folder for result.json and CSV tables (created if absent; other files in it are kept; "
                           "each file written atomically)")
    solve_cmd.add_argument("--plot", metavar="FILE.png", help="write the picture of the result: the inducible region for "
                           "one or two leader variables, else an iterative method's convergence (needs matplotlib: "
                           "pip install pybilevel[plot]; written whole or not at all)")
    solve_cmd.add_argument("--force", action="store_true",
                           help="let a result that is not certified optimal replace a certified one in --out "
                           "(otherwise it is written as result.<status>.json beside it)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the exit code (module docstring). Never a traceback for bad input."""
    args = _parser().parse_args(argv)
    try:
        with _logging_to_stderr(args):
            return _run(args)
    except KeyboardInterrupt:
        print("interrupted" + (f"; {args.out} left as it was" if getattr(args, "out", None) else ""), file=sys.stderr)
        return 130
    except BilevelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug in pybilevel or the model file: one line, not a traceback
        where = traceback.extract_tb(exc.__traceback__)[-1]
        print(f"error: unexpected {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno}); "
              "this is a bug in the model file or in pybilevel, please report it.", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    mibs = getattr(args, "aux", None) is not None
    if not mibs and args.data is None:
        raise DataError(f"{args.model}: give --data DIR (the model file's CSV files), or --aux FILE for an MPS file.")
    module = None if mibs else load_model_file(args.model)
    out = check_output_folder(args.out, args.data) if getattr(args, "out", None) and args.command == "solve" else None
    if getattr(args, "plot", None):
        check_plot_file(args.plot)
    start = time.perf_counter()
    model = read_mibs(args.model, args.aux) if mibs else module.build(load_tables(args.data, module.TABLES))
    load_seconds = time.perf_counter() - start
    method = args.method or getattr(module, "METHOD", "auto")
    options = dict(getattr(module, "OPTIONS", {}))
    if args.command == "export":
        return _export(model, args) if args.format == "mibs" else _export_single_level(model, method, options, args)
    if args.command == "inspect":
        return _inspect(model, method, options)
    name = Path(args.model).name.removesuffix(".gz").removesuffix(".mps") if mibs else Path(args.model).stem
    if not args.quiet:
        print(f"{name}: solving with method '{method}' ...", flush=True)
    time_limit = None if args.time_limit is None else max(0.0, args.time_limit - load_seconds)
    result = solve(model, method=method, solver=args.solver, time_limit=time_limit, reading=args.reading,
                   tee=args.verbose, **options)
    result.timings = {"load data and build": load_seconds, **result.timings}
    print(result)
    if module is not None and hasattr(module, "summarize") and result.leader_objective is not None:
        print(module.summarize(model, result))
    if out is not None:
        try:
            written = write_result(result, out, force=args.force)
        except OSError as exc:
            raise DataError(f"--out {out}: writing the results failed ({exc.strerror or exc}); files already "
                            "there were left as they were.") from None
        if not args.quiet:
            print(f"wrote {', '.join(p.name for p in written)} to {out}")
        if written[-1].name != "result.json":
            print(f"{out} holds a certified result, which this {result.status} result does not replace: it was "
                  f"written as {written[-1].name} and its tables beside it (--force replaces the certified result).")
    if args.plot:
        result.plot(args.plot)
        if not args.quiet:
            print(f"wrote the picture {args.plot}")
    return 0 if result.ok else 3


def _export(model, args: argparse.Namespace) -> int:
    """Write ``model`` as <model>.mps and <model>.aux into ``--out`` (each file whole or not at all)."""
    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise DataError(f"--out {folder} is a file; give a folder for the .mps and .aux files.")
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(args.model).stem
    layout = write_mibs(model, folder / f"{stem}.mps", folder / f"{stem}.aux")
    if not args.quiet:
        print(f"wrote {stem}.mps and {stem}.aux ({layout} layout) to {folder}")
    return 0


def _export_single_level(model, method: str, options: dict, args: argparse.Namespace) -> int:
    """Write the single-level model of ``method`` to ``--out`` in ``--format``, and ``--out``.json."""
    reformulation = reformulate(model, method, **options)
    try:
        written = write_single_level(reformulation, args.out, args.format)
    finally:
        reformulation.remove()
    if not args.quiet:
        print(f"wrote {', '.join(p.name for p in written)} (method {reformulation.method}) to {Path(args.out).parent}")
    return 0


@contextmanager
def _logging_to_stderr(args: argparse.Namespace) -> Iterator[None]:
    """The ``pybilevel`` logger's lines on stderr: INFO with --verbose, only errors with --quiet."""
    logger = logging.getLogger("pybilevel")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    saved = logger.level
    logger.setLevel(logging.INFO if args.verbose else logging.ERROR if args.quiet else logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)


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
