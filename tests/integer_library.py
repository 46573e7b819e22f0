"""Bilevel problems with integer followers from the literature, with their published optima.

Each problem is an :class:`integer_oracle.IntegerBilevel` (checked by brute-force enumeration,
whose boxes contain every follower-feasible answer at every leader decision in the leader's
box, as the constraints named in ``box`` imply) and is written in the pybilevel user API by
:func:`integer_oracle.to_pyomo`. Where the published statement has no explicit bounds,
``explicit_bounds=False`` keeps them out of the Pyomo model (only the nonnegativity of the
statement, or MibS's MPS default lower bound 0, stays), so the method must infer them.
Sources: BilevelJuMP = joaquimg/BilevelJuMP.jl ``test/mibs.jl`` (test function; the optimum
MibS returns there); PAO = or-fusion/pao ``pao/mpr/examples`` and ``pao/mpr/tests/test_solve.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pyomo.environ as pyo

import pybilevel as bl
from integer_oracle import IntegerBilevel, to_pyomo


@dataclass(frozen=True)
class IntegerProblem:
    """One literature problem: its data, statement and published optimum (None: oracle only)."""

    name: str
    citation: str
    box: str  # why the oracle's box holds every relevant point
    instance: IntegerBilevel | None  # None: not in the oracle's class (see ``build``)
    leader_objective: float | None
    leader_values: dict[str, float] = field(default_factory=dict)
    follower_values: dict[str, float] = field(default_factory=dict)
    explicit_bounds: bool = True
    custom_build: Callable[[], pyo.ConcreteModel] | None = None
    refused_because: str = ""  # value_function refuses it: the words its message must contain

    def build(self) -> pyo.ConcreteModel:
        return self.custom_build() if self.custom_build else to_pyomo(self.instance, self.explicit_bounds)


_MOORE_BARD = dict(  # follower rows of Moore & Bard (1990)
    A=[[-25], [1], [2], [-2]], B=[[20], [2], [-1], [-10]], b=[30, 10, 15, -15],
)


def _moore_bard(**extra) -> IntegerBilevel:
    data = dict(cx=[-1], cy=[-10], d=[1], x_lb=[0], x_ub=[10], y_lb=[0], y_ub=[5], integer=[True], **_MOORE_BARD)
    data.update(extra)
    return IntegerBilevel(**data)


def yue2019_toy3() -> pyo.ConcreteModel:
    """Yue, Gao, Zeng & You (2019) toy example 3 (PAO toyexample3.py): a continuous linking variable xR."""
    m = pyo.ConcreteModel()
    m.xR = pyo.Var(within=pyo.NonNegativeReals)
    m.xZ = pyo.Var(within=pyo.NonNegativeIntegers)
    m.f = bl.Follower()
    m.f.yR = pyo.Var(within=pyo.NonNegativeReals)
    m.f.yZ = pyo.Var(within=pyo.NonNegativeIntegers)
    m.u1 = pyo.Constraint(expr=7 * m.xR + 5 * m.xZ + 7 * m.f.yZ <= 62)
    m.u2 = pyo.Constraint(expr=6 * m.xR + 9 * m.xZ + 10 * m.f.yR + 2 * m.f.yZ <= 117)
    m.f.l1 = pyo.Constraint(expr=8 * m.xR + 2 * m.f.yR + 8 * m.f.yZ <= 53)
    m.f.l2 = pyo.Constraint(expr=9 * m.xR + 2 * m.f.yR + m.f.yZ <= 28)
    m.f.obj = pyo.Objective(expr=39 * m.f.yR + 27 * m.f.yZ, sense=pyo.maximize)
    m.obj = pyo.Objective(expr=20 * m.xR - 38 * m.xZ + m.f.yR + 42 * m.f.yZ)
    return m


PROBLEMS = [
    IntegerProblem(
        "moore_bard1990",
        "Moore & Bard (1990), The mixed integer linear bilevel programming problem, Oper. Res. 38(5) 911-921, "
        "example; PAO moore.py; BilevelJuMP test_Writing_MibS_input_v4 (MibS: -22 at x=2, y=2)",
        "x + 2y <= 10 with x, y >= 0 gives x <= 10, y <= 5",
        _moore_bard(), -22.0, {"x[0]": 2}, {"f.y[0]": 2}, explicit_bounds=False,
    ),
    IntegerProblem(
        "moore_bard1990_follower_max",
        "Yue, Gao, Zeng & You (2019), J. Glob. Optim. 73, 27-57, toy example 1 (Moore & Bard's instance with "
        "the follower maximising -y); PAO toyexample1.py, test_solve.py expects x=2, y=2",
        "as moore_bard1990",
        _moore_bard(d=[-1], follower_max=True), -22.0, {"x[0]": 2}, {"f.y[0]": 2}, explicit_bounds=False,
    ),
    IntegerProblem(
        "bileveljump_mibs_v3",
        "BilevelJuMP test_Writing_MibS_input_v3: Moore & Bard with leader row x <= 10 and follower row y <= 5 "
        "(MibS: -22 at x=2, y=2)",
        "as moore_bard1990",
        _moore_bard(A=[[-25], [1], [2], [-2], [0]], B=[[20], [2], [-1], [-10], [1]], b=[30, 10, 15, -15, 5],
                    Gx=[[1]], Gy=[[0]], g=[10]),
        -22.0, {"x[0]": 2}, {"f.y[0]": 2}, explicit_bounds=False,
    ),
    IntegerProblem(
        "yue2019_toy2",
        "Yue, Gao, Zeng & You (2019) toy example 2; PAO toyexample2.py, test_solve.py expects x=8, y=6",
        "leader x + y <= 14 with x, y >= 0; the follower's own rows give y <= 13",
        IntegerBilevel(cx=[-1], cy=[-2], d=[1], follower_max=True, A=[[-3], [3]], B=[[1], [1]], b=[-3, 30],
                       Gx=[[-2], [1]], Gy=[[3], [1]], g=[12, 14],
                       x_lb=[0], x_ub=[14], y_lb=[0], y_ub=[14], integer=[True]),
        -20.0, {"x[0]": 8}, {"f.y[0]": 6}, explicit_bounds=False,
    ),
    IntegerProblem(
        "mibs_general_example",
        "MibS input-file example (coral.ise.lehigh.edu MibS_inputFile.pdf; PAO mibs.py): no optimum stated there, "
        "the reference is the brute-force oracle",
        "bounds x in [0, 10], y in [0, 5] are part of the statement",
        IntegerBilevel(cx=[-1], cy=[-7], d=[1], A=[[2], [-2]], B=[[-1], [4]], b=[7, 16],
                       Gx=[[-3], [1]], Gy=[[2], [2]], g=[12, 20],
                       x_lb=[0], x_ub=[10], y_lb=[0], y_ub=[5], integer=[True]),
        None,
    ),
    IntegerProblem(
        "bileveljump_mibs_v2",
        "BilevelJuMP test_Writing_MibS_input_v2: the MibS example with leader objective -3x - 7y, bounds as rows "
        "(MibS: -53 at x=6, y=5)",
        "leader row x <= 10 and follower row y <= 5, x, y >= 0 (MPS default lower bound)",
        IntegerBilevel(cx=[-3], cy=[-7], d=[1], A=[[2], [-2], [0]], B=[[-1], [4], [1]], b=[7, 16, 5],
                       Gx=[[-3], [1], [1]], Gy=[[2], [2], [0]], g=[12, 20, 10],
                       x_lb=[0], x_ub=[10], y_lb=[0], y_ub=[5], integer=[True]),
        -53.0, {"x[0]": 6}, {"f.y[0]": 5}, explicit_bounds=False,
    ),
    IntegerProblem(
        "bileveljump_mibs_v1",
        "BilevelJuMP test_basic_example_1 / test_Writing_MibS_input_v1: leader (y, z) here x[0], x[1]; follower "
        "x here f.y[0]; a leader row on the follower's variable (MibS: 8 at y=8, z=0, x=0)",
        "leader y <= 8; the follower's 4x + y >= 8 and x + y <= 8 give x in [0, 8]; z >= 0 only costs, z <= 2 "
        "holds the optimum z = 0",
        IntegerBilevel(cx=[1, 1], cy=[3], d=[-1], A=[[1, 0], [-1, 0], [1, 0], [-7, 0]], B=[[1], [-4], [2], [2]],
                       b=[8, -8, 13, 0], Gx=[[0, 0], [1, 0]], Gy=[[1], [0]], g=[5, 8],
                       x_lb=[0, 0], x_ub=[8, 2], y_lb=[0], y_ub=[8], integer=[True]),
        8.0, {"x[0]": 8, "x[1]": 0}, {"f.y[0]": 0}, explicit_bounds=False,
    ),
    IntegerProblem(
        "bileveljump_mibs_v5",
        "BilevelJuMP test_Writing_MibS_input_v5: leader (x, z), Moore & Bard's follower in x "
        "(MibS: -19 at x=2, z=1, y=2)",
        "leader rows 2 <= x <= 6, 25z + 2x <= 30 with z >= 0 give z <= 1; y <= 5 as in moore_bard1990",
        IntegerBilevel(cx=[1, -1], cy=[-10], d=[1], A=[[-25, 0], [1, 0], [2, 0], [-2, 0]], B=_MOORE_BARD["B"],
                       b=_MOORE_BARD["b"], Gx=[[2, 25], [1, 0], [-1, 0]], Gy=[[0], [0], [0]], g=[30, 6, -2],
                       x_lb=[2, 0], x_ub=[6, 1], y_lb=[0], y_ub=[5], integer=[True]),
        -19.0, {"x[0]": 2, "x[1]": 1}, {"f.y[0]": 2}, explicit_bounds=False,
    ),
    IntegerProblem(
        "bileveljump_mibs_v6",
        "BilevelJuMP test_Writing_MibS_input_v6: v5 with the roles of x and z swapped (MibS: -19 at x=1, z=2, y=2)",
        "leader rows 2 <= z <= 6, 25x + 2z <= 30 with x >= 0 give x <= 1; y <= 5 as in moore_bard1990",
        IntegerBilevel(cx=[-1, 1], cy=[-10], d=[1], A=[[0, -25], [0, 1], [0, 2], [0, -2]], B=_MOORE_BARD["B"],
                       b=_MOORE_BARD["b"], Gx=[[25, 2], [0, 1], [0, -1]], Gy=[[0], [0], [0]], g=[30, 6, -2],
                       x_lb=[0, 2], x_ub=[1, 6], y_lb=[0], y_ub=[5], integer=[True]),
        -19.0, {"x[0]": 1, "x[1]": 2}, {"f.y[0]": 2}, explicit_bounds=False,
    ),
    IntegerProblem(
        "yue2019_toy3",
        "Yue, Gao, Zeng & You (2019) toy example 3; PAO toyexample3.py, test_solve.py expects xR=3, xZ=8, "
        "yR=0.5, yZ=0",
        "not enumerated: xR is continuous",
        None, None, custom_build=yue2019_toy3, refused_because="leader variable xR appears in the follower's "
        "constraints and is continuous",
    ),
]

BY_NAME = {p.name: p for p in PROBLEMS}

__all__ = ["IntegerProblem", "PROBLEMS", "BY_NAME"]
