"""Binary expansion of leader prices over given levels (Pereira, Granville, Fampa, Dix & Barroso,
"Strategic bidding under uncertainty: a binary expansion approach", IEEE Trans. Power Syst. 20(1), 2005).

For a leader variable ``x`` with levels ``L_1..L_K`` (option ``price_levels``)::

    x == sum_k L_k z_k,     sum_k z_k == 1,     z_k binary

so ``x`` takes exactly one level, and every product ``x * v`` of the leader's objective with a
follower variable or a ``bl.dual`` placeholder ``v`` becomes ``sum_k L_k s_k``, ``s_k = z_k * v``
linearised exactly by McCormick's envelope with the bounds of ``v``
(:mod:`~pybilevel.methods.mccormick`: a follower variable's own bounds, else an LP over the
high-point relaxation, proven; a dual's from its multipliers' bounds, which may be the stated
heuristic: see ``res.bigm``). Any other product of ``x`` is refused by name.
"""
from __future__ import annotations

from pyomo.common.collections import ComponentMap
from pyomo.core.base.block import Block, BlockData
from pyomo.core.base.constraint import Constraint
from pyomo.core.base.set_types import Binary
from pyomo.core.base.var import Var, VarData
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import MethodRefusedError
from pybilevel.methods.mccormick import (
    Product,
    add_products,
    follower_variable_ranges,
)
from pybilevel.model.bounds import HighPointRelaxation
from pybilevel.model.multiplier_bounds import bound_multipliers

__all__ = ["expand_price_levels"]


def expand_price_levels(top: BlockData, structure, duals, config, records: list) -> object:
    """Add the expansion of every leveled variable to ``top.price_levels`` and return the leader's
    objective with its products of leveled variables linearised."""
    levels = _resolve(structure.model, config.price_levels)
    leader = {id(v) for v in structure.leader_variables}
    for var, values in levels.items():
        if id(var) not in leader:
            raise MethodRefusedError(f"price_levels: {var.name} is not a leader variable of this model; give levels "
                                     "for leader variables only.")
        low, high = var.lb, var.ub
        outside = [v for v in values if (low is not None and v < low) or (high is not None and v > high)]
        if outside:
            raise MethodRefusedError(f"price_levels[{var.name}]: level {outside[0]:g} is outside the bounds "
                                     f"[{low:g}, {high:g}] of {var.name}; give levels within them.")
    leveled = list(levels.items())
    block = top.price_levels = Block()
    block.choice = Var([(p, k) for p, (_, values) in enumerate(leveled) for k in range(len(values))], within=Binary)
    block.one_level = Constraint(range(len(leveled)), rule=lambda b, p: sum(
        b.choice[p, k] for k in range(len(leveled[p][1]))) == 1)
    block.level_value = Constraint(range(len(leveled)), rule=lambda b, p: leveled[p][0] == sum(
        value * b.choice[p, k] for k, value in enumerate(leveled[p][1])))
    position = {id(var): p for p, (var, _) in enumerate(leveled)}
    repn = generate_standard_repn(structure.leader_objective.expr, quadratic=True, compute_values=True)
    products, wanted, rest = [], [], [repn.constant]
    rest += [coef * var for coef, var in zip(repn.linear_coefs, repn.linear_vars)]
    ranges = _Ranges(structure, duals, config, records)
    for (a, b), coef in zip(repn.quadratic_vars, repn.quadratic_coefs):
        if b in levels and a not in levels:
            a, b = b, a
        if a not in levels:
            rest.append(coef * a * b)
            continue
        lower, upper = ranges.of(a, b, coef)
        for k, value in enumerate(levels[a]):
            product = Product((b.name, f"{a.name}={value:g}"), block.choice[position[id(a)], k], b, lower, upper)
            products.append(product)
            wanted.append((coef * value, product))
    if repn.nonlinear_expr is not None:
        rest.append(repn.nonlinear_expr)
    made = add_products(block, products)
    return sum((weight * made[(id(p.other), id(p.binary))] for weight, p in wanted), sum(rest[1:], rest[0]))


def _resolve(model, given: list) -> ComponentMap:
    """VarData -> levels, from the checked option (variables or names; indexed ones expanded)."""
    levels = ComponentMap()
    for key, values in given:
        var = model.find_component(key) if isinstance(key, str) else key
        if not isinstance(var, (Var, VarData)):
            raise MethodRefusedError(f"price_levels names {key!r}, which is no variable of model {model.name}; "
                                     "give a leader variable or its name, e.g. 'offer[g1]'.")
        for element in var.values() if var.is_indexed() else [var]:
            levels[element] = values
    return levels


class _Ranges:
    """The range of the other factor of a product of a leveled variable, or the refusal naming it."""

    def __init__(self, structure, duals, config, records: list) -> None:
        self.structure, self.duals, self.config, self.records = structure, duals, config, records
        self.references = {id(r.placeholder): r for r in structure.dual_references}
        self.owner = {id(v): form for form in structure.followers for v in form.variables}
        self._hpr = None
        self._multipliers: dict[int, dict] = {}

    @property
    def hpr(self) -> HighPointRelaxation:
        if self._hpr is None:
            self._hpr = HighPointRelaxation(self.structure)
        return self._hpr

    def of(self, leveled: VarData, other: VarData, coef: float) -> tuple[float, float]:
        reference = self.references.get(id(other))
        term = f"{coef:g} * {leveled.name} * {other.name if reference is None else reference.name}"
        if id(other) in self.owner:
            form = self.owner[id(other)]
            j = next(k for k, v in enumerate(form.variables) if v is other)
            found = follower_variable_ranges(form, [j], self.hpr, self.records)
            if j not in found:
                raise MethodRefusedError(
                    f"price_levels cannot linearise the leader objective term {term}: {other.name} has no finite bounds "
                    "even over the high-point relaxation; give it bounds."
                )
            return found[j]
        if reference is not None:
            return self._dual_range(reference, term)
        raise MethodRefusedError(
            f"price_levels cannot linearise the leader objective term {term}: {other.name} is neither a follower "
            "variable nor a bl.dual of a follower row; the binary expansion applies to products of a leveled leader "
            "variable with one of those."
        )

    def _dual_range(self, reference, term: str) -> tuple[float, float]:
        if "dual_bound" not in self.config:
            raise MethodRefusedError(
                f"price_levels cannot linearise the leader objective term {term}: the dual needs bounds on the "
                "follower's multipliers; use method 'bigm' or 'strong_duality' (option dual_bound)."
            )
        dual = next(d for d in self.duals if d.form is reference.form)
        if id(dual) not in self._multipliers:
            self._multipliers[id(dual)] = bound_multipliers(dual, self.hpr, self.config, self.records)
        ranges = self._multipliers[id(dual)]
        low = high = 0.0
        for mult, sign in dual.row_multipliers[reference.row]:
            lo, hi = ranges[id(mult)]
            low, high = low + min(sign * lo, sign * hi), high + max(sign * lo, sign * hi)
        sense = reference.form.sense
        return (low, high) if sense > 0 else (-high, -low)
