"""Size of a Pyomo model: rows, columns, nonzeros of the active constraints."""
from __future__ import annotations

from pyomo.common.numeric_types import native_types
from pyomo.core.base.block import BlockData
from pyomo.core.base.constraint import Constraint
from pyomo.core.expr.numeric_expr import (
    LinearExpression,
    MonomialTermExpression,
    SumExpression,
)
from pyomo.core.expr.relational_expr import RelationalExpression
from pyomo.core.expr.visitor import identify_variables

__all__ = ["model_size"]

#: expressions whose arguments are walked here; anything else goes to Pyomo's identify_variables
_SUMS = (LinearExpression, SumExpression)


def model_size(model: BlockData) -> dict[str, int]:
    """Count active constraints, the variables they use, and their (variable, row) incidences."""
    rows = 0
    nonzeros = 0
    columns: dict[int, None] = {}
    for con in model.component_data_objects(Constraint, active=True, descend_into=True):
        rows += 1
        used: dict[int, None] = {}
        _collect(con.expr, used)
        nonzeros += len(used)
        columns.update(used)
    return {"rows": rows, "columns": len(columns), "nonzeros": nonzeros}


def _collect(expr, found: dict[int, None]) -> None:
    """Add the ids of the unfixed variables in ``expr`` to ``found``.

    Relational and (linear) sum expressions, monomials and variables, the nodes of linear
    rows, are taken apart directly; other subexpressions go to ``identify_variables``.
    """
    if expr.__class__ in native_types:
        return
    if not expr.is_expression_type():
        if expr.is_variable_type() and not expr.fixed:
            found[id(expr)] = None
        return
    if isinstance(expr, (RelationalExpression, *_SUMS)):
        for arg in expr.args:
            if arg.__class__ is MonomialTermExpression:  # the common case, inline
                var = arg.args[1]
                if not var.fixed:
                    found[id(var)] = None
            elif arg.__class__ not in native_types:
                _collect(arg, found)
    elif expr.__class__ is MonomialTermExpression:
        _collect(expr.args[1], found)
    else:
        for var in identify_variables(expr, include_fixed=False):
            found[id(var)] = None
