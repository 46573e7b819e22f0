"""branch_and_cut: one SCIP branch-and-bound over the high-point relaxation, for MILP followers.

The method MibS and Fischetti, Ljubic, Monaci & Sinnl (Oper. Res. 65(6), 2017) build on: SCIP's
model is the high-point relaxation (HPR: every leader and follower row, integrality, the
leader's objective), with the unit-step rows of :mod:`pybilevel.methods.improving_steps` and, for
a pure-integer follower still open after :data:`DEFER_SECONDS`, :data:`INTERSECTION_ROUNDS`
rounds of improving-direction intersection cuts at the root of a second search
(:mod:`pybilevel.methods.intersection`; they raise the root bound of MibS's
``milp_10_20_50_2310_1a`` from -98,820 to -95,031). A constraint handler accepts an integer
candidate (x^, y^) only when it is bilevel feasible, ``c @ y^ <= phi(x^)`` (the follower MILP at
x^, solved by HiGHS), and otherwise *branches* on a disjunction that every bilevel-feasible point
satisfies and that (x^, y^) violates in each alternative, one child per alternative, its row
added to that child only (no big-M):

* **response** (the default): y* (the follower's optimum at x^) is infeasible at x (one
  alternative per follower row limit, by a whole unit where the row's linking part is integer;
  :meth:`MilpBilevel.response_alternatives`), or ``c @ y <= c @ y* + tol`` (y* is
  then one of the follower's choices, so phi(x) <= c @ y*). Both fail at (x^, y^): y* is feasible
  at x^ and c @ y^ exceeds phi(x^) + tol > c @ y* + tol.
* **step**: with ``d = y* - y^`` (c @ d < 0), at a follower optimum y the point y + d is
  infeasible at x: it breaks a variable bound or a follower row (:meth:`FollowerSteps.alternatives`;
  on rows with integer coefficients and columns "by at least one unit", exact because their
  activity is integer). y^ + d = y* is feasible at x^, so every alternative is violated there.
* **fewest**: whichever of the two has fewer children at the node.
* **linking** (the fallback, and what makes the search finite): branch a linking variable that is
  not fixed at the node (x_k <= v - 1 | x_k = v | x_k >= v + 1, v = x^_k); where every linking
  variable is fixed, phi is a constant phi(x^) in the node, and one child gets
  ``c @ y <= phi(x^) + tol``.

A disjunction is used only if each of its rows is violated at (x^, y^) by more than SCIP's
feasibility tolerance (checked numerically), so no child keeps the point; the dropped
alternatives (FollowerSteps's unreachable ones, rows outside their proven range) cannot hold at
any HPR point, so every bilevel-feasible point stays in some child. The tolerance ``tol`` of the
value rows is :data:`~pybilevel.methods.milp_bilevel.VALUE_TOL` (a relaxation); a candidate counts as bilevel
feasible up to :data:`FEASIBLE_TOL` (larger, so a rejected point breaks its value row by more than
SCIP's tolerance).

Every distinct linking decision also gets the *restricted problem* (the leader's
best point with the linking variables fixed and ``c @ y <= phi``), offered to SCIP as a solution.
The class of models is value_function's (:func:`pybilevel.methods.milp_bilevel.accepts`:
linear levels, one follower, integer and bounded linking variables); with continuous follower
variables the step and response branchings may repeat, and only the linking branching
guarantees an end.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyscipopt as scip
import scipy.sparse as sp

from pybilevel.errors import BilevelError, MethodRefusedError
from pybilevel.methods.base import (
    GLOBAL,
    Method,
    MethodOutcome,
    SolveRequest,
    decomposition_options,
    load_point,
    refusal_of,
    register,
)
from pybilevel.methods.intersection import IntersectionCuts
from pybilevel.methods.milp_bilevel import (
    BILEVEL_INFEASIBLE,
    NO_COMMON_POINT,
    MilpBilevel,
    accepts,
    strengthening_time,
    value_threshold,
)
from pybilevel.model.bounds import HighPointRelaxation
from pybilevel.model.structure import BilevelStructure
from pybilevel.results import Status
from pybilevel.timing import TimeBudget, timed

__all__ = ["NAME", "METHOD", "BranchAndCutMethod", "BranchAndCutRun", "solve_branch_and_cut", "DISJUNCTIONS",
           "FEASIBLE_TOL"]

NAME = "branch_and_cut"
#: the branchings tried before the linking fallback ("fewest": the one with fewer children at the node)
DISJUNCTIONS = {"response": ("response",), "step": ("step",), "fewest": ("step", "response"), "linking": ()}
#: relative slack of "c @ y^ <= phi(x^)" when a candidate is accepted: above VALUE_TOL + EXCLUDE_TOL, so a
#: rejected candidate breaks its value row by more than SCIP's (relative 1e-6) tolerance; exact on
#: integer data while |phi| < 5e5
FEASIBLE_TOL = 2e-6
#: how far (relative) each child's row must exclude the candidate
EXCLUDE_TOL = 1e-6
#: rounds of intersection cuts at the root, and the share of the time left they may spend (at most
#: milp_bilevel's STRENGTHENING_SECONDS)
INTERSECTION_ROUNDS, INTERSECTION_SHARE = 100, 0.15
#: the search runs this many seconds without intersection cuts before it starts again with them: on
#: BOBILib's 2AP05 assignment games (proven in 0.5 s without) the cuts had made it 10 times slower
DEFER_SECONDS = 2.0

#: an alternative: (row over the HPR's columns, sense, rhs): row @ z >= rhs (sense +1) or <= rhs (-1)
Alternative = tuple[np.ndarray, int, float]


@dataclass
class BranchAndCutRun:
    """What the branch-and-cut found, in the leader's own sense (with the objective's constant)."""

    status: str
    message: str
    objective: float | None
    bound: float | None
    point: np.ndarray | None  # values of the high-point relaxation's columns at the best point
    variables: list  # the high-point relaxation's columns: the model's variables, in order
    nodes: int
    branchings: dict[str, int]  # how often each disjunction (and the linking fallback) was branched on


class _Disjunctions(MilpBilevel):
    """The model's arrays, follower and restricted problem, and the response and step alternatives as branchings."""

    def __init__(self, structure: BilevelStructure, mip_gap: float = 1e-9) -> None:
        super().__init__(structure, NAME, mip_gap)
        self.value = self.value_row.toarray().ravel()  # c @ y over the relaxation's columns, dense

    def response(self, response: np.ndarray) -> list[Alternative] | None:
        """The response disjunction of follower answer ``response``; None when it has none."""
        rows = self.response_alternatives(response)
        if rows is None:
            return None
        threshold = value_threshold(float(self.form.c @ response))
        return [(row.toarray().ravel(), sign, rhs) for row, rhs, sign, _ in rows] + [(self.value, -1, threshold)]

    def step(self, response: np.ndarray, y_hat: np.ndarray) -> list[Alternative] | None:
        """The step disjunction of ``response - y_hat``; None when the step cannot cut."""
        form = self.form
        step = np.where(form.integer, np.round(response - y_hat), response - y_hat)
        moved = np.flatnonzero(step)
        if not len(moved) or form.c @ step >= 0:
            return None
        found = self.steps.alternatives(self.y_cols[moved], step[moved])
        if not found:
            return None
        return [(vec.toarray().ravel(), sense, rhs) for vec, sense, rhs, _ in found]


class _Follower:
    """The follower's value at leader decisions (HiGHS), cached by linking decision, and the
    restricted problem's point once per decision."""

    def __init__(self, parts: _Disjunctions, deadline: float) -> None:
        self.parts, self.deadline = parts, deadline
        self.values: dict[bytes, tuple[float, np.ndarray] | None] = {}
        self.pending: list[np.ndarray] = []  # restricted points not yet offered to SCIP
        self.unbounded: np.ndarray | None = None  # a point whose leader decision leaves the follower unbounded

    def at(self, z: np.ndarray, upper: float) -> tuple[float, np.ndarray] | None:
        """(phi(x), the follower's optimum) at z's leader decision; None if the follower MILP has no optimum."""
        parts = self.parts
        key = np.round(z[parts.link_cols]).tobytes()
        if key not in self.values:
            left = max(self.deadline - time.perf_counter(), 1e-3)
            solution = parts.follower.solve(z[parts.x_cols], time_limit=left)
            if solution.status in ("unbounded", "infeasible_or_unbounded"):
                self.unbounded = z.copy()
            found = (float(solution.objective), solution.x) if solution.status == "optimal" else None
            self.values[key] = found
            if found is not None:
                restricted = parts.restricted_point(z, found[0], found[1], upper, left)
                if restricted is not None:
                    self.pending.append(restricted)
        return self.values[key]

    def feasible(self, z: np.ndarray, upper: float) -> bool:
        """Whether z is bilevel feasible (up to :data:`FEASIBLE_TOL`)."""
        found = self.at(z, upper)
        if found is None:
            return False
        phi = found[0]
        return bool(self.parts.form.c @ z[self.parts.y_cols] <= value_threshold(phi, FEASIBLE_TOL))


class BilevelConshdlr(scip.Conshdlr):
    """Enforces bilevel feasibility of integer candidates by branching (the module docstring)."""

    def __init__(self, parts: _Disjunctions, follower: _Follower, relaxation: _Relaxation, kinds: tuple[str, ...],
                 fewest: bool = False) -> None:
        """``kinds``: the disjunctions tried in order; ``fewest``: branch on the one with fewer
        children at the node instead of the first that excludes the candidate."""
        self.parts, self.follower, self.kinds, self.fewest = parts, follower, kinds, fewest
        self.relaxation = relaxation
        self.variables, self.columns = relaxation.variables, relaxation.columns
        self.branchings = dict.fromkeys((*kinds, "linking", "fixed linking"), 0)
        self._transformed: list | None = None

    # ----------------------------------------------------------- SCIP callbacks
    def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely):
        z = self.point(solution)
        feasible = self.follower.feasible(z, self.model.getPrimalbound())
        if self.follower.unbounded is not None:
            self.model.interruptSolve()
        return {"result": scip.SCIP_RESULT.FEASIBLE if feasible else scip.SCIP_RESULT.INFEASIBLE}

    def consenfolp(self, constraints, nusefulconss, solinfeasible):
        return {"result": self._enforce()}

    def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
        return {"result": self._enforce()}

    def conslock(self, constraint, locktype, nlockspos, nlocksneg):
        """Any move of any HPR variable may break bilevel feasibility: lock both directions."""
        locks = nlockspos + nlocksneg
        for var in self._vars(original=constraint is None or constraint.isOriginal())[:len(self.variables)]:
            self.model.addVarLocksType(var, locktype, locks, locks)

    # ----------------------------------------------------------- enforcement
    def _enforce(self):
        model, parts = self.model, self.parts
        self._offer_restricted()
        z = self.point(None)
        if self.follower.feasible(z, model.getPrimalbound()):
            return scip.SCIP_RESULT.FEASIBLE
        found = self.follower.at(z, model.getPrimalbound())
        if self.follower.unbounded is not None:  # the search ends: the model needs bounds
            model.interruptSolve()
            return scip.SCIP_RESULT.INFEASIBLE
        if found is not None:
            phi, response = found
            candidates = []
            for kind in self.kinds:
                alternatives = parts.step(response, z[parts.y_cols]) if kind == "step" else parts.response(response)
                if alternatives and all(_excludes(alt, z) for alt in alternatives):
                    candidates.append((kind, self._possible(alternatives)))
                    if not self.fewest:
                        break
            if candidates:
                kind, alternatives = min(candidates, key=lambda c: len(c[1]))
                self.branchings[kind] += 1
                return self._branch(alternatives)
        return self._branch_linking(z, None if found is None else found[0])

    def _possible(self, alternatives: list[Alternative]) -> list[Alternative]:
        """The alternatives that the node's bounds allow (SCIP ignores a bound change that
        empties a domain, so a child for an impossible one would keep the candidate)."""
        variables = self._vars(original=False)[:len(self.variables)]
        lower = np.array([var.getLbLocal() for var in variables])
        upper = np.array([var.getUbLocal() for var in variables])
        possible = []
        for row, sense, rhs in alternatives:
            used = row != 0
            reach = np.where(row * sense > 0, upper, lower)  # the end of the box where sense * row @ z is largest
            if sense * float(row[used] @ reach[used]) >= sense * rhs - 1e-9:
                possible.append((row, sense, rhs))
        return possible

    def _branch(self, alternatives: list[Alternative]):
        """One child per alternative, its row (or bound) added to that child; none: the node is
        cut off (every bilevel-feasible point satisfies some alternative, none can hold here)."""
        model, variables = self.model, self._vars(original=False)
        for row, sense, rhs in alternatives:
            child = model.createChild(0.0, model.getLocalEstimate())
            cols = np.flatnonzero(row)
            if len(cols) == 1:
                col, a = cols[0], row[cols[0]]
                (model.chgVarLbNode if sense * a > 0 else model.chgVarUbNode)(child, variables[col], _snap(rhs / a))
                continue
            expr = scip.quicksum(float(row[c]) * variables[c] for c in cols)
            model.addConsNode(child, expr >= rhs if sense > 0 else expr <= rhs)
        return scip.SCIP_RESULT.BRANCHED if alternatives else scip.SCIP_RESULT.CUTOFF

    def _branch_linking(self, z: np.ndarray, phi: float | None):
        """Branch a linking variable not fixed at this node; where all are fixed, the value row
        c @ y <= phi(x^) in one child. Without phi (the follower MILP stopped at the time limit,
        or is unbounded) the search is interrupted: nothing valid can be said about the node."""
        model, parts, variables = self.model, self.parts, self._vars(original=False)
        for col in parts.link_cols:
            var = variables[col]
            lower, upper = var.getLbLocal(), var.getUbLocal()
            if upper - lower < 0.5:
                continue
            v = float(np.clip(z[col], lower, upper))
            if v - 1 >= lower:
                model.chgVarUbNode(model.createChild(0.0, model.getLocalEstimate()), var, v - 1)
            middle = model.createChild(0.0, model.getLocalEstimate())
            model.chgVarLbNode(middle, var, v)
            model.chgVarUbNode(middle, var, v)
            if v + 1 <= upper:
                model.chgVarLbNode(model.createChild(0.0, model.getLocalEstimate()), var, v + 1)
            self.branchings["linking"] += 1
            return scip.SCIP_RESULT.BRANCHED
        if phi is None:
            model.interruptSolve()
            return scip.SCIP_RESULT.INFEASIBLE
        self.branchings["fixed linking"] += 1
        return self._branch([(parts.value, -1, value_threshold(phi))])

    # ----------------------------------------------------------- helpers
    def _offer_restricted(self) -> None:
        """Offer the restricted problems' points found since the last enforcement to SCIP."""
        pending, self.follower.pending = self.follower.pending, []
        for point in pending:
            sol = self.model.createOrigSol(None)  # transformed variables may be aggregated by presolve
            for var, value in zip(self.columns, self.relaxation.completed(point)):
                self.model.setSolVal(sol, var, float(value))
            self.model.trySol(sol, printreason=False)

    def point(self, solution) -> np.ndarray:
        """The HPR's columns at ``solution`` (None: the node's LP or pseudo solution), integer ones rounded."""
        z = np.array([self.model.getSolVal(solution, var) for var in self.variables])
        z[self.parts.integer] = np.round(z[self.parts.integer])
        return z

    def _vars(self, original: bool) -> list:
        """The HPR's columns and the unit-step binaries, as SCIP's original or transformed variables."""
        if original:
            return self.columns
        if self._transformed is None:
            self._transformed = [self.model.getTransformedVar(var) for var in self.columns]
        return self._transformed


def _excludes(alternative: Alternative, z: np.ndarray) -> bool:
    """Whether the alternative's row is violated at z by more than SCIP's tolerance."""
    row, sense, rhs = alternative
    margin = EXCLUDE_TOL * max(1.0, abs(rhs))
    activity = float(row @ z)
    return activity < rhs - margin if sense > 0 else activity > rhs + margin


def _snap(bound: float) -> float:
    """A bound that is integer up to rounding noise, made integer."""
    return float(np.round(bound)) if abs(bound - np.round(bound)) < 1e-9 else float(bound)


class _Relaxation:
    """SCIP's model of the high-point relaxation, with the unit-step rows and their binaries
    (:meth:`FollowerSteps.unit_step_rows`) when asked and the intersection cuts given."""

    def __init__(self, parts: _Disjunctions, unit_steps: bool, cuts: IntersectionCuts | None) -> None:
        self.model = model = scip.Model()
        model.hideOutput()
        hpr = parts.hpr
        n = len(hpr.columns)
        self.variables = [
            model.addVar(name=f"z{j}", vtype="I" if parts.integer[j] else "C",
                         lb=float(parts.lower[j]) if np.isfinite(parts.lower[j]) else None,
                         ub=float(parts.upper[j]) if np.isfinite(parts.upper[j]) else None)
            for j in range(n)
        ]
        form = parts.form
        ints = np.asarray(form.integer, dtype=bool)
        self.steps = parts.steps.unit_step_rows(form.c[ints], parts.y_cols[ints]) if unit_steps else None
        binaries = 0 if self.steps is None else self.steps.binaries
        self.columns = self.variables + [model.addVar(name=f"step{k}", vtype="B") for k in range(binaries)]
        self._add_rows(hpr.A, hpr.row_lower, hpr.row_upper)
        if self.steps is not None:
            self._add_rows(self.steps.A, self.steps.lower, self.steps.upper)
            self._own, self._coefficient = self._own_rows(n)
        if cuts is not None:
            self._add_rows(cuts.A, cuts.lower, cuts.upper)
        model.setObjective(scip.quicksum(float(c) * self.variables[j] for j, c in enumerate(parts.cost) if c), "minimize")

    def _add_rows(self, A: sp.spmatrix, lowers: np.ndarray, uppers: np.ndarray) -> None:
        A = sp.csr_matrix(A)
        for r in range(A.shape[0]):
            start, end = A.indptr[r], A.indptr[r + 1]
            expr = scip.quicksum(float(a) * self.columns[c] for a, c in zip(A.data[start:end], A.indices[start:end]))
            low, up = lowers[r], uppers[r]
            if low == up:
                self.model.addCons(expr == float(up))
                continue
            if np.isfinite(low):
                self.model.addCons(expr >= float(low))
            if np.isfinite(up):
                self.model.addCons(expr <= float(up))

    def completed(self, point: np.ndarray) -> np.ndarray:
        """``point`` (over the HPR's columns) with its unit-step binaries: each 1 exactly where its
        alternative holds (its own row then holds with it at 1)."""
        if self.steps is None or not self.steps.binaries:
            return point
        A, n = self.steps.A, len(point)
        activity = A[self._own, :n] @ point + self._coefficient
        holds = (activity >= self.steps.lower[self._own] - 1e-9) & (activity <= self.steps.upper[self._own] + 1e-9)
        return np.concatenate([point, holds.astype(float)])

    def _own_rows(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each unit-step binary's own row (the one with an HPR part; the sum row has none) and its coefficient there."""
        A = sp.csc_matrix(self.steps.A)
        has_hpr = np.diff(sp.csr_matrix(A[:, :n]).indptr) > 0
        own, coefficient = [], []
        for k in range(self.steps.binaries):
            column = A[:, n + k]
            r = next(r for r, a in zip(column.indices, column.data) if has_hpr[r])
            own.append(r), coefficient.append(column[r, 0])
        return np.array(own, dtype=int), np.array(coefficient)


def solve_branch_and_cut(structure: BilevelStructure, time_limit: float | None = None,
                         disjunctions: str = "response", mip_gap: float = 1e-9,
                         unit_steps: bool = True) -> BranchAndCutRun:
    """Solve an integer-linking MILP-MILP bilevel model by SCIP's branch-and-bound over its
    high-point relaxation with bilevel feasibility enforced by branching (module docstring).

    The search runs :data:`DEFER_SECONDS` without intersection cuts; only if that does not end
    it does it start again with them (every follower value and restricted point found so far is
    kept; with ``DEFER_SECONDS = 0`` the cuts come first). ``disjunctions``: a key of
    :data:`DISJUNCTIONS` (which branchings come before the linking fallback); ``mip_gap``:
    SCIP's relative gap; ``unit_steps``: add the unit-step rows to the relaxation. Refuses what
    ``value_function`` refuses (:func:`pybilevel.methods.milp_bilevel.accepts`).
    """
    if disjunctions not in DISJUNCTIONS:
        raise MethodRefusedError(f"method '{NAME}': disjunctions={disjunctions!r} is not one of "
                                 f"{', '.join(map(repr, DISJUNCTIONS))}.")
    start = time.perf_counter()

    def remaining() -> float | None:
        return None if time_limit is None else time_limit - (time.perf_counter() - start)

    parts = _Disjunctions(structure, mip_gap)
    parts.tighten_row_ranges(remaining)
    follower = _Follower(parts, np.inf if time_limit is None else start + time_limit)
    kinds = DISJUNCTIONS[disjunctions]
    search = partial(_Search, parts, follower, unit_steps, kinds, disjunctions == "fewest", mip_gap)
    first = None
    if DEFER_SECONDS > 0:
        first = search(None)
        left = remaining()
        first.optimize(DEFER_SECONDS if left is None else min(left, DEFER_SECONDS))
        left = remaining()
        if first.model.getStatus() != "timelimit" or (left is not None and left <= 0) or follower.unbounded is not None:
            return _run(first, remaining)
    cuts = parts.intersection_cuts(INTERSECTION_ROUNDS, strengthening_time(remaining(), INTERSECTION_SHARE))
    if cuts is None:  # nothing to strengthen the relaxation with: the first search goes on where it stopped
        first = first or search(None)
        first.optimize(remaining())
        return _run(first, remaining)
    if first is not None:
        follower.pending.extend(first.points(remaining))  # its best point, for SCIP
    second = search(cuts)
    second.optimize(remaining())
    return _run(second, remaining, first)


class _Search:
    """One SCIP branch-and-bound over the relaxation (with the cuts given), its constraint
    handler sharing the follower's values and restricted points with any other search."""

    def __init__(self, parts: _Disjunctions, follower: _Follower, unit_steps: bool, kinds: tuple[str, ...],
                 fewest: bool, mip_gap: float, cuts: IntersectionCuts | None) -> None:
        self.parts, self.cuts = parts, 0 if cuts is None else cuts.A.shape[0]
        self.relaxation = relaxation = _Relaxation(parts, unit_steps, cuts)
        self.model = model = relaxation.model
        self.handler = handler = BilevelConshdlr(parts, follower, relaxation, kinds, fewest)
        model.includeConshdlr(handler, "bilevel", "bilevel feasibility by branching", enfopriority=-1_000_000,
                              chckpriority=-1_000_000, needscons=True)
        model.addPyCons(model.createCons(handler, "bilevel"))
        model.setParam("misc/allowstrongdualreds", False)
        model.setParam("misc/allowweakdualreds", False)
        model.setParam("limits/gap", float(mip_gap))
        if parts.integral_cost:
            model.setObjIntegral()  # SCIP may then round its bound up and prune by it

    def optimize(self, time_limit: float | None) -> None:
        """Run (or go on with) the search for at most ``time_limit`` seconds (None: no limit)."""
        if time_limit is not None:
            self.model.setParam("limits/time", max(time_limit, 0.01))
        self.model.optimize()

    def points(self, remaining: Callable[[], float | None]) -> list[np.ndarray]:
        """SCIP's best point (polished by the restricted problem), if it has one."""
        if not self.model.getNSols():
            return []
        found = self.handler.point(self.model.getBestSol())
        return [_polished(self.parts, self.handler.follower, found, remaining)]


def _run(search: _Search, remaining: Callable[[], float | None], earlier: _Search | None = None) -> BranchAndCutRun:
    """The search's answer in the leader's sense; ``remaining()``: the seconds left (None: no
    limit); ``earlier``: the search without cuts that came before it (its nodes and branchings count)."""
    parts, model, handler = search.parts, search.model, search.handler
    sense, constant = parts.sense, parts.constant
    scip_status = model.getStatus()
    points = list(handler.follower.pending)  # restricted points found after SCIP's last enforcement
    points += search.points(remaining)
    point = min(points, key=lambda z: float(parts.cost @ z)) if points else None
    objective = None if point is None else sense * float(parts.cost @ point) + constant
    if scip_status in ("optimal", "gaplimit") and point is not None:
        status = Status.OPTIMAL
    elif scip_status in ("optimal", "infeasible"):
        status = Status.INFEASIBLE
    else:
        status = Status.FEASIBLE if point is not None else Status.LIMIT
    dual = parts.rounded(model.getDualbound())
    if point is not None:  # SCIP's bound may pass the polished point's value by its tolerances
        dual = min(dual, float(parts.cost @ point))
    bound = sense * dual + constant if np.isfinite(dual) and abs(dual) < 1e19 else None
    searches = [search] if earlier is None else [earlier, search]
    nodes = sum(s.model.getNNodes() for s in searches)
    counts = {kind: sum(s.handler.branchings[kind] for s in searches) for kind in handler.branchings}
    branched = ", ".join(f"{kind} {count}" for kind, count in counts.items() if count) or "none"
    if earlier is None:
        cuts = f"{search.cuts} intersection cuts at the root" if search.cuts else "no intersection cuts"
    else:
        cuts = (f"{earlier.model.getNNodes()} of them in {DEFER_SECONDS:g} s without intersection cuts, then "
                f"{search.cuts} at the root")
    work = f"{nodes} nodes (branchings: {branched}; {cuts})"
    why = {"userinterrupt": "a follower MILP did not finish in the time left", "timelimit": "time limit"}.get(
        scip_status, scip_status)
    unbounded = handler.follower.unbounded
    if unbounded is not None:
        status, message = Status.FOLLOWER_UNBOUNDED, parts.unbounded_message(unbounded)
    elif status == Status.INFEASIBLE:
        reason = BILEVEL_INFEASIBLE if parts.hpr_feasible(remaining()) else NO_COMMON_POINT
        message = f"branch-and-cut: {reason}; proven after {work}"
    else:
        message = {
            Status.OPTIMAL: f"branch-and-cut: proven optimal after {work}",
            Status.FEASIBLE: f"branch-and-cut stopped ({why}) after {work} with a bilevel-feasible point; proven "
            f"bound {bound}",
            Status.LIMIT: f"branch-and-cut stopped ({why}) after {work} before finding a bilevel-feasible point",
        }[status]
    return BranchAndCutRun(status, message, objective, bound, point, parts.hpr.variables, nodes, counts)


def _polished(parts: _Disjunctions, follower: _Follower, point: np.ndarray,
              remaining: Callable[[], float | None]) -> np.ndarray:
    """The restricted problem's answer at ``point``'s linking decision (HiGHS, ``c @ y <= phi``
    there): the best point at that decision to HiGHS's precision rather than within SCIP's 1e-6
    feasibility tolerance (which shows on continuous variables); ``point`` if it has none."""
    found = follower.at(point, np.inf)
    if found is None:
        return point
    left = remaining()  # the call's own reserve covers a few hundredths of a second more
    exact = parts.restricted_point(point, found[0], found[1], np.inf, None if left is None else max(left, 0.05))
    if exact is None or parts.cost @ exact > value_threshold(float(parts.cost @ point), FEASIBLE_TOL):
        return point  # stopped by the time limit at a worse point: keep SCIP's
    return exact


class BranchAndCutMethod(Method):
    """``branch_and_cut``: the search above, SCIP over the relaxation, HiGHS for the follower."""

    name = NAME
    kind = GLOBAL

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        return refusal_of(partial(accepts, method=NAME), structure)

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        """Run the search and load its best point into the model's variables."""
        options = decomposition_options(request, NAME, {"disjunctions": "response"}, "scip",
                                        "the high-point relaxation with SCIP and every follower MILP with HiGHS")
        timings: dict[str, float] = {}
        with timed(timings, "solve"):
            run = solve_branch_and_cut(structure, budget.remaining(), options["disjunctions"], request.mip_gap)
        outcome = MethodOutcome(
            status=run.status,
            message=run.message,
            solver="scip",
            solver_reason="SCIP's branch-and-bound over the high-point relaxation (a constraint handler enforces "
            "bilevel feasibility); HiGHS for the follower MILP and the restricted problem",
            bound=run.bound,
            iterations=run.nodes,  # the gap is reported with them
            has_point=run.point is not None,
            timings=timings,
            explains_infeasibility=True,  # the message says which part is infeasible, with integrality
        )
        if run.point is not None:
            load_point(run.variables, run.point)
        return outcome

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        hpr = HighPointRelaxation(structure)
        return (
            f"method {NAME}: SCIP's branch-and-bound over the high-point relaxation ({hpr.A.shape[0]} rows, "
            f"{len(hpr.columns)} columns, plus unit-step rows and intersection cuts), bilevel feasibility enforced "
            "by branching; the follower MILP at each candidate with HiGHS"
        )


METHOD = register(BranchAndCutMethod())
