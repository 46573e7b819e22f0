"""``pybilevel.solve``: structure check, reformulation, embedded solver, mapping back, certificate."""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import asdict

import numpy as np
from pyomo.core.base.block import BlockData
from pyomo.core.base.transformation import TransformationFactory
from pyomo.environ import value

from pybilevel.model.bounds import FollowerAtLeader, HighPointRelaxation
from pybilevel.certify.certificate import OPTIMISTIC, PESSIMISTIC, certify, choose_response
from pybilevel.certify.duals import follower_duals, follower_duals_at, follower_reduced_costs
from pybilevel.errors import MethodRefusedError
from pybilevel.model.follower_form import FollowerForm
from pybilevel.solvers.model_size import model_size
from pybilevel.methods.registry import TRANSFORMATIONS, Reformulation
from pybilevel.methods.bigm import reached_bigm
from pybilevel.methods.sos1 import add_sos1_pairs
from pybilevel.methods.choice import choose_method
from pybilevel.readings.pessimistic import pessimistic_reading
from pybilevel.results import BilevelResult, Status
from pybilevel.methods.scholtes import complementarity_report, solve_regularized
from pybilevel.solvers.embedded import SOLVERS, SolveOutcome, choose_solver, solve_model
from pybilevel.model.structure import BilevelStructure, analyze
from pybilevel.methods.value_function import METHOD as VALUE_FUNCTION, solve_value_function

__all__ = ["solve", "METHODS", "SPECIAL_METHODS", "GLOBAL_METHODS", "LOCAL_METHODS"]

#: methods for one problem form only; they refuse every model outside it
SPECIAL_METHODS = ("interdiction",)
#: the general methods, each for every follower class it names
METHODS = (*(m for m in TRANSFORMATIONS if m not in SPECIAL_METHODS), VALUE_FUNCTION)
#: general methods whose default solver proves global optimality (of the single-level model, or by decomposition)
GLOBAL_METHODS = ("kkt", "bigm", "strong_duality", "sos1", VALUE_FUNCTION)
#: methods that return a local (stationary) point
LOCAL_METHODS = ("regularized",)


def solve(
    model: BlockData,
    method: str = "auto",
    solver: str | None = None,
    time_limit: float | None = None,
    mip_gap: float = 1e-9,
    certify_result: bool = True,
    reading: str = OPTIMISTIC,
    **method_options,
) -> BilevelResult:
    """Solve the bilevel problem in ``model`` and return a certified result.

    ``method`` is ``"auto"`` (chosen from the follower class, leader form and size; the result
    says which and why) or one of ``"bigm"``, ``"kkt"``, ``"strong_duality"``, ``"sos1"``,
    ``"regularized"``, ``"value_function"`` (exact decomposition for integer followers,
    :mod:`pybilevel.methods.value_function`) or ``"interdiction"`` (min-max problems only); options of
    the method (e.g. ``dual_bound`` for big-M, ``max_iterations`` for value_function) pass
    through ``method_options``. ``solver="ipopt"`` with ``method="kkt"`` solves the MPCC locally
    through pyomo.mpec's ``mpec.simple_nonlinear`` (the baseline to compare against).
    ``time_limit`` (seconds) and ``mip_gap`` (relative) go to the single-level solver.
    ``reading`` is ``"optimistic"`` (the follower optimum best for the leader) or
    ``"pessimistic"`` (the worst; LP / convex-QP followers, see :mod:`pybilevel.readings.pessimistic`).
    The model is left as it was, except that its variables hold the solution found.
    """
    if method != "auto" and method not in METHODS + SPECIAL_METHODS:
        raise MethodRefusedError(
            f"unknown method '{method}'; choose 'auto' or one of {', '.join(METHODS + SPECIAL_METHODS)}."
        )
    if solver is not None and solver not in SOLVERS:
        raise MethodRefusedError(f"unknown solver '{solver}'; choose one of {', '.join(SOLVERS)}.")
    if reading not in (OPTIMISTIC, PESSIMISTIC):
        raise MethodRefusedError(f"unknown reading '{reading}'; choose '{OPTIMISTIC}' or '{PESSIMISTIC}'.")
    timings: dict[str, float] = {}
    with _timed(timings, "compile"):
        structure = analyze(model)
    if reading == PESSIMISTIC:
        with pessimistic_reading(structure):
            with _timed(timings, "compile"):
                rewritten = analyze(model)
            result = _solve_single_level(rewritten, method, solver, time_limit, mip_gap, timings, method_options)
        with _timed(timings, "invert"):
            _map_back_pessimistic(structure, result)
    else:
        result = _solve_single_level(structure, method, solver, time_limit, mip_gap, timings, method_options)
        if result.status == Status.FEASIBLE and not structure.is_game:
            with _timed(timings, "invert"):
                _best_response_at_limit(structure, result)
    if result.status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE) and certify_result:
        with _timed(timings, "certify"):
            result.certificate = certify(structure, reading=reading)
        result.warn_if_uncertified()
    elif result.status in (Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED) and result.method != VALUE_FUNCTION:
        # (value_function's own search already says which part is infeasible, with integrality)
        with _timed(timings, "diagnose"):
            result.status, result.message = _diagnose_infeasible(structure, result)
    result.timings = timings
    result.reading = reading
    return result


def _solve_single_level(
    structure: BilevelStructure,
    method: str,
    solver: str | None,
    time_limit: float | None,
    mip_gap: float,
    timings: dict[str, float],
    method_options: dict,
) -> BilevelResult:
    """Choose the method, reformulate, solve and map back (the optimistic reading of ``structure``)."""
    model = structure.model
    method_reason = f"'{method}' as requested"
    if method == "auto":
        method, method_reason = choose_method(structure)
    if method == VALUE_FUNCTION:  # a decomposition: no single-level model to build
        with _timed(timings, "solve"):
            result = solve_value_function(structure, time_limit, mip_gap, solver, **method_options)
        result.method_reason = method_reason
        return result
    with _timed(timings, "reformulate"):
        reformulation = TRANSFORMATIONS[method]().reformulate(structure, **method_options)
    try:
        chosen, reason = choose_solver(reformulation.features)
        if solver is not None:
            chosen, reason = solver, f"{solver} (chosen by the user)"
        if method == "kkt" and chosen == "ipopt":
            _complementarity_as_products(reformulation)
            reason = "Ipopt on pyomo.mpec's mpec.simple_nonlinear form (baseline: products <= 0, local)"
        elif method == "kkt":
            _complementarity_as_sos1(reformulation)
        with _timed(timings, "size"):
            size = model_size(model)
        report = None
        if method == "regularized":
            outcome, report = solve_regularized(reformulation, time_limit)
        else:
            outcome = solve_model(model, chosen, time_limit, mip_gap)
            if outcome.has_solution:
                reformulation.complete_solution()
            if outcome.local and outcome.has_solution:
                report = complementarity_report(reformulation)
        if outcome.solver_seconds is not None:  # the rest is the translation to the solver and back
            timings["translate"] = outcome.seconds - outcome.solver_seconds
        timings["solve"] = outcome.seconds if outcome.solver_seconds is None else outcome.solver_seconds
        with _timed(timings, "invert"):
            result = _invert(reformulation, outcome, reason)
            result.model_size = size
            result.method_reason = method_reason
            if report is not None:
                result.mpcc = asdict(report)
    finally:
        reformulation.remove()
    return result


def _map_back_pessimistic(structure: BilevelStructure, result: BilevelResult) -> None:
    """Report the original follower's worst optimum at the leader's decision, and its duals.

    The rewritten model's solution holds the leader's decision; its follower values maximise the
    leader's objective over a set that contains the follower's optima, so they are replaced by
    the worst optimum itself, and the leader's copies y_bar are dropped from the report.
    """
    if result.status not in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE):
        return
    infimum = result.leader_objective
    result.leader = {v.name: _value(v) for v in structure.leader_variables}
    for form in structure.followers:
        status = choose_response(structure, form, PESSIMISTIC)
        if status != "optimal":
            result.status = Status.ERROR
            result.message = (
                f"the worst optimum of follower {form.follower.name} at the leader's decision ended '{status}'"
            )
            return
        _report_follower(result, form)
    result.leader_objective = float(value(structure.leader_objective.expr))
    scale = max(1.0, abs(result.leader_objective))
    if abs(result.leader_objective - infimum) > 1e-6 * scale:
        result.status = Status.FEASIBLE
        result.message = (
            f"the pessimistic infimum {infimum:.8g} is not attained: at the decision found the worst "
            f"follower optimum gives the leader {result.leader_objective:.8g} (the follower's optimal "
            "set jumps there); a nearby decision approaches the infimum"
        )


def _best_response_at_limit(structure: BilevelStructure, result: BilevelResult) -> None:
    """At a solver limit, give each follower its optimum best for the leader at the decision found.

    The incumbent's follower response is optimal for the follower when its KKT conditions hold,
    but among several optima it need not be the one the optimistic reading picks; the leader
    then loses what a finished solve would have had at the same decision. Kept only if better.
    Nonlinear followers are left as they are: their optimal set is only approximated by a cut,
    and the leader's problem over it can take the certificate's whole time limit.
    """
    sign = 1 if structure.leader_objective.is_minimizing() else -1
    before = result.leader_objective
    for form in structure.followers:
        if form.is_nonlinear:
            continue
        saved = [v.value for v in form.variables]
        if choose_response(structure, form, OPTIMISTIC) != "optimal" or (
            sign * (float(value(structure.leader_objective.expr)) - before) >= -1e-9 * max(1.0, abs(before))
        ):
            for var, kept in zip(form.variables, saved):
                var.set_value(kept, skip_validation=True)
            continue
        _report_follower(result, form)
        result.leader_objective = float(value(structure.leader_objective.expr))
    if result.leader_objective != before:
        if result.gap is not None and result.bound is not None:
            result.gap = abs(result.leader_objective - result.bound) / max(1.0, abs(result.leader_objective))
        result.message += (
            f"; the follower's optimum best for the leader at that decision improves the leader's "
            f"objective from {before:.10g} to {result.leader_objective:.10g}"
        )


def _report_follower(result: BilevelResult, form: FollowerForm) -> None:
    """Report ``form``'s current values, objective and duals (re-solved at the leader's decision)."""
    name = form.follower.name
    x = np.array([_value(v) for v in form.leader_variables])
    result.follower[name] = {v.name: _value(v) for v in form.variables}
    result.follower_objectives[name] = float(value(form.objective.expr))
    result.follower_duals[name], result.follower_reduced_costs[name] = follower_duals_at(form, x)


@contextmanager
def _timed(timings: dict[str, float], phase: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = timings.get(phase, 0.0) + time.perf_counter() - start


def _complementarity_as_products(reformulation: Reformulation) -> None:
    """pyomo.mpec's own ``mpec.simple_nonlinear`` on the MPCC: multiplier * slack <= 0 (for Ipopt)."""
    model = reformulation.model
    TransformationFactory("mpec.simple_nonlinear").apply_to(model)
    reformulation.model_components.append("mpec_bound")  # the Param that transformation adds


def _complementarity_as_sos1(reformulation: Reformulation) -> None:
    """Hand the MPCC's complementarity to SCIP as SOS1 sets, its native disjunctive treatment.

    (The product form ``multiplier * slack <= 0`` leaves spatial branch-and-bound with unbounded
    multipliers; SCIP stalled on it for a 10-arc interdiction instance that SOS1 solves in 0.05 s.)
    """
    for dual in reformulation.duals:
        dual.block.complementarity.deactivate()
        add_sos1_pairs(dual, reformulation)


def _invert(reformulation: Reformulation, outcome: SolveOutcome, reason: str) -> BilevelResult:
    """Map the single-level solution back to leader values, follower values and duals."""
    structure = reformulation.structure
    status = {
        "optimal": Status.LOCALLY_OPTIMAL if outcome.local else Status.OPTIMAL,
        "infeasible": Status.INFEASIBLE,
        "unbounded": Status.UNBOUNDED,
        "infeasible_or_unbounded": Status.INFEASIBLE_OR_UNBOUNDED,
        "limit": Status.FEASIBLE if outcome.has_solution else Status.LIMIT,
        "error": Status.ERROR,
    }[outcome.status]
    result = BilevelResult(
        status=status,
        message=_status_message(status, outcome),
        method=reformulation.method,
        solver=outcome.solver,
        solver_reason=reason,
        bound=outcome.bound,
        bigm=reformulation.bigm,
    )
    if not outcome.has_solution or status not in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE):
        return result
    reached_bigm(reformulation)
    result.leader_objective = float(value(structure.leader_objective.expr))
    result.leader = {v.name: _value(v) for v in structure.leader_variables}
    for dual in reformulation.duals:
        name = dual.form.follower.name
        result.follower[name] = {v.name: _value(v) for v in dual.form.variables}
        result.follower_objectives[name] = float(value(dual.form.objective.expr))
        result.follower_duals[name] = follower_duals(dual)
        result.follower_reduced_costs[name] = follower_reduced_costs(dual)
    return result


def _value(var) -> float:
    return float("nan") if var.value is None else float(var.value) + 0.0  # no "-0"


def _status_message(status: str, outcome: SolveOutcome) -> str:
    return {
        Status.OPTIMAL: f"{outcome.solver} proved the single-level reformulation optimal",
        Status.LOCALLY_OPTIMAL: f"{outcome.solver} converged to a local optimum of the single-level reformulation",
        Status.FEASIBLE: f"{outcome.solver} stopped at a limit ({outcome.termination}) with a point; "
        f"best bound {outcome.bound}",
        Status.LIMIT: f"{outcome.solver} stopped at a limit ({outcome.termination}) before finding any point",
        Status.UNBOUNDED: "the leader's objective is unbounded over the bilevel-feasible points",
        Status.INFEASIBLE: "no bilevel-feasible point exists",
        Status.INFEASIBLE_OR_UNBOUNDED: f"{outcome.solver} reported infeasible or unbounded",
        Status.ERROR: f"{outcome.solver} failed ({outcome.termination})",
    }[status]


def _diagnose_infeasible(structure: BilevelStructure, result: BilevelResult) -> tuple[str, str]:
    """Say which part is infeasible: the constraints themselves, or the follower's optimality."""
    hpr = HighPointRelaxation(structure)
    relaxed = hpr.lp_solve(np.zeros(len(hpr.columns)))
    if relaxed.status == "infeasible":
        return Status.INFEASIBLE, (
            "the leader's and follower's constraints have no common point (the high-point "
            "relaxation is infeasible): check the constraints and bounds"
        )
    if relaxed.status != "optimal":
        return result.status, result.message
    for form in structure.followers:
        if form.is_nonlinear:
            continue  # the array solve below knows the linear and quadratic parts only
        x = relaxed.x[[hpr.column_of(v) for v in form.leader_variables]]
        follower = FollowerAtLeader(form).solve(x)
        if follower.status in ("unbounded", "infeasible_or_unbounded"):
            point = ", ".join(f"{v.name}={xi:g}" for v, xi in zip(form.leader_variables, x))
            return Status.FOLLOWER_UNBOUNDED, (
                f"follower {form.follower.name} has no optimum (its objective is unbounded) at the "
                f"leader decision {point}: bound the follower's variables or constraints"
            )
    if result.status == Status.INFEASIBLE and any(form.is_nonlinear for form in structure.followers):
        return Status.INFEASIBLE, (
            "no bilevel-feasible point exists; with nonlinear follower rows pybilevel cannot tell "
            "whether the constraints themselves conflict or only the follower's optimality does"
        )
    if result.status == Status.INFEASIBLE:
        return Status.INFEASIBLE, (
            "the constraints are jointly feasible, but no leader decision makes a follower-optimal "
            "response satisfy the leader's constraints (bilevel infeasible)"
        )
    return result.status, result.message
