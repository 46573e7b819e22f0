"""Follower duals as modelling objects of the leader: ``price = bl.dual(m.market.balance[n])``.

:func:`dual` returns a placeholder variable (one per constraint, on a hidden block of the
model) that the leader may use in its objective and constraints like any Pyomo expression. It is
neither a leader nor a follower decision: :func:`pybilevel.model.structure.analyze` lists it in
``structure.dual_references``, and every reformulation with multipliers links it to the
follower's multiplier in the convention of :mod:`pybilevel.model.duals`::

    placeholder == sense * (dual_lower - dual_upper + dual_equal)     (= res.follower_duals[con])

Methods without follower multipliers refuse it (:func:`refuse_dual_references`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyomo.common.collections import ComponentSet
from pyomo.core.base.block import Block, BlockData
from pyomo.core.base.constraint import Constraint, ConstraintData
from pyomo.core.base.set_types import PositiveIntegers
from pyomo.core.base.var import Var, VarData
from pyomo.core.expr.numeric_expr import LinearExpression

from pybilevel.errors import MethodRefusedError, StructureError
from pybilevel.model.convexity import FollowerClass

if TYPE_CHECKING:
    from pybilevel.model.follower_form import FollowerForm
    from pybilevel.model.kkt_system import FollowerDual

__all__ = [
    "DualReference",
    "dual",
    "dual_placeholders",
    "resolve_dual_references",
    "link_dual_references",
    "refuse_dual_references",
    "split_placeholders",
    "net_multiplier",
    "MULTIPLIER_METHODS",
]

#: name of the hidden block holding the placeholders
HIDDEN_BLOCK = "_pybilevel_duals"
#: the methods that link a dual reference to their multipliers (for refusal messages)
MULTIPLIER_METHODS = ("sos1", "kkt", "bigm", "strong_duality", "regularized")


@dataclass(frozen=True)
class DualReference:
    """A placeholder variable standing for the dual of ``constraint``, row ``row`` of ``form``."""

    placeholder: VarData
    constraint: ConstraintData
    form: FollowerForm
    row: int

    @property
    def name(self) -> str:
        return f"bl.dual({self.constraint.name})"


def dual(constraint) -> VarData | dict:
    """The dual of a follower constraint as a leader-side expression (a placeholder variable).

    ``bl.dual(m.f.balance[n])`` gives one placeholder; ``bl.dual(m.f.balance)`` (an indexed
    constraint) gives ``{index: placeholder}``. Asking twice for the same constraint gives the same
    placeholder. The constraint is checked when the model is analysed (it must be a row of an
    LP / convex-QP follower). Its value after a solve is ``res.follower_duals[follower][constraint name]``.
    """
    if isinstance(constraint, Constraint) and constraint.is_indexed():
        return {index: dual(con) for index, con in constraint.items()}
    if not isinstance(constraint, ConstraintData):
        raise StructureError(
            f"bl.dual() takes a follower constraint, got {type(constraint).__name__} "
            f"{getattr(constraint, 'name', constraint)!s}; pass e.g. m.f.balance[n]."
        )
    block = _hidden_block(constraint.model())
    for index, known in enumerate(block.constraints, start=1):
        if known is constraint:
            return block.dual[index]
    block.constraints.append(constraint)
    return block.dual[len(block.constraints)]


def _on_a_follower(constraint: ConstraintData, forms: list[FollowerForm]) -> bool:
    followers = {id(form.follower) for form in forms}
    parent = constraint.parent_block()
    while parent is not None and id(parent) not in followers:
        parent = parent.parent_block()
    return parent is not None


def _hidden_block(model: BlockData) -> BlockData:
    block = model.component(HIDDEN_BLOCK)
    if block is None:
        model.add_component(HIDDEN_BLOCK, Block())
        block = model.component(HIDDEN_BLOCK)
        block.dual = Var(PositiveIntegers, dense=False)
        block.constraints = []  # position k - 1 holds the constraint of dual[k]
    return block


def dual_placeholders(model: BlockData) -> dict[int, tuple[VarData, ConstraintData]]:
    """id(placeholder) -> (placeholder, constraint), for every placeholder of ``model``."""
    block = model.component(HIDDEN_BLOCK)
    if block is None:
        return {}
    return {id(block.dual[k]): (block.dual[k], con) for k, con in enumerate(block.constraints, start=1) if k in block.dual}


def resolve_dual_references(model: BlockData, used: list[VarData], forms: list[FollowerForm]) -> list[DualReference]:
    """The dual references among the variables ``used`` by the leader, each tied to its follower
    row; a :class:`StructureError` names a constraint that is no active row of an LP / convex-QP
    follower, or a follower that uses a placeholder itself."""
    placeholders = dual_placeholders(model)
    if not placeholders:
        return []
    for form in forms:
        inside = [v for v in form.leader_variables if id(v) in placeholders]
        if inside:
            raise StructureError(
                f"follower {form.follower.name} uses bl.dual({placeholders[id(inside[0])][1].name}): a follower "
                "dual can appear in the leader's objective and constraints only, not in a follower's problem."
            )
    rows = {id(con): (form, i) for form in forms for i, con in enumerate(form.constraints)}
    references = []
    for var in used:
        if id(var) not in placeholders:
            continue
        _, con = placeholders[id(var)]
        if not _on_a_follower(con, forms):
            raise StructureError(
                f"bl.dual({con.name}): {con.name} is not a follower's constraint (it is on no active "
                "Follower block); only follower constraints have duals the leader can use."
            )
        if id(con) not in rows:
            raise StructureError(
                f"bl.dual({con.name}): {con.name} is not an active follower constraint with follower "
                "variables in it (deactivated, or a constraint on the leader's variables only), so it has no dual."
            )
        form, row = rows[id(con)]
        if form.follower_class not in (FollowerClass.LP, FollowerClass.QP) or form.leader_nonlinear.any():
            raise StructureError(
                f"bl.dual({con.name}): follower {form.follower.name} is {form.follower_class}; follower duals "
                "in the leader need linear follower constraints and an at most quadratic follower objective."
            )
        references.append(DualReference(var, con, form, row))
    return references


def split_placeholders(model: BlockData, variables: list[VarData]) -> tuple[list[VarData], list[VarData]]:
    """(variables that are not placeholders, placeholders among them)."""
    placeholders = ComponentSet(v for v, _ in dual_placeholders(model).values())
    return [v for v in variables if v not in placeholders], [v for v in variables if v in placeholders]


def net_multiplier(dual_: FollowerDual, row: int) -> LinearExpression:
    """The reported dual of ``row`` as an expression in the multipliers: sense * (lower - upper + equal)."""
    terms = dual_.row_multipliers[row]
    sense = float(dual_.form.sense)
    return LinearExpression(
        constant=0.0, linear_coefs=[sense * sign for _, sign in terms], linear_vars=[mult for mult, _ in terms]
    )


def link_dual_references(block: BlockData, references: list[DualReference], duals: list[FollowerDual]) -> None:
    """Add ``block.dual_reference[k]: placeholder == sense * net multiplier`` for each reference."""
    if not references:
        return
    by_form = {id(d.form): d for d in duals}
    block.dual_reference = Constraint(
        range(len(references)),
        rule=lambda _, k: references[k].placeholder - net_multiplier(by_form[id(references[k].form)], references[k].row) == 0,
    )


def refuse_dual_references(references: list[DualReference], method: str) -> None:
    """Raise :class:`MethodRefusedError` if there are dual references: ``method`` has no multipliers."""
    if references:
        raise MethodRefusedError(
            f"method '{method}' cannot use {references[0].name} in the leader's problem: it does not model "
            f"the follower's multipliers; use one of {', '.join(repr(m) for m in MULTIPLIER_METHODS)}."
        )
