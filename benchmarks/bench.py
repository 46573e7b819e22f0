"""Benchmark pybilevel against PAO on the generated instances: tables, CSV/JSON, a log-log plot.

Run from the repository root in the project venv (``make bench`` / ``make bench-quick``)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench.py --sizes 100 1000 --time-limit 30

For each instance (generated if missing) it runs, one after the other, each in its own child
process: pybilevel with every method asked for (``pybilevel_runner.py``), PAO's big-M method in
the PAO venv (``pao_runner.py``, made by ``setup_pao.sh``), and the independent highspy
reference (``reference.py``, LP-LP and MILP-LP). Every tool's answer is checked against the
reference and by re-solving the follower at its leader decision. Records stream to
``<out>/<tag>.jsonl`` as they come; the report (``bench_report.py``) is printed and written as
``<tag>.md``, ``<tag>.csv`` and the plot. ``--report FILE...`` re-renders saved records.
Timings are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_report import render  # noqa: E402
from generate import FAMILIES, generate_instance, instance_stem, load_instance, save_instance  # noqa: E402
from reference import follower_check, solve_reference  # noqa: E402

PAO_PYTHON = HERE / ".venv-pao" / "bin" / "python"
#: relative objective tolerance: HiGHS's default MIP gap, the one PAO runs with
OBJECTIVE_TOL = 1e-4
FOLLOWER_TOL = 1e-6


def ensure_instances(sizes: list[int], families: list[str], seed: int, directory: Path) -> list[Path]:
    """Paths of the instances, generating the missing ones."""
    paths = []
    for n_y in sizes:
        for family in families:
            path = directory / f"{instance_stem(family, n_y, seed)}.npz"
            if not path.exists() or not path.with_suffix(".json").exists():
                save_instance(generate_instance(family, n_y, seed), directory)
            paths.append(path)
    return paths


def run_runner(cmd: list[str], budget: float) -> list[dict]:
    """JSON lines of a runner; its own per-child timeouts apply, ``budget`` is a safety net."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=budget)
    except subprocess.TimeoutExpired:
        return [{"status": "crash", "error": f"runner exceeded {budget:.0f} s: {' '.join(cmd)}"}]
    records = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not records:
        return [{"status": "crash", "error": proc.stderr[-2000:]}]
    return records


def methods_for(n_y: int, args: argparse.Namespace) -> list[str]:
    """The pybilevel methods run at this size (``sos1`` only up to ``--sos1-max``)."""
    return [m for m in args.methods if m != "sos1" or n_y <= args.sos1_max]


def run_reference(path: Path, time_limit: float) -> dict | None:
    """The highspy KKT-MILP reference for LP-LP and MILP-LP instances, in this process."""
    inst = load_instance(path)
    if "qx" in inst:
        return None
    start = time.perf_counter()
    result = solve_reference(inst, time_limit, start_x=np.zeros(inst["A"].shape[1]))
    result.pop("x", None)
    result.update(tool="reference", method="kkt-milp (proven big-M)", instance=path.stem, time_total=time.perf_counter() - start)
    return result


def check(path: Path, record: dict, reference: dict | None) -> dict:
    """The record's follower answer against the follower re-solved at its x, and its objective
    against the reference optimum (when the reference proved one)."""
    inst = load_instance(path)
    out: dict = {}
    if record.get("x") is None or record.get("follower_objective") is None:
        return out
    found = follower_check(inst, np.asarray(record["x"], dtype=float))
    gap = record["follower_objective"] - found["follower_optimum"]
    out["follower_gap"] = gap
    out["follower_optimal"] = abs(gap) <= FOLLOWER_TOL * max(1.0, abs(found["follower_optimum"]))
    if reference is not None and reference.get("status") == "Optimal":
        ref = reference["objective"]
        out["reference_objective"] = ref
        out["objective_rel_diff"] = (record["objective"] - ref) / max(1.0, abs(ref))
        out["matches_reference"] = abs(out["objective_rel_diff"]) <= OBJECTIVE_TOL
    return out


def machine() -> dict:
    """Where the numbers came from."""
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpu_count()}
    try:
        meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
        info["memory_gib"] = round(int(meminfo[1]) / 2**20, 1)
        model = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")]
        info["cpu"] = model[0].split(":", 1)[1].strip() if model else platform.processor()
    except OSError:
        info["cpu"] = platform.processor()
    info["load_average_at_start"] = [round(v, 2) for v in os.getloadavg()]
    return info


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def run(args: argparse.Namespace) -> list[dict]:
    """Run every tool on every instance; records are appended to ``<out>/<tag>.jsonl`` as they come."""
    paths = ensure_instances(args.sizes, args.families, args.seed, args.instances)
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"{args.tag}.jsonl"
    records: list[dict] = [{"tool": "machine", **machine(), "argv": sys.argv[1:], "started": time.strftime("%Y-%m-%d %H:%M:%S")}]
    log.write_text(json.dumps(records[0]) + "\n")
    start = time.perf_counter()

    def keep(record: dict, path: Path) -> None:
        meta = load_instance(path)["meta"] if "family" not in record else {}
        record.setdefault("instance", path.stem)
        record.setdefault("family", meta.get("family"))
        record.setdefault("n_y", meta.get("n_y"))
        records.append(record)
        with log.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
        shown = record.get("time_total", record.get("time_wall"))
        print(f"  {record['tool']:9s} {record.get('method', ''):16s} {record.get('status', ''):12s}"
              + (f" {shown:9.2f} s" if shown is not None else ""), flush=True)

    for path in paths:
        print(f"{path.stem}  ({time.perf_counter() - start:.0f} s into the run)", flush=True)
        reference = run_reference(path, args.reference_time_limit) if args.reference else None
        n_y = load_instance(path)["meta"]["n_y"]
        found = run_runner(
            [sys.executable, str(HERE / "pybilevel_runner.py"), str(path), "--methods", *methods_for(n_y, args),
             "--time-limit", str(args.time_limit), "--timeout", str(args.timeout),
             "--memory-limit-gb", str(args.memory_limit_gb)],
            budget=len(args.methods) * (args.timeout + 60))
        if args.pao:
            found += run_runner(
                [str(PAO_PYTHON), str(HERE / "pao_runner.py"), str(path), "--timeout", str(args.pao_timeout)],
                budget=args.pao_timeout + 60)
        for record in found:
            record.update(check(path, record, reference))
            record.pop("x", None)
            keep(record, path)
        if reference is not None:
            keep(reference, path)
    print(f"run took {time.perf_counter() - start:.0f} s", flush=True)
    records[0]["run_seconds"] = time.perf_counter() - start
    with log.open("a") as fh:
        fh.write(json.dumps({"tool": "run", "run_seconds": records[0]["run_seconds"]}) + "\n")
    return records


def load_records(files: list[Path]) -> list[dict]:
    """Records of saved runs (later files win for the same tool, method and instance)."""
    merged: dict = {}
    for file in files:
        for line in file.read_text().splitlines():
            record = json.loads(line)
            merged[(record["tool"], record.get("method"), record.get("instance"))] = record
    return list(merged.values())


def main(argv: list[str] | None = None) -> None:
    """CLI: run (or re-render) and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000, 50_000])
    parser.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    parser.add_argument("--methods", nargs="+", default=["bigm", "strong_duality", "sos1"],
                        help="pybilevel methods (default: %(default)s)")
    parser.add_argument("--sos1-max", type=int, default=100, help="largest n_y for sos1 (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=120.0,
                        help="pybilevel's single-level solver time limit, s (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="kill a pybilevel child after this many s (default: %(default)s)")
    parser.add_argument("--pao-timeout", type=float, default=300.0,
                        help="kill a PAO child after this many s; PAO takes no solver time limit (default: %(default)s)")
    parser.add_argument("--memory-limit-gb", type=float, default=16.0,
                        help="address-space limit of each pybilevel child, GiB (default: %(default)s)")
    parser.add_argument("--reference-time-limit", type=float, default=120.0)
    parser.add_argument("--no-pao", dest="pao", action="store_false", help="skip PAO")
    parser.add_argument("--no-reference", dest="reference", action="store_false", help="skip the highspy reference")
    parser.add_argument("--instances", type=Path, default=HERE / "instances")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--tag", default="bench", help="name of the result files (default: %(default)s)")
    parser.add_argument("--plot", type=Path, default=None, help="PNG path (default: <out>/<tag>.png)")
    parser.add_argument("--report", type=Path, nargs="+", default=None,
                        help="re-render these saved .jsonl runs instead of running")
    args = parser.parse_args(argv)
    if args.pao and args.report is None and not PAO_PYTHON.exists():
        parser.error(f"the PAO venv is missing ({PAO_PYTHON}): run 'bash benchmarks/setup_pao.sh' or pass --no-pao")
    records = load_records(args.report) if args.report else run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    text = render(records, args.out / f"{args.tag}.csv", args.plot or args.out / f"{args.tag}.png")
    (args.out / f"{args.tag}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
