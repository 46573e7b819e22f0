"""Every method by name. Importing this module registers the ``bilevel.*`` transformations.

A new method is one new file with a ``METHOD`` object (:class:`pybilevel.methods.base.Method`)
and one entry in :data:`METHODS_BY_NAME` below (``docs/architecture.md``).
"""
from __future__ import annotations

from pybilevel.errors import MethodRefusedError
from pybilevel.methods import bigm, discretization, interdiction, kkt, regularized, sos1, strong_duality, value_function
from pybilevel.methods.base import Method

__all__ = ["METHODS_BY_NAME", "method_named", "names_of_kind"]

#: method name -> method, in the order the tables and the CLI list them
METHODS_BY_NAME: dict[str, Method] = {
    m.METHOD.name: m.METHOD for m in (kkt, bigm, strong_duality, sos1, regularized, value_function, interdiction, discretization)
}


def names_of_kind(*kinds: str) -> tuple[str, ...]:
    """Names of the methods of the given kinds (GLOBAL, LOCAL, SPECIAL)."""
    return tuple(name for name, method in METHODS_BY_NAME.items() if method.kind in kinds)


def method_named(name: str) -> Method:
    """The method called ``name``, or a refusal listing the names there are."""
    if name not in METHODS_BY_NAME:
        raise MethodRefusedError(f"unknown method '{name}'; choose 'auto' or one of {', '.join(METHODS_BY_NAME)}.")
    return METHODS_BY_NAME[name]

