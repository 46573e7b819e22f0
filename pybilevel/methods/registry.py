"""The ``bilevel.*`` transformations, registered with Pyomo's TransformationFactory on import."""
from pybilevel.methods.transformation import BilevelTransformation, Feature, Reformulation, find_reformulation
from pybilevel.methods.bigm import BigMTransformation
from pybilevel.methods.interdiction import InterdictionTransformation
from pybilevel.methods.kkt import KKTTransformation
from pybilevel.methods.regularized import RegularizedTransformation
from pybilevel.methods.sos1 import SOS1Transformation
from pybilevel.methods.strong_duality import StrongDualityTransformation

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
