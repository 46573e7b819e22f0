"""Any solver Pyomo knows, for the single-level model of a reformulation.

A name pybilevel embeds (:data:`pybilevel.solvers.embedded.SOLVERS`) always means the embedded
solver. Any other name goes to ``pyomo.contrib.solver``'s ``SolverFactory`` if it is registered
there (``gurobi_direct``, ``scip_direct``, ``knitro_direct``, ``gams``), else to the legacy
``pyomo.opt.SolverFactory`` (``cbc``, ``glpk``, ``gurobi``, ``cplex``, ``appsi_highs``,
``asl:couenne``, ...). Before a solve, :func:`check_capabilities` compares what the model
holds (:class:`~pybilevel.solvers.features.Feature`) with what Pyomo's interface of the solver
passes on, and refuses with the capability and a solver that has it. The result comes back as
the embedded solvers' :class:`~pybilevel.solvers.embedded.SolveOutcome`.
"""
from __future__ import annotations

import inspect
import logging
import math
import shutil
import time

from pyomo.contrib.solver.common.factory import SolverFactory as ContribSolverFactory
from pyomo.core.base.block import BlockData
from pyomo.core.base.objective import Objective, maximize
from pyomo.environ import value
from pyomo.mpec import Complementarity
from pyomo.opt import SolverFactory as LegacySolverFactory
from pyomo.opt import TerminationCondition as Legacy
from pyomo.opt.base.solvers import UnknownSolver

from pybilevel.errors import MethodRefusedError, SolverUnavailableError
from pybilevel.solvers.embedded import (
    SOLVERS,
    SolveOutcome,
    choose_solver,
    termination_status,
)
from pybilevel.solvers.features import Feature
from pybilevel.solvers.highs import silence_banner

__all__ = ["CAPABILITIES", "LOCAL_SOLVERS", "is_external", "check_solver_name", "check_capabilities", "solve_external"]

logger = logging.getLogger(__name__)

_I, _S, _Q = Feature.INTEGER, Feature.SOS1, Feature.QUADRATIC_OBJECTIVE
_NLP = frozenset({Feature.QUADRATIC_OBJECTIVE, Feature.NONCONVEX_OBJECTIVE, Feature.BILINEAR, Feature.NONLINEAR})


def _same(names: str, features: frozenset[str]) -> dict[str, frozenset[str]]:
    return dict.fromkeys(names.split(), features)


#: Pyomo solver name -> what Pyomo's interface of it passes on beyond an LP (checked: cbc takes
#: SOS1 sets through its LP file, glpk rejects them; neither takes a quadratic term)
CAPABILITIES: dict[str, frozenset[str]] = {
    **_same("cbc", frozenset({_I, _S})),
    **_same("glpk appsi_cbc", frozenset({_I})),
    **_same("appsi_highs mosek mosek_direct mosek_persistent", frozenset({_I, _Q})),
    **_same("cplex cplex_direct cplex_persistent appsi_cplex xpress xpress_direct xpress_persistent", frozenset({_I, _S, _Q})),
    **_same("gurobi gurobi_direct gurobi_persistent appsi_gurobi gurobi_direct_v2 gurobi_persistent_v2",
            frozenset({_I, _S, _Q, Feature.NONCONVEX_OBJECTIVE, Feature.BILINEAR})),
    **_same("scip scip_direct scip_persistent gurobi_direct_minlp", _NLP | {_I, _S}),
    **_same("baron couenne bonmin knitro_direct knitroampl", _NLP | {_I}),
    **_same("ipopt_v2 appsi_ipopt cyipopt conopt", _NLP),
}
#: solvers that prove local optimality only (their "optimal" is a local optimum)
LOCAL_SOLVERS = frozenset({"bonmin", "knitro_direct", "knitroampl", "ipopt_v2", "appsi_ipopt", "cyipopt", "conopt"})

#: how to install a solver pybilevel has tested
_INSTALL = {
    "cbc": "apt-get install coinor-cbc (or conda install -c conda-forge coin-or-cbc)",
    "glpk": "apt-get install glpk-utils (or conda install -c conda-forge glpk)",
}
#: option of a legacy interface that sets the relative MIP gap / the time limit (where the
#: interface has no ``timelimit`` keyword)
_GAP_OPTION = {"cbc": "ratio", "glpk": "mipgap", "gurobi": "MIPGap", "gurobi_direct": "MIPGap",
               "gurobi_persistent": "MIPGap", "cplex": "mipgap", "xpress": "miprelstop", "baron": "EpsR"}
_TIME_OPTION = {"gurobi_direct": "TimeLimit", "gurobi_persistent": "TimeLimit", "cplex_direct": "timelimit",
                "cplex_persistent": "timelimit", "xpress_direct": "maxtime", "xpress_persistent": "maxtime"}


def is_external(solver: str | None) -> bool:
    """Whether ``solver`` names a Pyomo solver rather than an embedded one."""
    return solver is not None and solver not in SOLVERS


def _base_name(solver: str) -> str:
    """``asl:couenne`` -> ``couenne``: the solver behind a Pyomo ``interface:executable`` name."""
    return solver.split(":")[-1]


def _is_contrib(solver: str) -> bool:
    return solver in ContribSolverFactory._cls  # noqa: SLF001  (the registry has no public listing)


def check_solver_name(solver: str | None) -> None:
    """Refuse a name that is neither embedded nor known to one of Pyomo's solver factories."""
    if solver is None or solver in SOLVERS or _is_contrib(solver):
        return
    # asked only about a registered name or an executable on PATH (Pyomo runs any other through
    # its AMPL interface and logs a traceback when that fails)
    registered = solver.split(":")[0] in LegacySolverFactory._cls  # noqa: SLF001
    if not (registered or shutil.which(solver)) or isinstance(LegacySolverFactory(solver), UnknownSolver):
        raise MethodRefusedError(
            f"unknown solver '{solver}': neither embedded ({', '.join(SOLVERS)}) nor known to Pyomo's SolverFactory "
            "(e.g. 'cbc', 'glpk', 'gurobi', 'cplex', 'gurobi_direct', 'asl:couenne'), nor an AMPL solver "
            "executable on PATH."
        )


def _solver_object(solver: str):
    return ContribSolverFactory(solver) if _is_contrib(solver) else LegacySolverFactory(solver)


def _available(solver: str) -> bool:
    opt = _solver_object(solver)
    try:
        return bool(opt.available()) if _is_contrib(solver) else bool(opt.available(exception_flag=False))
    except Exception:  # noqa: BLE001  (a broken installation counts as absent)
        return False


def check_capabilities(model: BlockData, solver: str, features: set[str], method: str) -> None:
    """Refuse ``solver`` for a single-level model with ``features`` it cannot take.

    The message names the capability that is missing and a solver that has it: the embedded
    one pybilevel would choose, and an available Pyomo solver from :data:`CAPABILITIES`.
    A solver missing from :data:`CAPABILITIES` is tried as it is (logged).
    """
    if not _available(solver):
        hint = _INSTALL.get(_base_name(solver), "install it so that Pyomo finds its executable or Python package")
        raise SolverUnavailableError(f"solver '{solver}' is not available here: {hint}; or leave solver unset "
                                     f"(pybilevel's embedded {', '.join(SOLVERS)}).")
    needed = set(features)
    if not any(True for _ in model.component_data_objects(Complementarity, active=True, descend_into=True)):
        needed.discard(Feature.COMPLEMENTARITY)  # kkt's prepare turned the pairs into SOS1 sets
    if Feature.REGULARIZED in needed:
        raise MethodRefusedError(f"method '{method}' runs its own sequence of Ipopt solves; leave solver unset "
                                 f"(got '{solver}').")
    known = CAPABILITIES.get(_base_name(solver))
    if known is None:
        logger.warning("solver '%s': pybilevel does not know what its Pyomo interface takes; trying it on a model "
                       "with %s", solver, ", ".join(sorted(needed)) or "linear rows only")
        return
    missing = sorted(needed - known)
    if missing:
        embedded, _ = choose_solver(features)
        embedded_routes = {*SOLVERS.values(), "scip_persistent"}  # the embedded solvers again: no alternative
        others = [name for name, has in CAPABILITIES.items()
                  if needed <= has and name != solver and name not in embedded_routes]
        usable = [name for name in others if _available(name)][:3]
        remedy = (f"use solver='{usable[0]}' or leave solver unset (embedded {embedded})" if usable else
                  f"leave solver unset (embedded {embedded}), or install one of {', '.join(others[:4])}")
        raise MethodRefusedError(
            f"solver '{solver}' cannot take the single-level model of method '{method}': it holds "
            f"{', '.join(missing)}, which Pyomo's '{solver}' interface does not pass on; {remedy}."
        )


def solve_external(
    model: BlockData,
    solver: str,
    time_limit: float | None = None,
    mip_gap: float = 1e-9,
    solver_options: dict | None = None,
    tee: bool = False,
) -> SolveOutcome:
    """Solve ``model`` with a Pyomo solver and load its solution; a failure comes back as status ``"error"``."""
    if time_limit is not None and time_limit <= 0:
        return SolveOutcome(solver, "limit", "no time left in the budget", None, None, False, 0.0)
    if "highs" in solver:
        silence_banner()  # before Pyomo's HiGHS interface makes the process's first instance
    local = _base_name(solver) in LOCAL_SOLVERS
    start = time.perf_counter()
    try:
        if _is_contrib(solver):
            outcome = _solve_contrib(model, solver, time_limit, mip_gap, solver_options or {}, tee)
        else:
            outcome = _solve_legacy(model, solver, time_limit, mip_gap, solver_options or {}, tee)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001  (the solver's or the writer's failure, reported as a status)
        outcome = SolveOutcome(solver, "error", f"{type(exc).__name__}: {exc}", None, None, False, 0.0)
    outcome.seconds, outcome.local = time.perf_counter() - start, local
    return outcome


def _solve_contrib(model: BlockData, solver: str, time_limit: float | None, mip_gap: float, options: dict,
                   tee: bool) -> SolveOutcome:
    config = {"load_solutions": False, "raise_exception_on_nonoptimal_result": False, "tee": tee,
              "rel_gap": mip_gap, "solver_options": dict(options)}
    if time_limit is not None:
        config["time_limit"] = time_limit
    results = ContribSolverFactory(solver).solve(model, **config)
    has_solution = results.incumbent_objective is not None
    if has_solution:
        results.solution_loader.load_vars()
    return SolveOutcome(solver, termination_status(results.termination_condition, has_solution),
                        results.termination_condition.name, results.incumbent_objective, results.objective_bound,
                        has_solution, 0.0)


_LEGACY_STATUS = {
    Legacy.optimal: "optimal", Legacy.globallyOptimal: "optimal", Legacy.locallyOptimal: "optimal",
    Legacy.infeasible: "infeasible", Legacy.unbounded: "unbounded",
    Legacy.infeasibleOrUnbounded: "infeasible_or_unbounded",
    Legacy.maxTimeLimit: "limit", Legacy.maxIterations: "limit", Legacy.maxEvaluations: "limit",
    Legacy.minStepLength: "limit", Legacy.minFunctionValue: "limit", Legacy.feasible: "limit",
    Legacy.intermediateNonInteger: "limit",
}


def _solve_legacy(model: BlockData, solver: str, time_limit: float | None, mip_gap: float, options: dict,
                  tee: bool) -> SolveOutcome:
    opt = LegacySolverFactory(solver)
    name = _base_name(solver)
    solver_options = {_GAP_OPTION[name]: mip_gap} if name in _GAP_OPTION else {}
    keywords: dict[str, object] = {}
    if time_limit is not None:
        if name in _TIME_OPTION:
            solver_options[_TIME_OPTION[name]] = time_limit
        elif hasattr(opt, "_timelimit") or "timelimit" in inspect.signature(opt.solve).parameters:
            # a shell solver (cbc -sec, glpk --tmlim in whole seconds) or an appsi solver
            keywords["timelimit"] = math.ceil(time_limit) if name == "glpk" else time_limit
        else:
            logger.warning("solver '%s': pybilevel does not know its time-limit option; give it in solver_options", solver)
    solver_options.update(options)
    config = getattr(opt, "config", None)  # an appsi solver: the gap is in its config
    if config is not None and "mip_gap" in config:
        config.mip_gap = mip_gap
    results = opt.solve(model, load_solutions=False, tee=tee, options=solver_options, **keywords)
    condition = results.solver.termination_condition
    if condition == Legacy.userInterrupt:
        raise KeyboardInterrupt("the solver was interrupted (Ctrl-C)")
    status = _LEGACY_STATUS.get(condition, "error")
    has_solution = len(results.solution) > 0 and status in ("optimal", "limit")
    objective = bound = None
    if has_solution:
        model.solutions.load_from(results)
        objectives = list(model.component_data_objects(Objective, active=True, descend_into=True))
        objective = value(objectives[0]) if objectives else None
        bound = _legacy_bound(results, objectives[0].sense == maximize if objectives else False)
    return SolveOutcome(solver, status, str(condition), objective, bound, has_solution, 0.0)


def _legacy_bound(results, maximizing: bool) -> float | None:
    """The proven bound a legacy result reports, if finite."""
    raw = results.problem.upper_bound if maximizing else results.problem.lower_bound
    try:
        bound = float(raw)
    except (TypeError, ValueError):
        return None
    return bound if math.isfinite(bound) else None
