"""Badly scaled rows: found before any solve, rescaled exactly by powers of two, or refused.

Solvers treat a coefficient of absolute value at most 1e-9 as zero (HiGHS' ``small_matrix_value``,
SCIP's ``numerics/epsilon``) and hold each row to an absolute feasibility tolerance of about 1e-6.
So ``y - 1e-9 * x <= 1`` with x in [0, 1e9] loses a term worth 1 on the row, and a row whose
coefficients are all near 1e-6 is satisfied by almost anything. Each linear row of the model
(leader and follower) is checked before solving:

* a coefficient ``a`` of a variable with range ``r`` *matters* if ``|a| * r`` exceeds the
  feasibility tolerance (an unbounded variable's always does);
* a row is *badly scaled* if a coefficient that matters is at most :data:`AT_RISK`, or its
  largest coefficient is outside [:data:`ROW_LOW`, :data:`ROW_HIGH`] (about 1e-3 to 1e3: the
  absolute tolerance is then too loose or too tight for the row).

A badly scaled row is multiplied by a power of two ``2**k`` (exact in binary floating point: the
feasible set is unchanged bit for bit) that puts the geometric mean of its smallest coefficient
that matters and its largest one near 1. The row's dual is then ``2**-k`` times the user's row
dual: :meth:`ScalingPlan.map_duals` maps the reported duals back. Where no power of two lifts
every coefficient that matters above :data:`AT_RISK` (the row mixes 1e9 and 1e-9), the solve is
refused by a :class:`~pybilevel.errors.ScalingError` naming the row, the variable and what to do.
A coefficient that is below the solvers' zero but cannot move its row by more than the tolerance
is harmless: a :class:`~pybilevel.results.ScalingWarning` names it. The scaled rows are the
user's own constraints, rewritten in place while the solve and its certificate run, and restored
afterwards.
"""
from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from pyomo.core.base.suffix import Suffix
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import ScalingError
from pybilevel.results import ScalingWarning

if TYPE_CHECKING:
    from pyomo.core.base.constraint import ConstraintData
    from pyomo.core.base.var import VarData

    from pybilevel.model.follower_form import FollowerForm
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.results import BilevelResult

__all__ = ["AT_RISK", "ROW_HIGH", "ROW_LOW", "RowScaling", "ScalingPlan", "plan_scaling"]

#: solvers drop coefficients of absolute value at most 1e-9; a tenfold margin
AT_RISK = 1e-8
#: absolute row feasibility tolerance of the solvers (HiGHS, SCIP, Ipopt's constr_viol_tol order)
FEASIBILITY_TOL = 1e-6
#: a row whose largest |coefficient| is outside this band (about 1e-3 to 1e3) is rescaled
ROW_LOW, ROW_HIGH = 2.0**-10, 2.0**10


@dataclass
class RowScaling:
    """One row multiplied by ``factor`` (a power of two), and why."""

    constraint: ConstraintData
    factor: float
    reason: str


@dataclass
class ScalingPlan:
    """The rows to rescale and what the check found (notes go into ``BilevelResult.scaling``)."""

    rows: list[RowScaling] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @contextmanager
    def applied(self):
        """The rows rewritten in place as ``factor * row``; restored on exit, whatever happens."""
        saved = []
        try:
            for row in self.rows:
                saved.append((row.constraint, row.constraint.expr))
                row.constraint.set_value(_scaled(row.constraint, row.factor))
            yield self
        finally:
            for con, expr in reversed(saved):
                con.set_value(expr)

    def map_duals(self, result: BilevelResult) -> None:
        """Reported follower duals of scaled rows, back in the user's units (times the factor)."""
        factors = {row.constraint.name: row.factor for row in self.rows}
        for duals in result.follower_duals.values():
            for name in duals:
                if name in factors:
                    duals[name] *= factors[name]
        result.scaling = list(self.notes)


def plan_scaling(structure: BilevelStructure, method_options: dict | None = None) -> ScalingPlan:
    """Check every linear row of the model; the rows to rescale, or a :class:`ScalingError`."""
    plan = ScalingPlan()
    frozen = _frozen_rows(structure, method_options or {})
    rows = [con for form in structure.followers for con in _follower_candidates(form)] + list(structure.leader_constraints)
    for con in rows:
        repn = generate_standard_repn(con.body, quadratic=False, compute_values=True)
        if repn.nonlinear_expr is not None:
            continue
        terms = [(v, abs(float(a)), _range(v)) for v, a in zip(repn.linear_vars, repn.linear_coefs) if a != 0]
        if not terms:
            continue
        largest = max(a for _, a, _ in terms)
        small = _lost(terms, 1.0)
        if not small and ROW_LOW <= largest <= ROW_HIGH:
            _warn_harmless(plan, con, terms, 1.0)
            continue
        factor = 2.0 ** -math.floor(math.log2(largest))  # largest coefficient into [1, 2)
        if _lost(terms, factor):  # a small coefficient that matters: meet it halfway (geometric mean)
            smallest = min(a for _, a, _ in _lost(terms, factor))
            factor = 2.0 ** round(-0.5 * math.log2(smallest * largest))
        lost = _lost(terms, factor)
        if lost:
            v, a, r = lost[0]
            raise ScalingError(
                f"constraint {con.name} is badly scaled: the coefficient {a:.3g} of {v.name} (range {r:.3g}) "
                f"moves the row by up to {a * r:.3g} against its largest coefficient {largest:.3g}; solvers treat "
                "coefficients below 1e-9 as zero and no exact row scaling keeps both: rescale "
                f"{v.name} (measure it in larger units, e.g. {v.name} = {_power_of_ten(r)} * {v.name}_scaled) "
                "or rewrite the row."
            )
        reason = (
            f"coefficient {small[0][1]:.3g} of {small[0][0].name} is below the solvers' zero tolerance margin ({AT_RISK:g})"
            if small else f"its largest coefficient {largest:.3g} is outside [{ROW_LOW:.3g}, {ROW_HIGH:.3g}]"
        )
        if con in frozen and not small:  # only out of the band: solvers cope, within their tolerances
            note = (f"constraint {con.name} is badly scaled ({reason}) but is left as written because {frozen[con]} "
                    f"refers to its dual in the user's units; multiplying it by {factor:g} would help the solvers")
            plan.notes.append(note)
            warnings.warn(note, ScalingWarning, stacklevel=3)
            continue
        if con in frozen:
            raise ScalingError(
                f"constraint {con.name} is badly scaled ({reason}) and cannot be rescaled here because "
                f"{frozen[con]} refers to its dual in the user's units: multiply the row by {factor:g} yourself "
                "(and its dual bound by 1/factor)."
            )
        plan.rows.append(RowScaling(con, factor, reason))
        plan.notes.append(f"constraint {con.name} multiplied by 2**{int(math.log2(factor))} = {factor:g} ({reason}); its dual is reported in the user's units")
        _warn_harmless(plan, con, terms, factor)
    _check_bounds(plan, structure)
    return plan


#: solvers read bounds from 1e20 as infinite (HiGHS' infinite_bound, SCIP's infinity); 1e15 is near
HUGE_BOUND = 1e15


def _check_bounds(plan: ScalingPlan, structure: BilevelStructure) -> None:
    """Warn about variable bounds so large that solvers treat them as infinite or lose their precision."""
    variables = list(structure.leader_variables) + [v for form in structure.followers for v in form.variables]
    for var in variables:
        huge = [b for b in (var.lb, var.ub) if b is not None and abs(float(b)) >= HUGE_BOUND]
        if huge:
            note = (f"variable {var.name} has the bound {huge[0]:.3g}: solvers read bounds from 1e20 as infinite "
                    f"and lose precision from {HUGE_BOUND:g}; rescale {var.name} or drop the bound if it never binds")
            plan.notes.append(note)
            warnings.warn(note, ScalingWarning, stacklevel=4)


def _follower_candidates(form: FollowerForm) -> list[ConstraintData]:
    """Linear follower rows that may be badly scaled or hold a tiny coefficient, found on the
    compiled arrays at once (the rows are then checked one by one)."""
    if form.n_rows == 0:
        return []
    matrix = abs(sp.hstack([form.A_y, form.A_x]).tocsr())
    largest = matrix.max(axis=1).toarray().ravel()
    flagged = (largest < ROW_LOW) | (largest > ROW_HIGH)
    entries = matrix.tocoo()
    flagged[entries.row[(entries.data > 0) & (entries.data <= AT_RISK)]] = True
    flagged[list(form.row_nonlinear)] = False
    flagged &= ~form.leader_nonlinear
    return [form.constraints[i] for i in np.flatnonzero(flagged)]


def _lost(terms: list, factor: float) -> list:
    """Terms of the row times ``factor`` that matter (move it beyond the tolerance) yet are at risk."""
    return [(v, a, r) for v, a, r in terms if a * factor * r > FEASIBILITY_TOL and a * factor <= AT_RISK]


def _warn_harmless(plan: ScalingPlan, con: ConstraintData, terms: list, factor: float) -> None:
    """Warn about coefficients solvers may drop (row times ``factor``) that cannot move it beyond the tolerance."""
    for v, a, r in terms:
        if a * factor > AT_RISK:
            continue
        note = (
            f"constraint {con.name}: the coefficient {a:.3g} of {v.name} is below the solvers' zero tolerance "
            f"and may be dropped; over {v.name}'s range ({r:.3g}) it moves the row by at most {a * factor * r:.3g}"
            + (f" (the row times {factor:g})" if factor != 1 else "") + ", "
            "within the feasibility tolerance"
        )
        plan.notes.append(note)
        warnings.warn(note, ScalingWarning, stacklevel=4)


def _frozen_rows(structure: BilevelStructure, options: dict) -> dict:
    """Rows whose dual the user refers to in its own units: ``bl.dual``, dual bounds."""
    frozen = {}
    for ref in structure.dual_references:
        frozen[ref.constraint] = ref.name
    for form in structure.followers:
        suffix = form.follower.component("BigM")
        if isinstance(suffix, Suffix) or options.get("dual_bound") is not None:
            for con in form.constraints:
                frozen.setdefault(con, "a dual bound (dual_bound or a BigM Suffix)")
    return frozen


def _range(var: VarData) -> float:
    if var.lb is None or var.ub is None:
        return math.inf
    return float(var.ub) - float(var.lb)


def _power_of_ten(value: float) -> str:
    return f"1e{max(1, int(math.floor(math.log10(value)))) if math.isfinite(value) and value > 0 else 6}"


def _scaled(con: ConstraintData, factor: float):
    """``factor`` times the row, as a relational expression with the constant moved to the bounds."""
    repn = generate_standard_repn(con.body, quadratic=False, compute_values=True)
    body = LinearExpression(
        constant=0.0,
        linear_coefs=[factor * float(a) for a in repn.linear_coefs],
        linear_vars=list(repn.linear_vars),
    )
    shift = float(repn.constant)
    lower = None if not con.has_lb() else factor * (float(con.lb) - shift)
    upper = None if not con.has_ub() else factor * (float(con.ub) - shift)
    if con.equality:
        return body == upper
    return (lower, body, upper)
