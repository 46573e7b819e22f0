"""``method="discretization"``: global solution of bilevel programs with a nonconvex follower.

The follower ``min_y { f(x, y) : g(x, y) <= 0, y in Y }`` need not be convex in y, so no KKT
system describes its optimum. Following Mitsos, Lemonidis & Barton (2008) "Global solution of
bilevel programs with a nonconvex inner program", J. Global Optim. 42, 475-513, and, for
follower constraints that depend on the leader, Mitsos (2010) "Global solution of nonlinear
mixed-integer bilevel programs", J. Global Optim. 47, 557-582, the method alternates three
problems, each solved globally by SCIP on the user's own Pyomo model (changed only for the
duration of each solve):

* **lower bound**: the leader's problem over all leader and follower constraints (the high-point
  relaxation) plus, for every stored follower point ``z_k``, the cut ``f(x, y) <= f(x, z_k)``.
  A follower optimum y at x is no worse than any follower-feasible point, so the cut holds at
  every bilevel-feasible point where z_k is feasible for the follower: SCIP's proven bound of
  this relaxation is a lower bound. Where follower constraints do not involve the leader's
  variables every z_k is feasible everywhere and the cut is unconditional. Otherwise (Mitsos
  2010) the cut is imposed on a box ``B_k`` of the linking leader variables on which interval
  arithmetic proves z_k feasible, through binaries: ``x in B_k => cut`` (x outside ``B_k``, or on
  its border, switches it off; a big-M from interval bounds of the cut). The point is the
  follower's optimum itself if its box is not degenerate, else a *Slater point*: the follower
  point at that x that is ``eps_follower``-optimal and has the largest slack in the coupling rows.
* **follower** at the lower bound's decision x^k: solved globally by SCIP; its optimum phi(x^k)
  and minimiser join the stored points;
* **upper bound**: the leader's best point over the follower's ``eps_follower``-optimal set at x^k
  (``f(x^k, y) <= phi(x^k) + eps_follower``), globally: a bilevel-feasible point up to eps_follower.

It stops when ``upper - lower <= max(abs_gap, rel_gap * |upper|)`` (status optimal), at the time
budget or ``max_iterations`` (feasible with the best point and the bound, or limit without a
point). Follower equality rows that involve leader variables admit no Slater point and are
refused; so are coupling rows whose leader variables lack finite bounds, several followers, and
followers that are convex in their own variables (the KKT-based methods solve those).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyomo.common.collections import ComponentSet
from pyomo.common.modeling import unique_component_name
from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr
from pyomo.core.base.block import Block, BlockData
from pyomo.core.base.constraint import Constraint, ConstraintData, ConstraintList
from pyomo.core.base.objective import Objective, maximize
from pyomo.core.base.var import Var, VarData
from pyomo.core.expr.visitor import identify_variables, replace_expressions
from pyomo.environ import Binary, ConcreteModel, value

from pybilevel.errors import BilevelError, MethodRefusedError, StructureError
from pybilevel.methods.base import (
    SPECIAL,
    Method,
    MethodOutcome,
    SolveRequest,
    decomposition_options,
    refusal_of,
    register,
)
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.structure import BilevelStructure
from pybilevel.progress import IterationRecord, Progress
from pybilevel.results import Status
from pybilevel.solvers.embedded import SolveOutcome, solve_model
from pybilevel.timing import TimeBudget, timed

__all__ = ["NAME", "METHOD", "DiscretizationMethod", "check", "DEFAULTS"]

NAME = "discretization"
LOG = logging.getLogger("pybilevel.methods.discretization")

#: the method's options and their defaults
DEFAULTS: dict[str, float] = {
    "abs_gap": 1e-4,  # stop when upper - lower <= abs_gap ...
    "rel_gap": 1e-4,  # ... or <= rel_gap * |upper| (leader objective)
    "eps_follower": 1e-9,  # eps_f: the upper bound's y is eps_f-optimal for the follower (absolute)
    "max_iterations": 200,
}
#: SCIP's feasibility tolerance in every subproblem: the cuts and the eps_f band are only as tight
#: as it, and the leader gains about sqrt(tolerance) from a looser follower optimality
FEASIBILITY_TOL = 1e-9
#: the lower-bounding problem's tolerance: at 1e-9 SCIP ran far past its time limit on Nie, Wang & Ye
#: 5.2 (iteration 3 never returned); at 1e-6 the bound stalls about sqrt(1e-6) below the upper one
LOWER_BOUND_TOL = 1e-8
NONCONVEX = (FollowerClass.NONCONVEX_QP, FollowerClass.NONCONVEX_NLP)
#: a stored point within this distance (max norm) of another adds no new cut
_SAME_POINT = 1e-9
#: feasibility slack of a stored point over its box (interval arithmetic is exact on constants)
_BOX_TOL = 1e-9
#: times the upper bound is re-solved after Ipopt finds the follower better than SCIP's optimum
_RECHECKS = 3
#: halvings of a box before a point is given up as a cut
_HALVINGS = 30
#: seconds at most for one Slater-point search (any feasible point with slack > 0 serves)
_SLATER_SECONDS = 10.0


# ------------------------------------------------------------------ what it accepts
def coupling_rows(form: FollowerForm, leader: ComponentSet) -> list[ConstraintData]:
    """Follower constraints that involve a leader variable."""
    return [con for con in form.constraints if any(v in leader for v in identify_variables(con.body, include_fixed=False))]


def check(structure: BilevelStructure) -> None:
    """Raise :class:`MethodRefusedError` (naming the component) for what the method cannot make valid."""
    if len(structure.followers) != 1:
        names = ", ".join(f.follower.name for f in structure.followers)
        raise StructureError(
            f"method '{NAME}' solves one follower per model; the model has {len(structure.followers)} ({names})."
        )
    form = structure.followers[0]
    name = form.follower.name
    if form.follower_class not in NONCONVEX:
        advice = "'value_function'" if form.follower_class == FollowerClass.INTEGER else "'sos1' (global) or 'kkt'"
        raise MethodRefusedError(
            f"method '{NAME}' is for followers that are nonconvex in their own variables; follower {name} is "
            f"{form.follower_class}, whose optimum a KKT-based method describes exactly: use {advice}."
        )
    leader = ComponentSet(structure.leader_variables)
    for con in coupling_rows(form, leader):
        if con.equality or (con.has_lb() and con.has_ub() and value(con.lower) == value(con.upper)):
            raise MethodRefusedError(
                f"method '{NAME}' cannot solve follower {name}: its equality constraint {con.name} involves leader "
                "variables, so no follower point stays feasible on a neighbourhood of a leader decision (no Slater "
                "point) and no discretization cut is valid there; eliminate the equality or make it independent "
                "of the leader's variables."
            )
        for var in identify_variables(con.body, include_fixed=False):
            if var in leader and (var.lb is None or var.ub is None):
                raise MethodRefusedError(
                    f"method '{NAME}' needs finite bounds on leader variable {var.name}: it appears in follower "
                    f"constraint {con.name}, and the cuts hold on boxes of such variables; give it bounds."
                )
    if coupling_rows(form, leader):
        low, high = compute_bounds_on_expr(form.objective.expr)
        if low is None or high is None:
            raise MethodRefusedError(
                f"method '{NAME}' needs a bounded follower objective {form.objective.name} (over the variable "
                "bounds) when follower constraints involve leader variables: its cuts are switched off with a "
                "big-M from those bounds; bound the variables of the objective."
            )


# ------------------------------------------------------------------ the run
@dataclass
class _Point:
    """A bilevel point: values of the leader's and the follower's variables, and F there (min sense)."""

    values: list[tuple[VarData, float | None]]
    objective: float

    def load(self) -> None:
        for var, val in self.values:
            var.set_value(val, skip_validation=True)


@dataclass
class _Run:
    """The state of one run: bounds, best point, stored follower points, timings."""

    lower: float = -math.inf
    upper: float = math.inf
    best: _Point | None = None
    points: list[list[float]] = field(default_factory=list)
    iterations: int = 0
    loosened: float | None = None  # the follower band of the best point, if wider than eps_follower
    timings: dict[str, float] = field(default_factory=dict)


class Discretization:
    """The three subproblems of one model and the loop over them (module docstring)."""

    def __init__(self, structure: BilevelStructure, options: dict, budget: TimeBudget, mip_gap: float) -> None:
        check(structure)
        self.structure = structure
        self.model = structure.model
        self.form = form = structure.followers[0]
        self.options = options
        self.budget = budget
        self.mip_gap = min(mip_gap, 1e-9)
        self.sense = 1 if structure.leader_objective.is_minimizing() else -1
        self.leader = list(structure.leader_variables)
        self.coupling = coupling_rows(form, ComponentSet(self.leader))
        linking = ComponentSet()
        for con in self.coupling:
            for var in identify_variables(con.body, include_fixed=False):
                if var in ComponentSet(self.leader):
                    linking.add(var)
        self.linking = list(linking)
        self.run = _Run()

    # -------------------------------------------------------------- model surgery
    @contextmanager
    def _added(self) -> Iterator[BlockData]:
        """A block on the model for the cuts, the follower's objective off; all undone afterwards."""
        name = unique_component_name(self.model, "_pybilevel_discretization")
        self.model.add_component(name, Block())
        block = self.model.component(name)
        block.cuts = ConstraintList()
        self.form.objective.deactivate()
        try:
            yield block
        finally:
            self.form.objective.activate()
            self.model.del_component(name)

    @contextmanager
    def _fixed_leader(self, x: list[float]) -> Iterator[None]:
        """The leader's variables fixed at ``x`` (those already fixed by the user are left alone)."""
        for var, val in zip(self.leader, x):
            var.fix(val, skip_validation=True)
        try:
            yield
        finally:
            for var in self.leader:
                var.unfix()

    def _remaining(self, floor: float = 0.0) -> float | None:
        return self.budget.remaining(floor)

    def _out_of_time(self) -> bool:
        left = self._remaining()
        return left is not None and left <= 0.0

    # -------------------------------------------------------------- subproblems
    def _solve(self, model: BlockData, phase: str) -> SolveOutcome:
        tolerance = LOWER_BOUND_TOL if phase == "lower bound" else FEASIBILITY_TOL
        with timed(self.run.timings, phase):
            return solve_model(model, "scip", self._remaining(), self.mip_gap, feasibility_tol=tolerance)

    def _follower_at(self, x: list[float]) -> SolveOutcome:
        """The follower alone (its block, the leader fixed at x), globally; loads its minimiser."""
        with self._fixed_leader(x):
            self.form.objective.activate()
            try:
                outcome = self._solve(self.form.follower, "follower")
                if outcome.status == "optimal" and outcome.has_solution:
                    self._polish()
                return outcome
            finally:
                self.form.objective.deactivate()

    def _polish(self, require_better: bool = False) -> None:
        """Ipopt from SCIP's follower optimum, in its basin: SCIP stops within its absolute gap
        (1e-6) of the optimum, which the eps_follower band and the leader would otherwise exploit.
        The polished point is kept only if it is better and feasible."""
        form = self.form
        saved = [v.value for v in form.variables]
        before = form.sense * float(value(form.objective.expr))
        with timed(self.run.timings, "follower"):
            outcome = solve_model(form.follower, "ipopt", self._remaining(1.0))
        after = form.sense * float(value(form.objective.expr)) if outcome.status == "optimal" else math.inf
        ok = after <= before and not (require_better and after >= before)
        if ok:
            ok = _violation(form) <= FEASIBILITY_TOL * 10
        if not ok:
            for var, val in zip(form.variables, saved):
                var.set_value(val, skip_validation=True)

    def _upper_with_check(self, x: list[float], phi: float, block: BlockData) -> tuple[_Point | None, list[list[float]]]:
        """The upper bound's point at x, checked: Ipopt from its follower response must not find a
        better follower value (SCIP's follower optimum is only within its absolute gap, and the
        leader's choice probes exactly the basin where it may fall short). If it does, phi(x) is
        lowered to that value, the better point is returned for a cut, and the upper bound re-solved."""
        form = self.form
        eps = float(self.options["eps_follower"])
        better: list[list[float]] = []
        for _ in range(_RECHECKS):
            candidate = self._upper_at(x, phi, block)
            if candidate is None:
                return None, better
            with self._fixed_leader(x):
                form.objective.activate()
                try:
                    self._polish(require_better=True)
                finally:
                    form.objective.deactivate()
            found = form.sense * float(value(form.objective.expr))
            if found >= form.sense * phi - max(eps, _SAME_POINT):
                return candidate, better
            LOG.info("the follower does better (%.12g) than SCIP's optimum %.12g at x = %s", found, phi, _short(x))
            phi = form.sense * found
            better.append([float(v.value) for v in form.variables])
        return None, better

    def _upper_at(self, x: list[float], phi: float, block: BlockData, eps: float | None = None) -> _Point | None:
        """The leader's best point over the follower's eps-optimal set at x (eps_follower unless given), if any."""
        eps = float(self.options["eps_follower"]) if eps is None else eps
        form = self.form
        block.cuts.deactivate()
        block.near_optimal = Constraint(expr=form.sense * form.objective.expr <= form.sense * phi + eps)
        try:
            with self._fixed_leader(x):
                outcome = self._solve(self.model, "upper bound")
                if outcome.status == "infeasible":
                    # x came from the lower bound at its looser tolerance: a leader row tight there
                    # may be violated by 1e-8 at x; retry at that tolerance
                    with timed(self.run.timings, "upper bound"):
                        outcome = solve_model(self.model, "scip", self._remaining(), self.mip_gap,
                                              feasibility_tol=LOWER_BOUND_TOL)
                if outcome.status != "optimal" or not outcome.has_solution:
                    return None
                return self._point()
        finally:
            block.del_component("near_optimal")
            block.cuts.activate()

    def _point(self) -> _Point:
        variables = self.leader + list(self.form.variables)
        objective = self.sense * float(value(self.structure.leader_objective.expr))
        return _Point([(v, v.value) for v in variables], objective)

    # -------------------------------------------------------------- cuts
    def _add_cut(self, block: BlockData, z: list[float], x: list[float]) -> bool:
        """Add the cut of follower point ``z`` (found at decision ``x``); False if none is valid."""
        if any(max(abs(a - b) for a, b in zip(z, old)) <= _SAME_POINT for old in self.run.points):
            return False
        form = self.form
        at_z = replace_expressions(form.objective.expr, {id(v): val for v, val in zip(form.variables, z)})
        excess = form.sense * (form.objective.expr - at_z)  # <= 0 wherever z is follower-feasible
        if not self.coupling:
            block.cuts.add(excess <= 0)
            self.run.points.append(list(z))
            return True
        box = self._box(z, x)
        if box is None:
            return False
        self.run.points.append(list(z))
        switches = []
        k = len(block.cuts) + 1
        for var, (low, high) in zip(self.linking, box):
            if low > var.lb:  # "x_j <= low" switches the cut off
                u = _binary(block, f"below_{k}_{len(switches)}")
                block.cuts.add(var <= low + (var.ub - low) * (1 - u))
                switches.append(u)
            if high < var.ub:
                u = _binary(block, f"above_{k}_{len(switches)}")
                block.cuts.add(var >= high - (high - var.lb) * (1 - u))
                switches.append(u)
        if not switches:
            block.cuts.add(excess <= 0)
            return True
        _, big = compute_bounds_on_expr(excess)
        if big is None:
            raise MethodRefusedError(
                f"method '{NAME}': the follower objective {form.objective.name} has no finite bound over the "
                "variable bounds, so a cut on a box of leader decisions cannot be switched off; bound its variables."
            )
        if big > 0:
            block.cuts.add(excess <= big * sum(switches))
        return True

    def _box(self, z: list[float], x: list[float]) -> list[tuple[float, float]] | None:
        """The largest box (halving from the linking variables' bounds) around x on which interval
        arithmetic proves ``z`` feasible for every coupling row; None if none down to 2^-30 of it."""
        scratch = ConcreteModel()
        scratch.x = Var(range(len(self.linking)))
        mapping = {id(v): val for v, val in zip(self.form.variables, z)}
        mapping.update({id(v): scratch.x[j] for j, v in enumerate(self.linking)})
        # leader variables outside the coupling rows do not appear; those fixed stay as they are
        bodies = [(replace_expressions(con.body, mapping), con) for con in self.coupling]
        at = {id(v): val for v, val in zip(self.leader, x)}
        centre = [at[id(v)] for v in self.linking]
        for halving in range(_HALVINGS + 1):
            box = []
            for var, c in zip(self.linking, centre):
                radius = (var.ub - var.lb) * 0.5**halving
                box.append((max(var.lb, c - radius), min(var.ub, c + radius)))
            for j, (low, high) in enumerate(box):
                scratch.x[j].setlb(low)
                scratch.x[j].setub(high)
            if all(_holds(body, con) for body, con in bodies):
                return box
        return None

    def _slater_point(self, x: list[float], phi: float) -> list[float] | None:
        """An eps_follower-optimal follower point at x with the largest slack (<= 1) in the coupling rows."""
        form = self.form
        eps = float(self.options["eps_follower"])
        scratch = ConcreteModel()
        scratch.y = Var(range(len(form.variables)))
        for j, v in enumerate(form.variables):
            scratch.y[j].setlb(v.lb)
            scratch.y[j].setub(v.ub)
            scratch.y[j].domain = v.domain
            scratch.y[j].set_value(v.value, skip_validation=True)
        scratch.s = Var(bounds=(0, 1))
        mapping = {id(v): scratch.y[j] for j, v in enumerate(form.variables)}
        mapping.update({id(v): val for v, val in zip(self.leader, x)})
        scratch.rows = ConstraintList()
        coupling = ComponentSet(self.coupling)
        for con in form.constraints:
            body = replace_expressions(con.body, mapping)
            slack = scratch.s if con in coupling else 0
            if con.has_ub():
                scratch.rows.add(body + slack <= value(con.upper))
            if con.has_lb():
                scratch.rows.add(body - slack >= value(con.lower))
        f = replace_expressions(form.objective.expr, mapping)
        scratch.rows.add(form.sense * f <= form.sense * phi + eps)
        scratch.obj = Objective(expr=scratch.s, sense=maximize)
        left = self._remaining()
        limit = _SLATER_SECONDS if left is None else min(left, _SLATER_SECONDS)
        with timed(self.run.timings, "slater point"):
            outcome = solve_model(scratch, "scip", limit, 1e-4)
        if not outcome.has_solution or (scratch.s.value or 0.0) <= 0.0:
            return None
        return [float(scratch.y[j].value) for j in range(len(form.variables))]

    # -------------------------------------------------------------- the loop
    def solve(self) -> MethodOutcome:
        """Iterate lower bound / follower / upper bound (module docstring); load the best point."""
        run, options = self.run, self.options
        progress = Progress(NAME, self._user)
        max_iterations = int(options["max_iterations"])
        status, why = None, ""
        with self._added() as block:
            visited: list[list[float]] = []
            while True:
                if self._out_of_time():
                    why = "time limit"
                    break
                if run.iterations >= max_iterations:
                    why = f"{max_iterations} iterations"
                    break
                run.iterations += 1
                try:
                    lbp = self._solve(self.model, "lower bound")
                    if lbp.status == "infeasible":
                        if run.iterations == 1:
                            status, why = Status.INFEASIBLE, (
                                "the leader's and follower's constraints have no common point (the high-point "
                                "relaxation is infeasible)")
                        else:
                            run.lower = run.upper  # nothing is left outside what the cuts excluded
                        break
                    if lbp.status in ("unbounded", "infeasible_or_unbounded", "error"):
                        status, why = Status.ERROR, (
                            f"the lower-bounding problem ended '{lbp.status}' ({lbp.termination}); give the leader's "
                            "and follower's variables finite bounds")
                        break
                    if lbp.bound is not None and math.isfinite(lbp.bound):
                        run.lower = max(run.lower, self.sense * float(lbp.bound))
                    if lbp.status != "optimal" or not lbp.has_solution:
                        why = "time limit in the lower-bounding problem"
                        break
                    x = [_within_bounds(v) for v in self.leader]
                    LOG.debug("iteration %d: the lower bound's leader decision x = %s", run.iterations, _short(x))
                    if self._closed():
                        break
                    follower = self._follower_at(x)
                    if follower.status in ("unbounded", "infeasible_or_unbounded"):
                        status, why = Status.FOLLOWER_UNBOUNDED, (
                            f"follower {self.form.follower.name} has no optimum (its objective is unbounded) at the "
                            f"leader decision {self._describe(x)}: bound its variables")
                        break
                    if follower.status != "optimal" or not follower.has_solution:
                        why = ("time limit in the follower's global solve" if follower.status == "limit"
                               else f"the follower's global solve ended '{follower.status}' ({follower.termination})")
                        break
                    phi = float(value(self.form.objective.expr))
                    z = [float(v.value) for v in self.form.variables]
                    candidate, extra = self._upper_with_check(x, phi, block)
                    if candidate is not None and candidate.objective < run.upper:
                        run.upper, run.best, run.loosened = candidate.objective, candidate, None
                    added = self._add_cut(block, z, x)
                    for point in extra:
                        added = self._add_cut(block, point, x) or added
                    if self.coupling and not added:
                        slater = self._slater_point(x, phi)
                        added = slater is not None and self._add_cut(block, slater, x)
                    if self._closed():
                        break
                    repeated = any(max(abs(a - b) for a, b in zip(x, old)) <= _SAME_POINT for old in visited)
                    if repeated and not added:
                        # the lower bound's x is exact only to its tolerance, where the follower's cut allows
                        # f up to LOWER_BOUND_TOL above phi: the upper bound at that band closes the gap
                        loose = 2 * LOWER_BOUND_TOL * max(1.0, abs(phi))
                        candidate = self._upper_at(x, phi, block, max(loose, float(options["eps_follower"])))
                        if candidate is not None and candidate.objective < run.upper:
                            run.upper, run.best = candidate.objective, candidate
                            run.loosened = max(loose, float(options["eps_follower"]))
                            LOG.info("iteration %d: upper %.10g with the follower within %.1e of its optimum",
                                     run.iterations, self._user(run.upper), run.loosened)
                        if self._closed():
                            break
                        why = (f"the lower bound returned the leader decision {self._describe(x)} again and no new valid "
                               "cut exists there (tolerances)")
                        break
                    visited.append(x)
                finally:  # every way out of an iteration: one progress record
                    progress.record(run.iterations, min(run.lower, run.upper) if run.best is not None else run.lower, run.upper)
        return self._finish(status, why, progress.history)

    def _closed(self) -> bool:
        run = self.run
        if not math.isfinite(run.upper):
            return False
        tol = max(float(self.options["abs_gap"]), float(self.options["rel_gap"]) * abs(run.upper))
        return run.upper - run.lower <= tol

    def _user(self, val: float) -> float:
        """A value of the leader's objective in the user's sense (the run minimises)."""
        return self.sense * val

    def _describe(self, x: list[float]) -> str:
        return ", ".join(f"{v.name}={val:g}" for v, val in zip(self.leader, x))

    def _finish(self, status: str | None, why: str, history: list[IterationRecord]) -> MethodOutcome:
        run = self.run
        if run.best is not None:
            run.best.load()
        closed = self._closed() or (run.best is not None and run.lower >= run.upper)
        if status is None:
            if closed and run.best is not None:
                status = Status.OPTIMAL
            elif closed:
                status, why = Status.INFEASIBLE, (
                    "the constraints have common points, but at no leader decision does a follower-optimal "
                    "response satisfy the leader's constraints (bilevel infeasible)")
            else:
                status = Status.FEASIBLE if run.best is not None else Status.LIMIT
        lower = min(run.lower, run.upper) if run.best is not None else run.lower
        bound = self._user(lower) if math.isfinite(lower) else None
        points = f"{len(run.points)} follower points"
        message = {
            Status.OPTIMAL: f"discretization: lower and upper bounds meet after {run.iterations} iterations ({points}); "
            f"the follower's response is optimal within {run.loosened or self.options['eps_follower']:g}",
            Status.FEASIBLE: f"discretization stopped ({why}) after {run.iterations} iterations ({points}) with a "
            f"bilevel-feasible point; proven bound {bound}",
            Status.LIMIT: f"discretization stopped ({why}) after {run.iterations} iterations before finding a "
            "bilevel-feasible point" + (f"; proven bound {bound}" if bound is not None else ""),
        }.get(status, why)
        return MethodOutcome(
            status=status,
            message=message,
            solver="scip",
            solver_reason="SCIP (global) for the lower-bounding problem, the follower at each leader decision and "
            "the leader's problem over the follower's eps-optimal set",
            has_point=run.best is not None and status not in (Status.INFEASIBLE, Status.ERROR, Status.FOLLOWER_UNBOUNDED),
            bound=bound if status not in (Status.INFEASIBLE, Status.ERROR, Status.FOLLOWER_UNBOUNDED) else None,
            iterations=run.iterations,
            history=history,
            timings=dict(run.timings),
            explains_infeasibility=True,
        )


def _within_bounds(var: VarData) -> float:
    """The variable's value moved into its bounds (SCIP's may lie outside by its tolerance); a
    variable the solved model did not contain (no value) takes a point of its domain."""
    val = var.value
    if val is None:
        val = var.lb if var.lb is not None else (var.ub if var.ub is not None else 0.0)
    if var.lb is not None:
        val = max(val, var.lb)
    if var.ub is not None:
        val = min(val, var.ub)
    return float(val)


def _binary(block: BlockData, name: str) -> VarData:
    block.add_component(name, Var(domain=Binary))
    return block.component(name)


def _holds(body, con: ConstraintData) -> bool:
    """Whether interval arithmetic proves ``con``'s bounds hold for ``body`` over its variables' box."""
    low, high = compute_bounds_on_expr(body)
    if con.has_ub() and (high is None or high > value(con.upper) + _BOX_TOL):
        return False
    if con.has_lb() and (low is None or low < value(con.lower) - _BOX_TOL):
        return False
    return True


def _violation(form: FollowerForm) -> float:
    """The largest violation of a follower constraint or variable bound at the current values."""
    worst = 0.0
    for con in form.constraints:
        body = float(value(con.body))
        if con.has_ub():
            worst = max(worst, body - float(value(con.upper)))
        if con.has_lb():
            worst = max(worst, float(value(con.lower)) - body)
    for var in form.variables:
        if var.lb is not None:
            worst = max(worst, var.lb - var.value)
        if var.ub is not None:
            worst = max(worst, var.value - var.ub)
    return worst


def _short(x: list[float]) -> str:
    shown = ", ".join(f"{v:.6g}" for v in x[:6])
    return f"({shown}{', ...' if len(x) > 6 else ''})"


class DiscretizationMethod(Method):
    """``discretization``: the algorithm of the module docstring, every subproblem solved by SCIP."""

    name = NAME
    kind = SPECIAL  # nonconvex followers only: convex ones are the KKT-based methods' (and faster there)

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        return refusal_of(check, structure)

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        """Run the discretization and load its best point into the model's variables."""
        options = decomposition_options(request, NAME, DEFAULTS, "scip", "every subproblem globally with SCIP")
        for key in ("abs_gap", "rel_gap", "eps_follower"):
            if not float(options[key]) >= 0:
                raise MethodRefusedError(f"method '{NAME}': option {key} must be >= 0 (got {options[key]!r}).")
        return Discretization(structure, options, budget, request.mip_gap).solve()

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        form = structure.followers[0]
        coupling = coupling_rows(form, ComponentSet(structure.leader_variables))
        return (
            f"method {NAME}: lower bound = high-point relaxation + one cut per stored follower point "
            f"({'unconditional' if not coupling else f'on boxes of the leader variables in {len(coupling)} coupling rows'}), "
            f"{form.n_variables} follower variables; solver: SCIP (global) for every subproblem"
        )


METHOD = register(DiscretizationMethod())
