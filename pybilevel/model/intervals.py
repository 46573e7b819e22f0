"""Interval arithmetic on sparse rows: the range of ``rows @ z`` over a box of ``z``."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["interval"]


def interval(rows: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise min and max of rows @ z over the box (inf where a used column is unbounded)."""
    pos, neg = rows.maximum(0), rows.minimum(0)
    with np.errstate(invalid="ignore"):
        low = pos @ np.where(pos.getnnz(axis=0) > 0, lower, 0) + neg @ np.where(neg.getnnz(axis=0) > 0, upper, 0)
        high = pos @ np.where(pos.getnnz(axis=0) > 0, upper, 0) + neg @ np.where(neg.getnnz(axis=0) > 0, lower, 0)
    return np.asarray(low).ravel(), np.asarray(high).ravel()
