"""The ``bilevel.*`` transformations, registered with Pyomo's TransformationFactory on import."""
from pybilevel.reformulations.base import BilevelTransformation, Feature, Reformulation, find_reformulation
from pybilevel.reformulations.bigm import BigMTransformation
from pybilevel.reformulations.interdiction import InterdictionTransformation
from pybilevel.reformulations.kkt import KKTTransformation
from pybilevel.reformulations.regularized import RegularizedTransformation
from pybilevel.reformulations.sos1 import SOS1Transformation
from pybilevel.reformulations.strong_duality import StrongDualityTransformation

#: method name -> transformation class
TRANSFORMATIONS = {
    cls.method: cls
    for cls in (
        KKTTransformation,
        BigMTransformation,
        StrongDualityTransformation,
        SOS1Transformation,
        RegularizedTransformation,
        InterdictionTransformation,
    )
}

__all__ = [
    "BilevelTransformation",
    "Feature",
    "Reformulation",
    "TRANSFORMATIONS",
    "find_reformulation",
]
