"""The one interface of every method: ``accepts`` a problem or says why not, ``solve`` it in a budget.

A method is one object in one file of :mod:`pybilevel.methods`. Reformulation methods build a
single-level model (:mod:`pybilevel.methods.reformulation`); decomposition methods solve a
sequence of problems (:mod:`pybilevel.methods.value_function`). Both load the point they found
into the model's variables and return a :class:`MethodOutcome`; :mod:`pybilevel.map_back` turns
that into the user's :class:`~pybilevel.results.BilevelResult`, and the pipeline in
:mod:`pybilevel.solve` certifies it. How to add a method: ``docs/architecture.md``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar

from pybilevel.errors import BilevelError, MethodRefusedError
from pybilevel.model.convexity import FollowerClass

if TYPE_CHECKING:
    from pybilevel.model.bounds import BigMValue
    from pybilevel.model.follower_form import FollowerForm
    from pybilevel.model.structure import BilevelStructure
    from pybilevel.progress import IterationRecord
    from pybilevel.timing import TimeBudget

__all__ = [
    "Method",
    "MethodOutcome",
    "WithOptions",
    "SolveRequest",
    "GLOBAL",
    "LOCAL",
    "SPECIAL",
    "METHODS_BY_NAME",
    "register",
    "method_named",
    "names_of_kind",
    "refusal_of",
    "refusal_message",
    "decomposition_options",
]

#: kinds of method: proves global optimality / returns a stationary point / one problem form only
GLOBAL, LOCAL, SPECIAL = "global", "local", "special"


@dataclass
class SolveRequest:
    """What the user asked of a solve beyond the method: solver, gap and the method's own options;
    the solver's own options and whether to show its log (``tee``)."""

    solver: str | None = None
    mip_gap: float = 1e-9
    options: dict = field(default_factory=dict)
    solver_options: dict = field(default_factory=dict)
    tee: bool = False

    def __post_init__(self) -> None:
        gap = self.mip_gap
        if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not 0 <= gap < float("inf"):
            raise MethodRefusedError(f"mip_gap must be a finite number >= 0 (relative gap, e.g. 1e-6), got {gap!r}.")
        if not isinstance(self.solver_options, dict):
            raise MethodRefusedError(f"solver_options must be a dict {{option name: value}}, got {self.solver_options!r}.")


@dataclass
class MethodOutcome:
    """What a method found. When ``has_point``, the model's variables hold the point."""

    status: str  # a pybilevel.results.Status
    message: str
    solver: str
    solver_reason: str
    has_point: bool = False
    bound: float | None = None  # proven bound on the leader's objective
    iterations: int | None = None  # a decomposition's iterations (branch_and_cut: nodes); a gap is reported with them
    history: list[IterationRecord] = field(default_factory=list)  # an iterative method's progress (progress.py)
    bigm: list[BigMValue] = field(default_factory=list)
    model_size: dict[str, int] = field(default_factory=dict)
    mpcc: dict[str, object] = field(default_factory=dict)
    polish: dict[str, object] = field(default_factory=dict)  # what polishing did (methods/polish.py)
    follower_duals: dict[str, dict[str, float]] = field(default_factory=dict)
    follower_reduced_costs: dict[str, dict[str, float]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # the method's own phases, in order
    #: the message already says which part is infeasible (no diagnosis afterwards)
    explains_infeasibility: bool = False
    #: set by auto's portfolio (methods/portfolio.py): the method that found this outcome, why
    #: auto ran it, and every attempt (method, slice, seconds, status, objective, bound)
    method: str | None = None
    method_reason: str | None = None
    portfolio: list[dict] = field(default_factory=list)


class Method(ABC):
    """A way to solve a bilevel problem. Subclasses set ``name`` and ``kind``."""

    name: ClassVar[str]
    kind: ClassVar[str]  # GLOBAL, LOCAL or SPECIAL

    @abstractmethod
    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        """None if this method solves ``structure``; else the refusal to raise, which names the
        follower (or component), the reason, and a method that would accept it."""

    @abstractmethod
    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        """Solve an accepted problem within ``budget``; load the point found into the model."""

    @abstractmethod
    def describe(self, structure: BilevelStructure, options: dict) -> str:
        """One line on what the method would solve (sizes, solver), for ``pybilevel inspect``."""


class WithOptions(Method):
    """A method run with options auto chose for it (the user's own options win over them)."""

    def __init__(self, method: Method, options: dict) -> None:
        self.method, self.options = method, options
        self.name, self.kind = method.name, method.kind

    def accepts(self, structure: BilevelStructure) -> BilevelError | None:
        return self.method.accepts(structure)

    def solve(self, structure: BilevelStructure, request: SolveRequest, budget: TimeBudget) -> MethodOutcome:
        return self.method.solve(structure, replace(request, options={**self.options, **request.options}), budget)

    def describe(self, structure: BilevelStructure, options: dict) -> str:
        return self.method.describe(structure, {**self.options, **options})


#: method name -> method, in the order the methods were registered (pybilevel.methods.registry)
METHODS_BY_NAME: dict[str, Method] = {}


def load_point(variables: Sequence, values: Sequence[float]) -> None:
    """Load a point a method found into the model's variables, integer ones rounded."""
    for var, value in zip(variables, values):
        var.set_value(float(value) if var.is_continuous() else float(round(value)), skip_validation=True)


def register(method: Method) -> Method:
    """Make ``method`` available by its name to ``pybilevel.solve`` and the CLI; returns it."""
    METHODS_BY_NAME[method.name] = method
    return method


def method_named(name: str) -> Method:
    """The method called ``name``, or a refusal listing the names there are."""
    if name not in METHODS_BY_NAME:
        raise MethodRefusedError(f"unknown method '{name}'; choose 'auto' or one of {', '.join(METHODS_BY_NAME)}.")
    return METHODS_BY_NAME[name]


def names_of_kind(*kinds: str) -> tuple[str, ...]:
    """Names of the registered methods of the given kinds (GLOBAL, LOCAL, SPECIAL)."""
    return tuple(name for name, method in METHODS_BY_NAME.items() if method.kind in kinds)


def refusal_of(check: Callable[[BilevelStructure], None], structure: BilevelStructure) -> BilevelError | None:
    """The refusal a raising check makes of ``structure``, or None if it passes."""
    try:
        check(structure)
    except BilevelError as refusal:
        return refusal
    return None


def decomposition_options(request: SolveRequest, method: str, defaults: dict, solver: str, solves: str) -> dict:
    """A decomposition's options: ``request.options`` over ``defaults``. Refuses, naming them, an
    option the method does not have and a solver other than its own ``solver`` (``solves``: what
    it solves with which solver, for the message)."""
    unknown = sorted(set(request.options) - set(defaults))
    if unknown:
        raise MethodRefusedError(
            f"method '{method}' has no option {', '.join(unknown)}; its options are "
            f"{', '.join([*defaults, 'time_limit', 'mip_gap'])}."
        )
    if request.solver not in (None, solver):
        raise MethodRefusedError(
            f"method '{method}' solves {solves}; leave solver unset (got '{request.solver}')."
        )
    return {**defaults, **request.options}


def refusal_message(form: FollowerForm, method: str) -> str:
    """Why ``method`` refuses this follower and what the user can do instead."""
    detail = "; ".join(form.reasons[:3])
    advice = {
        FollowerClass.INTEGER: (
            "KKT conditions do not describe an integer follower's optimum; use method 'value_function' "
            "(exact decomposition for MILP followers with integer linking leader variables), or relax the "
            "follower's integrality if it is a modelling choice"
        ),
        FollowerClass.NONCONVEX_QP: (
            "its objective's Hessian in the follower variables is not positive semidefinite, so "
            "KKT points need not be follower optima; make the follower objective convex"
        ),
        FollowerClass.NONCONVEX_NLP: (
            "a KKT point of a nonconvex follower need not be its optimum (" + detail + "); "
            "reformulate the follower so it is convex in its own variables"
        ),
        FollowerClass.CONVEX_NLP: (
            "this method needs linear follower constraints and at most a quadratic follower objective; "
            "use method 'sos1' or 'kkt' (global, SCIP) or 'regularized' (local, Ipopt)"
        ),
    }.get(form.follower_class, "")
    return f"method '{method}' cannot reformulate follower {form.follower.name} ({form.follower_class}): {advice}."
