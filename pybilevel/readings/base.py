"""The interface of a reading: which follower optimum counts when the follower has several.

A reading rewrites the problem in front of any method and maps the method's answer back (a
reduction in cvxpy's sense: apply, then invert). The optimistic reading is the methods' own, so
its rewrite is the identity; the pessimistic one rewrites the problem into an optimistic one.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.results import BilevelResult
    from pybilevel.timing import TimeBudget

__all__ = ["Reading"]

class Reading(ABC):
    """One reading of the bilevel problem. Subclasses set ``name``."""

    name: ClassVar[str]

    @abstractmethod
    def applied(self, structure: BilevelStructure, timings: dict[str, float]) -> AbstractContextManager[BilevelStructure]:
        """A context in which the model is the problem the methods solve (its structure is
        yielded); the model is restored on exit."""

    @abstractmethod
    def invert(self, structure: BilevelStructure, result: BilevelResult, budget: TimeBudget) -> None:
        """Turn the method's answer (the point in the restored model) into this reading's answer,
        with the solves it needs drawing on ``budget``."""
