"""The arrays of one MILP-MILP bilevel model, shared by the exact methods for integer followers
(:mod:`~pybilevel.methods.value_function`, :mod:`~pybilevel.methods.branch_and_cut`).

:class:`MilpBilevel` holds the high-point relaxation (HPR: every leader and follower row with
integrality, no follower optimality) as arrays, the leader's cost in minimisation form, the
linking variables' proven bounds and each follower row's proven range of its linking part, and
three oracles on them: the follower MILP at a leader decision (``phi(x)`` and a response), the
*restricted problem* (the leader's best point with the linking variables fixed and
``c @ y <= phi``: bilevel feasible, the optimistic choice among the follower's optima), and the
*response alternatives* (the rows by which a follower answer can be infeasible at x).
:func:`accepts` is the class both methods solve: one linear follower with a linear objective,
a linear leader, integer and bounded linking variables (a missing bound is inferred from the
HPR's LP), no follower duals in the leader.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import MethodRefusedError, StructureError
from pybilevel.methods.base import refusal_message
from pybilevel.methods.improving_steps import FollowerSteps, integral_rows
from pybilevel.methods.intersection import IntersectionCuts, intersection_cut_rounds
from pybilevel.model.bounds import FollowerAtLeader, HighPointRelaxation
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.dual_reference import refuse_dual_references
from pybilevel.model.follower_form import placement
from pybilevel.model.intervals import interval
from pybilevel.model.structure import BilevelStructure, LeaderClass
from pybilevel.solvers.highs import ArrayLP

__all__ = ["MilpBilevel", "accepts", "value_threshold", "strengthening_time", "integral_objective", "VALUE_TOL",
           "NO_COMMON_POINT", "BILEVEL_INFEASIBLE", "STRENGTHENING_SECONDS"]

#: relative slack of the follower-value comparisons (the order of HiGHS's feasibility tolerance)
VALUE_TOL = 1e-7
#: why a model is infeasible, said by value_function and branch_and_cut
NO_COMMON_POINT = ("the leader's and follower's constraints have no common integer point (the high-point "
                   "relaxation is infeasible)")
BILEVEL_INFEASIBLE = ("the constraints have common points, but at no leader decision does a follower-optimal "
                      "response satisfy the leader's constraints (bilevel infeasible)")
#: the most seconds one strengthening (a robust response, intersection cuts) may spend, with or without a limit
STRENGTHENING_SECONDS = 10.0


def accepts(structure: BilevelStructure, method: str) -> None:
    """Raise :class:`MethodRefusedError` (naming what and why) for a model outside the method's
    class; ``method``: the name the messages give."""
    if len(structure.followers) > 1:
        names = ", ".join(f.follower.name for f in structure.followers)
        raise StructureError(
            f"the model has {len(structure.followers)} followers ({names}); method '{method}' "
            "solves one follower per model: merge them into one follower block if they form one problem."
        )
    refuse_dual_references(structure.dual_references, method)
    form = structure.followers[0]
    name = form.follower.name
    refuse = f"method '{method}' cannot solve follower {name} ({form.follower_class}): "
    if form.follower_class in (FollowerClass.NONCONVEX_QP, FollowerClass.NONCONVEX_NLP, FollowerClass.CONVEX_NLP):
        raise MethodRefusedError(refusal_message(form, method))
    if form.follower_class not in (FollowerClass.INTEGER, FollowerClass.LP) or form.Q.nnz or form.is_nonlinear:
        raise MethodRefusedError(
            refuse + "it needs a linear follower objective and linear follower constraints; "
            "for a continuous convex follower use 'sos1' (or 'kkt', 'regularized')."
        )
    if form.C.nnz or form.leader_nonlinear.any():
        raise MethodRefusedError(
            refuse + "the follower's objective or constraints multiply leader variables nonlinearly "
            "(leader x follower products or leader-only nonlinear terms); it needs them linear."
        )
    if structure.leader_class != LeaderClass.LINEAR:
        raise MethodRefusedError(
            f"method '{method}' needs a linear leader objective and linear leader constraints; the leader "
            f"objective {structure.leader_objective.name} / constraints are {structure.leader_class}."
        )
    lp_advice = ", or use 'sos1' for this LP follower" if form.follower_class == FollowerClass.LP else ""
    for k in form.linking:
        var = form.leader_variables[k]
        if var.is_continuous():
            raise MethodRefusedError(
                refuse + f"leader variable {var.name} appears in the follower's constraints and is "
                "continuous; the method is exact for integer linking variables only (as MibS): declare it "
                f"integer (or discretise it){lp_advice}."
            )


def strengthening_time(left: float | None, share: float) -> float:
    """The seconds a strengthening may spend: ``share`` of the time ``left`` (None: no limit), at
    most :data:`STRENGTHENING_SECONDS`."""
    return STRENGTHENING_SECONDS if left is None else min(STRENGTHENING_SECONDS, share * max(left, 0.0))


def integral_objective(cost: np.ndarray, integer: np.ndarray) -> bool:
    """Whether ``cost @ z`` is an integer at every point with integer ``z[integer]``: integer
    coefficients, on integer columns only."""
    used = cost != 0
    return bool(np.all(integer[used]) and np.all(cost[used] == np.round(cost[used])))


def value_threshold(value: float, tol: float = VALUE_TOL) -> float:
    """The right-hand side of a value row ``c @ y <= value``, relaxed by ``tol`` relative to it."""
    return value + tol * max(1.0, abs(value))

class MilpBilevel:
    """The high-point relaxation's arrays, bounds and oracles of one MILP-MILP bilevel model (module docstring)."""

    def __init__(self, structure: BilevelStructure, method: str, mip_gap: float = 1e-9) -> None:
        """Refuses (:func:`accepts`) a model outside the class; ``method``: the name refusals give."""
        accepts(structure, method)
        self.method = method
        self.structure = structure
        self.form = form = structure.followers[0]
        self.hpr = hpr = HighPointRelaxation(structure)
        n = len(hpr.columns)
        self.sense = 1 if structure.leader_objective.is_minimizing() else -1
        cost, self.constant = _linear_cost(structure, hpr)
        self.cost = self.sense * cost
        self.mip_gap = max(mip_gap, 1e-9)
        self.y_cols = np.array([hpr.column_of(v) for v in form.variables], dtype=int)
        x_cols = np.array([hpr.column_of(v) for v in form.leader_variables], dtype=int)
        self.x_cols = x_cols
        self.link_cols = x_cols[form.linking]
        lower, upper = hpr.lower.copy(), hpr.upper.copy()
        self._bound_linking(lower, upper)
        self.lower, self.upper = lower, upper
        self.integer = integer = np.array([not v.is_continuous() for v in hpr.variables], dtype=bool)
        self.integral_cost = integral_objective(self.cost, integer)
        self.value_row = sp.csr_matrix((form.c, (np.zeros(len(self.y_cols), dtype=int), self.y_cols)), shape=(1, n))
        self.value_max = self._value_max()
        self.leader_rows = (form.A_x @ placement(x_cols, n)).tocsr()  # A_x placed in the relaxation's columns
        self.row_min, self.row_max = interval(self.leader_rows, lower, upper)  # tightened by tighten_row_ranges
        self.steps = FollowerSteps.of_follower(form, self.y_cols, x_cols, integer, lower, upper)
        self.restricted = ArrayLP(
            sp.vstack([hpr.A, self.value_row]).tocsr(),
            np.append(hpr.row_lower, -np.inf), np.append(hpr.row_upper, np.inf), lower, upper, integer=integer,
        )
        self.follower = FollowerAtLeader(form)

    def _bound_linking(self, lower: np.ndarray, upper: np.ndarray) -> None:
        """Finite integer bounds on every linking variable (inferred from the HPR's LP where missing)."""
        for col in self.link_cols:
            unit = np.zeros(len(lower))
            unit[col] = 1.0
            if not np.isfinite(upper[col]):
                upper[col] = self.hpr.lp_max(unit)
            if not np.isfinite(lower[col]):
                lower[col] = -self.hpr.lp_max(-unit)
            if not (np.isfinite(lower[col]) and np.isfinite(upper[col])):
                raise MethodRefusedError(
                    f"method '{self.method}': linking variable {self.hpr.variables[col].name} has no finite bound "
                    "and the leader's and follower's constraints do not bound it; give it bounds."
                )
            lower[col] = np.ceil(lower[col] - 1e-6)
            upper[col] = np.floor(upper[col] + 1e-6)

    def tighten_row_ranges(self, remaining: Callable[[], float | None]) -> None:
        """Tighten each follower row's proven range of its linking part A_x x (``row_min``,
        ``row_max``: the box's interval) by the high-point relaxation's LP, rounded where the row
        moves in whole units; two LPs per row, while ``remaining()`` time is left."""
        integral = integral_rows(self.leader_rows)
        for r in np.flatnonzero(np.diff(self.leader_rows.indptr)):
            left = remaining()
            if left is not None and left <= 0:
                return
            row = self.leader_rows[r].toarray().ravel()
            top, bottom = self.hpr.lp_max(row), -self.hpr.lp_max(-row)
            if integral[r]:
                top, bottom = np.floor(top + 1e-6), np.ceil(bottom - 1e-6)
            self.row_max[r], self.row_min[r] = min(self.row_max[r], top), max(self.row_min[r], bottom)

    def intersection_cuts(self, rounds: int, time_limit: float | None) -> IntersectionCuts | None:
        """Up to ``rounds`` rounds of :func:`intersection_cut_rounds` on the high-point relaxation's
        LP, for a pure-integer follower (else None): the cuts, valid for every bilevel-feasible point."""
        if not np.all(self.form.integer):
            return None
        hpr = self.hpr
        return intersection_cut_rounds(hpr.A, hpr.row_lower, hpr.row_upper, self.lower, self.upper, self.cost,
                                       self.form, self.y_cols, self.x_cols, self.integer, rounds, time_limit)

    def _value_max(self) -> float:
        """A proven upper bound of the follower objective c @ y over the high-point relaxation."""
        best = self.hpr.lp_max(self.value_row.toarray().ravel())
        if best == -np.inf:
            return 0.0  # nothing is feasible: the master says so at once, any value is valid
        if not np.isfinite(best):
            raise MethodRefusedError(
                f"method '{self.method}': the follower objective {self.form.objective.name} has no upper bound "
                "over the leader's and follower's constraints, so no value cut can be switched off; "
                "bound the follower's variables."
            )
        return float(best)

    def response_alternatives(self, y: np.ndarray) -> list[tuple[sp.csr_matrix, float, float, float]] | None:
        """The ways follower answer ``y`` can be infeasible at x, as :meth:`_add_cut`'s alternatives
        (one per row limit it can break within the rows' proven ranges, by a whole unit on integral
        rows); None when ``y`` is infeasible at every x of the box (nothing to cut)."""
        form = self.form
        used = form.A_y @ y
        alternatives = []
        whole = integral_rows(self.leader_rows)
        for r in np.flatnonzero(np.diff(self.leader_rows.indptr)):
            row = self.leader_rows[r]
            integral = whole[r]
            if np.isfinite(form.row_upper[r]):  # violated above: a @ x > row_upper - A_y y
                beta = form.row_upper[r] - used[r]
                rhs = np.floor(beta + 1e-9) + 1 if integral else beta
                if rhs <= self.row_min[r]:
                    return None  # y is infeasible at every x in the box: no cut
                if rhs <= self.row_max[r]:
                    alternatives.append((row, rhs, 1, self.row_min[r]))
            if np.isfinite(form.row_lower[r]):  # violated below: a @ x < row_lower - A_y y
                gamma = form.row_lower[r] - used[r]
                rhs = np.ceil(gamma - 1e-9) - 1 if integral else gamma
                if rhs >= self.row_max[r]:
                    return None
                if rhs >= self.row_min[r]:
                    alternatives.append((row, rhs, -1, self.row_max[r]))
        return alternatives

    def unbounded_message(self, point: np.ndarray) -> str:
        """Why the search stops where the follower has no optimum at ``point``'s leader decision."""
        decision = ", ".join(f"{self.hpr.variables[c].name}={point[c]:g}" for c in self.x_cols)
        return (f"follower {self.form.follower.name} has no optimum (its objective is unbounded) at the leader "
                f"decision {decision}: bound its variables")

    def hpr_feasible(self, time_limit: float | None) -> bool:
        """Whether the high-point relaxation alone (no unit-step rows, no cuts) has an integer point."""
        hpr = self.hpr
        plain = ArrayLP(hpr.A, hpr.row_lower, hpr.row_upper, self.lower, self.upper, integer=self.integer)
        return plain.solve(np.zeros(len(hpr.columns)), time_limit=time_limit).status != "infeasible"

    def restricted_point(self, x_hat: np.ndarray, phi: float, response: np.ndarray, upper: float,
                    time_limit: float | None) -> np.ndarray | None:
        """The leader's best bilevel-feasible point with the linking variables at x_hat, if it is
        better than ``upper`` (HiGHS prunes the rest); the follower's ``response`` there is its
        starting point."""
        cols = self.link_cols
        self.restricted.set_col_bounds(cols, x_hat[cols], x_hat[cols])
        hpr = self.hpr
        self.restricted.set_row_bounds(np.append(hpr.row_lower, -np.inf), np.append(hpr.row_upper, phi))
        self.restricted.highs.setOptionValue("objective_bound", float(upper))
        point = x_hat.copy()
        point[self.y_cols] = response
        solution = self.restricted.solve(self.cost, time_limit=time_limit, start=(np.arange(len(point)), point))
        return solution.x if solution.has_point and solution.status in ("optimal", "limit") else None

    def rounded(self, bound: float) -> float:
        """A lower bound on ``cost @ z`` rounded up to an integer when the objective is integral at
        every integer point (:func:`integral_objective`)."""
        if not (self.integral_cost and np.isfinite(bound)):
            return bound
        return float(np.ceil(bound - 1e-9 * max(1.0, abs(bound))))


def _linear_cost(structure: BilevelStructure, hpr: HighPointRelaxation) -> tuple[np.ndarray, float]:
    """The leader objective's coefficients over the high-point relaxation's columns, and its constant."""
    repn = generate_standard_repn(structure.leader_objective.expr, quadratic=False, compute_values=True)
    cost = np.zeros(len(hpr.columns))
    for var, coef in zip(repn.linear_vars, repn.linear_coefs):
        cost[hpr.column_of(var)] += coef
    return cost, float(repn.constant)
