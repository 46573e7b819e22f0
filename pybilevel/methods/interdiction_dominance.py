"""Rows over the leader's decisions that keep at least one optimal decision of a monotone
interdiction game (the preprocessing of Fischetti, Ljubić, Monaci & Sinnl, INFORMS J. Computing
31(2), 2019), for the branch-and-cut of ``interdiction_cuts``.

Applies when the leader's objective has no terms in its own variables and its constraints are
budgets (nonnegative coefficients, upper limits only); otherwise no rows. A leader variable is
*useful* when it removes a follower variable that can be positive and is profitable. Among the
optimal decisions with every useless variable at 0 (removing such a variable never lowers the
follower's optimum), take one with the most useful removals, and among those the one whose
removals come first in a linear order extending the dominance below. It satisfies:

* **useless**: ``x_a = 0``;
* **maximal** (one budget row, integer data): every useful ``x_a`` left at 0 would exceed the
  budget, ``w @ x >= (B - w_a + 1) (1 - x_a)``: otherwise adding it keeps the decision optimal
  (the follower's feasible set only shrinks) with one more removal;
* **dominance**: if ``x_a`` removes exactly follower variable i, ``x_b`` exactly j, and i is at
  least as good for the follower as j (cost no higher, packing column no larger, upper bound no
  smaller, integer only if j is) while ``x_a`` costs no more than ``x_b`` in every budget, then
  ``x_b <= x_a``: removing i instead of j keeps the budget and the number of removals, and the
  follower's best response after the swap, with j's value moved onto i, was available before
  it, so the swap does not raise the follower's optimum. Ties are broken by index.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from pybilevel.methods.interdiction_game import MonotoneInterdiction

__all__ = ["optimality_rows"]

_DENSE_LIMIT = 4_000_000  # entries of the dense pairwise comparison; larger games get no dominance rows


def optimality_rows(game: MonotoneInterdiction, packing: sp.csr_matrix, packing_upper: np.ndarray
                    ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """``(rows over x, lower, upper)`` of the module docstring; ``packing``: the follower's rows
    without leader variables and their upper limits."""
    n_x = len(game.leader_cost)
    budget = game.leader_rows.tocsc()
    if game.scale <= 0 or np.any(game.leader_cost != 0) or np.any(np.isfinite(game.leader_lower)) \
            or np.any(budget.data < 0):
        return sp.csr_matrix((0, n_x)), np.empty(0), np.empty(0)
    form = game.form
    columns = packing.tocsc()
    reach = form.var_upper.astype(float).copy()
    for i in range(form.n_variables):
        rows, coefs = columns.indices[columns.indptr[i]:columns.indptr[i + 1]], \
            columns.data[columns.indptr[i]:columns.indptr[i + 1]]
        positive = coefs > 0
        if positive.any():
            reach[i] = min(reach[i], float(np.min(packing_upper[rows[positive]] / coefs[positive])))
    reach = np.where(form.integer, np.floor(reach + 1e-9), reach)
    useful_y = (form.c < 0) & (reach > 1e-9)
    removes: list[list[int]] = [[] for _ in range(n_x)]
    for i, blockers in enumerate(game.blockers):
        for a in blockers:
            removes[a].append(i)
    useful = np.array([any(useful_y[i] for i in removes[a]) for a in range(n_x)], dtype=bool)
    out: list[tuple[dict[int, float], float, float]] = [({a: 1.0}, -np.inf, 0.0) for a in np.flatnonzero(~useful)]
    out += _maximal(budget, game.leader_upper, useful)
    out += _dominance(game, columns, budget, useful, removes)
    matrix = sp.lil_matrix((len(out), n_x))
    for k, (entries, _, _) in enumerate(out):
        for a, value in entries.items():
            matrix[k, a] = value
    return matrix.tocsr(), np.array([low for _, low, _ in out]), np.array([up for _, _, up in out])


def _maximal(budget: sp.csc_matrix, limit: np.ndarray, useful: np.ndarray) -> list[tuple[dict[int, float], float, float]]:
    """``w @ x + (B - w_a + 1) x_a >= B - w_a + 1`` for each useful a (one integer budget row)."""
    if budget.shape[0] != 1 or not np.isfinite(limit[0]):
        return []
    w = budget.toarray()[0]
    if np.any(w != np.round(w)) or limit[0] != np.round(limit[0]):
        return []
    rows = []
    for a in np.flatnonzero(useful & (w <= limit[0])):
        need = limit[0] - w[a] + 1
        entries = {int(k): float(w[k]) for k in np.flatnonzero(w)}
        entries[int(a)] = entries.get(int(a), 0.0) + need
        rows.append((entries, float(need), np.inf))
    return rows


def _dominance(game: MonotoneInterdiction, columns: sp.csc_matrix, budget: sp.csc_matrix, useful: np.ndarray,
               removes: list[list[int]]) -> list[tuple[dict[int, float], float, float]]:
    """``x_a - x_b >= 0`` for each one-to-one pair (a removes i, b removes j) where i dominates j."""
    form = game.form
    single = [a for a in np.flatnonzero(useful) if len(removes[a]) == 1 and len(game.blockers[removes[a][0]]) == 1]
    if len(single) < 2 or len(single) ** 2 * (columns.shape[0] + budget.shape[0]) > _DENSE_LIMIT:
        return []
    items = np.array([removes[a][0] for a in single])
    leader = np.array(single)
    profile = np.vstack([columns[:, items].toarray(), budget[:, leader].toarray(), form.c[items][None, :],
                         -form.var_upper[items][None, :], form.integer[items][None, :].astype(float)])
    no_worse = np.all(profile[:, :, None] <= profile[:, None, :], axis=0)  # [p, q]: p at least as good as q
    order = np.arange(len(single))
    ahead = no_worse & (~no_worse.T | (order[:, None] < order[None, :]))
    return [({int(leader[p]): 1.0, int(leader[q]): -1.0}, 0.0, np.inf) for p, q in zip(*np.nonzero(ahead))]
