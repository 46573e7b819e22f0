"""The options ``products`` and ``price_levels`` of the reformulations, declared once with their
checks (what they do: :mod:`~pybilevel.methods.products`, ``docs/duals_in_leader.md``)."""
from __future__ import annotations

import math
import numbers

from pyomo.common.collections import ComponentMap
from pyomo.common.config import ConfigDict, ConfigValue
from pyomo.core.base.var import Var, VarData

__all__ = ["PRODUCT_ROUTES", "declare_product_options", "check_price_levels"]

PRODUCT_ROUTES = ("bilinear", "linearise", "levels")


def _route(value) -> str:
    if value not in PRODUCT_ROUTES:
        raise ValueError(f"products must be one of {', '.join(map(repr, PRODUCT_ROUTES))}, got {value!r}")
    return value


def check_price_levels(value) -> ComponentMap | None:
    """The option's domain: ``{leader Var or VarData: [levels]}`` -> ComponentMap VarData -> levels
    (an indexed Var gives its levels to each of its elements); ValueError saying what is wrong."""
    if value is None:
        return None
    if not hasattr(value, "items"):
        raise ValueError(f"price_levels must be a dict {{leader variable: [levels]}}, got {value!r}")
    levels = ComponentMap()
    for var, given in value.items():
        if not isinstance(var, (Var, VarData)):
            raise ValueError(f"price_levels has the key {var!r}; keys must be leader variables (m.offer or m.offer[g])")
        numbers_ = list(given) if isinstance(given, (list, tuple)) else None
        if not numbers_ or not all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in numbers_
        ):
            raise ValueError(f"price_levels[{var.name}] must be a non-empty list of finite numbers, got {given!r}")
        if len(set(numbers_)) != len(numbers_):
            raise ValueError(f"price_levels[{var.name}] repeats a level: {given!r}")
        for element in var.values() if var.is_indexed() else [var]:
            levels[element] = [float(v) for v in numbers_]
    return levels


def declare_product_options(config: ConfigDict) -> ConfigDict:
    """Declare ``products`` and ``price_levels`` on ``config``."""
    config.declare("products", ConfigValue(
        default="bilinear", domain=_route,
        description="the leader objective's price x quantity products: 'bilinear' (as written, SCIP), "
        "'linearise' (exact linear rewrite of bl.dual(row) * follower variable, Ruiz & Conejo 2009) or "
        "'levels' (binary expansion over price_levels, Pereira et al. 2005)",
    ))
    config.declare("price_levels", ConfigValue(
        default=None, domain=check_price_levels,
        description="{leader variable (indexed or not): [levels]} for products='levels'",
    ))
    return config
