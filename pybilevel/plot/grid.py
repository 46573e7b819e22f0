"""The inducible region on a grid of leader decisions: numbers only, no drawing.

At each decision x of the grid the follower is re-solved with the leader fixed, through the
certificate's own machinery (:func:`pybilevel.certify.optimal_set.choose_response`): among the
follower's optima the one best for the leader (optimistic reading) or worst (pessimistic). The
leader's objective there is F(x, y*(x)); where no follower optimum satisfies the leader's
constraints the objective is NaN (a gap in the picture), and where the follower has no optimum
its reaction is NaN too. The model is left as it was: values and fixed flags restored.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from pyomo.core.base.block import BlockData
from pyomo.core.base.var import Var, VarData
from pyomo.environ import value

from pybilevel.certify.optimal_set import (
    choose_response,
    fixed_at_current_values,
    follower_parameters,
    resolve_follower,
)
from pybilevel.errors import BilevelError
from pybilevel.model.bounds import HighPointRelaxation
from pybilevel.model.structure import BilevelStructure
from pybilevel.model.violation import max_violation

__all__ = ["InducibleRegion", "inducible_region", "grid_values", "DEFAULT_POINTS"]

#: grid points per leader variable when not given: one leader variable, two
DEFAULT_POINTS = {1: 101, 2: 21}
#: a leader constraint violated by more than this (relative) at (x, y*(x)) makes x a gap
LEADER_TOL = 1e-6


@dataclass
class InducibleRegion:
    """F(x, y*(x)) and y*(x) on a grid of one or two leader variables (NaN: no such point)."""

    leader: list[str]  # the leader variables' names, one per grid axis
    axes: list[np.ndarray]  # each axis's values
    leader_objective: np.ndarray  # shape (len(axes[0]),) or (len(axes[0]), len(axes[1]))
    reaction: dict[str, np.ndarray]  # follower variable name -> its optimal response, same shape
    reading: str


def inducible_region(structure: BilevelStructure, points: int | None = None, reading: str = "optimistic") -> InducibleRegion:
    """Solve the follower at every decision of the grid (module docstring); the model is restored."""
    leader = structure.leader_variables
    if len(leader) not in (1, 2) or len(structure.followers) != 1:
        raise BilevelError(
            f"the inducible region is drawn for one or two leader variables and one follower; this model has "
            f"{len(leader)} leader variable(s) and {len(structure.followers)} follower(s)."
        )
    form = structure.followers[0]
    count = DEFAULT_POINTS[len(leader)] if points is None else points
    if not isinstance(count, int) or count < 2:
        raise BilevelError(f"points={points!r}: give a whole number of at least 2 grid points per leader variable.")
    hpr = HighPointRelaxation(structure)
    axes = [grid_values(var, _range(hpr, var), count) for var in leader]
    shape = tuple(len(axis) for axis in axes)
    objective = np.full(shape, np.nan)
    reaction = {v.name: np.full(shape, np.nan) for v in form.variables}
    with _restored(structure.model):
        for index in np.ndindex(*shape):
            for var, axis, i in zip(leader, axes, index):
                var.set_value(float(axis[i]), skip_validation=True)
            status = choose_response(structure, form, reading)
            if status != "optimal":  # no follower optimum meets the leader's constraints: the follower's own
                with fixed_at_current_values(follower_parameters(structure, form)):
                    status = resolve_follower(structure, form).status
                if status != "optimal":
                    continue
            elif max_violation(structure.leader_constraints, [], relative=True) <= LEADER_TOL:
                objective[index] = float(value(structure.leader_objective.expr))
            for var in form.variables:
                reaction[var.name][index] = np.nan if var.value is None else float(var.value)
    return InducibleRegion([v.name for v in leader], axes, objective, reaction, reading)


def grid_values(var: VarData, bounds: tuple[float, float], count: int) -> np.ndarray:
    """``count`` evenly spaced values of ``bounds``; for an integer variable, integers only (all of
    them when there are at most ``count``)."""
    low, high = bounds
    if var.is_continuous():
        return np.linspace(low, high, count)
    low, high = math.ceil(low - 1e-9), math.floor(high + 1e-9)
    if high - low + 1 <= count:
        return np.arange(low, high + 1, dtype=float)
    return np.unique(np.round(np.linspace(low, high, count)))


def _range(hpr: HighPointRelaxation, var: VarData) -> tuple[float, float]:
    """The variable's range over the high-point relaxation (its bounds, tightened by the linear
    leader and follower constraints); a refusal naming it when that range is unbounded."""
    cost = np.zeros(len(hpr.columns))
    cost[hpr.column_of(var)] = 1.0
    high, low = hpr.lp_max(cost), -hpr.lp_max(-cost)
    if low > high:
        raise BilevelError("the leader's and follower's constraints have no common point: there is no region to plot.")
    if not (math.isfinite(low) and math.isfinite(high)):
        raise BilevelError(
            f"leader variable {var.name} is unbounded over the leader's and follower's constraints ({low:g} to "
            f"{high:g}); give it bounds (e.g. {var.name}.setlb(...), {var.name}.setub(...)) to plot the region."
        )
    return low, high


@contextmanager
def _restored(model: BlockData) -> Iterator[None]:
    """Every variable's value and fixed flag put back afterwards."""
    saved = [(v, v.value, v.fixed) for v in model.component_data_objects(Var, descend_into=True)]
    try:
        yield
    finally:
        for var, val, fixed in saved:
            var.set_value(val, skip_validation=True)
            var.fixed = fixed
