"""``method="value_function"``: an exact decomposition for integer (MILP) followers.

The follower, in minimisation form (:mod:`pybilevel.model.follower_form`), is
``phi(x) = min { c @ y : row_lower <= A_y y + A_x x <= row_upper, var bounds, y_I integer }``;
a point (x, y) is bilevel feasible when y is follower feasible at x and ``c @ y <= phi(x)``.
KKT conditions do not describe ``phi`` for an integer follower, so this method builds it up
from below by cuts, in the spirit of the projection-based decomposition of Yue, Gao, Zeng &
You (2019), but without its epsilon and multiplier bounds:

* **master** (a relaxation, so its proven bound is a lower bound): the high-point relaxation
  (every leader and follower constraint with integrality, no follower optimality) plus
  - a *response cut* for every follower response ``r`` found so far: if ``r`` is feasible for
    the follower at x, then ``c @ y <= c @ r`` (``r`` is one of the follower's choices there);
  - a *linking cut* for every linking decision ``xL`` visited: if the leader's variables that
    appear in the follower's rows (the linking variables) equal ``xL``, then ``c @ y <= phi(xL)``.
  "if" is encoded with binaries whose big-M values are proven (variable bounds, HPR LP bounds);
  - *step conditions* (:mod:`pybilevel.methods.improving_steps`): no improving follower step
    is feasible from a follower optimum; the unit steps of the integer variables are written
    once before the first solve, and every step from a master answer to the follower's optimum
    at the master's decision (``y* - y``) is learnt as a cut valid at every x and y;
  - a *robust response cut*: a response feasible at every decision (each row's linking part at
    its proven extremes) bounds ``phi`` everywhere, ``c @ y <= c @ r``, and every big-M with it;
* **follower**: the follower MILP at the master's decision gives ``phi(xL)`` and a response;
  the master's other improving incumbents (HiGHS's callback) are evaluated too, so one master
  solve yields several decisions' cuts;
* **restricted problem**: the leader's best point with the linking variables fixed at ``xL``
  and ``c @ y <= phi(xL)`` (the optimistic choice among the follower's optima) is bilevel
  feasible: an upper bound. It is started from the follower's response and cut off at the
  incumbent (HiGHS's ``objective_bound``), so a decision that cannot improve it costs little.
* **local search** (a primal heuristic): from every new incumbent, one linking variable at a
  time is moved by +-1, 3, 10, 30, 100 and the decision evaluated (follower and restricted
  problem), going on from every improvement; on general-integer leaders (MibS's
  ``milp_10_20_50_2310_*``) the master's own decisions stay near the high-point relaxation's
  optimum, and this finds incumbents far better than they do.

All three are MILPs solved by HiGHS on arrays (:class:`pybilevel.solvers.highs.ArrayLP`).
Exactness needs what MibS also requires: every linking variable is integer and bounded (a
missing bound is inferred from the high-point relaxation's LP). Then the strict "r is
infeasible at x" in a response cut is written as a row violated by at least one unit when the
row's linking coefficients are integer, else relaxed to "violated or tight" (still a valid
relaxation); the linking cuts make the method finite, because each visited ``xL`` either ends
the run or is cut off for good. A continuous linking variable, a follower objective with
leader terms (x @ C @ y), a quadratic or nonlinear part, or a nonlinear leader is refused.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.sparse as sp

from pybilevel.errors import BilevelError
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
from pybilevel.methods.improving_steps import StepRows
from pybilevel.methods.milp_bilevel import (
    BILEVEL_INFEASIBLE,
    NO_COMMON_POINT,
    VALUE_TOL,
    MilpBilevel,
    accepts,
    strengthening_time,
    value_threshold,
)
from pybilevel.model.structure import BilevelStructure
from pybilevel.progress import Progress
from pybilevel.results import Status
from pybilevel.solvers.highs import ArrayLP
from pybilevel.solvers.incumbents import improving_incumbents
from pybilevel.timing import TimeBudget, timed

__all__ = ["NAME", "METHOD", "ValueFunctionMethod", "ValueFunctionRun", "ValueFunctionDecomposition"]

NAME = "value_function"
#: the local search's moves of one linking variable (clipped to its bounds)
SEARCH_MOVES = (1, -1, 3, -3, 10, -10, 30, -30, 100, -100)
#: the share of the time left that one local search may spend
LOCAL_SEARCH_SHARE = 0.2
#: the local search and the intersection-cut bound start only when the loop is still open after
#: this many seconds: on BOBILib's 2AP05 assignment games (proven in 8-10 iterations, 0.5 s) they
#: had made each solve 4-5 times slower
DEFER_SECONDS = 2.0
#: rounds of intersection cuts for the first lower bound, and the share of the time they may spend
INTERSECTION_ROUNDS, INTERSECTION_SHARE = 30, 0.1
#: the share of the time left the robust response's MILP may spend (any feasible response is valid;
#: on a 200 x 200 random family the MILP alone ran 100 s)
ROBUST_SHARE = 0.1


@dataclass
class ValueFunctionRun:
    """What the decomposition found. Objective values in the leader's own sense."""

    status: str
    message: str
    point: np.ndarray | None  # values of the high-point relaxation's columns at the best point
    objective: float | None  # leader objective of that point (without the objective's constant)
    bound: float | None  # proven bound on the leader objective (without the constant)
    iterations: int
    response_cuts: int
    linking_cuts: int
    step_cuts: int


class ValueFunctionDecomposition(MilpBilevel):
    """The master problem of one bilevel model (over :class:`MilpBilevel`'s relaxation, follower and
    restricted problem), and the loop over them."""

    def __init__(self, structure: BilevelStructure, mip_gap: float = 1e-9) -> None:
        super().__init__(structure, NAME, mip_gap)
        form, hpr = self.form, self.hpr
        self.master = ArrayLP(hpr.A, hpr.row_lower, hpr.row_upper, self.lower, self.upper, integer=self.integer)
        self.master.highs.setOptionValue("mip_rel_gap", self.mip_gap)
        ints = np.asarray(form.integer, dtype=bool)
        self._add_step_rows(self.steps.unit_step_rows(form.c[ints], self.y_cols[ints]))
        self._responses: set[bytes] = set()
        self._steps: set[bytes] = set()
        self.response_cuts = 0
        self.step_cuts = 0
        self.linking_cuts = 0

    def _add_step_rows(self, steps: StepRows) -> None:
        """Add step conditions (:mod:`pybilevel.methods.improving_steps`) to the master, their
        binaries as new columns."""
        if not steps.A.shape[0]:
            return
        master, n = self.master, len(self.hpr.columns)
        before = master.n_cols
        if steps.binaries:
            master.add_columns(np.zeros(steps.binaries), np.ones(steps.binaries), integer=True)
        A = steps.A.tocsc()
        master.add_rows(sp.hstack([A[:, :n], sp.csc_matrix((A.shape[0], before - n)), A[:, n:]]),
                        steps.lower, steps.upper)

    def add_robust_cut(self, time_limit: float | None) -> None:
        """``c @ y <= c @ r`` for a response r feasible at every decision (every row's linking part
        at its proven extremes): phi(x) <= c @ r everywhere, and every big-M shrinks to it."""
        form = self.form
        robust = ArrayLP(form.A_y, form.row_lower - self.row_min, form.row_upper - self.row_max,
                         form.var_lower, form.var_upper, integer=form.integer)
        solution = robust.solve(form.c, time_limit=time_limit)
        if not solution.has_point or solution.status not in ("optimal", "limit"):
            return
        threshold = value_threshold(float(form.c @ solution.x))
        if threshold < self.value_max:
            row = np.concatenate([self.value_row.toarray().ravel(), np.zeros(self.master.n_cols - self.value_row.shape[1])])
            self.master.add_rows(sp.csr_matrix(row), np.array([-np.inf]), np.array([threshold]))
            self.value_max = threshold
            self.response_cuts += 1

    def intersection_bound(self, time_limit: float | None) -> float:
        """A lower bound from :data:`INTERSECTION_ROUNDS` rounds of improving-direction intersection
        cuts (:mod:`pybilevel.methods.intersection`) on the high-point relaxation's LP, for a
        pure-integer follower (else -inf). The cuts themselves stay out of the master: they made
        each master solve several times slower on MibS's ``milp_10_20_50_2310_*``."""
        cuts = self.intersection_cuts(INTERSECTION_ROUNDS, time_limit)
        return cuts.bounds[-1] if cuts is not None and cuts.bounds else -np.inf

    # ------------------------------------------------------------------ cuts
    def _add_cut(self, threshold: float, rows: list[tuple[sp.csr_matrix, float, float, float]]) -> None:
        """Add ``c @ y <= threshold + big * sum(e)``: the value cut, switched off when one alternative holds.

        Each alternative is (row a over the relaxation's columns, rhs, sign, bound): ``a @ z >= rhs``
        (sign +1) or ``a @ z <= rhs`` (sign -1), with ``bound`` the proven minimum (+1) or maximum (-1)
        of a @ z, so that ``rhs`` is strictly inside the range. Its indicator e is the binary
        variable itself (x_j or 1 - x_j) when a is one binary variable, else a new binary v with
        ``v = 1 => alternative``; big = (proven maximum of c @ y) - threshold.
        """
        big = self.value_max - threshold
        if big <= 0:
            return  # c @ y <= threshold holds everywhere: the cut is vacuous
        master = self.master
        general = [alt for alt in rows if self._binary_term(alt) is None]
        cols = master.add_columns(np.zeros(len(general)), np.ones(len(general)), integer=True)
        n = master.n_cols
        value = sp.hstack([self.value_row, sp.csr_matrix((1, n - self.value_row.shape[1]))]).tolil()
        upper = threshold
        for alt in rows:
            term = self._binary_term(alt)
            if term is not None:  # e = x_j (term +1) or 1 - x_j (term -1)
                col = alt[0].indices[0]
                value[0, col] -= big * term
                upper += big if term < 0 else 0.0
        value[0, cols] = -big
        pieces, lowers, uppers = [value.tocsr()], [-np.inf], [upper]
        for (row, rhs, sign, bound), col in zip(general, cols):
            piece = sp.hstack([row, sp.csr_matrix((1, n - row.shape[1]))]).tolil()
            piece[0, col] = -(rhs - bound) if sign > 0 else (bound - rhs)
            pieces.append(piece.tocsr())
            lowers.append(bound if sign > 0 else -np.inf)
            uppers.append(np.inf if sign > 0 else bound)
        master.add_rows(sp.vstack(pieces), np.array(lowers), np.array(uppers))

    def _binary_term(self, alternative: tuple[sp.csr_matrix, float, float, float]) -> int | None:
        """+1 if the alternative means x_j = 1, -1 if x_j = 0 (a on one binary x_j), else None.

        (rhs lies strictly inside a @ x's range, so on a binary x_j the alternative fixes it.)"""
        row, _, sign, _ = alternative
        if row.nnz != 1:
            return None
        col = row.indices[0]
        if self.lower[col] != 0 or self.upper[col] != 1:
            return None
        return 1 if sign * row.data[0] > 0 else -1

    def add_response_cut(self, y: np.ndarray) -> None:
        """If response ``y`` is feasible for the follower at x, then c @ y_master <= c @ y."""
        key = np.round(y, 9).tobytes()
        if key in self._responses:
            return
        self._responses.add(key)
        alternatives = self.response_alternatives(y)
        if alternatives is None:
            return
        self._add_cut(value_threshold(float(self.form.c @ y)), alternatives)
        self.response_cuts += 1

    def add_linking_cut(self, x_link: np.ndarray, phi: float) -> None:
        """If the linking variables equal ``x_link``, then c @ y <= phi (the follower's optimum there)."""
        n = len(self.hpr.columns)
        alternatives = []
        for col, v in zip(self.link_cols, x_link):
            unit = sp.csr_matrix(([1.0], ([0], [col])), shape=(1, n))
            if v < self.upper[col]:
                alternatives.append((unit, v + 1, 1, self.lower[col]))
            if v > self.lower[col]:
                alternatives.append((unit, v - 1, -1, self.upper[col]))
        self._add_cut(value_threshold(phi), alternatives)
        self.linking_cuts += 1

    # ------------------------------------------------------------------ loop
    def run(self, time_limit: float | None = None, max_iterations: int | None = None,
            progress: Progress | None = None) -> ValueFunctionRun:
        """Iterate master / follower / restricted problem until the bounds meet or a limit stops it.

        It ends proven optimal when the bounds meet, when the master is infeasible (nothing is left
        outside what the cuts excluded), or when the master's own point is bilevel feasible up to
        :data:`VALUE_TOL` (its bound is then attained up to that tolerance; the reported gap says by how much).
        """
        start = time.perf_counter()
        n = len(self.hpr.columns)
        best, upper, iteration = None, np.inf, 0
        searched = np.inf  # the incumbent value the last local search started from
        proven, stop = False, "limit"
        visited: set[bytes] = set()

        def remaining() -> float | None:
            return None if time_limit is None else time_limit - (time.perf_counter() - start)

        self.tighten_row_ranges(remaining)
        self.add_robust_cut(strengthening_time(remaining(), ROBUST_SHARE))
        lower, bounded = -np.inf, False  # bounded: the intersection-cut bound is in lower

        def deferred() -> bool:
            return time.perf_counter() - start >= DEFER_SECONDS

        with improving_incumbents(self.master.highs, n) as found:  # the master's incumbents
            while not proven:
                if (remaining() is not None and remaining() <= 0) or (max_iterations is not None and iteration >= max_iterations):
                    break
                if not bounded and deferred():
                    bounded = True
                    cut_bound = self.intersection_bound(strengthening_time(remaining(), INTERSECTION_SHARE))
                    lower = max(lower, self.rounded(cut_bound))
                iteration += 1
                cost = np.concatenate([self.cost, np.zeros(self.master.n_cols - n)])
                found.clear()
                master = self.master.solve(cost, time_limit=remaining())
                if master.status == "infeasible":
                    if iteration == 1 and not self.hpr_feasible(remaining()):
                        return self._finish(Status.INFEASIBLE, NO_COMMON_POINT, None, upper, lower, iteration)
                    lower, proven = upper, True
                    break
                if master.status in ("unbounded", "infeasible_or_unbounded", "error"):
                    return self._finish(Status.ERROR, f"the master problem ended '{master.status}': give the leader's and "
                                        "follower's variables finite bounds", best, upper, lower, iteration)
                lower = max(lower, self.rounded(master.bound))
                if master.status != "optimal" or not master.has_point:
                    break
                x_hat = master.x[:n].copy()
                x_hat[self.link_cols] = np.round(x_hat[self.link_cols])
                follower = self.follower.solve(x_hat[self.x_cols], time_limit=remaining())
                if follower.status in ("unbounded", "infeasible_or_unbounded"):
                    return self._finish(Status.FOLLOWER_UNBOUNDED, self.unbounded_message(x_hat), best, upper, lower,
                                        iteration)
                if follower.status != "optimal":
                    stop = "limit" if follower.status == "limit" else f"the follower MILP ended '{follower.status}'"
                    break
                phi = follower.objective
                candidate = self.restricted_point(x_hat, phi, follower.x, upper, remaining())
                # the cuts allow VALUE_TOL and HiGHS's rows 1e-7 more: a master point within 10 VALUE_TOL is bilevel feasible
                master_feasible = self.form.c @ master.x[self.y_cols] <= value_threshold(phi, 10 * VALUE_TOL)
                if candidate is None and master_feasible:
                    candidate = x_hat  # the restricted problem found nothing (or nothing better): the master's point
                    candidate[self.y_cols] = master.x[self.y_cols]
                if candidate is not None and self.cost @ candidate < upper:
                    best, upper = candidate, float(self.cost @ candidate)
                proven = master_feasible or self._converged(lower, upper)
                if progress is not None:
                    progress.record(iteration, lower, upper)
                key = x_hat[self.link_cols].tobytes()
                if not proven and key in visited:  # its linking cut should have excluded it: numerical trouble
                    stop = "the master returned a linking decision its cuts exclude (numerical trouble)"
                    break
                visited.add(key)
                if not proven:
                    self._add_cuts(x_hat, phi, follower.x, None if candidate is None else candidate[self.y_cols])
                    for point in found:  # the master's other incumbents: more cuts from one master solve
                        if remaining() is not None and remaining() <= 0:
                            break
                        upper, best = self._evaluate(point, visited, upper, best, remaining())
                    if upper < searched and deferred():  # a new incumbent: search around it
                        upper, best = self._local_search(best, upper, visited, remaining)
                        searched = upper
                found.clear()
        if proven and best is None:
            return self._finish(Status.INFEASIBLE, BILEVEL_INFEASIBLE, None, upper, lower, iteration)
        status = Status.OPTIMAL if proven else (Status.FEASIBLE if best is not None else Status.LIMIT)
        return self._finish(status, stop, best, upper, lower, iteration)

    def _local_search(self, best: np.ndarray, upper: float, visited: set[bytes],
                      remaining: Callable[[], float | None]) -> tuple[float, np.ndarray]:
        """A primal heuristic: move one linking variable of the incumbent by one of
        :data:`SEARCH_MOVES` (within its bounds), evaluate that decision (:meth:`_evaluate`; only
        its linking cut is learnt, so the master stays small) and go on from every improvement,
        until a pass of all moves improves nothing or :data:`LOCAL_SEARCH_SHARE` of the time left
        when it started is spent. Returns the (upper, best) it ends with."""
        left = remaining()
        stop = None if left is None else time.perf_counter() + LOCAL_SEARCH_SHARE * left
        improved = True
        while improved:
            improved = False
            for move, col in itertools.product(SEARCH_MOVES, self.link_cols):
                if stop is not None and time.perf_counter() >= stop:
                    return upper, best
                point = best.copy()
                point[col] = np.clip(point[col] + move, self.lower[col], self.upper[col])
                found, point = self._evaluate(point, visited, upper, best, remaining(), learn=False)
                if found < upper:
                    upper, best, improved = found, point, True
        return upper, best

    def _evaluate(self, point: np.ndarray, visited: set[bytes], upper: float, best, time_limit: float | None,
                  learn: bool = True):
        """Follower and restricted problem at a decision not visited before (a master incumbent's,
        or a local search's): its cuts (all of them if ``learn``, else only its linking cut, which
        keeps the master from returning it), and the better of (upper, best) and its restricted point."""
        x_hat = point.copy()
        x_hat[self.link_cols] = np.round(x_hat[self.link_cols])
        key = x_hat[self.link_cols].tobytes()
        if key in visited:
            return upper, best
        follower = self.follower.solve(x_hat[self.x_cols], time_limit=time_limit)
        if follower.status != "optimal":
            return upper, best
        visited.add(key)
        phi = follower.objective
        candidate = self.restricted_point(x_hat, phi, follower.x, upper, time_limit)
        if candidate is not None and self.cost @ candidate < upper:
            best, upper = candidate, float(self.cost @ candidate)
        if learn:
            self._add_cuts(x_hat, phi, follower.x, None if candidate is None else candidate[self.y_cols])
        else:
            self.add_linking_cut(x_hat[self.link_cols], phi)
        return upper, best

    def _add_cuts(self, x_hat: np.ndarray, phi: float, response: np.ndarray, candidate: np.ndarray | None) -> None:
        """The cuts learnt at the master point x_hat: its linking cut, the response cuts of the
        follower's optimal response and of the restricted problem's answer, and the step from the
        master's follower answer to the follower's optimum."""
        self.add_linking_cut(x_hat[self.link_cols], phi)
        self.add_response_cut(response)
        if candidate is not None:
            self.add_response_cut(candidate)
        self.add_step_cut(response - x_hat[self.y_cols])

    def add_step_cut(self, step: np.ndarray) -> None:
        """The condition of an improving follower step (over the follower's variables; rounded on
        its integer ones): no bilevel-feasible (x, y) has y + step feasible at x."""
        form = self.form
        step = np.where(form.integer, np.round(step), step)
        objective = float(form.c @ step)
        if objective >= -VALUE_TOL * max(1.0, float(np.abs(form.c) @ np.abs(step))):
            return  # not improving
        key = np.round(step, 9).tobytes()
        if key in self._steps:
            return
        self._steps.add(key)
        moved = np.flatnonzero(step)
        rows = self.steps.step_rows(self.y_cols[moved], step[moved])
        if rows.A.shape[0]:
            self._add_step_rows(rows)
            self.step_cuts += 1

    def _converged(self, lower: float, upper: float) -> bool:
        return bool(np.isfinite(upper) and upper - lower <= self.mip_gap * max(1.0, abs(upper)))

    def _finish(self, status: str, why: str, best, upper: float, lower: float, iterations: int) -> ValueFunctionRun:
        sense = self.sense
        bound = sense * float(min(lower, upper)) if np.isfinite(lower) else None
        objective = None if best is None else sense * upper
        cuts = f"{self.response_cuts} response cuts, {self.linking_cuts} linking cuts, {self.step_cuts} step cuts"
        message = {
            Status.OPTIMAL: f"value-function decomposition: lower and upper bounds meet after {iterations} iterations ({cuts})",
            Status.FEASIBLE: f"value-function decomposition stopped ({why}) after {iterations} iterations ({cuts}) "
            f"with a bilevel-feasible point; proven bound {bound}",
            Status.LIMIT: f"value-function decomposition stopped ({why}) after {iterations} iterations before finding a "
            "bilevel-feasible point",
        }.get(status, why)
        return ValueFunctionRun(status, message, best, objective, bound, iterations, self.response_cuts,
                                self.linking_cuts, self.step_cuts)


class ValueFunctionMethod(Method):
    """``value_function``: the decomposition above, every MILP solved by HiGHS on arrays."""

    name = NAME
    kind = GLOBAL

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        return refusal_of(partial(accepts, method=NAME), structure)

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        """Run the decomposition and load its best point into the model's variables."""
        options = decomposition_options(request, NAME, {"max_iterations": None}, "highs", "every MILP with HiGHS")
        timings: dict[str, float] = {}
        with timed(timings, "solve"):
            decomposition = ValueFunctionDecomposition(structure, request.mip_gap)
            progress = Progress(NAME, lambda v: decomposition.sense * v + decomposition.constant)
            run = decomposition.run(budget.remaining(), options["max_iterations"], progress)
        outcome = MethodOutcome(
            status=run.status,
            message=run.message,
            solver="highs",
            solver_reason="HiGHS for every MILP (master, follower at the leader's decision, restricted problem)",
            iterations=run.iterations,
            history=progress.history,
            has_point=run.point is not None,
            timings=timings,
            explains_infeasibility=True,  # the search says which part is infeasible, with integrality
        )
        if run.bound is not None:
            outcome.bound = run.bound + decomposition.constant
        if run.point is not None:
            load_point(decomposition.hpr.variables, run.point)
        return outcome

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        master = ValueFunctionDecomposition(structure).master
        return (
            f"method {NAME}: a decomposition; its first master problem has {master.n_rows} rows, "
            f"{master.n_cols} columns (grown by cuts); solver: HiGHS for every MILP"
        )


METHOD = register(ValueFunctionMethod())
