"""Issue 19: linearly dependent follower equality rows (flow conservation at every node of a
connected network has one redundant row) give free multipliers. pybilevel drops the redundant
row's multiplier, so the duals are determined: they must equal HiGHS's duals (scipy ``linprog``)
of the follower solved alone at the leader's decision with that row removed."""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from pybilevel.model.redundancy import find_redundant_rows, pin_redundant

NODES = 4
#: (tail, head, cost); min-cost flow from node 0 to the others, optimal tree 0-1, 1-3, 0-2 (all flows > 0)
ARCS = [(0, 1, 1.0), (0, 2, 2.0), (1, 3, 1.0), (2, 3, 3.0), (1, 2, 2.5), (3, 2, 4.0)]
DEMAND = {1: 1.0, 2: 2.0, 3: 1.5}


def network_model() -> pyo.ConcreteModel:
    """Leader: extra demand x at node 3, 0 <= x <= 1, maximising x minus the follower's cost / 10
    (x = 1: the extra unit is worth more than it costs). Follower: min-cost flow, a balance row
    per node (out - in = supply), the last one implied by the others."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.f = bl.Follower()
    m.f.flow = pyo.Var(range(len(ARCS)), bounds=(0, 20))
    supply = {i: -DEMAND.get(i, 0.0) for i in range(NODES)}
    supply[0] = sum(DEMAND.values())

    def balance(b, i):
        out = sum(b.flow[a] for a, (t, _, _) in enumerate(ARCS) if t == i)
        into = sum(b.flow[a] for a, (_, h, _) in enumerate(ARCS) if h == i)
        extra = m.x if i == 0 else (-m.x if i == 3 else 0.0)
        return out - into - extra == supply[i]

    m.f.balance = pyo.Constraint(range(NODES), rule=balance)
    m.f.obj = pyo.Objective(expr=sum(c * m.f.flow[a] for a, (_, _, c) in enumerate(ARCS)))
    m.obj = pyo.Objective(expr=-m.x + m.f.obj.expr / 10)
    return m


def reference_duals(x: float, removed: int) -> tuple[np.ndarray, np.ndarray]:
    """HiGHS's (linprog) flows and balance-row duals of the follower at x without row ``removed``."""
    A = np.zeros((NODES, len(ARCS)))
    for a, (t, h, _) in enumerate(ARCS):
        A[t, a], A[h, a] = 1.0, -1.0
    b = np.array([-DEMAND.get(i, 0.0) for i in range(NODES)])
    b[0] = sum(DEMAND.values()) + x
    b[3] -= x
    keep = [i for i in range(NODES) if i != removed]
    res = linprog([c for _, _, c in ARCS], A_eq=A[keep], b_eq=b[keep], bounds=[(0, 20)] * len(ARCS), method="highs")
    assert res.status == 0
    duals = np.zeros(NODES)
    duals[keep] = res.eqlin.marginals
    return res.x, duals


def test_the_last_balance_row_is_found_redundant_and_reported():
    m = network_model()
    structure = bl.analyze(m)
    assert structure.followers[0].redundant_row_names() == ["f.balance[3]"]
    assert "redundant equality rows" in structure.describe() and "f.balance[3]" in structure.describe()


@pytest.mark.parametrize("method", ["sos1", "bigm", "strong_duality", "kkt"])
def test_duals_are_determined_and_match_highs_without_the_redundant_row(method):
    m = network_model()
    res = bl.solve(m, method=method, time_limit=60)
    assert res.status == "optimal" and res.ok
    assert res.leader["x"] == pytest.approx(1.0, abs=1e-7)
    flows, expected = reference_duals(1.0, removed=3)
    # the reference must be nondegenerate for its duals to be unique: a spanning tree of positive flows
    assert np.sum(flows > 1e-9) == NODES - 1
    got = np.array([res.follower_duals["f"][f"f.balance[{i}]"] for i in range(NODES)])
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert "f.balance[3]" in res.message and "redundant" in res.message
    assert not [r for r in res.bigm_reached if r.key.endswith(":equal")]
    assert "big-M reached: multiplier of f.balance" not in str(res)


def test_pinning_moves_a_shift_onto_the_other_rows():
    # rows of an incidence matrix of the path 0 -> 1 -> 2: the rows sum to 0
    A = np.array([[1.0, 0.0], [-1.0, 1.0], [0.0, -1.0]])
    import scipy.sparse as sp

    report = find_redundant_rows(sp.csr_matrix(A), np.arange(3))
    assert [r.row for r in report.rows] == [2]
    duals = np.array([5.0, 3.0, 2.0])  # the free shift: duals + t * (1, 1, 1) are all optimal
    pinned = pin_redundant(duals, report)
    assert pinned[2] == 0.0
    np.testing.assert_allclose(A.T @ pinned, A.T @ duals)
    np.testing.assert_allclose(pinned, [3.0, 1.0, 0.0])


def test_independent_rows_are_kept():
    import scipy.sparse as sp

    A = sp.csr_matrix(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]))
    assert find_redundant_rows(A, np.arange(3)).rows == []
