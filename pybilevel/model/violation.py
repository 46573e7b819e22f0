"""How far the values held by the variables are from satisfying constraints and bounds."""
from __future__ import annotations

from collections.abc import Iterable

from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.var import VarData
from pyomo.environ import value

__all__ = ["max_violation"]


def max_violation(
    constraints: Iterable[ConstraintData], variables: Iterable[VarData], relative: bool = False
) -> float:
    """Largest violation of a constraint side or a variable bound at the current values; with
    ``relative``, each divided by max(1, |its bound|). A variable without a value counts as inf."""
    worst = 0.0
    for con in constraints:
        body = value(con.body, exception=False)
        if body is None:  # a variable in it has no value
            return float("inf")
        for bound, excess in ((con.lower, lambda b: float(value(b)) - body), (con.upper, lambda b: body - float(value(b)))):
            if bound is not None:
                worst = max(worst, excess(bound) / (max(1.0, abs(float(value(bound)))) if relative else 1.0))
    for var in variables:
        if var.value is None:
            return float("inf")
        for bound, excess in ((var.lb, lambda b: b - var.value), (var.ub, lambda b: var.value - b)):
            if bound is not None:
                worst = max(worst, excess(bound) / (max(1.0, abs(bound)) if relative else 1.0))
    return worst
