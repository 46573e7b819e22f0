"""Measure the ways of embedding Ipopt in Python: install time, size, solve time.

Usage::

    python benchmarks/ipopt_routes.py             # solve times, every route importable here
    python benchmarks/ipopt_routes.py --install   # also fresh venvs: timed pip installs and sizes

Routes: ``ipyopt`` (manylinux wheel), ``cyipopt`` (whichever build is importable: the
PyPI sdist compiled against Debian's coinor-libipopt-dev, or the ``cyipopt-wheels``
binary wheel; the Ipopt version printed tells which) and ``pybilevel.solvers.ipopt`` (Pyomo model ->
ipyopt through the bridge; compile time reported apart).  A route that is not installed is
skipped with a message.  The same problems go through every route with the same options.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pyomo.environ as pyo

TOL = 1e-8
SIZES = (10_000, 50_000)
SMALL_REPEATS = 50
OPTIONS: dict[str, int | float | str] = {"tol": TOL, "print_level": 0, "sb": "yes", "max_iter": 500}


@dataclass
class Row:
    """One measured solve."""

    route: str
    ipopt: str
    problem: str
    status: int
    objective: float
    iterations: int
    seconds: float
    compile_seconds: float = 0.0


class ChainQP:
    """Sparse convex QP: min sum 0.5(x_i-t_i)^2 + 0.5(x_{i+1}-x_i)^2, x_i+x_{i+1}+x_{i+2} >= 1, 0<=x<=1."""

    def __init__(self, n: int) -> None:
        self.n, self.m = n, n - 2
        self.name = f"chain QP n={n}"
        self.t = 2.0 * np.sin(np.arange(n))
        self.x_l, self.x_u = np.zeros(n), np.ones(n)
        self.g_l, self.g_u = np.ones(self.m), np.full(self.m, np.inf)
        rows = np.repeat(np.arange(self.m), 3)
        self.jac_sparsity = (rows, rows + np.tile(np.arange(3), self.m))
        diag = np.arange(n)
        self.hess_sparsity = (np.concatenate([diag, diag[1:]]), np.concatenate([diag, diag[:-1]]))
        self.hess_values = np.concatenate([np.full(n, 3.0), np.full(n - 1, -1.0)])
        self.hess_values[[0, n - 1]] = 2.0
        self.x0 = np.full(n, 0.5)

    def f(self, x: np.ndarray) -> float:
        return float(0.5 * np.sum((x - self.t) ** 2) + 0.5 * np.sum(np.diff(x) ** 2))

    def grad(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        d = np.diff(x)
        out[:] = x - self.t
        out[:-1] -= d
        out[1:] += d
        return out

    def g(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[:] = x[:-2] + x[1:-1] + x[2:]
        return out

    def jac(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[:] = 1.0
        return out

    def hess(self, x: np.ndarray, lam: np.ndarray, obj_factor: float, out: np.ndarray) -> np.ndarray:
        out[:] = obj_factor * self.hess_values
        return out

    def pyomo_model(self) -> pyo.ConcreteModel:
        """The same problem as a Pyomo model (for the bridge route)."""
        import pyomo.environ as pyo

        m = pyo.ConcreteModel()
        m.I = pyo.RangeSet(0, self.n - 1)
        m.x = pyo.Var(m.I, bounds=(0, 1), initialize=0.5)
        t = self.t
        m.obj = pyo.Objective(
            expr=sum(0.5 * (m.x[i] - t[i]) ** 2 for i in m.I)
            + sum(0.5 * (m.x[i + 1] - m.x[i]) ** 2 for i in range(self.n - 1))
        )
        m.c = pyo.Constraint(range(self.m), rule=lambda m, i: m.x[i] + m.x[i + 1] + m.x[i + 2] >= 1)
        return m


class HS071:
    """Hock-Schittkowski 71, small nonconvex: min x1 x4 (x1+x2+x3) + x3."""

    n, m = 4, 2
    name = "HS071 (nonconvex, n=4)"
    x_l, x_u = np.ones(4), np.full(4, 5.0)
    g_l, g_u = np.array([25.0, 40.0]), np.array([np.inf, 40.0])
    jac_sparsity = (np.repeat([0, 1], 4), np.tile(np.arange(4), 2))
    hess_sparsity = (np.array([0, 1, 1, 2, 2, 2, 3, 3, 3, 3]), np.array([0, 0, 1, 0, 1, 2, 0, 1, 2, 3]))
    x0 = np.array([1.0, 5.0, 5.0, 1.0])

    def f(self, x: np.ndarray) -> float:
        return float(x[0] * x[3] * (x[0] + x[1] + x[2]) + x[2])

    def grad(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        s = x[0] + x[1] + x[2]
        out[:] = [x[3] * (s + x[0]), x[0] * x[3], x[0] * x[3] + 1.0, x[0] * s]
        return out

    def g(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[:] = [np.prod(x), np.dot(x, x)]
        return out

    def jac(self, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        p = np.prod(x)
        out[:4] = [p / x[0], p / x[1], p / x[2], p / x[3]]
        out[4:] = 2.0 * x
        return out

    def hess(self, x: np.ndarray, lam: np.ndarray, obj_factor: float, out: np.ndarray) -> np.ndarray:
        x1, x2, x3, x4 = x
        o, l0, l1 = obj_factor, lam[0], lam[1]
        out[:] = [
            o * 2 * x4 + 2 * l1,
            o * x4 + l0 * x3 * x4,
            2 * l1,
            o * x4 + l0 * x2 * x4,
            l0 * x1 * x4,
            2 * l1,
            o * (2 * x1 + x2 + x3) + l0 * x2 * x3,
            o * x1 + l0 * x1 * x3,
            o * x1 + l0 * x1 * x2,
            2 * l1,
        ]
        return out

    def pyomo_model(self) -> pyo.ConcreteModel:
        """The same problem as a Pyomo model (for the bridge route)."""
        import pyomo.environ as pyo

        m = pyo.ConcreteModel()
        m.x = pyo.Var(range(4), bounds=(1, 5), initialize=dict(enumerate(self.x0)))
        m.obj = pyo.Objective(expr=m.x[0] * m.x[3] * (m.x[0] + m.x[1] + m.x[2]) + m.x[2])
        m.prod = pyo.Constraint(expr=m.x[0] * m.x[1] * m.x[2] * m.x[3] >= 25)
        m.sq = pyo.Constraint(expr=sum(m.x[i] ** 2 for i in range(4)) == 40)
        return m


Problem = ChainQP | HS071


def _ipyopt_library() -> str:
    """File name of the Ipopt library bundled in the ipyopt wheel (soname 1.10.x is Ipopt 3.12.x)."""
    libs = Path(importlib.util.find_spec("ipyopt").origin).parent.parent / "ipyopt.libs"
    return ",".join(p.name for p in libs.glob("libipopt*")) or "system libipopt"


def run_ipyopt(prob: Problem) -> tuple[int, float, int, float]:
    """Solve ``prob`` with ipyopt; return status, objective, iterations, seconds."""
    import ipyopt

    p = ipyopt.Problem(
        prob.n, prob.x_l, prob.x_u, prob.m, prob.g_l, prob.g_u, prob.jac_sparsity, prob.hess_sparsity,
        prob.f, prob.grad, prob.g, prob.jac, prob.hess, ipopt_options=dict(OPTIONS),
    )
    start = time.perf_counter()
    _, obj, status = p.solve(prob.x0.copy())
    return status, obj, p.stats["n_iter"], time.perf_counter() - start


class _CyipoptAdapter:
    """cyipopt's callback object, forwarding to the shared problem (cyipopt returns arrays)."""

    def __init__(self, prob: Problem) -> None:
        self.prob, self.iterations = prob, 0
        self._grad, self._g = np.zeros(prob.n), np.zeros(prob.m)
        self._jac = np.zeros(len(prob.jac_sparsity[0]))
        self._hess = np.zeros(len(prob.hess_sparsity[0]))

    def objective(self, x: np.ndarray) -> float:
        return self.prob.f(x)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return self.prob.grad(x, self._grad)

    def constraints(self, x: np.ndarray) -> np.ndarray:
        return self.prob.g(x, self._g)

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        return self.prob.jac(x, self._jac)

    def jacobianstructure(self) -> tuple[np.ndarray, np.ndarray]:
        return self.prob.jac_sparsity

    def hessian(self, x: np.ndarray, lam: np.ndarray, obj_factor: float) -> np.ndarray:
        return self.prob.hess(x, lam, obj_factor, self._hess)

    def hessianstructure(self) -> tuple[np.ndarray, np.ndarray]:
        return self.prob.hess_sparsity

    def intermediate(self, alg_mod: int, iter_count: int, *args: float) -> bool:
        self.iterations = iter_count
        return True


def run_cyipopt(prob: Problem) -> tuple[int, float, int, float]:
    """Solve ``prob`` with cyipopt; return status, objective, iterations, seconds."""
    import cyipopt

    adapter = _CyipoptAdapter(prob)
    p = cyipopt.Problem(n=prob.n, m=prob.m, problem_obj=adapter, lb=prob.x_l, ub=prob.x_u, cl=prob.g_l, cu=prob.g_u)
    for key, val in OPTIONS.items():
        p.add_option(key, val)
    start = time.perf_counter()
    _, info = p.solve(prob.x0.copy())
    return info["status"], info["obj_val"], adapter.iterations, time.perf_counter() - start


def run_bridge(prob: Problem) -> tuple[int, float, int, float, float]:
    """Solve the Pyomo form of ``prob`` through pybilevel.solvers.ipopt; also return compile seconds."""
    from pybilevel.solvers.ipopt import compile_nlp

    model = prob.pyomo_model()
    start = time.perf_counter()
    nlp = compile_nlp(model)
    compiled = time.perf_counter() - start
    res = nlp.solve(tol=TOL, max_iter=int(OPTIONS["max_iter"]))
    return res.return_code, res.objective, res.iterations, res.solve_time, compiled


def _repeat(runner: Callable[[Problem], tuple], prob: Problem, repeats: int) -> tuple:
    """Run ``repeats`` times; keep the last result with the median time."""
    results = [runner(prob) for _ in range(repeats)]
    times = sorted(r[3] for r in results)
    return (*results[-1][:3], times[len(times) // 2], *results[-1][4:])


def _has_distribution(name: str) -> bool:
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _routes() -> list[tuple[str, str, Callable]]:
    """The routes importable in this interpreter (others are reported as skipped)."""
    found = []
    if importlib.util.find_spec("ipyopt"):
        found.append(("ipyopt", _ipyopt_library(), run_ipyopt))
    else:
        print("skip ipyopt: not installed (pip install ipyopt)", file=sys.stderr)
    if importlib.util.find_spec("cyipopt"):
        import cyipopt

        label = "cyipopt-wheels" if _has_distribution("cyipopt-wheels") else "cyipopt (sdist, system Ipopt)"
        found.append((label, ".".join(map(str, cyipopt.IPOPT_VERSION)), run_cyipopt))
    else:
        print("skip cyipopt: not installed", file=sys.stderr)
    if importlib.util.find_spec("pyomo") and importlib.util.find_spec("pybilevel") and importlib.util.find_spec("ipyopt"):
        found.append(("pybilevel.solvers.ipopt (Pyomo -> ipyopt)", _ipyopt_library(), run_bridge))
    else:
        print("skip pybilevel.solvers.ipopt: pyomo/pybilevel/ipyopt not importable", file=sys.stderr)
    return found


def solve_benchmark() -> list[Row]:
    """Every importable route on the chain QPs and on HS071."""
    rows = []
    problems: list[tuple[Problem, int]] = [(ChainQP(n), 5) for n in SIZES] + [(HS071(), SMALL_REPEATS)]
    for route, version, runner in _routes():
        for prob, repeats in problems:
            status, obj, iters, secs, *compiled = _repeat(runner, prob, repeats)
            rows.append(Row(route, version, prob.name, status, obj, iters, secs, *compiled))
    return rows


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


def install_benchmark(workdir: Path) -> tuple[list[dict], list[Row]]:
    """Fresh venv per pip route: time ``pip install --no-cache-dir`` (numpy pre-installed), size, solves."""
    routes = [("ipyopt", "ipyopt"), ("cyipopt-wheels", "cyipopt-wheels"), ("cyipopt (sdist)", "cyipopt")]
    installs, rows = [], []
    for label, package in routes:
        if package == "cyipopt" and subprocess.run(["pkg-config", "--exists", "ipopt"], check=False).returncode != 0:
            print("skip cyipopt (sdist): no system Ipopt; apt-get install -y coinor-libipopt-dev "
                  "liblapack-dev libblas-dev", file=sys.stderr)
            continue
        venv = workdir / package
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "numpy", "scipy"], check=True)
        before = _du(_site_packages(venv))
        start = time.perf_counter()
        subprocess.run([*pip, "--no-cache-dir", package], check=True)
        seconds = time.perf_counter() - start
        size = _du(_site_packages(venv)) - before
        installs.append({"route": label, "install_seconds": round(seconds, 1), "size_mib": round(size / 2**20, 1)})
        out = subprocess.run([str(venv / "bin" / "python"), __file__, "--json"], check=True,
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""}).stdout
        rows += [Row(**r) for r in json.loads(out)]
    return installs, rows


def print_table(rows: list[Row]) -> None:
    """Markdown table of the solves."""
    print("| route | Ipopt | problem | status | objective | iterations | solve s | compile s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.route} | {r.ipopt} | {r.problem} | {r.status} | {r.objective:.8g} | {r.iterations} "
              f"| {r.seconds:.4f} | {r.compile_seconds:.2f} |")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="also time pip installs in fresh venvs")
    parser.add_argument("--json", action="store_true", help="print solve rows as JSON (used by --install)")
    args = parser.parse_args()
    if args.json:
        print(json.dumps([asdict(r) for r in solve_benchmark()]))
        return
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    rows = solve_benchmark()
    if args.install:
        workdir = Path(tempfile.mkdtemp(prefix="ipopt_routes_"))
        try:
            installs, venv_rows = install_benchmark(workdir)
        finally:
            shutil.rmtree(workdir)
        print("| route | pip install s | size MiB |\n|---|---|---|")
        for item in installs:
            print(f"| {item['route']} | {item['install_seconds']} | {item['size_mib']} |")
        rows = [r for r in rows if r.route.startswith("pybilevel")] + venv_rows
    print_table(rows)


if __name__ == "__main__":
    main()
