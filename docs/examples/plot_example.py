"""The picture in docs/plotting.md: Bard (1998) Example 5.1.1, solved and drawn with res.plot().

Run from the repository root: ``python docs/examples/plot_example.py`` (writes docs/plot_example.png;
needs matplotlib: ``pip install pybilevel[plot]``).

    min_x  x - 4 y                 (leader)
    s.t.   y in argmin_y { y :  -x - y <= -3,  -2x + y <= 0,  2x + y <= 12,  3x - 2y <= 4,  y >= 0 }
           x >= 0

The follower's reaction is y*(x) = max(3 - x, (3x - 4)/2) on 1 <= x <= 4 (no response elsewhere);
the leader's best decision is x = 4, y = 4, F = -12.
"""
from pathlib import Path

import pyomo.environ as pyo

import pybilevel as bl


def bard_example() -> pyo.ConcreteModel:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals)
    m.f = bl.Follower()
    m.f.y = pyo.Var(within=pyo.NonNegativeReals)
    m.f.c1 = pyo.Constraint(expr=-m.x - m.f.y <= -3)
    m.f.c2 = pyo.Constraint(expr=-2 * m.x + m.f.y <= 0)
    m.f.c3 = pyo.Constraint(expr=2 * m.x + m.f.y <= 12)
    m.f.c4 = pyo.Constraint(expr=3 * m.x - 2 * m.f.y <= 4)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x - 4 * m.f.y)
    return m


if __name__ == "__main__":
    res = bl.solve(bard_example())
    print(res)
    res.plot(Path(__file__).resolve().parents[1] / "plot_example.png")
