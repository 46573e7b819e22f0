"""Convexity of a nonlinear follower in its own variables, checked where it can be decided.

A nonlinear follower is accepted by the KKT-based methods only if, for every leader decision,
its objective (minimisation form) is convex in y, every ``g(y) <= upper`` row is convex, every
``g(y) >= lower`` row is concave, and rows with both bounds are affine in y. Pyomo has no
curvature analysis, so the Hessians in y (exact, from Pyomo's symbolic differentiation) are
evaluated at sampled (leader, follower) points inside the variable bounds: a negative
curvature found is a proof of nonconvexity (refused, naming the component); none found is
evidence, not proof. :func:`convexity_proof` then tries to prove it: interval bounds on every
second derivative over the variable box (Pyomo's FBBT, ``compute_bounds_on_expr``), and an
interval matrix that is positive semidefinite by Gershgorin's discs or by Rohn's bound
(smallest eigenvalue of the midpoint matrix minus the spectral radius of the radius matrix).
What is not proven is said in ``form.convexity`` (the structure's description and the result),
and the certificate re-solves such a follower with the global solver (SCIP) instead of Ipopt.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr
from pyomo.core.expr.calculus.derivatives import differentiate
from pyomo.core.expr.visitor import identify_variables
from pyomo.environ import value

if TYPE_CHECKING:
    import scipy.sparse as sp

    from pybilevel.model.follower_form import FollowerForm

__all__ = [
    "FollowerClass", "classify_follower", "convexity_proof", "is_positive_semidefinite", "nonconvexities", "SAMPLES",
]

SAMPLES = 30
_TOL = 1e-8


class FollowerClass:
    """Names of the follower classes the structure check distinguishes."""

    LP = "LP"
    QP = "convex QP"
    NONCONVEX_QP = "nonconvex QP"
    INTEGER = "integer"
    CONVEX_NLP = "convex NLP"
    NONCONVEX_NLP = "nonconvex NLP"


def classify_follower(form: FollowerForm) -> str:
    """The follower's class (:class:`FollowerClass`); nonconvexities found join ``form.reasons``."""
    if form.integer.any():
        return FollowerClass.INTEGER
    if form.is_nonlinear:
        found = nonconvexities(form)
        form.reasons.extend(found)
        if found:
            return FollowerClass.NONCONVEX_NLP
        unproven = convexity_proof(form)
        form.convexity_proven = not unproven
        form.convexity = (
            "proven convex (interval bounds on its Hessian over the variable box)" if not unproven else
            f"convexity NOT proven ({'; '.join(unproven)}); no negative curvature at {SAMPLES} sampled points, "
            "so the certificate re-solves it with the global solver (SCIP)"
        )
        form.reasons.append(form.convexity)
        return FollowerClass.CONVEX_NLP
    if form.Q.nnz == 0:
        return FollowerClass.LP
    return FollowerClass.QP if is_positive_semidefinite(form.Q) else FollowerClass.NONCONVEX_QP


def nonconvexities(form: FollowerForm, samples: int = SAMPLES, seed: int = 0) -> list[str]:
    """Reasons the follower is not convex in y, found at sampled points (empty if none found)."""
    columns = {id(v): j for j, v in enumerate(form.variables)}
    parts = []  # (name, expression, curvature sign required: +1 convex, -1 concave, 0 affine, base matrix)
    if form.objective_nonlinear is not None or form.Q.nnz:
        parts.append((f"objective {form.objective.name}", form.objective_nonlinear, 1, form.Q))
    for row, expr in form.row_nonlinear.items():
        con = form.constraints[row]
        lower, upper = np.isfinite(form.row_lower[row]), np.isfinite(form.row_upper[row])
        required = 0 if (lower and upper) else (1 if upper else -1)
        parts.append((f"constraint {con.name}", expr, required, None))
    hessians = [_hessian(expr, columns) if expr is not None else None for _, expr, _, _ in parts]
    points = _sample_points(form, samples, seed)
    found = []
    for (name, _, required, base), hessian in zip(parts, hessians):
        # the Hessian is zero outside the variables the part uses, so only that block is checked
        used = _used_columns(hessian, base)
        base_block = None if base is None else base[used][:, used].toarray()
        local = {j: k for k, j in enumerate(used)}
        entries = None if hessian is None else [(local[i], local[j], expr) for i, j, expr in hessian]
        evaluated = 0
        for point in points:
            matrix = _evaluate(entries, point, form, len(used))
            if matrix is None:
                continue
            evaluated += 1
            if base_block is not None:
                matrix = matrix + base_block
            eig = np.linalg.eigvalsh(0.5 * (matrix + matrix.T)) if matrix.size else np.zeros(1)
            scale = max(1.0, float(np.abs(eig).max(initial=0.0)))
            if required == 1 and eig.min() < -_TOL * scale:
                found.append(f"{name} is not convex in the follower variables (Hessian eigenvalue {eig.min():.3g} at a sampled point)")
                break
            if required == -1 and eig.max() > _TOL * scale:
                found.append(f"{name} is a >= row whose body is not concave in the follower variables (Hessian eigenvalue {eig.max():.3g})")
                break
            if required == 0 and np.abs(eig).max(initial=0.0) > _TOL * scale:
                found.append(f"{name} is an equality or ranged row that is not affine in the follower variables")
                break
        else:
            if evaluated == 0:
                found.append(f"{name}: its curvature could not be evaluated at any sampled point, so convexity is undecided")
    return found


def convexity_proof(form: FollowerForm) -> list[str]:
    """The parts of the follower whose required curvature interval bounds cannot prove (empty: proven)."""
    columns = {id(v): j for j, v in enumerate(form.variables)}
    parts = []
    if form.objective_nonlinear is not None or form.Q.nnz:
        parts.append((f"objective {form.objective.name}", form.objective_nonlinear, 1, form.Q))
    for row, expr in form.row_nonlinear.items():
        lower, upper = np.isfinite(form.row_lower[row]), np.isfinite(form.row_upper[row])
        parts.append((f"constraint {form.constraints[row].name}", expr, 0 if (lower and upper) else (1 if upper else -1), None))
    unproven = []
    for name, expr, required, base in parts:
        hessian = _hessian(expr, columns) if expr is not None else []
        used = _used_columns(hessian, base)
        local = {j: k for k, j in enumerate(used)}
        n = len(used)
        low, high = np.zeros((n, n)), np.zeros((n, n))
        if base is not None:
            block = base[used][:, used].toarray()
            low, high = low + block, high + block
        for i, j, entry in hessian:
            lb, ub = _interval(entry)
            low[local[i], local[j]] += lb
            high[local[i], local[j]] += ub
        low, high = 0.5 * (low + low.T), 0.5 * (high + high.T)
        if required == -1:
            low, high = -high, -low
        proven = (low == 0).all() and (high == 0).all() if required == 0 else _interval_psd(low, high)
        if not proven:
            unproven.append(f"{name}: interval bounds on its Hessian do not exclude "
                            + ("curvature" if required == 0 else "negative curvature" if required == 1 else "positive curvature"))
    return unproven


def _interval(expr) -> tuple[float, float]:
    """Bounds of ``expr`` over the variables' bounds; infinite where FBBT finds none."""
    try:
        lb, ub = compute_bounds_on_expr(expr)
    except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError):
        return -np.inf, np.inf
    return (-np.inf if lb is None else float(lb)), (np.inf if ub is None else float(ub))


def _interval_psd(low: np.ndarray, high: np.ndarray, tol: float = 1e-9) -> bool:
    """Whether every symmetric matrix between ``low`` and ``high`` is positive semidefinite
    (sufficient conditions: Gershgorin's discs, or Rohn's bound when every bound is finite)."""
    if not low.size:
        return True
    off = np.maximum(np.abs(low), np.abs(high))
    np.fill_diagonal(off, 0.0)
    if np.isnan(low).any() or np.isnan(high).any() or not np.isfinite(off).all() or not np.isfinite(np.diag(low)).all():
        return False
    if (np.diag(low) - off.sum(axis=1) >= -tol).all():
        return True
    if not np.isfinite(high).all():
        return False
    center, radius = 0.5 * (low + high), 0.5 * (high - low)
    scale = max(1.0, float(np.abs(center).max()))
    return bool(np.linalg.eigvalsh(center).min() - np.abs(np.linalg.eigvalsh(radius)).max() >= -tol * scale)


def _used_columns(hessian, base) -> list[int]:
    """Columns with a nonzero in the symbolic Hessian entries or in the base matrix."""
    used = {i for i, _, _ in hessian or ()} | {j for _, j, _ in hessian or ()}
    if base is not None:
        used |= set(base.nonzero()[0].tolist())
    return sorted(used)


def _hessian(expr, columns: dict[int, int]) -> list[tuple[int, int, object]]:
    """Symbolic second derivatives (i, j, expression) of expr in the follower variables it uses."""
    wrt = [v for v in identify_variables(expr, include_fixed=False) if id(v) in columns]
    entries = []
    first = differentiate(expr, wrt_list=wrt, mode=differentiate.Modes.reverse_symbolic)
    for vi, di in zip(wrt, first):
        second = differentiate(di, wrt_list=wrt, mode=differentiate.Modes.reverse_symbolic)
        entries.extend((columns[id(vi)], columns[id(vj)], dij) for vj, dij in zip(wrt, second))
    return entries


def _sample_points(form: FollowerForm, samples: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random points of the variable box; half of them put the leader at a random box corner,
    where a leader-dependent Hessian is most often at its least convex."""
    rng = np.random.default_rng(seed)
    x_low, x_high = _box(form.leader_variables)
    y_low, y_high = _box(form.variables)
    points = []
    for k in range(samples):
        share = rng.integers(0, 2, len(x_low)).astype(float) if k % 2 else rng.random(len(x_low))
        points.append((x_low + share * (x_high - x_low), y_low + rng.random(len(y_low)) * (y_high - y_low)))
    return points


def _box(variables) -> tuple[np.ndarray, np.ndarray]:
    """Sampling box inside the bounds, 10 wide where a side is unbounded, off the boundary."""
    low = np.array([v.lb if v.lb is not None else (v.ub - 10 if v.ub is not None else -5.0) for v in variables], dtype=float)
    high = np.array([v.ub if v.ub is not None else low_i + 10 for v, low_i in zip(variables, low)], dtype=float)
    margin = 1e-3 * (high - low)
    return low + margin, high - margin


def _evaluate(hessian, point, form: FollowerForm, n: int) -> np.ndarray | None:
    """The Hessian at a point, or None where an expression cannot be evaluated there."""
    matrix = np.zeros((n, n))
    if hessian is None:
        return matrix
    saved = [v.value for v in form.leader_variables + form.variables]
    x, y = point
    try:
        for var, val in zip(form.leader_variables, x):
            var.set_value(float(val), skip_validation=True)
        for var, val in zip(form.variables, y):
            var.set_value(float(val), skip_validation=True)
        for i, j, expr in hessian:
            matrix[i, j] += float(value(expr))
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    finally:
        for var, val in zip(form.leader_variables + form.variables, saved):
            var.set_value(val, skip_validation=True)
    return matrix if np.isfinite(matrix).all() else None


def is_positive_semidefinite(Q: sp.csr_matrix, tol: float = 1e-9) -> bool:
    """Whether the symmetric matrix Q is PSD, checked on the rows and columns it uses."""
    used = np.unique(Q.nonzero()[0])
    block = Q[used][:, used]
    if block.nnz == np.count_nonzero(block.diagonal()):
        return bool((block.diagonal() >= -tol).all())
    dense = block.toarray()
    scale = max(1.0, float(np.abs(dense).max()))
    return bool(np.linalg.eigvalsh(dense).min() >= -tol * scale)
