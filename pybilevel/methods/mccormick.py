"""Exact linearisation of products of a binary leader variable and a bounded variable.

For ``x`` binary and ``lower <= v <= upper``, the McCormick envelope of ``w = x * v``::

    lower * x <= w <= upper * x,        v - upper * (1 - x) <= w <= v - lower * (1 - x)

is exact (``x = 0`` forces ``w = 0``; ``x = 1`` forces ``w = v``): it is big-M with the bounds of
``v`` as M. ``v`` is a follower multiplier (bounded like a big-M multiplier, see
:func:`~pybilevel.model.multiplier_bounds.bound_multipliers`) or a follower variable (bounded by its own bounds, else by an LP over
the high-point relaxation, see :func:`follower_variable_ranges`). Every bound is recorded as a
:class:`~pybilevel.model.bounds.BigMValue`: kind ``"multiplier"`` or ``"variable"`` (key
``"<follower variable>:lower|upper"``, always proven).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyomo.core.base.block import BlockData
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.var import Var, VarData

from pybilevel.model.bounds import BigMValue, HighPointRelaxation
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.kkt_system import FollowerDual

__all__ = [
    "Product",
    "add_products",
    "coupling_products",
    "multiplier_products",
    "follower_variable_ranges",
]

#: product of a binary leader variable and another variable -> the variable standing for it
Products = dict[tuple[int, int], VarData]


@dataclass(frozen=True)
class Product:
    """``binary * other`` with ``lower <= other <= upper``; ``key`` names it in the added components."""

    key: tuple[str, str]  # (multiplier key or follower variable name, binary leader variable name)
    binary: VarData
    other: VarData
    lower: float
    upper: float


def add_products(block: BlockData, products: list[Product]) -> Products:
    """Add ``product[key]`` and its four McCormick constraints to ``block``; return the map
    (id(other), id(binary)) -> product variable that the dual and primal objectives use."""
    if not products:
        return {}
    by_key = {p.key: p for p in products}
    keys = list(by_key)
    block.product = Var(keys, bounds=lambda _, *k: (min(by_key[k].lower, 0.0), max(by_key[k].upper, 0.0)))
    block.product_lower_binary = Constraint(
        keys, rule=lambda b, *k: b.product[k] >= by_key[k].lower * by_key[k].binary
    )
    block.product_upper_binary = Constraint(
        keys, rule=lambda b, *k: b.product[k] <= by_key[k].upper * by_key[k].binary
    )
    block.product_lower_other = Constraint(
        keys, rule=lambda b, *k: b.product[k] >= by_key[k].other - by_key[k].upper * (1 - by_key[k].binary)
    )
    block.product_upper_other = Constraint(
        keys, rule=lambda b, *k: b.product[k] <= by_key[k].other - by_key[k].lower * (1 - by_key[k].binary)
    )
    return {(id(p.other), id(p.binary)): block.product[p.key] for p in products}


def multiplier_products(dual: FollowerDual, ranges: dict[int, tuple[float, float]]) -> list[Product]:
    """Products multiplier x leader variable of the dual objective whose leader variable is binary
    and whose multiplier has a range."""
    form = dual.form
    a_x = form.A_x.tocsr()
    products = []
    names = _multiplier_keys(dual)
    for i, multipliers in enumerate(dual.row_multipliers):
        for k in range(a_x.indptr[i], a_x.indptr[i + 1]):
            x = form.leader_variables[a_x.indices[k]]
            if not x.is_binary():
                continue
            for mult, _ in multipliers:
                if id(mult) not in ranges:
                    continue  # unbounded: the product stays bilinear
                lower, upper = ranges[id(mult)]
                products.append(Product((names[id(mult)], x.name), x, mult, lower, upper))
    return products


def coupling_products(
    form: FollowerForm, hpr: HighPointRelaxation, records: list[BigMValue]
) -> list[Product]:
    """Products x_i * y_j of the follower objective (matrix C) with x_i binary and y_j bounded."""
    coo = form.C.tocoo()
    binary = [(i, j) for i, j in zip(coo.row, coo.col) if form.leader_variables[i].is_binary()]
    ranges = follower_variable_ranges(form, sorted({j for _, j in binary}), hpr, records)
    return [
        Product((form.variables[j].name, form.leader_variables[i].name), form.leader_variables[i], form.variables[j], *ranges[j])
        for i, j in binary
        if j in ranges
    ]


def follower_variable_ranges(
    form: FollowerForm, columns: list[int], hpr: HighPointRelaxation, records: list[BigMValue]
) -> dict[int, tuple[float, float]]:
    """Proven (lower, upper) of follower variables: their bounds, else an LP over the high-point
    relaxation. A variable with no finite range is left out (its products stay bilinear)."""
    ranges = {}
    name = form.follower.name
    for j in columns:
        var = form.variables[j]
        unit = np.zeros(len(hpr.columns))
        unit[hpr.column_of(var)] = 1.0
        found = []
        for side, bound, sign in (("lower", form.var_lower[j], -1.0), ("upper", form.var_upper[j], 1.0)):
            if np.isfinite(bound):
                found.append((float(bound), "bounds", side))
                continue
            extreme = sign * hpr.lp_max(sign * unit)
            found.append((float(extreme), "lp", side))
        if not all(np.isfinite(value) for value, _, _ in found):
            continue
        for value, source, side in found:
            records.append(BigMValue(name, f"{var.name}:{side}", "variable", value, source))
        ranges[j] = (found[0][0], found[1][0])
    return ranges


def _multiplier_keys(dual: FollowerDual) -> dict[int, str]:
    """id(multiplier) -> its key: the pair key, or ``"<constraint>:equal"`` for a free multiplier."""
    keys = {id(pair.multiplier): pair.key for pair in dual.pairs}
    for key, var in dual.block.dual_equal.items():
        keys[id(var)] = f"{key}:equal"
    return keys
