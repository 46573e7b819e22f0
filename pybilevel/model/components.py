"""What the structure check refuses before any method runs: every component and expression it
cannot read faithfully, named, so that nothing is silently skipped (docs/reliability.md).

* the argument itself: a constructed Pyomo model or block, nothing else;
* components: Var, Constraint, Objective, Param, Set, Expression, Suffix and blocks (a Follower is
  a block) pass; anything else active (a GDP Disjunction or Disjunct, a LogicalConstraint, an
  SOSConstraint, a Piecewise, a Complementarity, an ExternalFunction, ...) is refused by name;
* expressions of active constraints and objectives: a fixed variable without a value, a variable
  of another model, ``Expr_if``, a ranged row with variables in its bounds, and nonsmooth
  functions (abs, floor, ceil, sign) in a follower.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from pyomo.core.base.block import Block, BlockData
from pyomo.core.base.boolean_var import BooleanVar
from pyomo.core.base.constraint import Constraint, ConstraintData
from pyomo.core.base.expression import Expression
from pyomo.core.base.objective import Objective
from pyomo.core.base.param import Param
from pyomo.core.base.piecewise import Piecewise
from pyomo.core.base.set import RangeSet, Set, SetOf
from pyomo.core.base.suffix import Suffix
from pyomo.core.base.var import Var, VarData
from pyomo.core.expr.numeric_expr import Expr_ifExpression, UnaryFunctionExpression
from pyomo.core.expr.numvalue import native_types

from pybilevel.errors import StructureError

__all__ = ["check_model_argument", "check_components", "KNOWN_COMPONENTS", "NONSMOOTH_FUNCTIONS"]

#: component types the structure check and the methods read
KNOWN_COMPONENTS = (Var, Constraint, Objective, Param, Set, RangeSet, SetOf, Expression, Suffix, Block)
#: functions whose derivative jumps: a follower using them has no KKT conditions
NONSMOOTH_FUNCTIONS = ("abs", "floor", "ceil", "sign")

_REMEDY = {
    "Disjunct": "pybilevel's methods do not read GDP disjunctions: apply "
    "TransformationFactory('gdp.bigm') or TransformationFactory('gdp.hull') to the model before "
    "solving (exact: it turns the disjunction into binary variables and constraints; inside a "
    "follower this makes the follower integer)",
    "LogicalConstraint": "pybilevel's methods do not read logical constraints: apply "
    "TransformationFactory('core.logical_to_linear') to the model before solving, or write the "
    "logic with binary variables and linear constraints",
    "BooleanVar": "pybilevel's methods do not read Boolean variables: use binary Var components "
    "(or apply TransformationFactory('core.logical_to_linear'))",
    "SOSConstraint": "SOS constraints are not passed on by every method and solver: write the "
    "condition with binary variables and linear constraints",
    "Piecewise": "a Piecewise holds SOS2 sets that the methods do not read: write the function "
    "with binary variables and linear constraints",
    "Complementarity": "pybilevel builds each follower's complementarity from its KKT conditions "
    "itself; a user Complementarity is not read: put the lower-level problem in a Follower block "
    "instead, or apply TransformationFactory('mpec.simple_disjunction') and then 'gdp.bigm'",
}
_REMEDY["Disjunction"] = _REMEDY["Disjunct"]


def check_model_argument(model: object) -> BlockData:
    """``model`` if it is a constructed Pyomo model or block; StructureError saying what it is otherwise."""
    if isinstance(model, BlockData):
        if not model.parent_component().is_constructed():
            raise StructureError(
                f"model {model.name} is an AbstractModel that is not constructed: pass "
                "model.create_instance(data) instead."
            )
        return model
    if getattr(model, "ctype", None) is Block:  # an indexed block
        raise StructureError(
            f"{model.name} is an indexed block; pass one of its blocks, e.g. {model.name}[i], or the model."
        )
    raise StructureError(
        f"expected a Pyomo model (a ConcreteModel or Block with a pybilevel Follower on it), got "
        f"{type(model).__name__} {_short_repr(model)}; build the model with pyomo.environ.ConcreteModel()."
    )


def check_components(model: BlockData, followers: Sequence[BlockData]) -> None:
    """Refuse every active component and expression the methods cannot read (module docstring).

    ``followers`` are the model's Follower blocks (:func:`pybilevel.model.structure.find_followers`).
    """
    root = model.model()
    for block, follower in _active_blocks(model, {id(f) for f in followers}):
        active = [c for c in block.component_objects(descend_into=False) if getattr(c, "active", True)]
        for component in sorted(active, key=lambda c: c.ctype is BooleanVar):  # name what uses them first
            _check_component_type(component, follower)
        for ctype in (Constraint, Objective):
            for data in block.component_data_objects(ctype, descend_into=False, active=True):
                _check_expression(data, follower, root)
        if follower is not None and block is follower:
            for var in follower.external_variables:
                _check_foreign(var, f"{follower.name}.add_variables()", root)


def _active_blocks(model: BlockData, followers: set[int]) -> Iterator[tuple[BlockData, BlockData | None]]:
    """Every active block under ``model`` (itself included) with the follower it belongs to."""
    stack: list[tuple[BlockData, BlockData | None]] = [(model, model if id(model) in followers else None)]
    while stack:
        block, follower = stack.pop()
        yield block, follower
        for component in block.component_objects(Block, descend_into=False, active=True):
            if isinstance(component, Piecewise):
                continue  # refused by name in _check_component_type
            for sub in component.values():
                if sub.active:
                    stack.append((sub, sub if id(sub) in followers else follower))


def _where(follower: BlockData | None) -> str:
    return f"in follower {follower.name}" if follower is not None else "in the leader's model"


def _check_component_type(component, follower: BlockData | None) -> None:
    kind = "Piecewise" if isinstance(component, Piecewise) else component.ctype.__name__
    if kind != "Piecewise" and component.ctype in KNOWN_COMPONENTS:
        return
    remedy = _REMEDY.get(kind) or (
        f"pybilevel's methods read only {', '.join(c.__name__ for c in KNOWN_COMPONENTS)} and "
        "Follower components and would silently ignore it: remove or deactivate it, or write it "
        "with variables and constraints"
    )
    raise StructureError(f"component {component.name} ({kind}) {_where(follower)} is not supported: {remedy}.")


def _check_expression(data, follower: BlockData | None, root: BlockData) -> None:
    """One active constraint or objective: its rows and every variable in them."""
    what = f"{'constraint' if isinstance(data, ConstraintData) else 'objective'} {data.name}"
    if isinstance(data, ConstraintData):
        try:
            data.lower, data.upper, data.body  # noqa: B018  (Pyomo raises for variable range bounds)
        except (ValueError, TypeError) as exc:
            raise StructureError(
                f"{what} {_where(follower)} cannot be read as a row: {_first_line(exc)} Write a "
                "ranged row with variables in its bounds, inequality(x, y, 8), as two constraints "
                "x <= y and y <= 8."
            ) from None
    for node in _nodes(data.expr):
        if isinstance(node, VarData):
            if node.fixed and node.value is None:
                raise StructureError(
                    f"variable {node.name} in {what} is fixed but has no value: fix it at a value "
                    f"({node.name}.fix(3.0)) or unfix it."
                )
            _check_foreign(node, what, root)
        elif isinstance(node, Expr_ifExpression):
            raise StructureError(
                f"{what} {_where(follower)} uses Expr_if, which the methods cannot reformulate "
                "(it has no derivative at its switch): model the condition with a binary "
                "variable and big-M constraints."
            )
        elif follower is not None and isinstance(node, UnaryFunctionExpression) and node.getname() in NONSMOOTH_FUNCTIONS:
            raise StructureError(
                f"{what} {_where(follower)} uses {node.getname()}(), which is nonsmooth: a "
                "follower needs differentiable rows and objective for its optimality conditions. "
                "Write |e| <= t as e <= t and -e <= t, or min |e| with a variable t >= e, t >= -e."
            )


def _check_foreign(var: VarData, where: str, root: BlockData) -> None:
    if var.model() is not root:
        owner = var.model()
        raise StructureError(
            f"{where} uses variable {var.name}, which is not part of model {root.name} "
            f"({'it is on no model' if owner is None else f'it belongs to another model, {owner.name}'}): "
            "declare the variable on this model (its values would otherwise be reported under a "
            "name this model may also use)."
        )


def _nodes(expr) -> Iterator[object]:
    """Every expression node and variable of ``expr`` (named expressions expanded)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if type(node) in native_types:
            continue
        if node.is_expression_type():
            yield node
            stack.extend(node.args)
        elif node.is_variable_type():
            yield node


def _first_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if text.endswith(".") else text + "."


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
