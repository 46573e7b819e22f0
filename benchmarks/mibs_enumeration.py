"""An independent optimum of a small MibS instance (MPS + AUX): every integer leader decision
enumerated, the follower solved by HiGHS at each (no pybilevel code).

The leader's box comes from the LP relaxation of all rows (max and min of each leader variable),
so it holds every bilevel-feasible point. At each leader decision x: phi(x) = the follower's MILP
value; then the optimistic leader's best y among the follower's optima (follower objective <=
phi(x) + 1e-6 max(1, |phi|)). Only for instances with integer leader variables and a box of at
most ``max_points`` decisions.
"""
from __future__ import annotations

import math
from itertools import product
from pathlib import Path

import highspy
import numpy as np

INF = highspy.kHighsInf


def _aux(path: Path) -> tuple[list[int], list[int], np.ndarray, float]:
    """(follower columns, follower rows, follower objective, sense 1 min / -1 max) of an index AUX file."""
    cols, rows, obj, sense = [], [], [], 1.0
    for line in path.read_text().splitlines():
        key, *rest = line.split() or [""]
        if key == "LC":
            cols.append(int(rest[0]))
        elif key == "LR":
            rows.append(int(rest[0]))
        elif key == "LO":
            obj.append(float(rest[0]))
        elif key == "OS":
            sense = float(rest[0])
    return cols, rows, np.array(obj), sense


def _highs(mps: Path) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(mps))
    return h


def _solve(h: highspy.Highs) -> float | None:
    h.run()
    return h.getInfo().objective_function_value if h.getModelStatus() == highspy.HighsModelStatus.kOptimal else None


def leader_box(mps: Path, leader: list[int]) -> list[range] | None:
    """Integer range of each leader variable from the LP relaxation of every row (None: unbounded)."""
    h = _highs(mps)
    n = h.getNumCol()
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    box = []
    for j in leader:
        ends = []
        for sense in (highspy.ObjSense.kMinimize, highspy.ObjSense.kMaximize):
            cost = np.zeros(n)
            cost[j] = 1.0
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            h.changeObjectiveSense(sense)
            value = _solve(h)
            if value is None:
                return None
            ends.append(value)
        box.append(range(math.ceil(ends[0] - 1e-6), math.floor(ends[1] + 1e-6) + 1))
    return box


def enumerate_optimum(mps: Path, aux: Path, max_points: int) -> float | None:
    """The optimistic optimum (leader minimises), or None if the box has more than ``max_points``
    decisions, a leader variable is continuous or unbounded, or no decision is bilevel feasible."""
    follower, f_rows, f_obj, f_sense = _aux(aux)
    leader_model = _highs(mps)
    n, m = leader_model.getNumCol(), leader_model.getNumRow()
    lp = leader_model.getLp()
    leader = [j for j in range(n) if j not in follower]
    if any(lp.integrality_[j] != highspy.HighsVarType.kInteger for j in leader):
        return None
    box = leader_box(mps, leader)
    if box is None or math.prod(len(r) for r in box) > max_points:
        return None
    cost = np.zeros(n)
    cost[follower] = f_sense * f_obj
    follower_model = _highs(mps)
    others = np.array([i for i in range(m) if i not in f_rows], dtype=np.int32)
    follower_model.changeRowsBounds(len(others), others, np.full(len(others), -INF), np.full(len(others), INF))
    follower_model.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    follower_model.changeObjectiveSense(highspy.ObjSense.kMinimize)
    nz = np.flatnonzero(cost).astype(np.int32)
    leader_model.addRow(-INF, INF, len(nz), nz, cost[nz])
    lead = np.array(leader, dtype=np.int32)
    best = None
    for x in product(*box):
        values = np.array(x, dtype=float)
        follower_model.changeColsBounds(len(lead), lead, values, values)
        phi = _solve(follower_model)
        if phi is None:
            continue
        leader_model.changeColsBounds(len(lead), lead, values, values)
        leader_model.changeRowBounds(m, -INF, phi + 1e-6 * max(1.0, abs(phi)))
        value = _solve(leader_model)
        if value is not None and (best is None or value < best):
            best = value
    return best
