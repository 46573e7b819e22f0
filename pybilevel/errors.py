"""The one exception family of pybilevel. Every message names a component and a remedy."""
from __future__ import annotations

__all__ = [
    "BilevelError",
    "StructureError",
    "MethodRefusedError",
    "BigMError",
    "SolverUnavailableError",
    "DataError",
    "ScalingError",
]


class BilevelError(Exception):
    """Base class of every error pybilevel raises on purpose."""


class StructureError(BilevelError):
    """The bilevel model is malformed: no follower, two objectives, a variable in two followers."""


class MethodRefusedError(BilevelError):
    """The chosen method cannot handle this follower class; the message names one that can."""


class BigMError(BilevelError):
    """No valid big-M value could be found for a complementarity pair."""


class SolverUnavailableError(BilevelError):
    """An embedded solver package is missing or cannot solve this problem class."""


class DataError(BilevelError):
    """Input data (CSV files, parameters) is missing or malformed."""


class ScalingError(BilevelError):
    """A row is so badly scaled that a solver's tolerance would erase a coefficient that matters."""
