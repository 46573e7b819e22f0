"""``method="interdiction_cuts"``: interdiction games whose follower is monotone (a packing problem).

The leader's binary decisions x remove follower variables (a row ``a y_i + b x_j <= c`` with
``b >= c`` forces ``y_i = 0`` when ``x_j = 1``), the leader's objective is the negative of the
follower's (plus terms in x), and every other follower row keeps the follower's feasible set
*downward closed*: nonnegative coefficients, upper limits only, y >= 0 (knapsack, packing,
matching). Then a response y^k found at any decision stays feasible at every other decision
once its removed entries are zeroed, which bounds the follower's optimum there from above
(Fischetti, Ljubić, Monaci & Sinnl, "Interdiction games and monotonicity, with application to
knapsack problems", INFORMS J. Computing 31(2), 2019):

    phi(x) <= sum_i c_i y^k_i [i not removed by x]

(follower in minimisation form, phi its optimum). The method alternates a master MILP over x and
one variable theta <= every such cut (a relaxation: its optimum is a lower bound on the leader's)
with the follower's MILP at the master's decisions (upper bounds and new cuts), until the
bounds meet. What makes it fast (HiGHS keeps no search tree between master solves, and its
lazy-constraint callback takes no rows from Python, so every master solve starts afresh):

* each response is made *maximal* before its cut is written (profitable variables raised while
  the packing rows allow): a stronger cut, valid for the same reason;
* before the first master MILP, cutting planes on its LP relaxation: at a fractional x* the most
  violated cut is the follower's packing problem with each cost scaled by the share of its
  variable that x* leaves (the fractional separation of Fischetti et al.);
* every improving incumbent HiGHS meets during a master solve (its improving-solution callback)
  is evaluated too, so one master solve yields several cuts;
* the best decision found is handed to each master solve as its starting incumbent.

Every MILP is solved by HiGHS on arrays. Exact; refuses, naming the row or variable, a model
outside the form (``value_function`` or ``interdiction`` then apply).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np
import scipy.sparse as sp
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import BilevelError, MethodRefusedError
from pybilevel.methods.base import (
    SPECIAL,
    Method,
    MethodOutcome,
    SolveRequest,
    decomposition_options,
    refusal_of,
    register,
)
from pybilevel.methods.interdiction_dominance import optimality_rows
from pybilevel.methods.knapsack_dp import BinaryKnapsack
from pybilevel.methods.min_max import opposite_objectives
from pybilevel.model.bounds import FollowerAtLeader
from pybilevel.model.convexity import FollowerClass
from pybilevel.progress import Progress
from pybilevel.results import Status
from pybilevel.solvers.highs import ArrayLP
from pybilevel.timing import timed

if TYPE_CHECKING:
    from pybilevel.model.follower_form import FollowerForm
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.timing import TimeBudget

__all__ = ["METHOD", "InterdictionCutsMethod", "MonotoneInterdiction", "monotone_interdiction"]

NAME = "interdiction_cuts"
_SEPARATION_ROUNDS = 50  # LP cutting-plane rounds before the first master MILP solve
_ADVICE = "use 'value_function' (integer follower) or 'interdiction' (LP follower)"


@dataclass
class MonotoneInterdiction:
    """The arrays of a monotone interdiction game (leader in minimisation form)."""

    form: FollowerForm
    scale: float  # leader objective = L(x) - scale * (follower objective in minimisation form)
    leader_cost: np.ndarray  # L(x) = leader_cost @ x + leader_constant
    leader_constant: float
    leader_rows: sp.csr_matrix  # leader constraints, over x
    leader_lower: np.ndarray
    leader_upper: np.ndarray
    blockers: list[list[int]]  # for each follower variable, the leader variables that remove it


def monotone_interdiction(structure: BilevelStructure) -> MonotoneInterdiction:
    """The game's arrays, or :class:`MethodRefusedError` naming what is outside the form."""
    if len(structure.followers) != 1:
        raise MethodRefusedError(f"method '{NAME}' needs exactly one follower; {_ADVICE}.")
    form = structure.followers[0]

    def refuse(reason: str) -> MethodRefusedError:
        return MethodRefusedError(f"method '{NAME}' cannot solve follower {form.follower.name}: {reason}; {_ADVICE}.")

    if form.follower_class not in (FollowerClass.LP, FollowerClass.INTEGER) or form.Q.nnz or form.C.nnz:
        raise refuse("it needs a linear follower objective without leader variables and linear follower rows")
    if form.is_nonlinear or form.leader_nonlinear.any():
        raise refuse("a follower row is nonlinear")
    for var in structure.leader_variables:
        if not var.is_binary():
            raise refuse(f"leader variable {var.name} is not binary")
    if np.any(form.var_lower != 0):
        var = form.variables[int(np.flatnonzero(form.var_lower != 0)[0])]
        raise refuse(f"follower variable {var.name} does not have lower bound 0")
    scale, leader_only = opposite_objectives(structure, form, refuse)
    blockers = _blockers(form, refuse)
    column = {id(v): k for k, v in enumerate(structure.leader_variables)}
    cost, constant = _linear(leader_only, column, refuse, "the leader's objective terms in its own variables")
    rows, lower, upper = [], [], []
    follower_vars = {id(v) for v in form.variables}
    for con in structure.leader_constraints:
        repn = generate_standard_repn(con.body, compute_values=True)
        if any(id(v) in follower_vars for v in repn.linear_vars) or not repn.is_linear():
            raise refuse(f"leader constraint {con.name} is not linear in leader variables only")
        row, shift = _linear(con.body, column, refuse, f"leader constraint {con.name}")
        rows.append(row)
        lower.append(-np.inf if con.lower is None else float(con.lower) - shift)
        upper.append(np.inf if con.upper is None else float(con.upper) - shift)
    n_x = len(structure.leader_variables)
    leader_rows = sp.csr_matrix(np.array(rows).reshape(len(rows), n_x))
    if structure.leader_objective.sense != 1:  # maximise: the minimisation form is the negative
        cost, constant = -cost, -constant
    return MonotoneInterdiction(form, scale, cost, constant, leader_rows, np.array(lower), np.array(upper), blockers)


def _blockers(form: FollowerForm, refuse) -> list[list[int]]:
    """Which leader variables remove each follower variable; refuses a row that is neither a
    removal row nor downward closed."""
    blockers: list[list[int]] = [[] for _ in range(form.n_variables)]
    a_y, a_x = form.A_y.tocsr(), form.A_x.tocsr()
    for r, con in enumerate(form.constraints):
        y_cols, y_vals = a_y.indices[a_y.indptr[r]:a_y.indptr[r + 1]], a_y.data[a_y.indptr[r]:a_y.indptr[r + 1]]
        x_cols, x_vals = a_x.indices[a_x.indptr[r]:a_x.indptr[r + 1]], a_x.data[a_x.indptr[r]:a_x.indptr[r + 1]]
        lower, upper = form.row_lower[r], form.row_upper[r]
        if np.any(y_vals < 0) or lower > 0:
            raise refuse(f"constraint {con.name} is not a packing row (nonnegative coefficients, an upper limit only)")
        if len(x_cols) == 0:
            continue
        if len(y_cols) != 1 or np.any(x_vals < upper) or upper < y_vals[0] * form.var_upper[y_cols[0]]:
            raise refuse(
                f"constraint {con.name} uses leader variables but is not a removal row a*y_i + b*x_j <= c "
                "with b >= c >= a * (upper bound of y_i)"
            )
        blockers[int(y_cols[0])].extend(int(k) for k in x_cols)
    return blockers


def _linear(expr, column: dict[int, int], refuse, what: str) -> tuple[np.ndarray, float]:
    """Coefficients over the leader variables and the constant of a linear expression."""
    repn = generate_standard_repn(expr, compute_values=True)
    if not repn.is_linear():
        raise refuse(f"{what} must be linear")
    coefficients = np.zeros(len(column))
    for var, coef in zip(repn.linear_vars, repn.linear_coefs):
        coefficients[column[id(var)]] += coef
    return coefficients, float(repn.constant)


class InterdictionCutsMethod(Method):
    """The cut loop of the module docstring."""

    name = NAME
    kind = SPECIAL

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        return refusal_of(monotone_interdiction, structure)

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        options = decomposition_options(request, NAME, {"max_iterations": None}, "highs", "every MILP with HiGHS")
        game = monotone_interdiction(structure)
        timings: dict[str, float] = {}
        sign = 1 if structure.leader_objective.sense == 1 else -1
        progress = Progress(NAME, lambda v: sign * (v + game.leader_constant))
        with timed(timings, "solve"):
            run = _CutLoop(game, max(request.mip_gap, 1e-9)).run(budget, options["max_iterations"], progress)
        outcome = MethodOutcome(
            status=run.status,
            message=run.message,
            solver="highs",
            solver_reason="HiGHS for the master MILP and the follower's MILP at each decision",
            has_point=run.x is not None,
            bound=None if run.lower is None else sign * run.lower,
            iterations=run.iterations,
            history=progress.history,
            timings=timings,
            explains_infeasibility=True,
        )
        if run.x is not None:
            for var, value in zip(structure.leader_variables, run.x):
                var.set_value(float(round(value)), skip_validation=True)
            for var, value in zip(game.form.variables, run.y):
                var.set_value(float(round(value)) if not var.is_continuous() else float(value), skip_validation=True)
        return outcome

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        game = monotone_interdiction(structure)
        return (
            f"method {NAME}: a cut loop over {len(structure.leader_variables)} binary leader variables "
            f"({sum(map(len, game.blockers))} removals); solver: HiGHS for every MILP"
        )


@dataclass
class _Run:
    status: str
    message: str
    x: np.ndarray | None
    y: np.ndarray | None
    lower: float | None  # proven bound, leader minimisation form
    iterations: int


class _CutLoop:
    """Master over (x, theta) with theta <= each response's value at x; follower MILP at x."""

    def __init__(self, game: MonotoneInterdiction, gap: float) -> None:
        self.game, self.gap = game, gap
        n_x = len(game.leader_cost)
        self.n_x = n_x
        # columns: x (binary), theta (free); rows: the leader's, then one per cut
        rows = sp.hstack([game.leader_rows, sp.csr_matrix((game.leader_rows.shape[0], 1))]).tocsr()
        integer = np.append(np.ones(n_x, dtype=bool), False)
        self.master = ArrayLP(rows, game.leader_lower, game.leader_upper, np.append(np.zeros(n_x), -np.inf),
                              np.append(np.ones(n_x), np.inf), integer=integer)
        self.cost = np.append(game.leader_cost, -game.scale)  # L(x) - scale * theta
        self.follower = FollowerAtLeader(game.form)
        self.visited: set[bytes] = set()
        self.best_x: np.ndarray | None = None
        self.best_y: np.ndarray | None = None
        self.upper = np.inf
        form = game.form
        packing = np.diff(form.A_x.tocsr().indptr) == 0  # the rows without leader variables
        self.packing_rows = form.A_y.tocsr()[packing]
        self.packing_upper = form.row_upper[packing]
        # the most violated cut at a fractional decision: the follower's packing rows, costs scaled,
        # by the knapsack DP when they are one binary knapsack row, else by HiGHS
        self.knapsack = BinaryKnapsack.of(self.packing_rows, self.packing_upper, form.var_lower, form.var_upper,
                                          form.integer)
        self.separator = None if self.knapsack is not None else ArrayLP(
            self.packing_rows, np.full(len(self.packing_upper), -np.inf), self.packing_upper,
            form.var_lower, form.var_upper, integer=form.integer)
        kept, kept_lower, kept_upper = optimality_rows(game, self.packing_rows, self.packing_upper)
        if kept.shape[0]:
            self.master.add_rows(sp.hstack([kept, sp.csr_matrix((kept.shape[0], 1))]), kept_lower, kept_upper)

    def maximal(self, y: np.ndarray) -> np.ndarray:
        """``y`` with each profitable variable raised as far as the packing rows allow (most
        profitable first): still feasible for every decision once its removed entries are zeroed,
        and its cut is at least as strong everywhere (module docstring)."""
        form, y = self.game.form, y.copy()
        slack = self.packing_upper - self.packing_rows @ y
        columns = self.packing_rows.tocsc()
        for i in np.argsort(form.c):
            if form.c[i] >= 0:
                break
            rows, coefs = columns.indices[columns.indptr[i]:columns.indptr[i + 1]], \
                columns.data[columns.indptr[i]:columns.indptr[i + 1]]
            room = form.var_upper[i] - y[i]
            if len(rows):
                room = min(room, float(np.min(slack[rows] / coefs)))
            if form.integer[i]:
                room = np.floor(room + 1e-9)
            if room > 1e-9:
                y[i] += room
                slack[rows] -= room * coefs
        return y

    def add_cut(self, y: np.ndarray) -> None:
        """theta <= sum_i c_i y_i [i not removed] for :meth:`maximal` y, linearised as in the module
        docstring."""
        c, blockers = self.game.form.c, self.game.blockers
        y = self.maximal(y)
        row = np.zeros(self.n_x + 1)
        row[-1] = 1.0
        constant = 0.0
        for i, value in enumerate(c * y):
            if value == 0:
                continue
            constant += value
            if value < 0:  # the indicator is at least 1 - sum of removers
                row[blockers[i]] += value
            elif len(blockers[i]) == 1:  # at most 1 - x_j
                row[blockers[i][0]] += value
        self.master.add_rows(sp.csr_matrix(row), np.array([-np.inf]), np.array([constant]))

    def separate(self, budget: TimeBudget) -> None:
        """Cutting planes on the master's LP relaxation before its MILP solve (the fractional
        separation of Fischetti, Ljubić, Monaci & Sinnl 2019): at the LP optimum (x*, theta*) the
        cut of y is sum_i c_i y_i (1 - sum of x* over i's removers) for c_i < 0, so the most violated
        one is the follower's packing problem with those costs; add it while it cuts theta* off."""
        form, blockers = self.game.form, self.game.blockers
        for _ in range(_SEPARATION_ROUNDS):
            if self.master.highs.setOptionValue("solve_relaxation", True) != highspy.HighsStatus.kOk:
                return  # a HiGHS without the option: no root cutting planes
            try:
                relaxed = self.master.solve(self.cost, time_limit=budget.remaining())
            finally:
                self.master.highs.setOptionValue("solve_relaxation", False)
            if relaxed.status != "optimal" or budget.spent:
                return
            x, theta = relaxed.x[: self.n_x], relaxed.x[self.n_x]
            kept = np.array([1.0 - x[b].sum() for b in blockers])
            cost = np.where(form.c < 0, form.c * kept, form.c)
            y = self.best_packing(cost, budget)
            if y is None or cost @ y >= theta - 1e-6 * max(1.0, abs(theta)):
                return
            self.add_cut(y)

    def best_packing(self, cost: np.ndarray, budget: TimeBudget) -> np.ndarray | None:
        """A least-cost point of the follower's packing rows, None if HiGHS stops short of optimal."""
        if self.knapsack is not None:
            return self.knapsack.solve(-cost)
        found = self.separator.solve(cost, time_limit=budget.remaining())
        return found.x if found.status == "optimal" else None

    def run(self, budget: TimeBudget, max_iterations: int | None, progress: Progress) -> _Run:
        game = self.game
        lower, iteration = -np.inf, 0
        first = self.follower.solve(np.zeros(self.n_x), time_limit=budget.remaining())
        if first.status != "optimal":
            return _Run(Status.ERROR, f"the follower at the leader's zero decision ended '{first.status}'",
                        None, None, None, 0)
        self.add_cut(first.x)
        found: list[np.ndarray] = []  # the master's improving incumbents, gathered by a HiGHS callback
        self.master.highs.cbMipImprovingSolution.subscribe(
            lambda event: found.append(np.round(np.asarray(event.data_out.mip_solution)[: self.n_x])))
        try:
            while not budget.spent and (max_iterations is None or iteration < max_iterations):
                iteration += 1
                found.clear()
                if iteration == 1:
                    self.separate(budget)
                self.offer_incumbent()
                master = self.master.solve(self.cost, time_limit=budget.remaining())
                if master.status == "infeasible":
                    return _Run(Status.INFEASIBLE, "the leader's constraints have no binary solution",
                                None, None, None, iteration)
                if master.status != "optimal" or not master.has_point:
                    break
                lower = max(lower, float(master.bound))
                x = np.round(master.x[: self.n_x])
                fresh = self.evaluate([x, *found], budget)
                if fresh is None:  # a follower solve stopped at the limit
                    break
                if not fresh:  # the master's optimal decision was evaluated: its cut is exact there
                    lower = max(lower, min(float(master.objective), self.upper))
                    progress.record(iteration, lower, self.upper)
                    return _Run(Status.OPTIMAL, f"interdiction cuts: the master returned a decision already "
                                f"evaluated after {iteration} iterations (bounds meet up to the solvers' tolerances)",
                                self.best_x, self.best_y, lower + game.leader_constant, iteration)
                progress.record(iteration, lower, self.upper)
                if self.upper - lower <= self.gap * max(1.0, abs(self.upper)):
                    return _Run(Status.OPTIMAL, f"interdiction cuts: bounds meet after {iteration} iterations",
                                self.best_x, self.best_y, lower + game.leader_constant, iteration)
        finally:
            self.master.highs.cbMipImprovingSolution.clear()
        status = Status.FEASIBLE if self.best_x is not None else Status.LIMIT
        bound = None if not np.isfinite(lower) else lower + game.leader_constant
        return _Run(status, f"interdiction cuts stopped at a limit after {iteration} iterations; proven bound "
                    f"{bound}", self.best_x, self.best_y, bound, iteration)

    def evaluate(self, candidates: list[np.ndarray], budget: TimeBudget) -> int | None:
        """Solve the follower at each decision not evaluated before, keep the best and add each
        response's cut; the number evaluated, or None if a follower solve did not end optimal."""
        fresh = 0
        for x in candidates:
            if x.tobytes() in self.visited:
                continue
            self.visited.add(x.tobytes())
            response = self.follower.solve(x, time_limit=budget.remaining())
            if response.status != "optimal":
                return None
            fresh += 1
            value = float(self.game.leader_cost @ x) - self.game.scale * float(response.objective)
            if value < self.upper:
                self.best_x, self.best_y, self.upper = x, response.x, value
            self.add_cut(response.x)
        return fresh

    def offer_incumbent(self) -> None:
        """Give the master the best decision found, with theta at its (exact) cut value, as a
        starting incumbent."""
        if self.best_x is None:
            return
        theta = (float(self.game.leader_cost @ self.best_x) - self.upper) / self.game.scale
        solution = highspy.HighsSolution()
        solution.col_value = [*map(float, self.best_x), theta]
        self.master.highs.setSolution(solution)


METHOD = register(InterdictionCutsMethod())
