"""What a single-level model contains beyond an LP: the solver is chosen from these."""
from __future__ import annotations

__all__ = ["Feature"]


class Feature:
    """What a single-level model contains beyond an LP; the solver is chosen from these."""

    INTEGER = "integer variables"
    QUADRATIC_OBJECTIVE = "quadratic objective"
    NONCONVEX_OBJECTIVE = "nonconvex objective"
    BILINEAR = "bilinear constraints"
    COMPLEMENTARITY = "complementarity constraints"
    SOS1 = "SOS1 sets"
    NONLINEAR = "nonlinear expressions"
    REGULARIZED = "regularised complementarity (solved locally)"
