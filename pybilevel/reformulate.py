"""``pybilevel.reformulate``: the single-level model of a reformulation method, for users who solve
it themselves (any Pyomo solver, or a file written with Pyomo's writers) and map the answer back.

    r = bl.reformulate(m, "bigm")            # m now holds the single-level problem
    SolverFactory("cbc").solve(m)            # or m.write("m.lp", io_options=...), solve elsewhere, load
    r.complete_solution()                    # fill in what the single-level model leaves open
    x, y = m.x.value, m.f.y.value            # leader and follower values; multipliers in r.duals
    r.remove()                               # m is the bilevel model again
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pybilevel.errors import MethodRefusedError
from pybilevel.methods.base import WithOptions
from pybilevel.methods.choice import choose_method, requested_method
from pybilevel.methods.reformulation import ReformulationMethod
from pybilevel.model.structure import analyze

if TYPE_CHECKING:
    from pyomo.core.base.block import BlockData

    from pybilevel.methods.base import Method
    from pybilevel.methods.transformation import Reformulation

__all__ = ["reformulate"]


def reformulate(model: BlockData, method: str = "auto", solver: str | None = None, **method_options) -> Reformulation:
    """Add ``method``'s single-level reformulation to ``model`` and return it (the inverse data).

    The model is prepared for ``solver`` as :func:`pybilevel.solve` would prepare it (``kkt``:
    SOS1 sets, or pyomo.mpec's products for ``"ipopt"``; a Pyomo solver name is checked against
    what the model needs); ``solver=None`` prepares it for the solver pybilevel would choose.
    ``Reformulation.remove()`` undoes everything.
    """
    requested = requested_method(method)
    _refuse_decomposition(requested)
    structure = analyze(model)
    chosen, _ = choose_method(structure, requested)
    if isinstance(chosen, WithOptions):  # auto's options for the method; the user's win
        chosen, method_options = chosen.method, {**chosen.options, **method_options}
    _refuse_decomposition(chosen)
    reformulation = chosen.transformation().reformulate(structure, **method_options)
    try:
        chosen.choose_solver(reformulation, solver)
    except Exception:
        reformulation.remove()
        raise
    return reformulation


def _refuse_decomposition(method: Method | None) -> None:
    if method is not None and not isinstance(method, ReformulationMethod):
        raise MethodRefusedError(
            f"method '{method.name}' is a decomposition (a sequence of problems), not one single-level model; "
            "give a reformulation method: bigm, sos1, kkt, strong_duality."
        )
