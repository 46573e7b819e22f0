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

(follower in minimisation form, phi its optimum). The method is a best-first branch-and-cut over
x on the LP over (x in [0, 1], one variable theta <= every such cut), whose optimum at a node
bounds the leader's objective there from below (Fischetti et al. solve the same way, with CPLEX's
callbacks; HiGHS takes no rows from Python during its own search, so the tree is written here,
with a HiGHS LP warm-started from node to node):

* at an integral LP point the follower's MILP is solved there (an upper bound, a new cut exact
  at that point); a point already evaluated closes its node;
* at a fractional (x*, theta*) the most violated cut is the follower's packing problem with each
  cost scaled by the share of its variable that x* leaves (the fractional separation of
  Fischetti et al.), solved by a knapsack DP when the packing rows are one binary knapsack row
  (``knapsack_dp``), else by HiGHS; up to 200 rounds at the root, one per node below it;
* each response is made *maximal* before its cut is written (profitable variables raised while
  the packing rows allow): a stronger cut, valid for the same reason;
* the root's LP point rounded to a decision within the leader's limits is evaluated, so that a
  search stopped at a limit has a point (measured: no change in the time to prove);
* branching on the fractional decision with the largest min(x*, 1 - x*) times the profit it
  removes (measured: half the nodes of the most fractional rule on MibS's 30-item instances);
* rows that keep an optimal decision (``interdiction_dominance``: useless removals, maximal
  decisions for one integer budget, dominance between items) shrink the tree;

Exact; refuses, naming the row or variable, a model outside the form (``value_function`` or
``interdiction`` then apply).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from pybilevel.errors import BilevelError
from pybilevel.methods.base import (
    SPECIAL,
    Method,
    MethodOutcome,
    SolveRequest,
    decomposition_options,
    load_point,
    refusal_of,
    register,
)
from pybilevel.methods.interdiction_dominance import optimality_rows
from pybilevel.methods.interdiction_game import (
    NAME,
    MonotoneInterdiction,
    monotone_interdiction,
)
from pybilevel.methods.knapsack_dp import BinaryKnapsack
from pybilevel.model.bounds import FollowerAtLeader
from pybilevel.progress import Progress
from pybilevel.results import Status
from pybilevel.solvers.highs import ArrayLP
from pybilevel.timing import timed

if TYPE_CHECKING:
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.timing import TimeBudget

__all__ = ["METHOD", "InterdictionCutsMethod"]

_ROOT_ROUNDS = 200  # fractional cuts at the root; one per node below it


class InterdictionCutsMethod(Method):
    """The branch-and-cut of the module docstring."""

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
            run = _BranchAndCut(game, max(request.mip_gap, 1e-9)).run(budget, options["max_iterations"], progress)
        outcome = MethodOutcome(
            status=run.status,
            message=run.message,
            solver="highs",
            solver_reason="HiGHS for the LP at each node and the follower's MILP at each integral decision",
            has_point=run.x is not None,
            bound=None if run.lower is None else sign * run.lower,
            iterations=run.iterations,
            history=progress.history,
            timings=timings,
            explains_infeasibility=True,
        )
        if run.x is not None:
            load_point(structure.leader_variables, run.x)  # binary
            load_point(game.form.variables, run.y)
        return outcome

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        game = monotone_interdiction(structure)
        return (
            f"method {NAME}: a branch-and-cut over {len(structure.leader_variables)} binary leader variables "
            f"({sum(map(len, game.blockers))} removals); solver: HiGHS for every LP and MILP"
        )


@dataclass
class _Run:
    status: str
    message: str
    x: np.ndarray | None
    y: np.ndarray | None
    lower: float | None  # proven bound, leader minimisation form
    iterations: int


class _BranchAndCut:
    """Best-first branch-and-cut over x: the LP over (x, theta) with theta <= each response's cut."""

    def __init__(self, game: MonotoneInterdiction, gap: float) -> None:
        self.game, self.gap = game, gap
        n_x = len(game.leader_cost)
        self.n_x = n_x
        form = game.form
        packing = np.diff(form.A_x.tocsr().indptr) == 0  # the rows without leader variables
        self.packing_rows = form.A_y.tocsr()[packing]
        self.packing_upper = form.row_upper[packing]
        # columns: x in [0, 1], theta (free); rows: the leader's, the optimality rows, one per cut
        kept, kept_lower, kept_upper = optimality_rows(game, self.packing_rows, self.packing_upper)
        rows = sp.vstack([game.leader_rows, kept])
        self.relaxation = ArrayLP(sp.hstack([rows, sp.csr_matrix((rows.shape[0], 1))]).tocsr(),
                                  np.concatenate([game.leader_lower, kept_lower]),
                                  np.concatenate([game.leader_upper, kept_upper]),
                                  np.append(np.zeros(n_x), -np.inf), np.append(np.ones(n_x), np.inf))
        self.cost = np.append(game.leader_cost, -game.scale)  # L(x) - scale * theta
        self.follower = FollowerAtLeader(form)
        # the most violated cut at a fractional decision: a best packing with costs scaled, by the
        # knapsack DP when the packing rows are one binary knapsack row, else by HiGHS
        self.knapsack = BinaryKnapsack.of(self.packing_rows, self.packing_upper, form.var_lower, form.var_upper,
                                          form.integer)
        self.separator = None if self.knapsack is not None else ArrayLP(
            self.packing_rows, np.full(len(self.packing_upper), -np.inf), self.packing_upper,
            form.var_lower, form.var_upper, integer=form.integer)
        self.removed_profit = np.zeros(n_x)  # for branching: the follower profit per unit each decision removes
        for i, blockers in enumerate(game.blockers):
            self.removed_profit[blockers] += max(0.0, -form.c[i])
        self.visited: set[bytes] = set()
        self.best_x: np.ndarray | None = None
        self.best_y: np.ndarray | None = None
        self.upper = np.inf

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
        self.relaxation.add_rows(sp.csr_matrix(row), np.array([-np.inf]), np.array([constant]))

    def separate(self, x: np.ndarray, theta: float, budget: TimeBudget) -> bool | None:
        """Add the most violated cut at a fractional (x, theta) (the fractional separation of
        Fischetti, Ljubić, Monaci & Sinnl 2019): the cut of y there is sum_i c_i y_i (1 - sum of x
        over i's removers) for c_i < 0, so the most violated one is a best packing with those
        costs. Whether one was added; None if HiGHS stopped short of optimal."""
        form = self.game.form
        kept = np.array([1.0 - x[b].sum() for b in self.game.blockers])
        cost = np.where(form.c < 0, form.c * kept, form.c)
        if self.knapsack is not None:
            y = self.knapsack.solve(-cost)
        else:
            found = self.separator.solve(cost, time_limit=_limit(self.separator.is_mip, budget))
            if found.status != "optimal":
                return None
            y = found.x
        if cost @ y >= theta - 1e-6 * max(1.0, abs(theta)):
            return False
        self.add_cut(y)
        return True

    def run(self, budget: TimeBudget, max_iterations: int | None, progress: Progress) -> _Run:
        """Best-first search; a node is (its parent's bound, order, lower and upper limits on x)."""
        game, n = self.game, self.n_x
        first = self.follower.solve(np.zeros(n), time_limit=_limit(bool(game.form.integer.any()), budget))
        if first.status != "optimal":
            return _Run(Status.ERROR, f"the follower at the leader's zero decision ended '{first.status}'",
                        None, None, None, 0)
        self.add_cut(first.x)
        nodes: list[tuple[float, int, np.ndarray, np.ndarray]] = [(-np.inf, 0, np.zeros(n), np.ones(n))]
        lower, iteration, made = -np.inf, 0, 1
        while nodes:
            if budget.spent or (max_iterations is not None and iteration >= max_iterations):
                return self.stopped(min(node[0] for node in nodes), iteration, "a limit")  # the open nodes' least
            bound, _, low, high = heapq.heappop(nodes)
            if bound >= self.upper - self.tolerance():
                continue
            iteration += 1
            lower = max(lower, bound)
            value, x = self.node(low, high, rounds=_ROOT_ROUNDS if iteration == 1 else 1, budget=budget)
            if value is None:
                return self.stopped(lower, iteration, "a HiGHS solve that did not end optimal")
            if iteration == 1 and np.isfinite(value) and not self.evaluate_rounded(x, budget):
                return self.stopped(lower, iteration, "a HiGHS solve that did not end optimal")
            if value < self.upper - self.tolerance():
                j = self.branching(x)
                for side in (0.0, 1.0):
                    child_low, child_high = low.copy(), high.copy()
                    child_low[j] = child_high[j] = side
                    heapq.heappush(nodes, (value, made, child_low, child_high))
                    made += 1
            progress.record(iteration, min(lower, self.upper), self.upper)
        if self.best_x is None:
            return _Run(Status.INFEASIBLE, "the leader's constraints have no binary solution", None, None, None,
                        iteration)
        return _Run(Status.OPTIMAL, f"interdiction branch-and-cut: every node closed after {iteration} nodes",
                    self.best_x, self.best_y, self.upper + game.leader_constant, iteration)

    def node(self, low: np.ndarray, high: np.ndarray, rounds: int, budget: TimeBudget
             ) -> tuple[float | None, np.ndarray]:
        """Bound one node: LP, at most ``rounds`` fractional cuts, the follower at each integral LP
        point. Its bound (inf when pruned: infeasible, or no better than the incumbent, or an
        integral point already evaluated) and the last LP point; None if a solve did not end."""
        self.relaxation.set_col_bounds(np.arange(self.n_x), low, high)
        while True:
            lp = self.relaxation.solve(self.cost, time_limit=_limit(self.relaxation.is_mip, budget))
            if lp.status == "infeasible":
                return np.inf, lp.x
            if lp.status != "optimal":
                return None, lp.x
            value, x, theta = float(lp.objective), lp.x[: self.n_x], float(lp.x[self.n_x])
            if value >= self.upper - self.tolerance():
                return np.inf, x
            if np.all(np.abs(x - np.round(x)) < 1e-6):
                if np.round(x).tobytes() in self.visited:  # its cut is exact there: value is its own
                    return np.inf, x
                if not self.evaluate(np.round(x), budget):
                    return None, x
                continue
            if rounds == 0:
                return value, x
            added = self.separate(x, theta, budget)
            if added is None:
                return None, x
            if not added:
                return value, x
            rounds -= 1

    def evaluate_rounded(self, x: np.ndarray, budget: TimeBudget) -> bool:
        """Evaluate the root's LP point rounded to a decision (largest x first, each taken while the
        leader's upper limits allow; kept if it meets the lower limits too): an incumbent early,
        should a limit stop the search. False if the follower's solve did not end optimal."""
        game = self.game
        columns = game.leader_rows.tocsc()
        decision, used = np.zeros(self.n_x), np.zeros(columns.shape[0])
        for a in np.argsort(-x, kind="stable"):
            if x[a] <= 1e-6:
                break
            column = columns[:, a].toarray().ravel()
            if np.all(used + column <= game.leader_upper + 1e-9):
                decision[a], used = 1.0, used + column
        if np.any(used < game.leader_lower - 1e-9) or decision.tobytes() in self.visited:
            return True
        return self.evaluate(decision, budget)

    def branching(self, x: np.ndarray) -> int:
        """The fractional decision with the largest min(x, 1 - x) times the profit it removes (the
        most fractional one when none removes profit)."""
        fraction = np.minimum(x, 1.0 - x)
        score = fraction * self.removed_profit
        return int(np.argmax(score if score.max() > 1e-9 else fraction))

    def tolerance(self) -> float:
        return self.gap * max(1.0, abs(self.upper)) if np.isfinite(self.upper) else 0.0

    def stopped(self, lower: float, iteration: int, why: str) -> _Run:
        status = Status.FEASIBLE if self.best_x is not None else Status.LIMIT
        bound = None if not np.isfinite(lower) else min(lower, self.upper) + self.game.leader_constant
        return _Run(status, f"interdiction branch-and-cut stopped at {why} after {iteration} nodes; proven bound "
                    f"{bound}", self.best_x, self.best_y, bound, iteration)

    def evaluate(self, x: np.ndarray, budget: TimeBudget) -> bool:
        """Solve the follower at ``x``, keep it if best and add its response's cut; False if the
        follower's solve did not end optimal."""
        self.visited.add(x.tobytes())
        response = self.follower.solve(x, time_limit=_limit(bool(self.game.form.integer.any()), budget))
        if response.status != "optimal":
            return False
        value = float(self.game.leader_cost @ x) - self.game.scale * float(response.objective)
        if value < self.upper:
            self.best_x, self.best_y, self.upper = x, response.x, value
        self.add_cut(response.x)
        return True


def _limit(is_mip: bool, budget: TimeBudget) -> float | None:
    """The HiGHS time limit of one solve: the budget's remaining seconds for a MILP; none for an
    LP, because HiGHS's LP clock adds up over all solves on the same object (a series of small
    LPs would stop at about half the budget). The budget is checked at every node instead."""
    return budget.remaining() if is_mip else None


METHOD = register(InterdictionCutsMethod())
