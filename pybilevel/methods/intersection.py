"""Improving-direction intersection cuts for a bilevel problem with an integer follower.

The follower, in minimisation form (:mod:`pybilevel.model.follower_form`), is
``min { c @ y : row_lower <= A_y y + A_x x <= row_upper, var_lower <= y <= var_upper, y_I integer }``.
A point (x, y) is *bilevel feasible* when y is follower feasible at x and follower optimal there.

**The free set.** Take a direction w, integer on the follower's integer variables, with
``c @ w < 0``. If y + w were follower feasible at x, y would not be optimal: so no
bilevel-feasible point lies in ``F(w) = {(x, y) : y + w follower feasible at x}``. Write
``C(w)`` with one inequality per row limit and variable bound that y + w can break (the others
hold for y + w whenever they hold for y, or over the whole box):

* a row limit ``a @ (x, y) <= U`` (a = the row of [A_x A_y]) becomes
  ``a @ (x, y) <= U' + d - (A_y w)_row``, a variable bound ``y_j <= u_j`` becomes
  ``y_j <= u'_j + d - w_j`` (lower limits alike, mirrored), where for a *whole* row (integer
  coefficients on integer variables only; ``FollowerSteps.whole`` of :mod:`pybilevel.methods.improving_steps`) or
  an integer variable ``U' = floor(U)``, ``d = 1``, and otherwise ``U' = U``, ``d = 0``.

*No bilevel-feasible point lies in the interior of C(w).* Let (x, y) be one, in the interior: it
satisfies every inequality strictly. On a whole row, ``a @ (x, y)`` and ``(A_y w)_row`` are
integers (x, y integer there, w integer where a has a coefficient), so ``<`` with ``d = 1``
means ``a @ (x, y) + (A_y w)_row <= floor(U)``: y + w satisfies the row. On any other row
``d = 0`` and ``<`` is stronger than the row itself. Integer bounds alike. The rows and bounds
left out hold for y + w anyway (y is follower feasible; ``(A_y w)_row`` does not push toward the
limit, or the limit holds at every point of the box). So y + w would be follower feasible at x:
a contradiction. On the other rows and continuous bounds C is F itself, closed, and
bilevel-feasible points may lie on its boundary, which is not in the interior; relaxing them by
1 too would be wrong (a row with halves in it moves in steps of 1/2: ``U + 1/2`` is not ``<= U``).

**The cut** (Balas 1971; for bilevel problems Fischetti, Ljubic, Monaci & Sinnl, Oper. Res.
65(6) 2017, and the improving-direction cuts of MibS, Tahernejad, Ralphs & DeNegre, MPC 2020).
At an optimal vertex z* of the LP relaxation, every LP-feasible point is
``z* + sum_j s_j r_j`` with ``s_j >= 0`` the distance of nonbasic variable j (a column or a row
activity) from its bound and ``r_j`` its ray. If z* lies in the interior of C(w) and the ray
r_j leaves C at step ``lambda_j`` (infinity if never), every point of the cone with
``sum_j s_j / lambda_j < 1`` is in C's interior, so every bilevel-feasible point satisfies
``sum_j s_j / lambda_j >= 1``, and z* (all ``s_j = 0``) does not. The cut is valid for every
bilevel-feasible point of any LP relaxation whose rows are themselves valid for them (the
high-point relaxation, the value-function master, earlier cuts).

**Finding w.** A small MILP over w: minimise ``sum |w|`` subject to ``c @ w < 0`` and z*
inside C(w) by a margin, every row and bound written (stronger than needed where a limit is left
out of C afterwards). The shortest direction moves few limits by little, so C is large: on the
MibS instances milp_10_20_50_2310_1a / 2a, 30 rounds on the value-function master's LP raise its
bound from -98856 to -95309 / -41944 to -39384 this way, and only to -98853 / -41927 with
``min c @ w``. Rays come from HiGHS's optimal basis (its statuses only): the tableau is solved
here with scipy's sparse LU of the basis of ``[A, -I] (z, r) = 0``, r the row activities. Each
cut is scaled to largest coefficient 1; coefficients below 1e-9 of that are dropped and the
limit lowered by their terms' maxima over the box (still valid).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from pybilevel.methods.improving_steps import FollowerSteps
from pybilevel.model.follower_form import FollowerForm, placement
from pybilevel.solvers.highs import ArrayLP

__all__ = ["IntersectionCuts", "intersection_cut_rounds"]

#: z* must lie this far inside C(w), in each inequality's units (far above HiGHS's MIP feasibility
#: tolerance 1e-6; a smaller margin gives cuts nearly parallel to a bound, removing z* by little)
MARGIN = 1e-2
#: an improving direction lowers the follower's cost by at least this times its largest coefficient
IMPROVEMENT = 1e-4
_RAY_TOL = 1e-9
_CUT_SLACK = 1e-6  # the cut is sum s_j / lambda_j >= 1 - _CUT_SLACK (rounding of z* and the tableau)
#: a cut's coefficients below this times its largest are dropped (the limit relaxed by their extremes over the box)
_DROP = 1e-9
#: a cut (scaled to largest coefficient 1) must remove z* by at least this
_DEPTH = 1e-6
#: the rounds stop when the last STALL_ROUNDS of them moved the LP bound by less than STALL_SHARE of
#: its whole move so far (MibS's 2AP05-1: -74 -> -70.16 in 20 rounds, then 0.2 in 80 more; with 20
#: instead of 30, branch_and_cut's path on milp_10_20_50_2310_2a changed and its incumbent at 54 s
#: fell from -27,150 to -22,373)
STALL_ROUNDS, STALL_SHARE = 30, 0.01


@dataclass
class IntersectionCuts:
    """Cut rows ``lower <= A @ z`` (``upper`` is +inf) over the LP's columns, and the LP's optimum
    before the first round and after each round that added a cut."""

    A: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    bounds: list[float] = field(default_factory=list)


@dataclass
class _FreeSet:
    """C(w) as ``G @ z <= h`` over the LP's columns."""

    G: sp.csr_matrix
    h: np.ndarray


def intersection_cut_rounds(
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    cost: np.ndarray,
    follower: FollowerForm,
    y_cols: np.ndarray,
    x_cols: np.ndarray,
    integer: np.ndarray,
    rounds: int = 10,
    time_limit: float | None = None,
) -> IntersectionCuts:
    """Up to ``rounds`` rounds of one cut each on the LP ``min cost @ z`` over the rows and the
    box (a relaxation of the bilevel problem, integrality dropped); ``y_cols`` / ``x_cols``: the
    columns of ``follower.variables`` / ``follower.leader_variables``, in their order;
    ``integer``: each column's integrality. Stops early when the LP is not optimal, no improving direction has z* inside
    C(w), the bound stalls (:data:`STALL_ROUNDS`, :data:`STALL_SHARE`) or the time is up."""
    start = time.perf_counter()
    n = A.shape[1]
    lp = ArrayLP(A, row_lower, row_upper, col_lower, col_upper)
    steps = FollowerSteps.of_follower(follower, np.asarray(y_cols), np.asarray(x_cols), integer, col_lower, col_upper)
    rows, whole, box = steps.rows, steps.whole, (steps.low, steps.high)
    matrix, limits = sp.csr_matrix(A), (np.concatenate([col_lower, row_lower]), np.concatenate([col_upper, row_upper]))
    bounds: list[float] = []

    def remaining() -> float | None:
        return None if time_limit is None else time_limit - (time.perf_counter() - start)

    for _ in range(rounds + 1):
        solution = lp.solve(cost, time_limit=remaining())
        if solution.status != "optimal":
            break
        bounds.append(solution.objective)
        left = remaining()
        if matrix.shape[0] - A.shape[0] == rounds or (left is not None and left <= 0) or _stalled(bounds):
            break
        w = _improving_direction(follower, rows, whole, np.asarray(y_cols), solution.x, (col_lower, col_upper), left)
        if w is None:
            break
        free = _free_set(follower, rows, whole, box, np.asarray(y_cols), (col_lower, col_upper), w)
        cut = _cut(lp, matrix, limits, free, solution.x)
        cut = None if cut is None else _tidy(*cut, col_lower, col_upper, solution.x)
        if cut is None:
            break
        row = sp.csr_matrix(cut[0])
        lp.add_rows(row, np.array([cut[1]]), np.array([np.inf]))
        matrix = sp.vstack([matrix, row]).tocsr()
        limits = (np.append(limits[0], cut[1]), np.append(limits[1], np.inf))
    found = matrix[A.shape[0]:]
    return IntersectionCuts(found, limits[0][n + A.shape[0]:], np.full(found.shape[0], np.inf), bounds)


def _stalled(bounds: list[float]) -> bool:
    """Whether the last :data:`STALL_ROUNDS` rounds moved the bound by less than
    :data:`STALL_SHARE` of its move since the first LP."""
    if len(bounds) <= STALL_ROUNDS:
        return False
    return bounds[-1] - bounds[-1 - STALL_ROUNDS] < STALL_SHARE * (bounds[-1] - bounds[0])


def _limits(follower: FollowerForm, whole: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """C's right-hand sides before the shift by w: (row upper, row lower, variable upper,
    variable lower), each ``floor(U) + 1`` (``ceil(L) - 1``) where whole, else the limit."""
    ints = np.asarray(follower.integer, dtype=bool)
    with np.errstate(invalid="ignore"):
        row_up = np.where(whole, np.floor(follower.row_upper + 1e-9) + 1.0, follower.row_upper)
        row_low = np.where(whole, np.ceil(follower.row_lower - 1e-9) - 1.0, follower.row_lower)
        var_up = np.where(ints, np.floor(follower.var_upper + 1e-9) + 1.0, follower.var_upper)
        var_low = np.where(ints, np.ceil(follower.var_lower - 1e-9) - 1.0, follower.var_lower)
    return row_up, row_low, var_up, var_low


def _improving_direction(follower: FollowerForm, rows: sp.csr_matrix, whole: np.ndarray, y_cols: np.ndarray,
                         z: np.ndarray, box: tuple[np.ndarray, np.ndarray], time_limit: float | None) -> np.ndarray | None:
    """The shortest improving w (least ``sum |w|``: the fewer limits it moves, and the less, the
    larger C(w)) with z strictly inside C(w), every row and bound written."""
    row_up, row_low, var_up, var_low = _limits(follower, whole)
    activity, y = rows @ z, z[y_cols]
    k = len(y_cols)
    span = np.asarray(box[1], float)[y_cols] - np.asarray(box[0], float)[y_cols] + 1.0  # |w| never needs more
    upper = np.minimum(var_up - y - MARGIN, span)
    lower = np.maximum(var_low - y + MARGIN, -span)
    if np.any(lower > upper):
        return None
    eye = sp.identity(k, format="csr")
    A = sp.bmat([[follower.A_y, None], [sp.csr_matrix(follower.c.reshape(1, -1)), None], [eye, -eye], [-eye, -eye]]).tocsr()
    ints = np.asarray(follower.integer, dtype=bool)
    problem = ArrayLP(  # over (w, t): t >= |w|
        A, np.concatenate([row_low - activity + MARGIN, np.full(2 * k + 1, -np.inf)]),
        np.concatenate([row_up - activity - MARGIN, [-IMPROVEMENT * np.abs(follower.c).max(initial=0.0)], np.zeros(2 * k)]),
        np.append(lower, np.zeros(k)), np.append(upper, np.abs(np.append(lower, upper)).reshape(2, k).max(axis=0)),
        integer=np.append(ints, np.zeros(k, dtype=bool)),
    )
    solution = problem.solve(np.append(np.zeros(k), np.ones(k)), time_limit=time_limit)
    if not solution.has_point or solution.status not in ("optimal", "limit"):
        return None
    w = solution.x[:k].copy()
    w[ints] = np.round(w[ints])
    return w if follower.c @ w < 0 else None


def _free_set(follower: FollowerForm, rows: sp.csr_matrix, whole: np.ndarray, box: tuple[np.ndarray, np.ndarray],
              y_cols: np.ndarray, col_box: tuple[np.ndarray, np.ndarray], w: np.ndarray) -> _FreeSet:
    """C(w) with only the limits y + w can break somewhere in the box (``box``: each row's activity
    range over the box at follower-feasible points, FollowerSteps' ``low`` and ``high``)."""
    row_up, row_low, var_up, var_low = _limits(follower, whole)
    shift = follower.A_y @ w
    low, high = box
    with np.errstate(invalid="ignore"):
        up = (shift > 0) & np.isfinite(follower.row_upper) & (high + shift > follower.row_upper)
        down = (shift < 0) & np.isfinite(follower.row_lower) & (low + shift < follower.row_lower)
        y_low, y_high = np.asarray(col_box[0], float)[y_cols], np.asarray(col_box[1], float)[y_cols]
        var_u = (w > 0) & np.isfinite(follower.var_upper) & (y_high + w > follower.var_upper)
        var_l = (w < 0) & np.isfinite(follower.var_lower) & (y_low + w < follower.var_lower)
    n = rows.shape[1]
    unit = placement(y_cols, n)
    G = sp.vstack([rows[up], -rows[down], unit[var_u], -unit[var_l]]).tocsr()
    h = np.concatenate([(row_up - shift)[up], -(row_low - shift)[down], (var_up - w)[var_u], -(var_low - w)[var_l]])
    return _FreeSet(G, h)


def _cut(lp: ArrayLP, matrix: sp.csr_matrix, limits: tuple[np.ndarray, np.ndarray], free: _FreeSet,
         z: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The intersection cut of C from the LP's optimal basis at z, as (coefficients, lower limit)
    over the LP's columns; None where z is not inside C, the basis is unusable or no ray leaves C.
    ``matrix``: the LP's rows (the cuts so far included); ``limits``: the bounds of (columns, rows)."""
    slack = free.h - free.G @ z
    if free.G.shape[0] == 0 or np.any(slack <= MARGIN / 2):
        return None
    basis = lp.highs.getBasis()
    if not basis.valid:
        return None
    m, n = matrix.shape
    M = sp.hstack([matrix, -sp.identity(m)]).tocsc()  # M @ (z, r) = 0: r the row activities
    status = np.array([_STATUS[s] for s in list(basis.col_status) + list(basis.row_status)])
    lower, upper = limits
    basic = status == 0
    if basic.sum() != m:
        return None
    lu = splu(M[:, basic].tocsc())
    G = np.hstack([free.G.toarray(), np.zeros((free.G.shape[0], m))])  # C over (z, r)
    reduced = np.array([g - M.T @ lu.solve(g[basic], trans="T") for g in G])  # g @ r_j / sigma_j
    moving = ~basic & (lower < upper)  # a fixed variable's distance s_j is 0 at every point
    if np.any((status == 2) & moving & np.any(np.abs(reduced) > _RAY_TOL, axis=0)):
        return None  # a free nonbasic variable moves both ways: no linear cut
    sigma = np.where(status == -1, 1.0, -1.0)  # the ray's direction: up from a lower bound, down from an upper
    step = reduced * sigma  # g_k @ r_j
    leaves = step > _RAY_TOL
    lengths = np.where(leaves, (slack - _RAY_TOL)[:, None] / np.where(leaves, step, 1.0), np.inf).min(axis=0)
    inverse = np.where(moving & (status != 2), 1.0 / lengths, 0.0)  # 1 / lambda_j (0 for lambda_j = inf)
    if not np.any(inverse > 0):
        return None
    used = inverse > 0
    bound = np.where(status == -1, lower, upper)
    if not np.all(np.isfinite(bound[used])):
        return None
    weight = sigma * inverse  # sum_j weight_j (v_j - bound_j) >= 1 over v = (z, r)
    coefficients = weight[:n] + matrix.T @ weight[n:]
    return coefficients, 1.0 - _CUT_SLACK + float(weight[used] @ bound[used])


def _tidy(coefficients: np.ndarray, lower: float, col_lower: np.ndarray, col_upper: np.ndarray,
          z: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The cut ``coefficients @ z >= lower`` scaled to largest coefficient 1, its tiny coefficients
    dropped where the box bounds their term (the limit lowered by the term's maximum, so it stays
    valid); None if it then removes z by less than :data:`_DEPTH`."""
    scale = np.abs(coefficients).max(initial=0.0)
    if scale == 0:
        return None
    a, lower = coefficients / scale, lower / scale
    with np.errstate(invalid="ignore"):
        term_max = np.maximum(a * col_lower, a * col_upper)
    drop = (np.abs(a) < _DROP) & (a != 0) & np.isfinite(term_max)
    lower -= float(term_max[drop].sum())
    a[drop] = 0.0
    return (a, lower) if a @ z <= lower - _DEPTH else None


#: HiGHS basis status -> -1 at lower, +1 at upper, 0 basic, 2 free nonbasic (zero)
_STATUS = {
    highspy.HighsBasisStatus.kLower: -1,
    highspy.HighsBasisStatus.kUpper: 1,
    highspy.HighsBasisStatus.kBasic: 0,
    highspy.HighsBasisStatus.kZero: 2,
    highspy.HighsBasisStatus.kNonbasic: 2,
}
