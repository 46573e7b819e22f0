"""Where big-M values come from, and the relaxations and re-solves that bound them.

* Slack bounds (how far a follower constraint or bound can be from active) are *inferred*:
  interval arithmetic on variable bounds first, then an LP over the high-point relaxation
  (every leader and follower constraint, no follower optimality), which every bilevel-feasible
  point satisfies, so the bound is valid.
* Multiplier bounds: :mod:`pybilevel.model.multiplier_bounds` (the user's, proven by LP where
  the leader is only in the follower's cost, or a stated heuristic).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.deadline import check_time
from pybilevel.errors import BigMError
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.intervals import interval
from pybilevel.model.kkt_system import ComplementarityPair, FollowerDual
from pybilevel.solvers.highs import ArrayLP, ArraySolution

if TYPE_CHECKING:
    from pybilevel.model.structure import BilevelStructure

__all__ = [
    "DUAL_LP", "BigMValue", "FollowerAtLeader", "HighPointRelaxation", "SlackRanges", "always_active", "fix_never_active",
    "slack_bounds", "slack_ranges",
]

#: the source of a multiplier bound proven over the follower's dual polyhedron (model/dual_bounds.py)
DUAL_LP = "dual lp"
#: a slack whose lowest value over the variable box exceeds this is never 0
NEVER_ACTIVE_MARGIN = 1e-9


@dataclass
class BigMValue:
    """One big-M value, where it came from, and (after a solve) whether it was reached."""

    follower: str
    key: str  # complementarity pair key, "<constraint or variable>:<side>"
    kind: str  # "slack" or "multiplier"
    value: float
    source: str  # "argument", "suffix", "bounds", "lp", "dual lp" (DUAL_LP) or "heuristic: ..."
    reached: bool = False

    @property
    def proven(self) -> bool:
        """Whether the value is a proven bound (inferred), so reaching it cuts nothing off."""
        return self.source in ("bounds", "lp", DUAL_LP)


class HighPointRelaxation:
    """All linear leader and follower constraints over all variables, as one array LP."""

    def __init__(self, structure: BilevelStructure) -> None:
        self.columns: dict[int, int] = {}
        self.followers = structure.followers
        variables = list(structure.leader_variables)
        for form in structure.followers:
            variables.extend(form.variables)
        for var in variables:
            self.columns.setdefault(id(var), len(self.columns))
        self.variables = variables
        self.lower = np.array([_finite_or(v.lb, -np.inf) for v in variables])
        self.upper = np.array([_finite_or(v.ub, np.inf) for v in variables])
        blocks, lowers, uppers = [], [], []
        for form in structure.followers:
            # rows with nonlinear terms are dropped (dropping keeps it a relaxation)
            keep = ~form.leader_nonlinear
            keep[list(form.row_nonlinear)] = False
            blocks.append(self._embed(form)[keep])
            lowers.append(form.row_lower[keep])
            uppers.append(form.row_upper[keep])
        leader = self._leader_rows(structure)
        blocks.append(leader[0]), lowers.append(leader[1]), uppers.append(leader[2])
        self.A = sp.vstack(blocks).tocsr()
        self.row_lower, self.row_upper = np.concatenate(lowers), np.concatenate(uppers)

    @cached_property
    def _lp(self) -> ArrayLP:
        """The relaxation in HiGHS, built on first use (interval arithmetic needs only the box)."""
        return ArrayLP(self.A, self.row_lower, self.row_upper, self.lower, self.upper).for_objective_runs()

    def column_of(self, var) -> int:
        return self.columns[id(var)]

    def _embed(self, form: FollowerForm) -> sp.csr_matrix:
        """The follower's rows [A_x A_y] placed in the relaxation's columns."""
        n = len(self.columns)
        y_cols = np.array([self.columns[id(v)] for v in form.variables], dtype=int)
        x_cols = np.array([self.columns[id(v)] for v in form.leader_variables], dtype=int)
        return form.placed_rows(y_cols, x_cols, n)

    def _leader_rows(self, structure: BilevelStructure):
        rows, cols, vals, lower, upper = [], [], [], [], []
        for con in structure.leader_constraints:
            repn = generate_standard_repn(con.body, quadratic=False, compute_values=True)
            if repn.nonlinear_expr is not None or any(id(v) not in self.columns for v in repn.linear_vars):
                continue  # dropping a constraint (nonlinear, or on a bl.dual placeholder) keeps the relaxation valid
            r = len(lower)
            for var, coef in zip(repn.linear_vars, repn.linear_coefs):
                rows.append(r), cols.append(self.columns[id(var)]), vals.append(coef)
            shift = float(repn.constant)
            lower.append(float(con.lb) - shift if con.has_lb() else -np.inf)
            upper.append(float(con.ub) - shift if con.has_ub() else np.inf)
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(lower), len(self.columns)), dtype=float)
        return matrix, np.array(lower), np.array(upper)

    def interval_max(self, coefficients: sp.csr_matrix) -> np.ndarray:
        """Row-wise upper bound of coefficients @ v over the variable box (interval arithmetic)."""
        return interval(coefficients, self.lower, self.upper)[1]

    def lp_solve(self, cost: np.ndarray) -> ArraySolution:
        """min cost @ v over the relaxation."""
        return self._lp.solve(cost)

    def is_infeasible(self) -> bool:
        """No point satisfies every leader and follower constraint (so no bilevel-feasible point)."""
        return self.lp_solve(np.zeros(len(self.columns))).status == "infeasible"

    def sample_points(self, count: int, seed: int) -> list[np.ndarray]:
        """Vertices of the relaxation reached by random objective directions (bounded ones only)."""
        rng = np.random.default_rng(seed)
        points = []
        for k in range(count):
            check_time(f"sampling the high-point relaxation for multiplier bounds ({k} of {count} LPs)")
            solution = self.lp_solve(rng.standard_normal(len(self.columns)))
            if solution.status == "optimal":
                points.append(solution.x)
        return points

    def lp_max(self, cost: np.ndarray) -> float:
        """max cost @ v over the relaxation; inf if unbounded, -inf if infeasible."""
        solution = self._lp.solve(cost, maximize=True)
        if solution.status == "optimal":
            return solution.objective
        if solution.status == "infeasible":
            return -np.inf
        return np.inf


class FollowerAtLeader:
    """The follower's LP / convex QP / MILP from its arrays, re-solved at leader decisions x.

    One HiGHS model, warm-started from solve to solve; nonlinear parts are not represented.
    """

    def __init__(self, form: FollowerForm) -> None:
        self.form = form
        self._lp = ArrayLP(
            form.A_y, form.row_lower, form.row_upper, form.var_lower, form.var_upper, form.Q, form.integer
        )

    def solve(self, x: np.ndarray, time_limit: float | None = None) -> ArraySolution:
        form = self.form
        shift = form.A_x @ x
        self._lp.set_row_bounds(form.row_lower - shift, form.row_upper - shift)
        return self._lp.solve(form.c + form.C.T @ x, time_limit=time_limit)


@dataclass
class SlackRanges:
    """Each complementarity pair's slack as ``matrix @ v + shifts`` over the relaxation's columns
    v, and its lowest and highest value over the variable box."""

    matrix: sp.csr_matrix
    shifts: np.ndarray
    lowest: np.ndarray
    highest: np.ndarray


def slack_ranges(dual: FollowerDual, hpr: HighPointRelaxation) -> SlackRanges:
    """The range of every pair's slack over the variable box (interval arithmetic).

    A row with nonlinear terms is bounded by Pyomo's FBBT on its whole slack expression (the
    form's arrays hold only its linear part).
    """
    if not dual.pairs:
        empty = np.zeros(0)
        return SlackRanges(sp.csr_matrix((0, len(hpr.columns))), empty, empty, empty)
    matrix, shifts = _slack_rows(dual, hpr)
    lowest = shifts - hpr.interval_max(-matrix)
    highest = hpr.interval_max(matrix) + shifts
    for k, pair in enumerate(dual.pairs):
        if _on_nonlinear_row(dual.form, pair):
            low, high = compute_bounds_on_expr(pair.slack)
            lowest[k] = -np.inf if low is None else low
            highest[k] = np.inf if high is None else high
    return SlackRanges(matrix, shifts, lowest, highest)


def fix_never_active(dual: FollowerDual, ranges: SlackRanges) -> list[int]:
    """Fix at 0 the multiplier of every pair whose slack is positive everywhere in the variable
    box (its constraint is never active, so complementarity makes the multiplier 0 at every KKT
    point); return the indices of the other pairs."""
    kept = []
    for k, pair in enumerate(dual.pairs):
        if ranges.lowest[k] > NEVER_ACTIVE_MARGIN:
            pair.multiplier.fix(0.0)
        else:
            kept.append(k)
    return kept


def slack_bounds(dual: FollowerDual, hpr: HighPointRelaxation, ranges: SlackRanges) -> list[tuple[float, str]]:
    """An upper bound and its source for the slack of every complementarity pair of a follower:
    the range's highest value, or an LP over the relaxation where that is infinite."""
    form = dual.form
    bounds = [(max(float(v), 0.0), "bounds") for v in ranges.highest.tolist()]
    unbounded = np.flatnonzero(~np.isfinite(ranges.highest))
    for done, k in enumerate(unbounded):
        check_time(f"bounding the slacks of follower {form.follower.name}'s complementarity pairs by LP "
                   f"({done} of {len(unbounded)} LPs)")
        pair = dual.pairs[k]
        if _on_nonlinear_row(form, pair):
            value = np.inf  # FBBT found no bound and the relaxation drops the row
        else:
            value = hpr.lp_max(ranges.matrix[k].toarray().ravel()) + ranges.shifts[k]
        if value == -np.inf:  # no bilevel-feasible point at all: any M is valid, the solve will say so
            bounds[k] = (0.0, "lp")
            continue
        if not np.isfinite(value):
            raise BigMError(
                f"the slack of {pair.key} in follower {form.follower.name} has no upper bound: "
                "neither variable bounds nor the leader's and follower's constraints limit it. "
                "Give the variables in it finite bounds, or use method='sos1' or 'kkt', which need no big-M."
            )
        bounds[k] = (max(float(value), 0.0), "lp")
    return bounds


def _on_nonlinear_row(form: FollowerForm, pair: ComplementarityPair) -> bool:
    """Whether the pair's constraint has nonlinear terms (in the leader's or the follower's variables)."""
    return pair.row is not None and bool(form.leader_nonlinear[pair.row] or pair.row in form.row_nonlinear)


def _slack_rows(dual: FollowerDual, hpr: HighPointRelaxation) -> tuple[sp.csr_matrix, np.ndarray]:
    """Each pair's slack as ``row @ v + shift`` over the relaxation's columns v, one row per pair.

    A lower side's slack is ``body - lower``, an upper side's ``upper - body``; the body of a
    constraint pair is its row of [A_x A_y], that of a bound pair its variable.
    """
    form = dual.form
    on_row = np.array([pair.row is not None for pair in dual.pairs], dtype=bool)
    index = np.array([pair.row if pair.row is not None else pair.column for pair in dual.pairs], dtype=np.int64)
    lower = np.array([pair.side == "lower" for pair in dual.pairs], dtype=bool)
    on_column = ~on_row
    y_cols = np.array([hpr.column_of(v) for v in form.variables], dtype=np.int64)
    n_columns = int(on_column.sum())
    units = sp.csr_matrix(
        (np.ones(n_columns), (np.arange(n_columns), y_cols[index[on_column]])), shape=(n_columns, len(hpr.columns))
    )
    stacked = sp.vstack([hpr._embed(form)[index[on_row]], units]).tocsr()
    order = np.argsort(np.concatenate([np.flatnonzero(on_row), np.flatnonzero(on_column)]), kind="stable")
    matrix = sp.diags(np.where(lower, 1.0, -1.0)) @ stacked[order]
    shifts = np.empty(len(dual.pairs))
    shifts[on_row & lower] = -form.row_lower[index[on_row & lower]]
    shifts[on_row & ~lower] = form.row_upper[index[on_row & ~lower]]
    shifts[on_column & lower] = -form.var_lower[index[on_column & lower]]
    shifts[on_column & ~lower] = form.var_upper[index[on_column & ~lower]]
    return matrix.tocsr(), shifts


def always_active(ranges: SlackRanges) -> list[int]:
    """Pairs whose slack is 0 everywhere in the variable box (e.g. both bounds of a variable with
    equal bounds): complementarity says nothing there, so they need neither binary nor big-M."""
    return np.flatnonzero(ranges.highest <= 0.0).tolist()


def _finite_or(value, default: float) -> float:
    return default if value is None else float(value)
