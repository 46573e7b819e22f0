"""The options ``products`` and ``price_levels`` of the reformulations, declared once with their
checks (what they do: :mod:`~pybilevel.methods.products`, ``docs/duals_in_leader.md``)."""
from __future__ import annotations

import math
import numbers

from pyomo.common.config import ConfigDict, ConfigValue
from pyomo.core.base.var import Var, VarData

__all__ = ["PRODUCT_ROUTES", "declare_product_options", "check_price_levels"]

PRODUCT_ROUTES = ("bilinear", "linearise", "levels")


def _route(value) -> str:
    if value not in PRODUCT_ROUTES:
        raise ValueError(f"products must be one of {', '.join(map(repr, PRODUCT_ROUTES))}, got {value!r}")
    return value


def check_price_levels(value) -> list[tuple[Var | VarData | str, list[float]]] | None:
    """The option's domain: a mapping ``{leader variable or its name: [levels]}`` (a Pyomo
    ``ComponentMap`` for variables as keys; an indexed variable gives its levels to each element)
    -> a list of (key, levels); ValueError saying what is wrong."""
    if value is None:
        return None
    if not hasattr(value, "items"):
        raise ValueError(
            f"price_levels must be a dict {{leader variable: [levels]}}, got {value!r}; with Pyomo variables as "
            "keys use pyomo.common.collections.ComponentMap, or give their names ('offer[g1]') as keys"
        )
    checked = []
    for key, given in value.items():
        if not isinstance(key, (Var, VarData, str)):
            raise ValueError(f"price_levels has the key {key!r}; keys must be leader variables or their names")
        label = key if isinstance(key, str) else key.name
        levels = list(given) if isinstance(given, (list, tuple)) else None
        if not levels or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in levels):
            raise ValueError(f"price_levels[{label}] must be a non-empty list of finite numbers, got {given!r}")
        if len(set(levels)) != len(levels):
            raise ValueError(f"price_levels[{label}] repeats a level: {given!r}")
        checked.append((key, [float(v) for v in levels]))
    return checked


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
