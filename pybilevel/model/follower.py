"""The follower (lower-level) block a user adds to a leader's Pyomo model."""
from __future__ import annotations

from pyomo.common.collections import ComponentSet
from pyomo.core.base.block import BlockData, declare_custom_block
from pyomo.core.base.var import Var, VarData

__all__ = ["Follower", "FollowerData"]  # noqa: F822 (Follower: made by declare_custom_block below)


@declare_custom_block(name="Follower")
class FollowerData(BlockData):
    """One follower: the variables, constraints and the single objective declared on it.

    Every variable declared on the block (or on its sub-blocks) is the follower's.
    A variable declared elsewhere becomes the follower's through
    :meth:`add_variables`. Every other variable the follower's constraints or
    objective use is a leader variable, fixed from the follower's point of view.
    """

    def __init__(self, component):
        super().__init__(component)
        self._external_variables = ComponentSet()

    def add_variables(self, *variables) -> None:
        """Name variables declared outside this block as decided by this follower.

        Accepts scalar or indexed ``Var`` components and single ``VarData``.
        """
        from pybilevel.errors import StructureError  # noqa: PLC0415

        for var in variables:
            if isinstance(var, VarData):
                self._external_variables.add(var)
            elif getattr(var, "ctype", None) is Var:
                self._external_variables.update(var.values())
            else:
                what = getattr(var, "name", None) or repr(var)[:40]
                kind = getattr(getattr(var, "ctype", None), "__name__", None) or type(var).__name__
                raise StructureError(
                    f"{self.name}.add_variables() takes Pyomo Var components, got {what} "
                    f"({kind}); pass e.g. m.z or m.z[1]."
                )

    @property
    def external_variables(self) -> ComponentSet:
        """Variables declared outside this block that this follower decides."""
        return self._external_variables
