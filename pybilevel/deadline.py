"""The running step's time budget, for loops deep inside a step that cannot take it as an argument
(the bounds a Pyomo transformation computes by LP): :func:`check_time` stops them once it is spent."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pybilevel.timing import TimeBudget

__all__ = ["BudgetSpent", "check_time", "under_budget"]


class BudgetSpent(Exception):
    """The call's time limit ran out during ``step``, a step with no partial answer to give."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


#: the budget of the step running now, for loops deep inside it (bounds.py's LPs) to check
_RUNNING: ContextVar[TimeBudget | None] = ContextVar("pybilevel_running_budget", default=None)


@contextmanager
def under_budget(budget: TimeBudget) -> Iterator[None]:
    """Let :func:`check_time` calls inside the block stop it once ``budget`` is spent."""
    token = _RUNNING.set(budget)
    try:
        yield
    finally:
        _RUNNING.reset(token)


def check_time(step: str) -> None:
    """Raise :class:`BudgetSpent` naming ``step`` if the running budget (if any) is spent."""
    budget = _RUNNING.get()
    if budget is not None and budget.spent:
        raise BudgetSpent(step)
