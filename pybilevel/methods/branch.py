"""A reformulation's model on one branch of its complementarity: the side each pair's point chose."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pyomo.common.modeling import unique_component_name
from pyomo.core.base.block import Block
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.sos import SOSConstraint
from pyomo.environ import value
from pyomo.mpec import Complementarity

if TYPE_CHECKING:
    from pybilevel.methods.transformation import Reformulation

__all__ = ["fix_branch"]


def fix_branch(reformulation: Reformulation) -> Callable[[], None]:
    """Replace each pair's complementarity by the side the point chose and fix the leader's integer
    variables; return the function that undoes it."""
    structure = reformulation.structure
    model = reformulation.model
    switched_off = [
        component
        for dual in reformulation.duals
        for component in dual.block.component_objects((Constraint, SOSConstraint, Complementarity), descend_into=True)
        if component.active and component is not dual.block.stationarity
    ]
    active_slacks, zeroed = [], []
    for dual in reformulation.duals:
        for pair in dual.pairs:
            if pair.multiplier.fixed:
                continue  # a never-active constraint's multiplier, already 0
            if _num(pair.multiplier.value) >= abs(float(value(pair.slack))):
                active_slacks.append(pair.slack)
            else:
                zeroed.append(pair.multiplier)
    integers = [v for v in structure.leader_variables if not v.is_continuous() and not v.fixed and v.value is not None]
    for component in switched_off:
        component.deactivate()
    for mult in zeroed:
        mult.fix(0.0)
    for var in integers:
        var.fix(round(var.value))
    name = unique_component_name(model, "_pybilevel_polish")
    model.add_component(name, Block())
    model.component(name).active_side = Constraint(range(len(active_slacks)), rule=lambda _, k: active_slacks[k] == 0)

    def undo() -> None:
        model.del_component(name)
        for var in zeroed + integers:
            var.unfix()
        for component in switched_off:
            component.activate()

    return undo


def _num(number) -> float:
    return 0.0 if number is None else float(number)
