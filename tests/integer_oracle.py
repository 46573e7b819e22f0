"""Brute-force oracle for small bilevel problems with integer followers (no pybilevel code).

Problem form (numpy data; every row is ``<=``)::

    leader   min_{x,y}  cx@x + cy@y            s.t.  Gx@x + Gy@y <= g,   x_lb <= x <= x_ub, x integer
    follower min_y      d@y                    s.t.  A@x + B@y <= b,     y_lb <= y <= y_ub, y[integer] integer

``leader_max`` / ``follower_max`` flip a level to maximisation (the data then describe the
maximised function). The boxes must be finite and contain every bilevel-feasible point (for a
literature problem whose model states fewer bounds, the box is implied by its constraints; the
docstring of each problem says how). The oracle enumerates every integer leader decision and
every integer part of the follower's answer; a continuous follower part is an LP per integer
part (``scipy.optimize.linprog``). The follower's value phi(x) is the least value over all of
them; the optimistic leader then takes its best point among the follower's optima.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import product

import numpy as np
import pyomo.environ as pyo
from scipy.optimize import linprog

import pybilevel as bl

#: follower answers within this of the follower's optimum count as optimal (integer data: exact)
TIE_TOL = 1e-7


@dataclass
class IntegerBilevel:
    """One instance in array form (see the module docstring)."""

    cx: np.ndarray
    cy: np.ndarray
    d: np.ndarray
    A: np.ndarray
    B: np.ndarray
    b: np.ndarray
    x_lb: np.ndarray
    x_ub: np.ndarray
    y_lb: np.ndarray
    y_ub: np.ndarray
    integer: np.ndarray  # which follower variables are integer
    Gx: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    Gy: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    g: np.ndarray = field(default_factory=lambda: np.zeros(0))
    leader_max: bool = False
    follower_max: bool = False

    def __post_init__(self) -> None:
        arrays = ("cx", "cy", "d", "A", "B", "b", "x_lb", "x_ub", "y_lb", "y_ub", "g", "Gx", "Gy")
        for name in arrays:
            setattr(self, name, np.asarray(getattr(self, name), dtype=float))
        self.integer = np.asarray(self.integer, dtype=bool)
        n_x, n_y = len(self.cx), len(self.cy)
        self.A, self.B = self.A.reshape(-1, n_x), self.B.reshape(-1, n_y)
        self.Gx, self.Gy = self.Gx.reshape(len(self.g), n_x), self.Gy.reshape(len(self.g), n_y)

    @property
    def n_x(self) -> int:
        return len(self.cx)

    @property
    def n_y(self) -> int:
        return len(self.cy)

    def solve_by_enumeration(self) -> tuple[float, np.ndarray, np.ndarray] | None:
        """(leader objective, x, y) of the optimistic optimum, or None if bilevel infeasible."""
        best = None
        for x in product(*(range(int(lo), int(hi) + 1) for lo, hi in zip(self.x_lb, self.x_ub))):
            found = self.best_response(np.array(x, dtype=float))
            if found is not None and (best is None or found[0] < best[0] - 1e-12):
                best = (found[0], np.array(x, dtype=float), found[1])
        if best is None:
            return None
        sign = -1 if self.leader_max else 1
        return sign * best[0], best[1], best[2]

    def follower_value(self, x: np.ndarray) -> float | None:
        """phi(x) in minimisation form, or None if the follower is infeasible at x."""
        values = [v for v, _ in self._parts(x, None)]
        return min(values) if values else None

    def best_response(self, x: np.ndarray) -> tuple[float, np.ndarray] | None:
        """(min-form leader objective, y): the leader's best point among the follower's optima at x."""
        phi = self.follower_value(x)
        if phi is None:
            return None
        answers = [a for a in self._parts(x, phi) if a is not None]
        return min(answers, key=lambda a: a[0]) if answers else None

    def _parts(self, x: np.ndarray, phi: float | None):
        """Per integer part: (follower value, y) when phi is None; else (leader value, y) among optima."""
        ints = np.flatnonzero(self.integer)
        conts = np.flatnonzero(~self.integer)
        fsign = -1 if self.follower_max else 1
        lsign = -1 if self.leader_max else 1
        ranges = [range(int(self.y_lb[j]), int(self.y_ub[j]) + 1) for j in ints]
        for part in product(*ranges):
            y = np.zeros(self.n_y)
            y[ints] = part
            rhs = self.b - self.A @ x - self.B[:, ints] @ y[ints]
            if phi is None:
                value = self._lp(fsign * self.d, conts, rhs, y)
                if value is not None:
                    yield value[0] + fsign * self.d[ints] @ y[ints], value[1]
                continue
            # leader's best among follower optima with this integer part
            extra_rhs = self.g - self.Gx @ x - self.Gy[:, ints] @ y[ints] if len(self.g) else np.zeros(0)
            value_row = fsign * self.d[conts]
            value_rhs = phi - fsign * self.d[ints] @ y[ints] + TIE_TOL * max(1.0, abs(phi))
            if not len(conts):
                if value_rhs < -1e-12 or (rhs < -1e-9).any() or (extra_rhs < -1e-9).any():
                    yield None
                    continue
                yield lsign * (self.cx @ x + self.cy @ y), y
                continue
            A_ub = np.vstack([self.B[:, conts], self.Gy[:, conts], value_row[None, :]])
            b_ub = np.concatenate([rhs, extra_rhs, [value_rhs]])
            res = linprog(lsign * self.cy[conts], A_ub=A_ub, b_ub=b_ub,
                          bounds=list(zip(self.y_lb[conts], self.y_ub[conts])), method="highs")
            if res.status != 0:
                yield None
                continue
            y[conts] = res.x
            yield lsign * (self.cx @ x + self.cy @ y), y

    def _lp(self, cost: np.ndarray, conts: np.ndarray, rhs: np.ndarray, y: np.ndarray):
        """min cost[conts] @ y_c s.t. B_c y_c <= rhs, bounds: (value, y with y_c filled) or None."""
        if not len(conts):
            return (0.0, y) if (rhs >= -1e-9).all() else None
        res = linprog(cost[conts], A_ub=self.B[:, conts], b_ub=rhs,
                      bounds=list(zip(self.y_lb[conts], self.y_ub[conts])), method="highs")
        if res.status != 0:
            return None
        full = y.copy()
        full[conts] = res.x
        return float(res.fun), full


def to_pyomo(p: IntegerBilevel, explicit_bounds: bool = True) -> pyo.ConcreteModel:
    """The instance written with the pybilevel user API.

    ``explicit_bounds=False`` leaves the variables' upper bounds (and negative lower bounds) out
    of the Pyomo model, as a literature statement that bounds them only through its constraints.
    """
    m = pyo.ConcreteModel()
    X, Y = range(p.n_x), range(p.n_y)

    def box(lb, ub):
        return (lb, ub) if explicit_bounds else (max(lb, 0.0), None)

    m.x = pyo.Var(X, within=pyo.Integers, bounds=lambda _, i: box(p.x_lb[i], p.x_ub[i]))
    m.f = bl.Follower()
    m.f.y = pyo.Var(Y, within=lambda _, j: pyo.Integers if p.integer[j] else pyo.Reals,
                    bounds=lambda _, j: box(p.y_lb[j], p.y_ub[j]))
    m.f.rows = pyo.Constraint(
        range(len(p.b)),
        rule=lambda f, r: sum(p.A[r, i] * m.x[i] for i in X if p.A[r, i]) + sum(p.B[r, j] * f.y[j] for j in Y if p.B[r, j]) <= p.b[r],
    )
    m.f.obj = pyo.Objective(expr=sum(p.d[j] * m.f.y[j] for j in Y), sense=pyo.maximize if p.follower_max else pyo.minimize)
    m.lead = pyo.Constraint(
        range(len(p.g)),
        rule=lambda _, r: sum(p.Gx[r, i] * m.x[i] for i in X if p.Gx[r, i]) + sum(p.Gy[r, j] * m.f.y[j] for j in Y if p.Gy[r, j]) <= p.g[r],
    )
    m.obj = pyo.Objective(expr=sum(p.cx[i] * m.x[i] for i in X) + sum(p.cy[j] * m.f.y[j] for j in Y),
                          sense=pyo.maximize if p.leader_max else pyo.minimize)
    return m


def random_integer_bilevel(seed: int, n_x: int = 2, n_y: int = 3, m: int = 3, mixed: bool = False,
                           fractional: bool = False, box: int = 3, y_box: int | None = None) -> tuple[IntegerBilevel, tuple]:
    """A random instance with x in {0..box}^n_x and y in [0, y_box]^n_y (``y_box`` defaults to
    ``box``; y integer, or its last entry continuous with ``mixed``); integer coefficients, or
    halves in A with ``fractional``.

    Drawn again until the problem is bilevel feasible; a leader row in (x, y) makes the leader's
    constraints bind on the follower's answer. Returns the instance and its enumerated optimum.
    """
    rng = np.random.default_rng(seed)
    integer = np.ones(n_y, dtype=bool)
    if mixed:
        integer[-1] = False
    while True:
        A = rng.integers(-4, 5, size=(m, n_x)) / (2.0 if fractional else 1.0)
        B = rng.integers(-4, 5, size=(m, n_y)).astype(float)
        b = rng.integers(0, 8, size=m).astype(float)
        p = IntegerBilevel(
            cx=rng.integers(-5, 6, n_x), cy=rng.integers(-5, 6, n_y), d=rng.integers(-5, 6, n_y) + (rng.uniform(-0.3, 0.3, n_y) if mixed else 0),
            A=A, B=B, b=b, x_lb=np.zeros(n_x), x_ub=np.full(n_x, box), y_lb=np.zeros(n_y), y_ub=np.full(n_y, box if y_box is None else y_box),
            integer=integer, Gx=rng.integers(-3, 4, (1, n_x)), Gy=rng.integers(-3, 4, (1, n_y)), g=[rng.integers(2, 8)],
        )
        reference = p.solve_by_enumeration()
        if reference is not None:
            return p, reference
