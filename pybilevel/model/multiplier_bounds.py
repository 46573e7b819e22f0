"""Upper bounds on follower multipliers (the big-M values of complementarity), with their source.

In order: the user's (``dual_bound`` argument, ``"argument"``; a ``BigM`` Suffix on the follower,
``"suffix"``), proven ones by LP over the follower's dual polyhedron where the leader is only in
the follower's cost (:mod:`pybilevel.model.dual_bounds`, ``"dual lp"``), else a stated heuristic:
a safety factor times the largest multiplier seen when the follower is solved at sampled leader
decisions. Multiplier bounds cannot be inferred in general (Kleinert, Labbé, Plein, Schmidt 2020,
"There's no free lunch: on the hardness of choosing a correct big-M in bilevel optimization").
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from pyomo.common.collections import ComponentSet
from pyomo.core.base.suffix import Suffix

from pybilevel.errors import BigMError
from pybilevel.model import dual_bounds
from pybilevel.model.bounds import (
    DUAL_LP,
    BigMValue,
    FollowerAtLeader,
    HighPointRelaxation,
)
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.kkt_system import ComplementarityPair, FollowerDual
from pybilevel.model.redundancy import pin_redundant

__all__ = ["bound_multipliers", "multiplier_bounds"]


def multiplier_bounds(
    dual: FollowerDual,
    hpr: HighPointRelaxation,
    argument: float | dict | None,
    heuristic_factor: float,
    samples: int,
    seed: int = 0,
    needed: list[int] | None = None,
) -> list[tuple[float, str] | None]:
    """An upper bound and its source for the multiplier of every complementarity pair
    ``dual.pairs[k]`` with k in ``needed`` (default: all); None for the others."""
    form = dual.form
    if isinstance(argument, dict):
        _check_argument_keys(argument, hpr.followers)
    suffix = _bigm_suffix(form)
    needed = range(len(dual.pairs)) if needed is None else needed
    values: list[tuple[float, str] | None] = [None] * len(dual.pairs)
    for k in needed:
        values[k] = _user_value(dual.pairs[k], argument, suffix)
    missing = [k for k in needed if values[k] is None]
    if missing and hpr.is_infeasible():
        for k in missing:
            values[k] = (0.0, "lp")  # any bound is valid: nothing to cut off
        return values
    minorants = dual_bounds.value_minorants(form) if missing and dual_bounds.applies(form) else None
    if minorants:
        for k, value in dual_bounds.dual_polyhedron_bounds(dual, minorants, missing).items():
            values[k] = (value, DUAL_LP)
    missing = [k for k in missing if values[k] is None]
    if missing:
        heuristic = _sampled_multiplier_bound(form, hpr, heuristic_factor, samples, seed)
        for k in missing:
            values[k] = heuristic
    return values


def _user_value(pair: ComplementarityPair, argument, suffix: Suffix | None) -> tuple[float, str] | None:
    if isinstance(argument, (int, float)):
        return float(argument), "argument"
    if isinstance(argument, dict):
        for key in (pair.source, pair.source.name, pair.key):
            try:
                if key in argument:
                    return float(argument[key]), "argument"
            except TypeError:
                continue
    if suffix is not None and pair.source in suffix:
        value = suffix[pair.source]
        if isinstance(value, bool) or not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
            raise BigMError(
                f"BigM Suffix {suffix.name} gives {pair.source.name} the bound {value!r}; a multiplier "
                "bound must be a finite number > 0 (the largest value the multiplier may take)."
            )
        return float(value), "suffix"
    return None


def _check_argument_keys(argument: dict, followers: list[FollowerForm]) -> None:
    """BigMError naming a ``dual_bound`` key that is no follower constraint or variable (or its name)."""
    known = ComponentSet(c for form in followers for c in (*form.constraints, *form.variables))
    names = {c.name for c in known}
    for key in argument:
        if (key in names or key.rsplit(":", 1)[0] in names) if isinstance(key, str) else key in known:
            continue
        raise BigMError(
            f"dual_bound has the key {getattr(key, 'name', key)!s}, which is no constraint or variable of "
            f"follower {', '.join(f.follower.name for f in followers)}: key it by a follower "
            "constraint or variable (or its name, e.g. 'f.c[1]') and check the spelling."
        )


def _bigm_suffix(form: FollowerForm) -> Suffix | None:
    suffix = form.follower.component("BigM")
    return suffix if isinstance(suffix, Suffix) else None


def _sampled_multiplier_bound(
    form: FollowerForm, hpr: HighPointRelaxation, factor: float, samples: int, seed: int
) -> tuple[float, str]:
    """factor x the largest |multiplier| of the follower solved at sampled leader decisions.

    The leader decisions are the leader parts of random vertices of the high-point relaxation
    (where the follower is feasible) and of the leader's bounding box.
    """
    x_cols = [hpr.column_of(v) for v in form.leader_variables]
    points = [point[x_cols] for point in hpr.sample_points(samples, seed)]
    points += _leader_box_samples(form, samples, seed)
    follower = FollowerAtLeader(form)
    largest, solved = 0.0, 0
    for x in points:
        solution = follower.solve(x)
        if solution.status != "optimal":
            continue
        solved += 1
        row_dual = pin_redundant(solution.row_dual, form.redundancy)  # the KKT system's representative
        largest = max(largest, float(np.abs(row_dual).max(initial=0.0)), float(np.abs(solution.col_dual).max(initial=0.0)))
    if solved == 0:
        raise BigMError(
            f"follower {form.follower.name} has no optimal solution at any of {len(points)} sampled "
            "leader decisions, so no heuristic multiplier bound exists: pass dual_bound=... "
            "or use method='sos1' or 'kkt', which need no big-M."
        )
    value = factor * max(1.0, largest)
    return value, (
        f"heuristic: {factor:g} x largest follower multiplier ({largest:.4g}) "
        f"over {solved} sampled leader decisions"
    )


def _leader_box_samples(form: FollowerForm, samples: int, seed: int) -> list[np.ndarray]:
    """Leader decisions at the box centre, its corners and random points (finite bounds only)."""
    lower = np.array([np.nan if v.lb is None else float(v.lb) for v in form.leader_variables])
    upper = np.array([np.nan if v.ub is None else float(v.ub) for v in form.leader_variables])
    current = np.array([v.value if v.value is not None else 0.0 for v in form.leader_variables])
    low = np.where(np.isnan(lower), np.where(np.isnan(upper), current, np.minimum(upper, current)), lower)
    high = np.where(np.isnan(upper), np.maximum(low, current), upper)
    rng = np.random.default_rng(seed)
    points = [0.5 * (low + high), low, high]
    points.extend(low + rng.random(len(low)) * (high - low) for _ in range(samples))
    return points


def bound_multipliers(
    dual: FollowerDual,
    hpr: HighPointRelaxation,
    config,
    records: list[BigMValue],
    only: set[int] | None = None,
) -> dict[int, tuple[float, float]]:
    """Give multipliers finite bounds, record them, and return id(multiplier) -> (lower, upper).

    Complementarity multipliers get an upper bound from :func:`multiplier_bounds`
    (argument, ``BigM`` Suffix, proven by LP, or the stated heuristic). Free multipliers of
    equality rows get the largest of those bounds both ways, recorded as not proven. ``only``: the id()s of
    the multipliers to bound (default: all).
    """
    bounds = multiplier_bounds(dual, hpr, config.dual_bound, config.heuristic_factor, config.heuristic_samples)
    name = dual.form.follower.name
    wanted = (lambda var: True) if only is None else (lambda var: id(var) in only)
    ranges = {}
    for pair, (value, source) in zip(dual.pairs, bounds):
        if wanted(pair.multiplier):
            pair.multiplier.setub(value)
            ranges[id(pair.multiplier)] = (0.0, value)
            records.append(BigMValue(name, pair.key, "multiplier", value, source))
    if not bounds:
        return ranges
    value, source = max(bounds, key=lambda b: b[0])
    for key, var in dual.block.dual_equal.items():
        if wanted(var):
            var.setlb(-value)
            var.setub(value)
            ranges[id(var)] = (-value, value)
            records.append(
                BigMValue(name, f"{key}:equal", "multiplier", value, f"largest multiplier bound of the follower ({source})")
            )
    return ranges
