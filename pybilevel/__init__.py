"""pybilevel: bilevel optimization on top of Pyomo.

Write the leader as a Pyomo model, each follower as a :class:`Follower` block in it, then call
:func:`solve` (any Pyomo solver with ``solver="cbc"`` etc.), or :func:`reformulate` to get the
single-level model and solve it yourself. The reformulations are also Pyomo transformations (``bilevel.kkt``,
``bilevel.bigm``, ``bilevel.strong_duality``, ``bilevel.sos1``, ``bilevel.interdiction``).
"""
from pybilevel.errors import (
    BigMError,
    BilevelError,
    DataError,
    MethodRefusedError,
    ScalingError,
    SolverUnavailableError,
    StructureError,
)
from pybilevel.io.mibs import read_mibs, write_mibs
from pybilevel.methods.registry import (
    GLOBAL_METHODS,
    LOCAL_METHODS,
    METHODS,
    SPECIAL_METHODS,
)
from pybilevel.methods.transformation import find_reformulation
from pybilevel.model.dual_reference import dual
from pybilevel.model.follower import Follower
from pybilevel.model.structure import analyze
from pybilevel.plot import picture  # noqa: F401  (registers BilevelResult.plot)
from pybilevel.reformulate import reformulate
from pybilevel.results import BilevelResult, CertificateWarning, ScalingWarning, Status
from pybilevel.solve import solve

__all__ = [
    "Follower",
    "dual",
    "solve",
    "reformulate",
    "read_mibs",
    "write_mibs",
    "analyze",
    "find_reformulation",
    "METHODS",
    "SPECIAL_METHODS",
    "GLOBAL_METHODS",
    "LOCAL_METHODS",
    "BilevelResult",
    "Status",
    "CertificateWarning",
    "ScalingWarning",
    "BilevelError",
    "StructureError",
    "MethodRefusedError",
    "BigMError",
    "SolverUnavailableError",
    "DataError",
    "ScalingError",
]
