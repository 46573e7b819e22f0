"""Independent reference answers for LP-LP and MILP-LP instances (project venv).

``solve_reference`` writes the follower's KKT conditions as a big-M MILP directly
in highspy, with big-M values that are *valid* for these instances rather than
guessed (see :func:`kkt_bounds`): slacks are bounded by interval arithmetic over
the boxes, multipliers by an LP-duality argument that uses ``B >= 0`` and the
strict feasibility of y = 0 for every leader box point.

``follower_check`` independently re-solves the follower LP at a given leader
point with scipy's linprog and returns the optimistic leader value there.

CLI: ``python benchmarks/reference.py INSTANCE.npz ... [--check pao.jsonl]``
prints one JSON line per instance (reference optimum, and the check of the
matching record of ``--check`` if given).
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import load_instance  # noqa: E402


def kkt_bounds(inst: dict) -> dict[str, np.ndarray]:
    """Valid bounds on follower slacks and on the multipliers of every KKT point.

    Needs ``B >= 0`` and ``r = b - A x >= margin > 0`` over the leader box.  A dual
    optimal lam_i above ``max_j max(-d_j, 0) / B_ij`` (j in row i) could be lowered
    to it, keeping dual feasibility (B >= 0) and strictly improving the dual
    objective (r_i > 0); likewise mu_j <= max(-d_j, 0).  nu then follows from
    stationarity ``nu = d + B^T lam + mu``.
    """
    A, B, b, d, ux, uy = (inst[k] for k in ("A", "B", "b", "d", "ux", "uy"))
    if B.min() < 0 or np.any(b - A.maximum(0) @ ux <= 0):
        raise ValueError("kkt_bounds needs B >= 0 and y = 0 strictly feasible over the leader box")
    want = np.maximum(-d, 0.0)
    ratio = B.tocoo()
    lam = np.zeros(B.shape[0])
    np.maximum.at(lam, ratio.row, want[ratio.col] / ratio.data)
    mu = want
    return {
        "slack": b - A.minimum(0) @ ux,
        "lam": lam, "mu": mu,
        "nu": np.maximum(d + B.T @ lam + mu, 0.0),
    }


def _kkt_milp(inst: dict) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Matrix, row bounds, column bounds, costs and integrality of the KKT MILP.

    Columns: x, y, lam (rows), mu (y <= uy), nu (y >= 0), then binaries
    z_s (slack = 0), z_y (y = 0), z_u (y = uy).
    """
    A, B, b, d, ux, uy = (inst[k] for k in ("A", "B", "b", "d", "ux", "uy"))
    m, n_y = B.shape
    n_x = A.shape[1]
    bnd = kkt_bounds(inst)
    I_m, I_y = sp.identity(m, format="csr"), sp.identity(n_y, format="csr")
    Z = lambda r, c: sp.csr_matrix((r, c))  # noqa: E731
    blocks = [
        # primal rows A x + B y <= b;  slack <= slack_max * (1 - z_s)
        [A, B, Z(m, m), Z(m, n_y), Z(m, n_y), Z(m, m), Z(m, n_y), Z(m, n_y)],
        [A, B, Z(m, m), Z(m, n_y), Z(m, n_y), sp.diags(-bnd["slack"]), Z(m, n_y), Z(m, n_y)],
        # stationarity: B^T lam + mu - nu = -d
        [Z(n_y, n_x), Z(n_y, n_y), B.T, I_y, -I_y, Z(n_y, m), Z(n_y, n_y), Z(n_y, n_y)],
        # lam <= lam_max * z_s
        [Z(m, n_x), Z(m, n_y), I_m, Z(m, n_y), Z(m, n_y), sp.diags(-bnd["lam"]), Z(m, n_y), Z(m, n_y)],
        # y <= uy * (1 - z_y);  nu <= nu_max * z_y
        [Z(n_y, n_x), I_y, Z(n_y, m), Z(n_y, n_y), Z(n_y, n_y), Z(n_y, m), sp.diags(uy), Z(n_y, n_y)],
        [Z(n_y, n_x), Z(n_y, n_y), Z(n_y, m), Z(n_y, n_y), I_y, Z(n_y, m), sp.diags(-bnd["nu"]), Z(n_y, n_y)],
        # y >= uy * z_u;  mu <= mu_max * z_u
        [Z(n_y, n_x), I_y, Z(n_y, m), Z(n_y, n_y), Z(n_y, n_y), Z(n_y, m), Z(n_y, n_y), sp.diags(-uy)],
        [Z(n_y, n_x), Z(n_y, n_y), Z(n_y, m), I_y, Z(n_y, n_y), Z(n_y, m), Z(n_y, n_y), sp.diags(-bnd["mu"])],
    ]
    inf = highspy.kHighsInf
    row_lo = np.concatenate([np.full(m, -inf), b - bnd["slack"], -d, np.full(m, -inf), np.full(n_y, -inf),
                             np.full(n_y, -inf), np.zeros(n_y), np.full(n_y, -inf)])
    row_hi = np.concatenate([b, np.full(m, inf), -d, np.zeros(m), uy, np.zeros(n_y), np.full(n_y, inf),
                             np.zeros(n_y)])
    n_bin = m + 2 * n_y
    col_lo = np.zeros(n_x + n_y + m + 2 * n_y + n_bin)
    col_hi = np.concatenate([ux, uy, bnd["lam"], bnd["mu"], bnd["nu"], np.ones(n_bin)])
    cost = np.concatenate([inst["cx"], inst["cy"], np.zeros(m + 2 * n_y + n_bin)])
    integrality = np.zeros(col_lo.size, dtype=np.int32)
    integrality[n_x + n_y + m + 2 * n_y:] = 1
    if inst["x_integer"]:
        integrality[:n_x] = 1
    return sp.bmat(blocks, format="csr"), row_lo, row_hi, col_lo, col_hi, cost, integrality


def solve_reference(inst: dict, time_limit: float = 600.0, start_x: np.ndarray | None = None) -> dict:
    """Solve the KKT MILP with HiGHS; optional leader point seeds an incumbent."""
    if "qx" in inst:
        raise ValueError("quadratic leader objectives are not handled by the HiGHS MILP reference")
    t0 = time.perf_counter()
    mat, row_lo, row_hi, col_lo, col_hi, cost, integrality = _kkt_milp(inst)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = mat.shape[1], mat.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lo, col_hi
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    csc = mat.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = csc.indptr, csc.indices, csc.data
    lp.integrality_ = [highspy.HighsVarType(int(v)) for v in integrality]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.passModel(lp)
    if start_x is not None:
        h.setSolution(_kkt_point(inst, start_x))
    h.run()
    info = h.getInfo()
    n_x, n_y = inst["A"].shape[1], inst["B"].shape[1]
    sol = np.array(h.getSolution().col_value)
    return {
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": info.objective_function_value if sol.size else None,
        "bound": info.mip_dual_bound, "gap": info.mip_gap,
        "x": sol[:n_x].tolist() if sol.size else None,
        "follower_objective": float(inst["d"] @ sol[n_x:n_x + n_y]) if sol.size else None,
        "time": time.perf_counter() - t0,
    }


def _kkt_point(inst: dict, x: np.ndarray) -> highspy.HighsSolution:
    """A full KKT-MILP column vector for leader point x (follower LP solved by HiGHS)."""
    A, B, b, d, uy = (inst[k] for k in ("A", "B", "b", "d", "uy"))
    res = linprog(d, A_ub=B, b_ub=b - A @ x, bounds=np.column_stack([np.zeros_like(uy), uy]), method="highs")
    y = res.x
    lam = np.maximum(-res.ineqlin.marginals, 0.0)
    red = d + B.T @ lam
    mu, nu = np.maximum(-red, 0.0), np.maximum(red, 0.0)
    slack = b - A @ x - B @ y
    z_s = (slack <= 1e-9).astype(float)
    z_y = (y <= 1e-9).astype(float)
    z_u = ((y >= uy - 1e-9) & ~(z_y > 0)).astype(float)
    sol = highspy.HighsSolution()
    sol.col_value = np.concatenate([x, y, lam, mu, nu, z_s, z_y, z_u]).tolist()
    return sol


def follower_check(inst: dict, x: np.ndarray, rel_tol: float = 1e-9) -> dict:
    """Follower optimum at x, and the optimistic (best for the leader) linear leader value there."""
    A, B, b, d, uy = (inst[k] for k in ("A", "B", "b", "d", "uy"))
    bounds = np.column_stack([np.zeros_like(uy), uy])
    rhs = b - A @ x
    f = linprog(d, A_ub=B, b_ub=rhs, bounds=bounds, method="highs")
    if f.status != 0:
        raise RuntimeError(f"follower LP failed at x: {f.message}")
    tol = rel_tol * max(1.0, abs(f.fun))
    best = linprog(inst["cy"], A_ub=sp.vstack([B, d[None, :]]), b_ub=np.append(rhs, f.fun + tol),
                   bounds=bounds, method="highs")
    if best.status != 0:
        raise RuntimeError(f"optimistic leader LP failed at x: {best.message}")
    return {"follower_optimum": float(f.fun), "optimistic_leader": float(inst["cx"] @ x + best.fun)}


def compare(inst: dict, rec: dict, reference: float | None, tol: float, follower_tol: float) -> dict:
    """Check a tool's record (objective, follower_objective, x) against the reference.

    ``value_at_x`` is what the tool's leader point is really worth: the optimistic
    leader value once the follower answers optimally at that x.
    """
    chk = follower_check(inst, np.asarray(rec["x"], dtype=float))
    rel = lambda a, b: abs(a - b) / max(1.0, abs(b))  # noqa: E731
    gap = rec["follower_objective"] - chk["follower_optimum"]
    out = {
        "tool": rec.get("tool"), "objective": rec["objective"], "reference": reference,
        "follower_objective": rec["follower_objective"], "follower_optimum": chk["follower_optimum"],
        "follower_gap": gap, "follower_optimal": rel(rec["follower_objective"], chk["follower_optimum"]) <= follower_tol,
        "value_at_x": chk["optimistic_leader"],
        "objective_is_value_at_x": rel(rec["objective"], chk["optimistic_leader"]) <= tol,
    }
    if reference is not None:
        out["objective_rel_diff"] = (rec["objective"] - reference) / max(1.0, abs(reference))
        out["objective_matches_reference"] = rel(rec["objective"], reference) <= tol
    return out


def _silence_highs_banner() -> None:
    """HiGHS prints its banner on stdout at the first Highs(); swallow it to keep JSON lines clean."""
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        highspy.Highs()
        ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def main(argv: list[str] | None = None) -> None:
    """CLI: reference optimum per instance, plus the check of a PAO/pybilevel record."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", type=Path, nargs="+")
    parser.add_argument("--check", type=Path, help="JSON-lines results (with 'instance', 'x', 'objective') to check")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--tol", type=float, default=1e-4,
                        help="relative tolerance on objectives (default: HiGHS's default mip_rel_gap)")
    parser.add_argument("--follower-tol", type=float, default=1e-6,
                        help="relative tolerance on the follower's optimality (default: %(default)s)")
    args = parser.parse_args(argv)
    _silence_highs_banner()
    checked = {}
    if args.check:
        for line in args.check.read_text().splitlines():
            rec = json.loads(line)
            checked[rec["instance"]] = rec
    for path in args.instances:
        inst = load_instance(path)
        out: dict = {"instance": path.stem, "family": inst["meta"]["family"], "n_y": inst["meta"]["n_y"]}
        start = np.zeros(inst["A"].shape[1])
        out["reference"] = solve_reference(inst, args.time_limit, start_x=start)
        rec = checked.get(path.stem)
        if rec is not None and rec.get("status") == "ok":
            out["check"] = compare(inst, rec, out["reference"]["objective"], args.tol, args.follower_tol)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
