"""Linearly dependent follower equality rows (e.g. flow conservation: one redundant row per
connected component of a network).

A multiplier of such a row is free along a direction the follower cannot see: any multiple of
the dependence can be added to the equality multipliers without changing ``A_y^T lambda``. The
KKT systems drop the redundant rows' multipliers (fixed at 0), so the reported duals are
determined and no big-M is reached by a free shift; duals read from HiGHS are moved onto the
same representative with :func:`pin_redundant`. Rows are split into connected components
(shared follower variables) and each component's rank is found by QR with column pivoting
(``scipy.linalg.qr``), after peeling off rows that hold a variable no other row holds; when it is short, the rows are
taken in order, so the last row of a dependent set is the redundant one; a component above :data:`DENSE_LIMIT` entries is not checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = ["RedundantRow", "RedundancyReport", "find_redundant_rows", "pin_redundant", "DENSE_LIMIT"]

#: a component of the equality block with more entries (rows x columns) than this is not checked
DENSE_LIMIT = 4_000_000
#: relative tolerance on QR's diagonal and on the dependence's residual
RANK_TOLERANCE = 1e-9


@dataclass(frozen=True)
class RedundantRow:
    """Row ``row`` of ``A_y`` equals ``sum(coef * A_y[other] for other, coef in combination)``."""

    row: int
    combination: tuple[tuple[int, float], ...]


@dataclass
class RedundancyReport:
    """The redundant equality rows found, and the components too large to check."""

    rows: list[RedundantRow] = field(default_factory=list)
    unchecked_rows: int = 0

    @property
    def indices(self) -> set[int]:
        return {r.row for r in self.rows}


def find_redundant_rows(A_y: sp.csr_matrix, equality_rows: np.ndarray) -> RedundancyReport:
    """The rows among ``equality_rows`` (linear in y) that depend linearly on the others."""
    report = RedundancyReport()
    rows = np.asarray(equality_rows, dtype=int)
    if len(rows) < 2:
        return report
    rows = rows[_not_peelable(A_y[rows].tocsr())]
    if len(rows) < 2:
        return report
    block = A_y[rows].tocsr()
    pattern = (abs(block) @ abs(block).T).tocsr()
    count, labels = connected_components(pattern, directed=False)
    for label in range(count):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        sub = block[members]
        columns = np.unique(sub.indices)
        if len(members) * len(columns) > DENSE_LIMIT:
            report.unchecked_rows += len(members)
            continue
        dense = sub[:, columns].toarray()
        report.rows.extend(_dependent_rows(dense, rows[members]))
    report.rows.sort(key=lambda r: r.row)
    return report


def _not_peelable(block: sp.csr_matrix) -> np.ndarray:
    """Mask of the rows left after peeling: a row holding a variable that no other remaining row
    holds is independent of them, so it is set aside, repeatedly (a tree of a network peels off
    entirely). Only the rest can be dependent."""
    block = block.copy()
    block.data = np.ones_like(block.data)
    block.eliminate_zeros()
    active = np.ones(block.shape[0], dtype=bool)
    csc = block.tocsc()
    while True:
        counts = csc.T @ active.astype(float)  # remaining rows per column
        single = counts == 1
        peel = active & ((block @ single.astype(float)) > 0)
        if not peel.any():
            return active
        active &= ~peel


def _dependent_rows(dense: np.ndarray, row_ids: np.ndarray) -> list[RedundantRow]:
    """The rank by QR with column pivoting of ``dense.T``; if it is short of the row count, the
    rows are taken in order (Gram-Schmidt, orthogonalised twice) and a row in the span of the
    rows kept before it is redundant, so the last row of a dependent set is the one reported;
    each is confirmed by a least-squares fit on the kept rows."""
    r = scipy.linalg.qr(dense.T, mode="r", pivoting=True)[0]
    diag = np.abs(np.diag(r))
    if not len(diag) or diag[0] == 0:
        return []
    rank = int(np.sum(diag > RANK_TOLERANCE * diag[0] * max(dense.shape)))
    if rank == len(dense):
        return []
    basis = np.zeros((dense.shape[1], 0))
    kept, dependent = [], []
    for i, row in enumerate(dense):
        residual = row - basis @ (basis.T @ row)
        residual = residual - basis @ (basis.T @ residual)
        norm = float(np.linalg.norm(residual))
        if norm <= RANK_TOLERANCE * max(1.0, float(np.linalg.norm(row))) * max(dense.shape) ** 0.5:
            dependent.append(i)
        else:
            kept.append(i)
            basis = np.column_stack([basis, residual / norm])
    found = []
    rows_kept = dense[kept].T
    scale = max(1.0, float(np.abs(dense).max()))
    for d in dependent:
        coef, *_ = np.linalg.lstsq(rows_kept, dense[d], rcond=None)
        if np.abs(rows_kept @ coef - dense[d]).max() > 1e3 * RANK_TOLERANCE * scale:
            continue  # numerically doubtful: keep the row
        combination = tuple((int(row_ids[k]), float(c)) for k, c in zip(kept, coef) if abs(c) > 1e-12)
        found.append(RedundantRow(int(row_ids[d]), combination))
    return found


def pin_redundant(row_duals: np.ndarray, report: RedundancyReport | None) -> np.ndarray:
    """Row multipliers with each redundant row's multiplier moved onto the rows it depends on, so
    it is 0: the same ``A_y^T lambda``, the representative the KKT systems use."""
    pinned = np.array(row_duals, dtype=float)
    for redundant in [] if report is None else report.rows:
        shift = pinned[redundant.row]
        if shift:
            for other, coef in redundant.combination:
                pinned[other] += coef * shift
            pinned[redundant.row] = 0.0
    return pinned
