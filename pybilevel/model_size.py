"""Size of a Pyomo model: rows, columns, nonzeros of the active constraints."""
from __future__ import annotations

from pyomo.core.base.block import BlockData
from pyomo.core.base.constraint import Constraint
from pyomo.core.expr.visitor import identify_variables

__all__ = ["model_size"]


def model_size(model: BlockData) -> dict[str, int]:
    """Count active constraints, the variables they use, and their (variable, row) incidences."""
    rows = 0
    nonzeros = 0
    columns: set[int] = set()
    for con in model.component_data_objects(Constraint, active=True, descend_into=True):
        rows += 1
        used = {id(v) for v in identify_variables(con.body, include_fixed=False)}
        nonzeros += len(used)
        columns |= used
    return {"rows": rows, "columns": len(columns), "nonzeros": nonzeros}
