"""Local MPCC solving with Ipopt: the Scholtes sequence and the stationarity report of the answer."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyomo.environ import value

from pybilevel.methods.branch import fix_branch
from pybilevel.solvers.embedded import SolveOutcome, choose_solver, solve_model
from pybilevel.solvers.features import Feature

if TYPE_CHECKING:
    from pybilevel.methods.transformation import Reformulation
    from pybilevel.progress import Progress

__all__ = ["MPCCReport", "complementarity_report", "solve_regularized"]

#: a multiplier or slack below this counts as zero when classifying pairs
ZERO = 1e-6


@dataclass
class MPCCReport:
    """How well a local answer satisfies complementarity, and what kind of stationary point it is."""

    residual: float  # largest min(|multiplier|, |slack|) over all pairs (the natural residual)
    biactive: list[str] = field(default_factory=list)  # pairs with multiplier and slack both ~0
    rounds: list[tuple[float, str]] = field(default_factory=list)  # (t, Ipopt status) per round
    verdict: str = ""


def complementarity_report(reformulation: Reformulation, rounds: list[tuple[float, str]] | None = None) -> MPCCReport:
    """Residual, biactive pairs and the verdict at the point loaded in the model.

    The residual is min(|multiplier|, |slack|), not the product: on degenerate followers the
    multipliers can run off along a ray of the dual (seen: 2e5 on Bard 1998 Ex. 5.1.1), where
    a product with a 1e-8 slack says nothing about complementarity.

    With no biactive pair the MPCC is locally a smooth NLP (its branch is fixed), so a KKT
    point of the relaxed problem at t -> 0 is a strongly stationary candidate; biactive pairs
    leave B-stationarity to be checked branch by branch.
    """
    residual, biactive = 0.0, []
    for dual in reformulation.duals:
        for pair in dual.pairs:
            mult = pair.multiplier.value or 0.0
            slack = value(pair.slack, exception=False)
            if slack is None:  # a variable left without a value: no point to judge
                residual = float("inf")
                continue
            slack = float(slack)
            residual = max(residual, min(abs(mult), abs(slack)))
            if abs(mult) <= ZERO and abs(slack) <= ZERO:
                biactive.append(pair.key)
    if residual > ZERO:
        verdict = f"complementarity residual {residual:.2g} too large: not a stationary point"
    elif biactive:
        verdict = f"{len(biactive)} biactive pair(s) (e.g. {biactive[0]}): B-stationarity not verified"
    else:
        verdict = "strongly stationary candidate (no biactive pair)"
    return MPCCReport(residual, biactive, rounds or [], verdict)


def solve_regularized(
    reformulation: Reformulation, time_limit: float | None = None, progress: Progress | None = None
) -> tuple[SolveOutcome, MPCCReport | None]:
    """Drive the regularization t to 0 by warm-started Ipopt solves; keep the last good point.

    Each round starts from the previous round's variables and multipliers with a small barrier
    parameter (:data:`pybilevel.solvers.embedded.WARM_START_OPTIONS`), retried cold if that fails: on the
    Sioux Falls toll model (4,500 variables) this cut the rounds after the first from 40-330
    Ipopt iterations to 9-27.

    Stops when t reaches its final value or the complementarity residual is already below it;
    a failed round ends the sequence at the previous point, which counts as converged only if
    its residual is below :data:`ZERO`. Each converged round (and the polish) goes to ``progress``
    with the leader's objective as the incumbent and no bound (the residual bounds nothing).
    """
    settings = reformulation.settings
    params = [dual.block.regularization for dual in reformulation.duals]
    start = time.perf_counter()
    t = settings["initial"]
    rounds: list[tuple[float, str]] = []
    outcome, report = None, None
    while True:
        for param in params:
            param.set_value(t)
        left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - start))
        saved = _values(reformulation)
        current = solve_model(reformulation.model, "ipopt", left, warm_start=None if outcome is None else outcome.duals)
        if current.status != "optimal" and outcome is not None:
            _restore(saved)  # the warm start failed: the same round from the previous point, cold
            current = solve_model(reformulation.model, "ipopt", left)
        rounds.append((t, current.status))
        if current.status != "optimal":
            _restore(saved)
            break
        outcome, report = current, complementarity_report(reformulation)
        _record(progress, reformulation, len(rounds))
        if report.residual <= settings["final"] or t <= settings["final"]:
            break
        t = _next_regularization(t, settings)
    if outcome is None:  # not one round converged: the values were restored to before the first
        current.has_solution = False
        return current, None
    left = None if time_limit is None else max(1.0, time_limit - (time.perf_counter() - start))
    # an incomplete point (a variable without a value: residual inf) has no branch to polish on
    polished = _polish(reformulation, left) if math.isfinite(report.residual) else None
    if polished is not None and polished.status == "optimal":
        outcome, report = polished, complementarity_report(reformulation)
        rounds.append((0.0, "polished on the identified branch"))
        _record(progress, reformulation, len(rounds))
    outcome.seconds = time.perf_counter() - start
    report.rounds = rounds
    if report.residual > ZERO:
        outcome.status = "limit"  # the sequence stopped before complementarity was reached
    return outcome, report


def _record(progress: Progress | None, reformulation: Reformulation, round_number: int) -> None:
    """The leader's objective at the round's point, as the incumbent of ``progress``."""
    if progress is not None:
        progress.record(round_number, None, value(reformulation.structure.leader_objective.expr, exception=False))


def _next_regularization(t: float, settings: dict[str, float]) -> float:
    """t times the factor, snapped to the final value when within rounding of it (1.0 * 0.1**9
    is 1.0000000000000005e-09, which would otherwise cost one more full round at 1e-9)."""
    following = t * settings["factor"]
    return settings["final"] if following <= settings["final"] * (1 + 1e-9) else following


def _polish(reformulation: Reformulation, time_limit: float | None) -> SolveOutcome | None:
    """Re-solve on the branch the sequence identified (:func:`pybilevel.methods.branch.fix_branch`:
    for each pair the smaller of multiplier and slack set to 0, the relaxed products dropped). The
    branch problem is smooth (an LP or QP for LP/QP followers, solved exactly by HiGHS), which
    removes the sequence's inexactness; if it fails, the sequence's point is restored. Unlike the
    polish of the global methods it is kept whenever it succeeds: the relaxed point before it does
    not satisfy complementarity, so its objective is no benchmark."""
    saved = _values(reformulation)
    solver, _ = choose_solver(reformulation.features - {Feature.REGULARIZED})
    undo = fix_branch(reformulation)
    try:
        outcome = solve_model(reformulation.model, "ipopt" if solver != "highs" else "highs", time_limit, tight=True)
    finally:
        undo()
    outcome.local = True
    if outcome.status != "optimal":
        _restore(saved)
    return outcome


def _values(reformulation: Reformulation):
    from pyomo.core.base.var import Var  # noqa: PLC0415

    variables = list(reformulation.model.component_data_objects(Var, descend_into=True))
    return [(v, v.value) for v in variables]


def _restore(saved) -> None:
    for var, val in saved:
        var.set_value(val, skip_validation=True)
