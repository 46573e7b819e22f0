"""Independent brute-force oracle for tiny optimistic bilevel problems.

Nothing here uses pybilevel's reformulation code: a problem is plain numpy data
(:class:`TinyBilevel`) and is solved by enumerating the complementarity patterns
of the follower's KKT conditions, each pattern being one LP (``scipy.optimize.linprog``
with HiGHS) or one convex QP (``highspy``). :func:`tiny_from_model` reads a Pyomo
model written with the pybilevel user API (``bl.Follower`` blocks) into that data
using only Pyomo's own expression tools, so library models can be re-checked.

Problem form (all vectors are 1-D numpy arrays)::

    leader   min_{x,y}  cx@x + cy@y + 0.5*[x;y]@P@[x;y] + leader_const
             s.t.       Gx@x + Gy@y <= g,   Gex@x + Gey@y == ge,   x_lb <= x <= x_ub
    follower min_y      d@y + 0.5*y@Q@y + x@D@y
             s.t.       A@x + B@y <= b,     Ae@x + Be@y == be,     y_lb <= y <= y_ub

``leader_max`` / ``follower_max`` flip a level to maximisation (then the data
describe the maximised function). The follower must be convex in ``y`` (Q PSD,
or NSD when maximising); the leader's P must be PSD (NSD when maximising).
Terms of the follower objective that depend on ``x`` alone are irrelevant to its
argmin and are not represented. Ties in the follower are broken in the leader's
favour (optimistic), which the KKT enumeration does automatically: the union of
all pattern polyhedra is exactly the set of (x, y) with y follower-optimal.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap, ComponentSet
from pyomo.repn.standard_repn import generate_standard_repn
from scipy.optimize import linprog
from scipy.sparse import csc_matrix

import pybilevel as bl

INF = np.inf
_COMPL_TOL = 1e-9  # accepted total complementarity gap (= follower suboptimality)
_PRUNE_TOL = 1e-9


def _rows(mat: np.ndarray | None, n_rows: int, n_cols: int) -> np.ndarray:
    """``mat`` as a float (n_rows, n_cols) array; ``None`` means zeros."""
    if mat is None:
        return np.zeros((n_rows, n_cols))
    return np.asarray(mat, dtype=float).reshape(n_rows, n_cols)


def _vec(v: np.ndarray | None, n: int, fill: float = 0.0) -> np.ndarray:
    return np.full(n, fill) if v is None else np.asarray(v, dtype=float).reshape(n)


@dataclass
class _Solution:
    status: str  # "optimal", "infeasible" or "unbounded"
    value: float = INF
    z: np.ndarray | None = None


def _solve(c, P, A_ub, b_ub, A_eq, b_eq, lb, ub) -> _Solution:
    """min c@z + 0.5 z@P@z over a polyhedron: linprog for LPs, highspy for QPs."""
    if P is None or not np.any(P):
        res = linprog(c, A_ub=A_ub if len(b_ub) else None, b_ub=b_ub if len(b_ub) else None,
                      A_eq=A_eq if len(b_eq) else None, b_eq=b_eq if len(b_eq) else None,
                      bounds=list(zip(lb, ub)), method="highs")
        if res.status == 0:
            return _Solution("optimal", float(res.fun), res.x)
        if res.status in (2, 3):
            return _Solution("infeasible" if res.status == 2 else "unbounded")
        raise RuntimeError(f"linprog failed: {res.message}")
    n = len(c)
    A = np.vstack([A_ub, A_eq])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, lb, ub
    lp.row_lower_ = np.concatenate([np.full(len(b_ub), -INF), b_eq])
    lp.row_upper_ = np.concatenate([b_ub, b_eq])
    csc = csc_matrix(A)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = csc.indptr, csc.indices, csc.data
    lower = csc_matrix(np.tril(P))
    hess = highspy.HighsHessian()
    hess.dim_, hess.format_ = n, highspy.HessianFormat.kTriangular
    hess.start_, hess.index_, hess.value_ = lower.indptr, lower.indices, lower.data
    model = highspy.HighsModel()
    model.lp_, model.hessian_ = lp, hess
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # HiGHS's default QP regularisation made its active-set method cycle on KKT
    # patterns with a semidefinite Hessian (multiplier columns have no curvature).
    h.setOptionValue("qp_regularization_value", 0.0)
    h.setOptionValue("time_limit", 60.0)
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        z = np.array(h.getSolution().col_value)
        return _Solution("optimal", float(c @ z + 0.5 * z @ P @ z), z)
    if status == highspy.HighsModelStatus.kInfeasible:
        return _Solution("infeasible")
    if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        # HiGHS may not separate the two; an LP feasibility check decides.
        feas = _solve(np.zeros(n), None, A_ub, b_ub, A_eq, b_eq, lb, ub)
        return _Solution("unbounded" if feas.status == "optimal" else "infeasible")
    raise RuntimeError(f"HiGHS QP ended with status {status}")


@dataclass
class TinyBilevel:
    """A small optimistic bilevel problem as numpy data (see the module docstring).

    Only ``cx``, ``cy``, ``A``, ``B``, ``b`` and ``d`` are required; every other
    matrix defaults to "absent", ``x`` to free and ``y`` to ``y >= 0``.
    """

    cx: np.ndarray
    cy: np.ndarray
    A: np.ndarray
    B: np.ndarray
    b: np.ndarray
    d: np.ndarray
    Q: np.ndarray | None = None
    D: np.ndarray | None = None
    Ae: np.ndarray | None = None
    Be: np.ndarray | None = None
    be: np.ndarray | None = None
    Gx: np.ndarray | None = None
    Gy: np.ndarray | None = None
    g: np.ndarray | None = None
    Gex: np.ndarray | None = None
    Gey: np.ndarray | None = None
    ge: np.ndarray | None = None
    P: np.ndarray | None = None
    leader_const: float = 0.0
    x_lb: np.ndarray | None = None
    x_ub: np.ndarray | None = None
    y_lb: np.ndarray | None = None
    y_ub: np.ndarray | None = None
    leader_max: bool = False
    follower_max: bool = False
    n_x: int = field(init=False)
    n_y: int = field(init=False)

    def __post_init__(self) -> None:
        self.cx = _vec(self.cx, len(np.atleast_1d(self.cx)))
        self.cy = _vec(self.cy, len(np.atleast_1d(self.cy)))
        nx, ny = self.n_x, self.n_y = len(self.cx), len(self.cy)
        m = len(np.atleast_1d(self.b))
        self.A, self.B, self.b = _rows(self.A, m, nx), _rows(self.B, m, ny), _vec(self.b, m)
        self.d = _vec(self.d, ny)
        self.Q, self.D = _rows(self.Q, ny, ny), _rows(self.D, nx, ny)
        me = 0 if self.be is None else len(np.atleast_1d(self.be))
        self.Ae, self.Be, self.be = _rows(self.Ae, me, nx), _rows(self.Be, me, ny), _vec(self.be, me)
        mg = 0 if self.g is None else len(np.atleast_1d(self.g))
        self.Gx, self.Gy, self.g = _rows(self.Gx, mg, nx), _rows(self.Gy, mg, ny), _vec(self.g, mg)
        mge = 0 if self.ge is None else len(np.atleast_1d(self.ge))
        self.Gex, self.Gey = _rows(self.Gex, mge, nx), _rows(self.Gey, mge, ny)
        self.ge = _vec(self.ge, mge)
        self.P = _rows(self.P, nx + ny, nx + ny)
        self.x_lb, self.x_ub = _vec(self.x_lb, nx, -INF), _vec(self.x_ub, nx, INF)
        self.y_lb, self.y_ub = _vec(self.y_lb, ny, 0.0), _vec(self.y_ub, ny, INF)
        fs, ls = self._fsign, self._lsign
        if np.linalg.eigvalsh(fs * (self.Q + self.Q.T) / 2).min() < -1e-9:
            raise ValueError("follower objective is not convex in y")
        if np.linalg.eigvalsh(ls * (self.P + self.P.T) / 2).min() < -1e-9:
            raise ValueError("leader objective is not convex (concave when maximising)")

    @property
    def _fsign(self) -> float:
        return -1.0 if self.follower_max else 1.0

    @property
    def _lsign(self) -> float:
        return -1.0 if self.leader_max else 1.0

    def follower_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Follower inequalities with the finite y bounds appended as rows."""
        eye = np.eye(self.n_y)
        lo, hi = np.isfinite(self.y_lb), np.isfinite(self.y_ub)
        A = np.vstack([self.A, np.zeros((lo.sum() + hi.sum(), self.n_x))])
        B = np.vstack([self.B, -eye[lo], eye[hi]])
        b = np.concatenate([self.b, -self.y_lb[lo], self.y_ub[hi]])
        return A, B, b

    # ------------------------------------------------------------------ values
    def leader_value(self, x: np.ndarray, y: np.ndarray) -> float:
        """Leader objective at (x, y), in the leader's own sense."""
        z = np.concatenate([x, y])
        return float(self.cx @ x + self.cy @ y + 0.5 * z @ self.P @ z + self.leader_const)

    def follower_value(self, x: np.ndarray, y: np.ndarray) -> float:
        """The y-dependent part of the follower objective (see module docstring)."""
        return float(self.d @ y + 0.5 * y @ self.Q @ y + x @ self.D @ y)

    def leader_feasible(self, x: np.ndarray, y: np.ndarray, tol: float = 1e-6) -> bool:
        """Leader constraints and x bounds hold at (x, y)."""
        return bool(np.all(self.Gx @ x + self.Gy @ y <= self.g + tol)
                    and np.all(np.abs(self.Gex @ x + self.Gey @ y - self.ge) <= tol)
                    and np.all(x >= self.x_lb - tol) and np.all(x <= self.x_ub + tol))

    def solve_follower(self, x: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Follower optimum (value in its own sense, y) at fixed x; None if no optimum."""
        x = np.asarray(x, dtype=float)
        A, B, b = self.follower_rows()
        fs = self._fsign
        sol = _solve(fs * (self.d + x @ self.D), fs * self.Q, B, b - A @ x, self.Be,
                     self.be - self.Ae @ x, self.y_lb, self.y_ub)
        if sol.status != "optimal":
            return None
        return self.follower_value(x, sol.z), sol.z

    def is_follower_optimal(self, x: np.ndarray, y: np.ndarray, tol: float = 1e-6) -> bool:
        """y is feasible for the follower at x and within tol of its optimum."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        A, B, b = self.follower_rows()
        if np.any(A @ x + B @ y > b + tol) or np.any(np.abs(self.Ae @ x + self.Be @ y - self.be) > tol):
            return False
        best = self.solve_follower(x)
        if best is None:
            return False
        gap = self._fsign * (self.follower_value(x, y) - best[0])
        return gap <= tol * (1.0 + abs(best[0]))

    # ------------------------------------------------------------ enumeration
    def _kkt_data(self):
        """Constraint data of the KKT system in z = [x, y, lam, mu]."""
        nx, ny = self.n_x, self.n_y
        A, B, b = self.follower_rows()
        mi, me, mg, mge = len(b), len(self.be), len(self.g), len(self.ge)
        n = nx + ny + mi + me
        fs = self._fsign
        # stationarity of the (min-form) follower Lagrangian with respect to y
        stat = np.hstack([fs * self.D.T, fs * self.Q, B.T, self.Be.T])
        prim = np.hstack([A, B, np.zeros((mi, mi + me))])
        lead = np.hstack([self.Gx, self.Gy, np.zeros((mg, mi + me))])
        feq = np.hstack([self.Ae, self.Be, np.zeros((me, mi + me))])
        leq = np.hstack([self.Gex, self.Gey, np.zeros((mge, mi + me))])
        c = np.concatenate([self._lsign * self.cx, self._lsign * self.cy, np.zeros(mi + me)])
        P = np.zeros((n, n))
        P[: nx + ny, : nx + ny] = self._lsign * (self.P + self.P.T) / 2
        lb = np.concatenate([self.x_lb, self.y_lb, np.zeros(mi), np.full(me, -INF)])
        ub = np.concatenate([self.x_ub, self.y_ub, np.full(mi + me, INF)])
        return dict(c=c, P=P, prim=prim, b=b, lead=lead, g=self.g, eq=np.vstack([stat, feq, leq]),
                    beq=np.concatenate([-fs * self.d, self.be, self.ge]), lb=lb, ub=ub, mi=mi)

    def _solve_pattern(self, k, active: set[int], zero: set[int]) -> _Solution:
        """Relaxation where rows in ``active`` are tight and multipliers in ``zero`` vanish."""
        off = self.n_x + self.n_y
        act = sorted(active)
        slack_rows = [i for i in range(k["mi"]) if i not in active]
        A_ub = np.vstack([k["prim"][slack_rows], k["lead"]])
        b_ub = np.concatenate([k["b"][slack_rows], k["g"]])
        A_eq = np.vstack([k["eq"], k["prim"][act]])
        b_eq = np.concatenate([k["beq"], k["b"][act]])
        ub = k["ub"].copy()
        ub[[off + i for i in zero]] = 0.0
        return _solve(k["c"], k["P"], A_ub, b_ub, A_eq, b_eq, k["lb"], ub)

    def _result(self, sol: _Solution) -> tuple[float, np.ndarray, np.ndarray]:
        x, y = sol.z[: self.n_x], sol.z[self.n_x: self.n_x + self.n_y]
        return self.leader_value(x, y), x, y

    def _unbounded(self) -> tuple[float, np.ndarray, np.ndarray]:
        nan = np.full(self.n_x + self.n_y, np.nan)
        return -self._lsign * INF, nan[: self.n_x], nan[self.n_x:]

    def solve_by_enumeration(self, prune: bool = True) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Optimistic bilevel optimum ``(leader_objective, x, y)``; None if infeasible.

        Every complementarity pattern (multiplier zero or constraint tight, for each
        follower inequality including finite y bounds) is a polyhedron in
        (x, y, multipliers). ``prune=False`` solves all 2**m of them. ``prune=True``
        walks the same enumeration tree depth first and skips a subtree only when its
        relaxation (complementarity dropped for the undecided rows) is infeasible, no
        better than the incumbent, or already complementary. An unbounded pattern
        means an unbounded bilevel problem: ``(-inf or +inf, nan, nan)`` is returned.
        """
        k = self._kkt_data()
        mi = k["mi"]
        best: _Solution | None = None
        if not prune:
            for pattern in product((False, True), repeat=mi):
                active = {i for i in range(mi) if pattern[i]}
                sol = self._solve_pattern(k, active, set(range(mi)) - active)
                if sol.status == "unbounded":
                    return self._unbounded()
                if sol.status == "optimal" and (best is None or sol.value < best.value):
                    best = sol
            return None if best is None else self._result(best)
        off = self.n_x + self.n_y
        stack: list[tuple[set[int], set[int]]] = [(set(), set())]
        while stack:
            active, zero = stack.pop()
            sol = self._solve_pattern(k, active, zero)
            free = [i for i in range(mi) if i not in active and i not in zero]
            if sol.status == "infeasible":
                continue
            if sol.status == "unbounded":
                if not free:
                    return self._unbounded()
                i = free[0]
            else:
                if best is not None and sol.value >= best.value - _PRUNE_TOL * (1 + abs(best.value)):
                    continue
                z = sol.z
                slack = k["b"] - k["prim"] @ z
                gap = np.array([max(z[off + j], 0.0) * max(slack[j], 0.0) for j in free])
                if not free or gap.sum() <= _COMPL_TOL * (1 + abs(sol.value)):
                    best = sol
                    continue
                i = free[int(np.argmax(gap))]
            stack.append((active, zero | {i}))
            stack.append((active | {i}, zero))
        return None if best is None else self._result(best)


def random_tiny_bilevel(seed: int, n_x: int = 2, n_y: int = 2, m: int = 3,
                        coupling: bool = False, box: float = 3.0) -> TinyBilevel:
    """A random feasible, bounded LP-LP instance with x in [0, box]^n_x.

    ``m`` random integer rows plus one row with positive y coefficients, which with
    y >= 0 bounds y. Draws are repeated until the follower is feasible at every box
    corner, hence (its feasible x form a convex set) on the whole box, so it always has
    an optimum. Costs are random reals, so follower ties have probability zero. With
    ``coupling`` a leader row in (x, y) is added that holds at the box centre with the
    follower's answer there, which keeps the bilevel problem feasible.
    """
    rng = np.random.default_rng(seed)
    corners = [np.array(c) for c in product((0.0, box), repeat=n_x)]
    while True:
        A = np.vstack([rng.integers(-4, 5, size=(m, n_x)), rng.uniform(0, 1, size=(1, n_x))])
        B = np.vstack([rng.integers(-4, 5, size=(m, n_y)), rng.uniform(0.5, 2.0, size=(1, n_y))])
        b = np.concatenate([rng.uniform(0.0, 6.0, size=m), [A[-1].sum() * box + rng.uniform(1.0, 5.0)]])
        tiny = TinyBilevel(cx=rng.uniform(-1, 1, n_x), cy=rng.uniform(-3, 3, n_y), A=A, B=B, b=b,
                           d=rng.uniform(-3, 3, n_y), x_lb=np.zeros(n_x), x_ub=np.full(n_x, box))
        if all(tiny.solve_follower(c) is not None for c in corners):
            break
    if coupling:
        x0 = np.full(n_x, box / 2)
        _, y0 = tiny.solve_follower(x0)
        tiny.Gx, tiny.Gy = rng.uniform(-2, 2, (1, n_x)), rng.uniform(-2, 2, (1, n_y))
        tiny.g = tiny.Gx @ x0 + tiny.Gy @ y0 + rng.uniform(0.0, 1.0)
    return tiny


# ------------------------------------------------------------------ from Pyomo
def _linear_rows(con, index: ComponentMap, n: int) -> list[tuple[np.ndarray, float, str]]:
    """A linear constraint as rows ``(coefs, rhs, kind)`` with kind '<=' or '=='."""
    repn = generate_standard_repn(con.body, quadratic=False)
    if not repn.is_linear():
        raise ValueError(f"constraint {con.name} is not linear")
    row = np.zeros(n)
    for v, a in zip(repn.linear_vars, repn.linear_coefs):
        row[index[v]] += a
    lo, hi, const = con.lb, con.ub, repn.constant
    if con.equality:
        return [(row, hi - const, "==")]
    out = []
    if hi is not None:
        out.append((row, hi - const, "<="))
    if lo is not None:
        out.append((-row, const - lo, "<="))
    return out


def split_variables(model: pyo.ConcreteModel) -> tuple[list, list, pyo.Block]:
    """Leader variables, follower variables (declared on the block or added to it), the block;
    read with Pyomo alone, for references independent of pybilevel's structure check."""
    followers = [blk for blk in model.component_data_objects(pyo.Block, descend_into=True)
                 if isinstance(blk.parent_component(), bl.Follower)]
    if len(followers) != 1:
        raise ValueError("the references handle exactly one follower")
    fol = followers[0]
    yvars = list(fol.component_data_objects(pyo.Var, descend_into=True)) + list(fol.external_variables)
    yset = ComponentSet(yvars)
    xvars = [v for v in model.component_data_objects(pyo.Var, descend_into=True) if v not in yset]
    return xvars, yvars, fol


def tiny_from_model(model: pyo.ConcreteModel) -> tuple[TinyBilevel, list[str], list[str]]:
    """Read a one-follower model (pybilevel user API) into a :class:`TinyBilevel`.

    Returns the data and the Pyomo names of the leader and follower variables in
    the order of x and y. Uses only Pyomo (standard repn); constraints must be
    linear, objectives at most quadratic.
    """
    xvars, yvars, fol = split_variables(model)
    allvars = xvars + yvars
    nx, ny = len(xvars), len(yvars)
    index = ComponentMap((v, i) for i, v in enumerate(allvars))
    in_fol = ComponentSet(fol.component_data_objects(pyo.Constraint, active=True, descend_into=True))
    rows: dict[tuple[bool, str], list] = {(f, k): [] for f in (False, True) for k in ("<=", "==")}
    for con in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        for row, rhs, kind in _linear_rows(con, index, nx + ny):
            rows[(con in in_fol, kind)].append((row, rhs))

    def split(key):
        r = rows[key]
        mat = np.array([a for a, _ in r]).reshape(len(r), nx + ny)
        return mat[:, :nx], mat[:, nx:], np.array([c for _, c in r])

    fobj = list(fol.component_data_objects(pyo.Objective, active=True, descend_into=True))
    fobj_set = ComponentSet(fobj)
    lobj = [o for o in model.component_data_objects(pyo.Objective, active=True, descend_into=True)
            if o not in fobj_set]
    if len(fobj) != 1 or len(lobj) != 1:
        raise ValueError("need exactly one leader and one follower objective")
    lin, quad, const = _quadratic(lobj[0].expr, index, nx + ny)
    flin, fquad, _ = _quadratic(fobj[0].expr, index, nx + ny)
    A, B, b = split((True, "<="))
    Ae, Be, be = split((True, "=="))
    Gx, Gy, g = split((False, "<="))
    Gex, Gey, ge = split((False, "=="))
    bounds = np.array([[-INF if v.lb is None else v.lb, INF if v.ub is None else v.ub]
                       for v in allvars]).reshape(nx + ny, 2)
    tiny = TinyBilevel(
        cx=lin[:nx], cy=lin[nx:], P=quad, leader_const=const, leader_max=lobj[0].sense == pyo.maximize,
        A=A, B=B, b=b, Ae=Ae, Be=Be, be=be, Gx=Gx, Gy=Gy, g=g, Gex=Gex, Gey=Gey, ge=ge,
        d=flin[nx:], Q=fquad[nx:, nx:], D=fquad[:nx, nx:], follower_max=fobj[0].sense == pyo.maximize,
        x_lb=bounds[:nx, 0], x_ub=bounds[:nx, 1], y_lb=bounds[nx:, 0], y_ub=bounds[nx:, 1])
    return tiny, [v.name for v in xvars], [v.name for v in yvars]


def _quadratic(expr, index: ComponentMap, n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(linear coefs, Hessian, constant) of an at most quadratic expression."""
    repn = generate_standard_repn(expr, quadratic=True)
    if repn.nonlinear_expr is not None:
        raise ValueError("objective is not quadratic")
    lin, hess = np.zeros(n), np.zeros((n, n))
    for v, a in zip(repn.linear_vars, repn.linear_coefs):
        lin[index[v]] += a
    for (u, v), a in zip(repn.quadratic_vars, repn.quadratic_coefs):
        i, j = index[u], index[v]
        hess[i, j] += a
        hess[j, i] += a
    return lin, hess, float(repn.constant)


def tiny_to_pyomo(tiny: TinyBilevel) -> pyo.ConcreteModel:
    """The matrix instance written with pybilevel's user API (x in its box, y >= 0, <= rows, the
    follower's Hessian Q, one coupling leader row if any)."""
    m = pyo.ConcreteModel()
    X, Y = range(tiny.n_x), range(tiny.n_y)
    m.x = pyo.Var(X, bounds=lambda _, i: (tiny.x_lb[i], tiny.x_ub[i]))
    m.f = bl.Follower()
    m.f.y = pyo.Var(Y, within=pyo.NonNegativeReals)
    m.f.rows = pyo.Constraint(
        range(len(tiny.b)),
        rule=lambda b, r: sum(tiny.A[r, i] * m.x[i] for i in X) + sum(tiny.B[r, j] * b.y[j] for j in Y) <= tiny.b[r],
    )
    m.f.obj = pyo.Objective(expr=sum(tiny.d[j] * m.f.y[j] for j in Y)
                            + 0.5 * sum(tiny.Q[i, j] * m.f.y[i] * m.f.y[j] for i in Y for j in Y if tiny.Q[i, j]))
    m.coupling = pyo.Constraint(
        range(len(tiny.g)),
        rule=lambda _, r: sum(tiny.Gx[r, i] * m.x[i] for i in X) + sum(tiny.Gy[r, j] * m.f.y[j] for j in Y) <= tiny.g[r],
    )
    m.obj = pyo.Objective(expr=sum(tiny.cx[i] * m.x[i] for i in X) + sum(tiny.cy[j] * m.f.y[j] for j in Y))
    return m
