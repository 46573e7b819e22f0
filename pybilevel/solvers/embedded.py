"""The embedded solvers (HiGHS through ``highspy``, SCIP through ``pyscipopt``) behind one call."""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.core.base.block import BlockData
from pyomo.core.base.sos import SOSConstraint
from pyomo.core.expr.numeric_expr import LinearExpression, SumExpression

from pybilevel.errors import SolverUnavailableError
from pybilevel.solvers.features import Feature
from pybilevel.solvers.highs import silence_banner, solve_linear

__all__ = ["SolveOutcome", "choose_solver", "solve_model", "termination_status", "SOLVERS"]

#: pybilevel solver name -> Pyomo solver name (pyomo.contrib.solver interfaces)
SOLVERS = {"highs": "highs", "scip": "scip_direct", "ipopt": "ipyopt (pybilevel.solvers.ipopt)"}

_NEEDS_SCIP = {Feature.SOS1, Feature.BILINEAR, Feature.COMPLEMENTARITY, Feature.NONLINEAR, Feature.NONCONVEX_OBJECTIVE}


@dataclass
class SolveOutcome:
    """What the single-level solver reported, in words a user can act on."""

    solver: str
    status: str  # "optimal", "infeasible", "unbounded", "infeasible_or_unbounded", "limit", "error"
    termination: str  # the solver interface's own termination condition
    objective: float | None
    bound: float | None
    has_solution: bool
    seconds: float  # the whole call: translation of the model, the solver's run, loading the values
    local: bool = False  # the solver proves local optimality only (Ipopt)
    duals: tuple | None = None  # Ipopt: (constraint duals, bound duals) to warm-start a related solve
    solver_seconds: float | None = None  # the solver's own run time, when the solver reports it


#: Ipopt options for a solve started from a neighbouring problem's primal-dual point: a small
#: barrier parameter and no push off the bounds, so the start is not thrown away
WARM_START_OPTIONS = {
    "mu_init": 1e-6,
    "warm_start_bound_push": 1e-9,
    "warm_start_bound_frac": 1e-9,
    "warm_start_slack_bound_push": 1e-9,
    "warm_start_slack_bound_frac": 1e-9,
    "warm_start_mult_bound_push": 1e-9,
}


def choose_solver(features: set[str]) -> tuple[str, str]:
    """Solver name and the reason, from what the single-level model contains."""
    if Feature.REGULARIZED in features:
        return "ipopt", "Ipopt (local interior point) for the regularised MPCC"
    scip_reasons = sorted(features & _NEEDS_SCIP)
    if scip_reasons:
        return "scip", "SCIP (global, spatial branch-and-bound) because of " + ", ".join(scip_reasons)
    if Feature.INTEGER in features and Feature.QUADRATIC_OBJECTIVE in features:
        return "scip", "SCIP because HiGHS does not solve mixed-integer quadratic programs"
    kind = "MILP" if Feature.INTEGER in features else ("convex QP" if Feature.QUADRATIC_OBJECTIVE in features else "LP")
    return "highs", f"HiGHS for the {kind}"


def solve_model(
    model: BlockData,
    solver: str,
    time_limit: float | None = None,
    mip_gap: float = 1e-9,
    feasibility_tol: float | None = None,
    warm_start: tuple | None = None,
    presolve: bool = True,
    tight: bool = False,
    solver_options: dict | None = None,
    tee: bool = False,
    starts: list[Mapping] | None = None,
) -> SolveOutcome:
    """Solve ``model`` with an embedded solver and load its solution into the variables.

    A failure inside the solver (numerical trouble) comes back as status ``"error"``.
    ``warm_start`` (Ipopt only) is the ``duals`` of an earlier outcome on a model with the same
    constraints; the solve then starts from those multipliers and the current variable values.
    ``presolve=False`` turns HiGHS's presolve off (SCIP and Ipopt ignore it). ``tight`` asks
    HiGHS for primal and dual feasibility to :data:`TIGHT_TOL` (a polishing solve).
    ``solver_options`` (the user's) go to the solver last, over pybilevel's own;
    ``tee`` shows the solver's log (HiGHS and Ipopt; SCIP's stays off, see below). ``starts``
    (each variable -> value, possibly partial) are candidate MILP starts for HiGHS
    (:func:`pybilevel.solvers.highs.solve_linear`).
    """
    if solver not in SOLVERS:
        raise SolverUnavailableError(f"unknown solver '{solver}'; choose one of {sorted(SOLVERS)}.")
    if time_limit is not None and time_limit <= 0:  # the budget is spent: no solver gets 0 s
        return SolveOutcome(solver, "limit", "no time left in the budget", None, None, False, 0.0)
    if solver == "ipopt":
        return _solve_with_ipopt(model, time_limit, warm_start, {**({"print_level": 5} if tee else {}), **(solver_options or {})})
    if solver == "highs":
        silence_banner()  # before Pyomo's interface or solve_linear makes the first instance
    opt = SolverFactory(SOLVERS[solver])
    if not opt.available():
        package = {"highs": "highspy", "scip": "pyscipopt"}[solver]
        raise SolverUnavailableError(f"solver '{solver}' is not available: pip install {package}")
    options = {"load_solutions": False, "raise_exception_on_nonoptimal_result": False}
    if time_limit is not None:
        options["time_limit"] = time_limit
    if solver == "highs":
        options["solver_options"] = {"mip_rel_gap": mip_gap}
        if not presolve:
            options["solver_options"]["presolve"] = "off"
        if feasibility_tol is not None:
            options["solver_options"]["primal_feasibility_tolerance"] = feasibility_tol
        if tight:
            options["solver_options"].update(
                primal_feasibility_tolerance=TIGHT_TOL, dual_feasibility_tolerance=TIGHT_TOL, qp_regularization_value=0.0
            )
    else:
        options["rel_gap"] = mip_gap
        # HiGHS's default absolute gap: an optimum at 0 has no relative gap to close, and SCIP's
        # bounds on nonlinear terms stop short of it by about its feasibility tolerance
        options["abs_gap"] = SCIP_ABS_GAP
        # SCIP's log through Pyomo's fd capture can block the solve (seen on a 10-arc model)
        options["solver_options"] = {"display/verblevel": 0, "nlpi/ipopt/optfile": _scip_ipopt_options()}
        if _sos_count(model) >= MANY_SOS1:
            # SCIP's SOS1 bound tightening in presolve does not look at the clock: on 1,500 sets
            # it ran 119 s past a 3 s limit; without it presolve takes a second
            options["solver_options"]["constraints/SOS1/maxtightenbds"] = 0
        if feasibility_tol is not None:
            options["solver_options"]["numerics/feastol"] = feasibility_tol
    if tee and solver == "highs":
        options["solver_options"]["output_flag"] = True
    options["solver_options"].update(solver_options or {})
    began = time.perf_counter()
    if solver == "highs":
        linear = _solve_linear_with_highs(model, options, began, starts)
        if linear is not None:
            return linear
    try:
        with _linear_time_scip_sums():
            results = opt.solve(model, **options)
    except Exception as exc:  # noqa: BLE001  (the solver's own failure, reported as a status)
        return SolveOutcome(solver, "error", f"{type(exc).__name__}: {exc}", None, None, False, time.perf_counter() - began)
    seconds = time.perf_counter() - began
    has_solution = results.incumbent_objective is not None
    if has_solution:
        results.solution_loader.load_vars()
    return SolveOutcome(
        solver=solver,
        status=termination_status(results.termination_condition, has_solution),
        termination=results.termination_condition.name,
        objective=results.incumbent_objective,
        bound=results.objective_bound,
        has_solution=has_solution,
        seconds=seconds,
        solver_seconds=_run_time(results),
    )


def _solve_linear_with_highs(model: BlockData, options: dict, began: float, starts: list[Mapping] | None) -> SolveOutcome | None:
    """HiGHS on the model compiled to arrays (:mod:`pybilevel.solvers.highs`); None if it is not linear."""
    highs_options = dict(options["solver_options"])
    if "time_limit" in options:
        highs_options["time_limit"] = float(options["time_limit"])
    try:
        run = solve_linear(model, highs_options, starts)
    except Exception as exc:  # noqa: BLE001  (the solver's own failure, reported as a status)
        return SolveOutcome("highs", "error", f"{type(exc).__name__}: {exc}", None, None, False, time.perf_counter() - began)
    if run is None:
        return None
    return SolveOutcome(
        solver="highs",
        status=termination_status(run.termination, run.has_solution),
        termination=run.termination.name,
        objective=run.objective,
        bound=run.bound,
        has_solution=run.has_solution,
        seconds=time.perf_counter() - began,
        solver_seconds=run.run_seconds,
    )


#: SCIP's absolute gap, as HiGHS's default ``mip_abs_gap``
SCIP_ABS_GAP = 1e-6
#: from this many SOS1 sets on, SCIP's SOS1 presolve bound tightening is off (see solve_model)
MANY_SOS1 = 100
#: HiGHS's primal and dual feasibility tolerances for a polishing solve (its defaults are 1e-7)
TIGHT_TOL = 1e-10

#: Ipopt options for SCIP's NLP heuristics: MUMPS ordered by AMD instead of METIS. With METIS the
#: process dies in SCIP's root node with "free(): invalid pointer" (scipopt/scip#211; seen on the
#: strong-duality model of a 10,000-variable LP follower, every run, and gone with this option)
_SCIP_IPOPT_OPTIONS = "mumps_pivot_order 0\n"


def _scip_ipopt_options() -> str:
    """Path of an Ipopt options file holding ``_SCIP_IPOPT_OPTIONS`` (written once per machine)."""
    path = Path(tempfile.gettempdir()) / "pybilevel_scip_ipopt.opt"
    if not path.exists() or path.read_text() != _SCIP_IPOPT_OPTIONS:
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(_SCIP_IPOPT_OPTIONS)
        os.replace(partial, path)
    return str(path)


@contextmanager
def _linear_time_scip_sums():
    """Let Pyomo's SCIP interface add the terms of a sum with pyscipopt's ``quicksum``.

    Pyomo 6.10 translates a sum with Python's ``sum``, which copies the growing pyscipopt
    expression at every term: time quadratic in the number of terms (the strong-duality row of
    a 50,000-variable follower took 505 s to translate). ``quicksum`` adds in place. The
    dispatch table is restored afterwards; a Pyomo without it is left alone.
    """
    try:
        from pyomo.contrib.solver.solvers.scip import base  # noqa: PLC0415
        from pyscipopt import quicksum  # noqa: PLC0415
    except ImportError:
        yield
        return
    table = getattr(base, "_operator_map", None)
    kinds = [kind for kind in (SumExpression, LinearExpression) if table is not None and kind in table]
    saved = {kind: table[kind] for kind in kinds}
    for kind in kinds:
        table[kind] = lambda node, data, opt, visitor: quicksum(data)
    try:
        yield
    finally:
        table.update(saved)


def _run_time(results) -> float | None:
    """The solver's own run time from a pyomo.contrib.solver result (HiGHS and SCIP report it)."""
    info = results.timing_info
    for key in ("highs_time", "scip_time"):
        if key in info and info[key] is not None:
            return float(info[key])
    return None


def _solve_with_ipopt(
    model: BlockData, time_limit: float | None, warm_start: tuple | None = None, user_options: dict | None = None
) -> SolveOutcome:
    from pybilevel.solvers.ipopt import solve_nlp  # noqa: PLC0415  (imports ipyopt only when needed)

    # Ipopt's default constraint-violation tolerance (1e-4) is far looser than the certificate's;
    # its default bound relaxation (1e-8) lets variables at a bound step outside it and moves
    # them back at the end, which breaks rows through many such variables (2e-3 vehicles on the
    # Sioux Falls flow balances, 6e-7 of the total travel time)
    options = {"constr_viol_tol": 1e-9, "tol": 1e-9, "bound_relax_factor": 0.0}
    duals, bound_duals = warm_start if warm_start is not None else (None, None)
    if warm_start is not None:
        options.update(WARM_START_OPTIONS)
    options.update(user_options or {})
    result = solve_nlp(model, time_limit=time_limit, options=options, initial_duals=duals, initial_bound_duals=bound_duals)
    status = {"optimal": "optimal", "acceptable": "optimal", "infeasible": "infeasible"}.get(
        result.status, "limit" if result.status in ("iteration limit", "time limit") else "error"
    )
    has_solution = status in ("optimal", "limit")
    return SolveOutcome(
        solver="ipopt",
        status=status,
        termination=f"{result.status} ({result.message})",
        objective=result.objective if has_solution else None,
        bound=None,
        has_solution=has_solution,
        seconds=result.solve_time,
        local=True,
        duals=(result.duals, result.bound_duals),
    )


def termination_status(condition: TerminationCondition, has_solution: bool) -> str:
    if condition == TerminationCondition.interrupted:  # SCIP caught Ctrl-C itself and stopped
        raise KeyboardInterrupt("the solver was interrupted (Ctrl-C)")
    if condition == TerminationCondition.convergenceCriteriaSatisfied:
        return "optimal"
    if condition == TerminationCondition.provenInfeasible:
        return "infeasible"
    if condition == TerminationCondition.unbounded:
        return "unbounded"
    if condition == TerminationCondition.infeasibleOrUnbounded:
        return "infeasible_or_unbounded"
    if condition in (
        TerminationCondition.maxTimeLimit,
        TerminationCondition.iterationLimit,
        TerminationCondition.objectiveLimit,
        TerminationCondition.minStepLength,
        TerminationCondition.interrupted,
    ):
        return "limit"
    return "error"


def _sos_count(model: BlockData) -> int:
    return sum(1 for _ in model.component_data_objects(SOSConstraint, active=True, descend_into=True))
