"""The built-in methods. Importing this module (``import pybilevel`` does) registers each of them
by name (:func:`pybilevel.methods.base.register`) and its ``bilevel.*`` Pyomo transformation.

A new method is one new file whose ``METHOD`` object is registered, and one name in the import
below (``docs/architecture.md``).
"""
# the order of this import is the order of bl.METHODS, the tables and the CLI
from pybilevel.methods import kkt, bigm, strong_duality, sos1, regularized, value_function, branch_and_cut, interdiction, discretization, interdiction_cuts  # noqa: F401,E501  # isort: skip
from pybilevel.methods.base import GLOBAL, LOCAL, SPECIAL, names_of_kind

__all__ = ["METHODS", "GLOBAL_METHODS", "LOCAL_METHODS", "SPECIAL_METHODS"]

#: the general methods, each for every follower class it names
METHODS = names_of_kind(GLOBAL, LOCAL)
#: general methods whose default solver proves global optimality (of the single-level model, or by decomposition)
GLOBAL_METHODS = names_of_kind(GLOBAL)
#: methods that return a local (stationary) point
LOCAL_METHODS = names_of_kind(LOCAL)
#: methods for one problem form only; they refuse every model outside it
SPECIAL_METHODS = names_of_kind(SPECIAL)
