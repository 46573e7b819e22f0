"""``pybilevel.solve``: analyse -> (rewrite) -> choose method -> solve -> map back -> certify -> result."""
from __future__ import annotations

import logging
from contextlib import ExitStack

from pyomo.core.base.block import BlockData

from pybilevel.certify.certificate import certify
from pybilevel.certify.diagnosis import diagnose_infeasible
from pybilevel.errors import MethodRefusedError
from pybilevel.map_back import map_back
from pybilevel.methods.base import SolveRequest
from pybilevel.methods.choice import choose_auto, choose_method, requested_method
from pybilevel.model.scaling import plan_scaling
from pybilevel.model.structure import analyze
from pybilevel.readings.names import OPTIMISTIC
from pybilevel.readings.optimistic import OptimisticReading
from pybilevel.readings.pessimistic import PessimisticReading
from pybilevel.results import BilevelResult, Status
from pybilevel.solvers.external import check_solver_name
from pybilevel.timing import TimeBudget, timed

__all__ = ["solve"]

#: the share of the time budget a method may use; the rest is kept for mapping back and the certificate
METHOD_SHARE = 0.9
READINGS = {reading.name: reading for reading in (OptimisticReading(), PessimisticReading())}
logger = logging.getLogger(__name__)


def solve(
    model: BlockData,
    method: str = "auto",
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float = 1e-9,
    certify_result: bool = True,
    reading: str = OPTIMISTIC,
    solver_options: dict | None = None,
    tee: bool = False,
    **method_options,
) -> BilevelResult:
    """Solve the bilevel problem in ``model`` and return a certified result.

    ``method`` is ``"auto"`` (the result says which method it chose and why) or a name in
    ``pybilevel.methods.base.METHODS_BY_NAME`` (``docs/architecture.md``); options of the method
    (e.g. ``dual_bound`` for big-M, ``max_iterations`` for value_function, ``products`` and
    ``price_levels`` for price x quantity products: ``docs/duals_in_leader.md``) pass through
    ``method_options``. ``solver`` overrides the single-level solver (``"ipopt"`` with ``"kkt"``
    solves the MPCC locally through pyomo.mpec's ``mpec.simple_nonlinear``; any other name Pyomo's
    ``SolverFactory`` knows, e.g. ``"cbc"``, is checked against what the reformulation needs:
    :mod:`pybilevel.solvers.external`), with ``solver_options`` passed to it; ``tee`` shows its log
    (the certificate and polishing stay on the embedded solvers). ``time_limit``
    (seconds) is the method's budget; ``mip_gap`` (relative) goes to its solver. ``reading`` is
    ``"optimistic"`` (the follower optimum best for the leader) or ``"pessimistic"`` (the worst;
    LP / convex-QP followers, :mod:`pybilevel.readings.pessimistic`). The model is left as it
    was, except that its variables hold the solution found.
    """
    requested = requested_method(method)
    check_solver_name(solver)
    if reading not in READINGS:
        raise MethodRefusedError(f"unknown reading '{reading}'; choose one of {', '.join(map(repr, READINGS))}.")
    budget, timings = TimeBudget(time_limit), {}
    request = SolveRequest(solver, mip_gap, method_options, {} if solver_options is None else solver_options, tee)
    logger.info("solve: method %s, solver %s, %s reading, time limit %s", method, solver or "auto", reading, time_limit)
    with ExitStack() as stack:
        with timed(timings, "compile"):
            structure = analyze(model)
            scaling = plan_scaling(structure, method_options)  # refuses a row it cannot rescale exactly
            if scaling.rows:  # badly scaled rows multiplied by powers of two, restored on exit
                stack.enter_context(scaling.applied())
                structure = analyze(model)
        if logger.isEnabledFor(logging.INFO):  # describe() walks the model: only when someone listens
            logger.info("analyse: %s (%.3f s)", structure.describe().replace("\n", "; "), timings["compile"])
        with READINGS[reading].applied(structure, timings) as problem:
            chosen, why = choose_method(problem, requested) if requested is not None else choose_auto(problem)
            logger.info("method %s: %s", chosen.name, why)
            outcome = chosen.solve(problem, request, budget.share(METHOD_SHARE))
        timings.update(outcome.timings)
        logger.info("method %s: %s (%s)", chosen.name, outcome.status, outcome.message)
        with timed(timings, "invert"):
            result = map_back(structure, outcome, chosen.name, why)
            result.convexity = {form.follower.name: form.convexity for form in structure.followers if form.convexity}
            READINGS[reading].invert(structure, result, budget)
        if result.status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE) and certify_result:
            with timed(timings, "certify"):
                result.attach_certificate(certify(structure, reading=reading, budget=budget))
            logger.info("certify: %s (%.3f s)", result.status, timings["certify"])
        elif result.status in (Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED) and not outcome.explains_infeasibility:
            with timed(timings, "diagnose"):
                result.status, result.message = diagnose_infeasible(structure, result)
            logger.info("diagnose: %s (%.3f s)", result.message, timings["diagnose"])
        scaling.map_duals(result)
    result.timings, result.reading = timings, reading
    result.keep_model(model)
    logger.info("done: %s, leader objective %s, %.3f s in all", result.status, result.leader_objective,
                sum(timings.values()))
    return result
