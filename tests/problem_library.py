"""Small bilevel problems from the literature with their optimal values.

Each problem is a Pyomo model in the pybilevel user API; objective senses are as
published. Every expected optimum was re-derived with the independent oracle of
``tests/oracle.py`` (checked by ``tests/test_oracle.py``); where the literature value
is wrong, the oracle's value is expected and ``note`` gives the published one.
Sources named in citations: BOLIB = Zhou, Zemkoho & Tin (2020) BOLIB: Bilevel
Optimization LIBrary of test problems (file name); BASBLib = Paulavicius, Kleniati &
Adjiman, BASBLib test set (label); BilevelJuMP = joaquimg/BilevelJuMP.jl
test/problems/jump.jl (function); PAO = or-fusion/pao examples (file).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pyomo.environ as pyo

import pybilevel as bl

NN = pyo.NonNegativeReals


@dataclass(frozen=True)
class LibraryProblem:
    """One literature problem with its expected optimistic optimum."""

    name: str
    citation: str
    follower_class: str  # "LP" or "QP" (follower objective quadratic)
    leader_class: str  # "LP" or "QP"
    build: Callable[[], pyo.ConcreteModel]
    leader_objective: float
    follower_objective: float | None
    leader_values: dict[str, float] = field(default_factory=dict)
    follower_values: dict[str, float] = field(default_factory=dict)
    note: str = ""


def _base() -> tuple[pyo.ConcreteModel, pyo.Block]:
    """A model with an empty follower block ``m.f``."""
    m = pyo.ConcreteModel()
    m.f = bl.Follower()
    return m, m.f


def _rows(block: pyo.Block, name: str, *exprs) -> None:
    """Add the relational expressions as a ConstraintList ``name`` on ``block``."""
    block.add_component(name, pyo.ConstraintList())
    for expr in exprs:
        getattr(block, name).add(expr)


# ----------------------------------------------------------------- LP - LP
def bard1998_ex5_1_1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var(within=NN)
    f.c1 = pyo.Constraint(expr=-m.x - f.y <= -3)
    f.c2 = pyo.Constraint(expr=-2 * m.x + f.y <= 0)
    f.c3 = pyo.Constraint(expr=2 * m.x + f.y <= 12)
    f.c4 = pyo.Constraint(expr=3 * m.x - 2 * f.y <= 4)
    f.obj = pyo.Objective(expr=f.y)
    m.obj = pyo.Objective(expr=m.x - 4 * f.y)
    return m


def _candler_townsley_data(m: pyo.ConcreteModel) -> None:
    m.I = pyo.RangeSet(2)
    m.x = pyo.Var(m.I, within=NN)
    m.f.J = pyo.RangeSet(3)


def candler_townsley1982() -> pyo.ConcreteModel:
    m, f = _base()
    _candler_townsley_data(m)
    f.K = pyo.RangeSet(6)
    f.y = pyo.Var(f.K, within=NN)
    rows = {1: ({}, {1: -1, 2: 1, 3: 1, 4: 1}), 2: ({1: 2}, {1: -1, 2: 2, 3: -0.5, 5: 1}),
            3: ({2: 2}, {1: 2, 2: -1, 3: -0.5, 6: 1})}
    f.c = pyo.Constraint(f.J, rule=lambda f, r: sum(a * m.x[i] for i, a in rows[r][0].items())
                         + sum(a * f.y[k] for k, a in rows[r][1].items()) == 1)
    f.obj = pyo.Objective(expr=m.x[1] + 2 * m.x[2] + f.y[1] + f.y[2] + 2 * f.y[3])
    m.obj = pyo.Objective(expr=-8 * m.x[1] - 4 * m.x[2] + 4 * f.y[1] - 40 * f.y[2] - 4 * f.y[3])
    return m


def bard_falk1982_ex1() -> pyo.ConcreteModel:
    m, f = _base()
    _candler_townsley_data(m)
    f.y = pyo.Var(f.J, within=NN)
    _rows(f, "c", -f.y[1] + f.y[2] + f.y[3] <= 1,
          2 * m.x[1] - f.y[1] + 2 * f.y[2] - 0.5 * f.y[3] <= 1,
          2 * m.x[2] + 2 * f.y[1] - f.y[2] - 0.5 * f.y[3] <= 1)
    f.obj = pyo.Objective(expr=m.x[1] + 2 * m.x[2] + f.y[1] + f.y[2] + 2 * f.y[3])
    m.obj = pyo.Objective(expr=-8 * m.x[1] - 4 * m.x[2] + 4 * f.y[1] - 40 * f.y[2] + 4 * f.y[3])
    return m


def savard1989() -> pyo.ConcreteModel:
    m, f = _base()
    _candler_townsley_data(m)
    f.y = pyo.Var(f.J, within=NN)
    _rows(f, "c", -f.y[1] + f.y[2] + f.y[3] <= 1,
          4 * m.x[1] - 2 * f.y[1] + 4 * f.y[2] - f.y[3] <= 2,
          4 * m.x[2] + 4 * f.y[1] - 2 * f.y[2] - f.y[3] <= 2)
    f.obj = pyo.Objective(expr=2 * f.y[1] + f.y[2] + 2 * f.y[3])
    m.cap = pyo.Constraint(expr=m.x[1] + 2 * m.x[2] - f.y[3] <= 1.3)
    m.obj = pyo.Objective(expr=-8 * m.x[1] - 4 * m.x[2] + 4 * f.y[1] - 40 * f.y[2] + 4 * f.y[3])
    return m


def _tuy_falk(leader_cap: bool) -> pyo.ConcreteModel:
    """Bard & Falk (1982) Ex. 2 (cap in the follower) / Tuy et al. (1993) (cap in the leader)."""
    m, f = _base()
    m.x = pyo.Var([1, 2], within=NN)
    f.y = pyo.Var([1, 2], within=NN)
    _rows(f, "c", -2 * m.x[1] + f.y[1] - f.y[2] <= -2.5, m.x[1] - 3 * m.x[2] + f.y[2] <= 2)
    cap = m.x[1] + m.x[2] <= 2
    if leader_cap:
        m.cap = pyo.Constraint(expr=cap)
        f.obj = pyo.Objective(expr=-4 * f.y[1] + f.y[2])
    else:
        f.cap = pyo.Constraint(expr=cap)
        f.obj = pyo.Objective(expr=m.x[1] + m.x[2] - 4 * f.y[1] + f.y[2])
    m.obj = pyo.Objective(expr=-2 * m.x[1] + m.x[2] + 0.5 * f.y[1])
    return m


def _bard1984(example1: bool, slope_rhs: float) -> Callable[[], pyo.ConcreteModel]:
    """Bard (1984) Example 1 region; ``example1=False`` gives the BOLIB Bard1984b objectives."""
    def build() -> pyo.ConcreteModel:
        m, f = _base()
        m.x = pyo.Var(within=NN)
        f.y = pyo.Var(within=NN)
        _rows(f, "c", -m.x - 0.5 * f.y <= -2, -0.25 * m.x + f.y <= 2, m.x + 0.5 * f.y <= 8,
              m.x - 2 * f.y <= slope_rhs)
        if example1:
            f.obj = pyo.Objective(expr=-5 * m.x - f.y)
            m.obj = pyo.Objective(expr=m.x + f.y)
        else:
            f.obj = pyo.Objective(expr=f.y)
            m.obj = pyo.Objective(expr=-5 * m.x - f.y)
        return m
    return build


def anandalingam_white1990() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var(within=NN)
    _rows(f, "c", -m.x - 2 * f.y <= -10, m.x - 2 * f.y <= 6, 2 * m.x - f.y <= 21,
          m.x + 2 * f.y <= 38, -m.x + 2 * f.y <= 18)
    f.obj = pyo.Objective(expr=-m.x + 3 * f.y)
    m.obj = pyo.Objective(expr=-m.x - 3 * f.y)
    return m


def ben_ayed_blair1990a() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 1))
    f.y = pyo.Var([1, 2], within=NN)
    _rows(f, "c", m.x + 3 * f.y[1] + f.y[2] <= 5, 2 * m.x + f.y[1] + 3 * f.y[2] <= 5)
    f.obj = pyo.Objective(expr=-f.y[1] - 5 * f.y[2])
    m.obj = pyo.Objective(expr=-1.5 * m.x - 6 * f.y[1] - f.y[2])
    return m


def bialas_karwan1984a() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y1 = pyo.Var(within=NN)
    f.y2 = pyo.Var(bounds=(0, 0.5))
    _rows(f, "c", m.x + f.y1 + f.y2 <= 3, -m.x - f.y1 + f.y2 <= -1, -m.x + f.y1 + f.y2 <= 1,
          m.x - f.y1 + f.y2 <= 1)
    f.obj = pyo.Objective(expr=-f.y2)
    m.obj = pyo.Objective(expr=-m.x - f.y2)
    return m


def clark_westerberg1988() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var()
    f.y = pyo.Var()
    _rows(f, "c", -2 * m.x + f.y <= 0, 2 * m.x + 5 * f.y <= 108, 2 * m.x - 3 * f.y <= -4)
    f.obj = pyo.Objective(expr=f.y)
    m.obj = pyo.Objective(expr=m.x - 4 * f.y)
    return m


def clark_westerberg1990b() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 8))
    f.y = pyo.Var([1, 2])
    f.y[1].setlb(0)
    f.y[1].setub(4)
    _rows(f, "c", -2 * m.x + f.y[1] + 4 * f.y[2] <= 16, 8 * m.x + 3 * f.y[1] - 2 * f.y[2] <= 48,
          -2 * m.x + f.y[1] - 3 * f.y[2] <= -12)
    f.obj = pyo.Objective(expr=-f.y[1])
    m.obj = pyo.Objective(expr=-m.x - 3 * f.y[1] + 2 * f.y[2])
    return m


def haurie_savard_white1990() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var()
    f.y = pyo.Var()
    _rows(f, "c", -3 * m.x + 2 * f.y <= 6, 3 * m.x + 4 * f.y <= 48, 2 * m.x - 5 * f.y <= 9,
          m.x + f.y >= 8)
    f.obj = pyo.Objective(expr=-f.y)
    m.obj = pyo.Objective(expr=m.x + 5 * f.y)
    return m


def hu_huang_zhang2009() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var([1, 2], within=NN)
    _rows(f, "c", m.x + f.y[1] + f.y[2] <= 25 / 9, m.x + f.y[2] <= 2, f.y[1] + f.y[2] <= 8 / 9)
    f.obj = pyo.Objective(expr=-m.x - 3 * f.y[1])
    m.obj = pyo.Objective(expr=-4 * m.x - f.y[1] - f.y[2])
    return m


def lan_wen_shih_lee2007() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var(within=NN)
    _rows(f, "c", m.x - 2 * f.y <= 4, 2 * m.x - f.y <= 24, 3 * m.x + 4 * f.y <= 96,
          m.x + 7 * f.y <= 126, -4 * m.x + 5 * f.y <= 65, m.x + 4 * f.y >= 8)
    f.obj = pyo.Objective(expr=m.x + 3 * f.y)
    m.obj = pyo.Objective(expr=2 * m.x - 11 * f.y)
    return m


def liu_hart1994() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var(within=NN)
    _rows(f, "c", -m.x + f.y <= 3, m.x + 2 * f.y <= 12, 4 * m.x - f.y <= 12)
    f.obj = pyo.Objective(expr=f.y)
    m.obj = pyo.Objective(expr=-m.x - 3 * f.y)
    return m


def tuy_migdalas_varbrand1994() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2], within=NN)
    f.y = pyo.Var([1, 2], within=NN)
    m.cap = pyo.Constraint(expr=m.x[1] + m.x[2] + f.y[1] + f.y[2] <= 4)
    f.c = pyo.Constraint(expr=3 * m.x[1] + 5 * m.x[2] + 6 * f.y[1] + 2 * f.y[2] >= 15)
    f.obj = pyo.Objective(expr=4 * f.y[1] + f.y[2])
    m.obj = pyo.Objective(expr=3 * m.x[1] + 2 * m.x[2] + f.y[1] + f.y[2])
    return m


def wang_jiao_li2005() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 1))
    f.y = pyo.Var([1, 2])
    _rows(f, "c", m.x + f.y[1] - f.y[2] <= 1, f.y[1] + f.y[2] <= 1)
    f.obj = pyo.Objective(expr=-f.y[1] - f.y[2])
    m.obj = pyo.Objective(expr=-100 * m.x - 1000 * f.y[1])
    return m


def _mersha_dempe(upper_in_leader: bool) -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var()
    f.y = pyo.Var()
    _rows(m if upper_in_leader else f, "upper", -2 * m.x + 3 * f.y <= 12, m.x + f.y <= 14)
    _rows(f, "c", -3 * m.x + f.y <= -3, 3 * m.x + f.y <= 30)
    f.obj = pyo.Objective(expr=-f.y)
    m.obj = pyo.Objective(expr=-m.x - 2 * f.y)
    return m


def bard1991_ex2_2() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var([1, 2], within=NN)
    _rows(f, "c", m.x + f.y[1] <= 1, m.x + f.y[2] <= 1, f.y[1] + f.y[2] <= 1)
    f.obj = pyo.Objective(expr=-f.y[1] - f.y[2])
    m.obj = pyo.Objective(expr=-m.x + 10 * f.y[1] - f.y[2])
    return m


def dempe2002_p25() -> pyo.ConcreteModel:
    m, f = _base()
    m.y = pyo.Var(bounds=(0, 8))  # Dempe's notation: leader y, follower x
    f.x = pyo.Var()
    _rows(f, "c", f.x + m.y <= 8, 4 * f.x + m.y >= 8, 2 * f.x + m.y <= 13, 2 * f.x - 7 * m.y <= 0)
    f.obj = pyo.Objective(expr=-f.x)
    m.cap = pyo.Constraint(expr=f.x <= 5)
    m.obj = pyo.Objective(expr=3 * f.x + m.y)
    return m


def moore_bard1990_relaxed() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var(within=NN)
    _rows(f, "c", -25 * m.x + 20 * f.y <= 30, m.x + 2 * f.y <= 10, 2 * m.x - f.y <= 15,
          2 * m.x + 10 * f.y >= 15)
    f.obj = pyo.Objective(expr=f.y)
    m.obj = pyo.Objective(expr=-m.x - 10 * f.y)
    return m


def dempe_etal2015_ex8_2() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2], bounds=(0, 10))
    f.z = pyo.Var(bounds=(0, 10))
    f.c = pyo.Constraint(expr=m.x[1] + m.x[2] - f.z <= 5)
    f.obj = pyo.Objective(expr=2 * m.x[1] - m.x[2] + f.z)
    m.total = pyo.Constraint(expr=m.x[1] + m.x[2] + f.z >= 15)
    m.obj = pyo.Objective(expr=m.x[1] - 2 * m.x[2] + f.z)
    return m


def allende_still2013_ex3_1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var()
    f.y = pyo.Var()
    _rows(f, "c", m.x - f.y <= 0, f.y <= 0)
    f.obj = pyo.Objective(expr=f.y)
    m.obj = pyo.Objective(expr=-m.x - f.y)
    return m


def besancon2019_ex2_7() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var()
    f.c = pyo.Constraint(expr=-m.x / 10 + f.y <= 1)
    f.obj = pyo.Objective(expr=f.y, sense=pyo.maximize)
    m.cover = pyo.Constraint(expr=m.x / 10 + f.y >= 1)
    m.obj = pyo.Objective(expr=m.x)
    return m


def bard1983() -> pyo.ConcreteModel:
    m, f = _base()
    m.I = pyo.RangeSet(6)
    m.x = pyo.Var(m.I, within=NN)
    f.y = pyo.Var([1, 2, 3], within=NN)
    x, y = m.x, f.y
    _rows(f, "c", -x[1] + 0.2 * x[2] + x[5] + 2 * x[6] - 4 * y[1] + 2 * y[2] + y[3] <= 12,
          x[1] + x[3] - 2 * x[4] - 4 * y[2] + y[3] <= 10,
          5 * x[1] + x[4] + 3.2 * x[6] + 2 * y[1] + 2 * y[2] <= 15,
          -3 * x[2] - x[4] + x[5] - 2 * y[1] <= 12,
          -2 * x[1] - x[2] - y[2] + y[3] <= -2, -y[1] - 2 * y[2] - y[3] <= -2)
    m.cover = pyo.Constraint(expr=-2 * x[2] - 3 * x[3] - x[5] <= -3)
    f.obj = pyo.Objective(expr=2 * x[2] - x[5] + 3 * y[1] - y[2] - 4 * y[3], sense=pyo.maximize)
    m.obj = pyo.Objective(expr=2 * x[1] - x[2] - x[3] + 2 * x[4] + x[5] - 3.5 * x[6]
                          - y[1] - 1.5 * y[2] + 3 * y[3], sense=pyo.maximize)
    return m


# ----------------------------------------------------------------- QP problems
def bard1988_ex1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var(within=NN)
    _rows(f, "c", -3 * m.x + f.y <= -3, m.x - 0.5 * f.y <= 4, m.x + f.y <= 7)
    f.obj = pyo.Objective(expr=(f.y - 1) ** 2 - 1.5 * m.x * f.y)
    m.obj = pyo.Objective(expr=(m.x - 5) ** 2 + (2 * f.y + 1) ** 2)
    return m


def bard1988_ex2() -> pyo.ConcreteModel:
    m, f = _base()
    m.I = pyo.RangeSet(4)
    m.x = pyo.Var(m.I, bounds=lambda m, i: (0, {1: 10, 2: 5, 3: 15, 4: 20}[i]))
    f.y = pyo.Var(m.I, bounds=lambda f, i: (0, 20 if i <= 2 else 40))
    m.budget = pyo.Constraint(expr=sum(m.x[i] for i in m.I) <= 40)
    y = f.y
    _rows(f, "c", 0.4 * y[1] + 0.7 * y[2] <= m.x[1], 0.6 * y[1] + 0.3 * y[2] <= m.x[2],
          0.4 * y[3] + 0.7 * y[4] <= m.x[3], 0.6 * y[3] + 0.3 * y[4] <= m.x[4])
    f.obj = pyo.Objective(expr=(y[1] - 4) ** 2 + (y[2] - 13) ** 2 + (y[3] - 35) ** 2 + (y[4] - 2) ** 2)
    m.obj = pyo.Objective(expr=(y[2] + y[4]) * (y[2] + y[4] - 160) + (y[1] + y[3]) * (y[1] + y[3] - 200))
    return m


def _clark_westerberg_sahin(in_follower: bool) -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 8))
    f.y = pyo.Var()
    _rows(f if in_follower else m, "c", -2 * m.x + f.y <= 1, m.x - 2 * f.y <= -2, m.x + 2 * f.y <= 14)
    f.obj = pyo.Objective(expr=(f.y - 5) ** 2)
    m.obj = pyo.Objective(expr=(m.x - 3) ** 2 + (f.y - 2) ** 2)
    return m


def shimizu_aiyoshi1981_ex1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 15))
    f.y = pyo.Var(bounds=(0, 20))
    m.c = pyo.Constraint(expr=f.y <= m.x)
    f.c = pyo.Constraint(expr=m.x + f.y <= 20)
    f.obj = pyo.Objective(expr=(m.x + 2 * f.y - 30) ** 2)
    m.obj = pyo.Objective(expr=m.x ** 2 + (f.y - 10) ** 2)
    return m


def shimizu_aiyoshi1981_ex2() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2])
    f.y = pyo.Var([1, 2], bounds=(0, 10))
    _rows(m, "c", m.x[1] + 2 * m.x[2] >= 30, m.x[1] + m.x[2] <= 25, m.x[2] <= 15)
    f.obj = pyo.Objective(expr=(m.x[1] - f.y[1]) ** 2 + (m.x[2] - f.y[2]) ** 2)
    m.obj = pyo.Objective(expr=(m.x[1] - 30) ** 2 + (m.x[2] - 20) ** 2 - 20 * f.y[1] + 20 * f.y[2])
    return m


def aiyoshi_shimizu1984_ex2() -> pyo.ConcreteModel:
    m, f = _base()
    m.I = pyo.RangeSet(2)
    m.x = pyo.Var(m.I, bounds=(0, 50))
    f.y = pyo.Var(m.I, bounds=(-10, 20))
    m.c = pyo.Constraint(expr=m.x[1] + m.x[2] + f.y[1] - 2 * f.y[2] <= 40)
    f.c = pyo.Constraint(m.I, rule=lambda f, i: m.x[i] - 2 * f.y[i] >= 10)
    f.obj = pyo.Objective(expr=sum((f.y[i] - m.x[i] + 20) ** 2 for i in m.I))
    m.obj = pyo.Objective(expr=2 * m.x[1] + 2 * m.x[2] - 3 * f.y[1] - 3 * f.y[2] - 60)
    return m


def _box_projection(center: float, const: float) -> Callable[[], pyo.ConcreteModel]:
    """De Silva (1978) / Falk & Liu (1995): y = projection of x on [0.5, 1.5]^2."""
    def build() -> pyo.ConcreteModel:
        m, f = _base()
        m.x = pyo.Var([1, 2])
        f.y = pyo.Var([1, 2], bounds=(0.5, 1.5))
        f.obj = pyo.Objective(expr=sum((m.x[i] - f.y[i]) ** 2 for i in (1, 2)))
        m.obj = pyo.Objective(expr=sum((m.x[i] - center) ** 2 + f.y[i] ** 2 for i in (1, 2)) + const)
        return m
    return build


def muu_quy2003_ex1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 2))
    f.y = pyo.Var([1, 2], within=NN)
    f.c = pyo.Constraint(expr=2 * f.y[1] + f.y[2] <= 2 * m.x + 1)
    f.obj = pyo.Objective(expr=f.y[1] ** 2 + 0.5 * f.y[2] ** 2 + f.y[1] * f.y[2]
                          - (3 * m.x - 1) * f.y[1] + (m.x + 1) * f.y[2])
    m.obj = pyo.Objective(expr=m.x ** 2 - 4 * m.x + f.y[1] ** 2 + f.y[2] ** 2)
    return m


def bard1991_ex2_1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(2, 4))
    f.y = pyo.Var([1, 2], within=NN)
    f.c = pyo.Constraint(expr=f.y[1] + f.y[2] >= m.x + 4)
    f.obj = pyo.Objective(expr=2 * f.y[1] + m.x * f.y[2])
    m.obj = pyo.Objective(expr=m.x + f.y[2])
    return m


def bard1998_ex8_1_3() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var()
    f.y = pyo.Var()
    f.obj = pyo.Objective(expr=0.5 * f.y ** 2 + 500 * f.y - 50 * m.x * f.y)
    m.obj = pyo.Objective(expr=(m.x - 1) ** 2 + (f.y - 1) ** 2)
    return m


def tuy_migdalas_hoai_phuong2007_ex1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(within=NN)
    f.y = pyo.Var(within=NN)
    _rows(f, "c", 3 * m.x + f.y <= 15, m.x + f.y <= 7, m.x + 3 * f.y <= 15)
    f.obj = pyo.Objective(expr=-f.y)
    m.obj = pyo.Objective(expr=m.x ** 2 + f.y ** 2)
    return m


P = LibraryProblem
BJ, NRLQ, COR = "BilevelJuMP", "Naval Res. Logist. Q.", "Comput. Oper. Res."
PROBLEMS: list[LibraryProblem] = [
    # ------------------------------------------------------------- LP - LP
    P("bard1998_ex5_1_1", "Bard, J.F. (1998) Practical Bilevel Optimization, Example 5.1.1 (BASBLib "
      "b_1998_01; PAO bard511.py)", "LP", "LP", bard1998_ex5_1_1, -12.0, 4.0, {"x": 4.0}, {"f.y": 4.0},
      "last row 3x - 2y <= 4 as corrected in BASBLib/PAO/BilevelJuMP"),
    P("candler_townsley1982", f"Candler, W. & Townsley, R. (1982) A linear two-level programming problem, {COR} "
      "9, Sect. 6 numerical example (BASBLib ct_1982_01)", "LP", "LP", candler_townsley1982, -29.2, 3.2,
      {"x[1]": 0.0, "x[2]": 0.9}, {f"f.y[{k}]": v for k, v in zip(range(1, 7), (0, 0.6, 0.4, 0, 0, 0))},
      "equality form with slacks y4..y6 as in the paper"),
    P("bard_falk1982_ex1", f"Bard, J.F. & Falk, J.E. (1982) An explicit solution to the multi-level programming "
      f"problem, {COR} 9, Example 1 (BASBLib bf_1982_01)", "LP", "LP", bard_falk1982_ex1, -26.0, 3.2,
      {"x[1]": 0.0, "x[2]": 0.9}, {"f.y[1]": 0.0, "f.y[2]": 0.6, "f.y[3]": 0.4}),
    P("bard_falk1982_ex2", "Bard, J.F. & Falk, J.E. (1982), Example 2 (BOLIB BardFalk1982Ex2; BASBLib bf_1982_02)",
      "LP", "LP", lambda: _tuy_falk(False), -3.25, -4.0, {"x[1]": 2.0, "x[2]": 0.0}, {"f.y[1]": 1.5, "f.y[2]": 0.0}),
    P("tuy_migdalas_varbrand1993", "Tuy, H., Migdalas, A. & Värbrand, P. (1993) A global optimization approach for "
      "the linear two-level program, J. Global Optim. 3, example (BOLIB TuyEtal1993)", "LP", "LP",
      lambda: _tuy_falk(True), -3.25, -6.0, {"x[1]": 2.0, "x[2]": 0.0}, {"f.y[1]": 1.5, "f.y[2]": 0.0},
      "Bard & Falk Ex. 2 with x1 + x2 <= 2 as a leader constraint"),
    P("savard1989", "Savard, G. (1989) Contribution à la programmation mathématique à deux niveaux, PhD thesis, "
      "École Polytechnique de Montréal (BASBLib s_1989_01)", "LP", "LP", savard1989, -14.6, 0.3,
      {"x[1]": 0.0, "x[2]": 0.65}, {"f.y[1]": 0.0, "f.y[2]": 0.3, "f.y[3]": 0.0}),
    P("bard1984_ex1", f"Bard, J.F. (1984) Optimality conditions for the bilevel programming problem, {NRLQ} 31, "
      "Example 1 (BOLIB Bard1984a; BASBLib b_1984_01)", "LP", "LP", _bard1984(True, 4.0), 28 / 9, -60 / 9,
      {"x": 8 / 9}, {"f.y": 20 / 9}, "BOLIB has x - 2y <= 4, BASBLib x - 2y <= 2; inactive either way"),
    P("bard1984b", f"Bard, J.F. (1984) {NRLQ} 31, Example 1 region with leader min -5x - y and follower "
      "min y (BOLIB Bard1984b)", "LP", "LP", _bard1984(False, 4.0), -37.6, 1.6, {"x": 7.2}, {"f.y": 1.6}),
    P("visweswaran1996", "Visweswaran, V., Floudas, C.A., Ierapetritou, M.G. & Pistikopoulos, E.N. (1996) A "
      "decomposition-based global optimization approach for solving bilevel linear and quadratic programs, linear "
      "example (BOLIB VisweswaranEtal1996; BASBLib vfip_1996_01)", "LP", "LP", _bard1984(True, 2.0), 28 / 9,
      -60 / 9, {"x": 8 / 9}, {"f.y": 20 / 9}),
    P("anandalingam_white1990", "Anandalingam, G. & White, D.J. (1990) A solution method for the linear static "
      "Stackelberg problem using penalty functions, IEEE Trans. Autom. Control 35, example (BOLIB "
      "AnandalinghamWhite1990; BASBLib aw_1990_01)", "LP", "LP", anandalingam_white1990, -49.0, 17.0,
      {"x": 16.0}, {"f.y": 11.0}, "BOLIB lists f* = 15, inconsistent with its own point; -x + 3y = 17 there"),
    P("ben_ayed_blair1990a", "Ben-Ayed, O. & Blair, C.E. (1990) Computational difficulties of bilevel linear "
      "programming, Oper. Res. 38, example (BOLIB BenAyedBlair1990a)", "LP", "LP", ben_ayed_blair1990a, -2.5,
      -5.0, {"x": 1.0}, {"f.y[1]": 0.0, "f.y[2]": 1.0}),
    P("bialas_karwan1984a", "Bialas, W.F. & Karwan, M.H. (1984) Two-level linear programming, Manage. Sci. 30, "
      "example (BOLIB BialasKarwan1984a)", "LP", "LP", bialas_karwan1984a, -2.0, -0.5, {"x": 1.5},
      {"f.y1": 1.0, "f.y2": 0.5}),
    P("clark_westerberg1988", "Clark, P.A. & Westerberg, A.W. (1988) A note on the optimality conditions for the "
      f"bilevel programming problem, {NRLQ} 35, example (BOLIB ClarkWesterberg1988; BASBLib cw_1988_01)", "LP",
      "LP", clark_westerberg1988, -37.0, 14.0, {"x": 19.0}, {"f.y": 14.0}),
    P("clark_westerberg1990b", "Clark, P.A. & Westerberg, A.W. (1990) Bilevel programming for steady-state chemical "
      "process design I, Comput. Chem. Eng. 14, Sect. 3.1 (BOLIB ClarkWesterberg1990b; BASBLib cw_1990_01)", "LP",
      "LP", clark_westerberg1990b, -13.0, -4.0, {"x": 5.0}, {"f.y[1]": 4.0, "f.y[2]": 2.0},
      "y2 is free and absent from the follower objective: the optimistic choice y2 = 2 is published"),
    P("haurie_savard_white1990", "Haurie, A., Savard, G. & White, D.J. (1990) A note on: an efficient point "
      "algorithm for a linear two-stage optimization problem, Oper. Res. 38 (BOLIB HaurieSavardWhite1990)", "LP",
      "LP", haurie_savard_white1990, 27.0, -3.0, {"x": 12.0}, {"f.y": 3.0}),
    P("hu_huang_zhang2009", "Hu, T., Huang, B. & Zhang, X. (2009), linear bilevel example (BOLIB "
      "HuHuangZhang2009)", "LP", "LP", hu_huang_zhang2009, -79 / 9, -13 / 3, {"x": 2.0},
      {"f.y[1]": 7 / 9, "f.y[2]": 0.0}, "BOLIB lists F* = -8.4444, f* = -4.5556 (x = 17/9, y = (8/9, 0)); the "
      "oracle finds x = 2, y = (7/9, 0) with F = -79/9 = -8.7778 on BOLIB's data, which we expect"),
    P("lan_wen_shih_lee2007", "Lan, K.-M., Wen, U.-P., Shih, H.-S. & Lee, E.S. (2007) A hybrid neural network "
      "approach to bilevel programming problems, Appl. Math. Lett. 20 (BOLIB LanWenShihLee2007)", "LP", "LP",
      lan_wen_shih_lee2007, -936 / 11, 552 / 11, {"x": 192 / 11}, {"f.y": 120 / 11},
      "BOLIB lists the best known F = -85.0855, f = 50.174 (not proven); the oracle's exact optimum is -936/11"),
    P("liu_hart1994", "Liu, Y.-H. & Hart, S.M. (1994) Characterizing an optimal solution to the linear bilevel "
      "programming problem, EJOR 73, example (BOLIB LiuHart1994; BASBLib lh_1994_01)", "LP", "LP", liu_hart1994,
      -16.0, 4.0, {"x": 4.0}, {"f.y": 4.0}),
    P("tuy_migdalas_varbrand1994", "Tuy, H., Migdalas, A. & Värbrand, P. (1994) A quasiconcave minimization method "
      "for solving linear two-level programs, J. Global Optim. 4 (BOLIB TuyEtal1994)", "LP", "LP",
      tuy_migdalas_varbrand1994, 6.0, 0.0, {"x[1]": 0.0, "x[2]": 3.0}, {"f.y[1]": 0.0, "f.y[2]": 0.0}),
    P("wang_jiao_li2005", "Wang, Y., Jiao, Y.-C. & Li, H. (2005), bilevel example (BOLIB WangJiaoLi2005)", "LP",
      "LP", wang_jiao_li2005, -1000.0, -1.0, {"x": 0.0}, {"f.y[1]": 1.0, "f.y[2]": 0.0},
      "y free; the follower's optimal face is a segment, y = (1, 0) is the optimistic choice"),
    P("mersha_dempe2006_ex2", "Mersha, A.G. & Dempe, S. (2006) Linear bilevel programming with upper level "
      "constraints depending on the lower level solution, Appl. Math. Comput. 180, Example 2 (BOLIB "
      "MershaDempe2006Ex2; PAO getachew_ex1.py)", "LP", "LP", lambda: _mersha_dempe(True), -20.0, -6.0,
      {"x": 8.0}, {"f.y": 6.0}, "both upper-level rows are coupling constraints"),
    P("mersha_dempe2006_ex2_lower", "Mersha & Dempe (2006) Example 2 with the upper-level rows moved into the "
      f"follower (PAO getachew_ex2.py; {BJ} jump_11b, Dempe et al. 2015 Example 2.1)", "LP", "LP",
      lambda: _mersha_dempe(False), -22.0, -8.0, {"x": 6.0}, {"f.y": 8.0}),
    P("bard1991_ex2_2", "Bard, J.F. (1991) Some properties of the bilevel programming problem, JOTA 68, Example "
      "2.2 (BASBLib b_1991_01; BOLIB Bard1991Ex2)", "LP", "LP", bard1991_ex2_2, -1.0, None, {}, {},
      "two optima: x = 1, y = (0, 0) and x = 0, y = (0, 1) (optimistic tie at x = 0)"),
    P("dempe2002_p25", "Dempe, S. (2002) Foundations of Bilevel Programming, example of Sect. 3.2, p. 25 "
      f"({BJ} docs FOBP_example2, test jump_03)", "LP", "LP", dempe2002_p25, 92 / 15, -28 / 15,
      {"y": 8 / 15}, {"f.x": 28 / 15}, "book notation kept: leader y, follower x; x <= 5 is a leader row"),
    P("moore_bard1990_relaxed", "Moore, J.T. & Bard, J.F. (1990) The mixed integer linear bilevel programming "
      "problem, Oper. Res. 38, Example 1 without integrality (PAO moore.py)", "LP", "LP",
      moore_bard1990_relaxed, -18.0, 1.0, {"x": 8.0}, {"f.y": 1.0}, "integer optimum (2, 2) is not the target"),
    P("dempe_etal2015_ex8_2", "Dempe, S., Kalashnikov, V., Pérez-Valdés, G.A. & Kalashnykova, N. (2015) Bilevel "
      f"Programming Problems, Example 8.2, p. 290 ({BJ} jump_14)", "LP", "LP", dempe_etal2015_ex8_2, -15.0, -5.0,
      {"x[1]": 0.0, "x[2]": 10.0}, {"f.z": 5.0}, "x1 + x2 + z >= 15 is a coupling constraint"),
    P("allende_still2013_ex3_1", "Allende, G.B. & Still, G. (2013) Solving bilevel programs with the KKT-approach, "
      "Math. Program. 138, Example 3.1 (BASBLib as_2013_01)", "LP", "LP", allende_still2013_ex3_1, 0.0, 0.0,
      {"x": 0.0}, {"f.y": 0.0}, "x and y free; the follower is infeasible for x > 0"),
    P("besancon2019_ex2_7", "Besançon, M., Anjos, M.F. & Brotcorne, L. (2019) Near-optimal robust bilevel "
      "optimization, arXiv:1908.04040, Example 2.7 (PAO besancon27.py)", "LP", "LP", besancon2019_ex2_7, 0.0, 1.0,
      {"x": 0.0}, {"f.y": 1.0}, "maximising follower with a free variable"),
    P("bard1983", "Bard, J.F. (1983) An efficient point algorithm for a linear two-stage optimization problem, "
      f"Oper. Res. 31, example ({BJ} jump_EffPointAlgo)", "LP", "LP", bard1983, 41.2, -9.2,
      {f"x[{i}]": v for i, v in zip(range(1, 7), (0, 4, 0, 15, 9.2, 0))}, {"f.y[1]": 0, "f.y[2]": 0, "f.y[3]": 2},
      "both levels maximise; the follower row without y is written as the leader row `cover`"),
    # ------------------------------------------------------------------ QP
    P("bard1988_ex1", "Bard, J.F. (1988) Convex two-level optimization, Math. Program. 40, Example 1 (BASBLib "
      "b_1988_01; BOLIB Bard1988Ex1)", "QP", "QP", bard1988_ex1, 17.0, 1.0, {"x": 1.0}, {"f.y": 0.0}),
    P("bard1988_ex2", "Bard, J.F. (1988) Math. Program. 40, Example 2 (BOLIB Bard1988Ex2)", "QP", "QP",
      bard1988_ex2, -6600.0, None, {}, {}, "optimum not unique (only y1 + y3 = 30, y2 + y4 = 10 matter); BOLIB's "
      "f* = 54 belongs to y = (0, 10, 30, 0)"),
    P("clark_westerberg1990a", "Clark, P.A. & Westerberg, A.W. (1990) Comput. Chem. Eng. 14, Sect. 3.2 (BOLIB "
      "ClarkWesterberg1990a; BASBLib cw_1990_02; = Sahin & Ciric 1998 Example 2)", "QP", "QP",
      lambda: _clark_westerberg_sahin(True), 5.0, 4.0, {"x": 1.0}, {"f.y": 3.0}),
    P("sahin_ciric1998_ex3", "Sahin, K.H. & Ciric, A.R. (1998) A dual temperature simulated annealing approach for "
      "solving bilevel programming problems, Comput. Chem. Eng. 23, Example 3 (BASBLib sc_1998_01)", "QP", "QP",
      lambda: _clark_westerberg_sahin(False), 9.0, 0.0, {"x": 3.0}, {"f.y": 5.0},
      "clark_westerberg1990a with the three rows as coupling constraints"),
    P("shimizu_aiyoshi1981_ex1", "Shimizu, K. & Aiyoshi, E. (1981) A new computational method for Stackelberg and "
      "min-max problems by use of a penalty method, IEEE Trans. Autom. Control 26, Example 1 (BASBLib sa_1981_01)",
      "QP", "QP", shimizu_aiyoshi1981_ex1, 100.0, 0.0, {"x": 10.0}, {"f.y": 10.0}),
    P("shimizu_aiyoshi1981_ex2", "Shimizu, K. & Aiyoshi, E. (1981), Example 2 (BOLIB ShimizuAiyoshi1981Ex2; "
      "BASBLib sa_1981_02)", "QP", "QP",
      shimizu_aiyoshi1981_ex2, 225.0, 100.0, {"x[1]": 20.0, "x[2]": 5.0}, {"f.y[1]": 10.0, "f.y[2]": 5.0}),
    P("aiyoshi_shimizu1984_ex2", "Aiyoshi, E. & Shimizu, K. (1984) A solution method for the static constrained "
      "Stackelberg problem via penalty method, IEEE Trans. Autom. Control 29, Example 2 (BOLIB "
      "AiyoshiShimizu1984Ex2; BASBLib as_1984_01)", "QP", "LP", aiyoshi_shimizu1984_ex2, 0.0, None, {}, {},
      "published F = 5 at x = (25, 30), y = (5, 10) is not optimal: x = (0, 0), y = (-10, -10) and x = (0, 30), "
      "y = (-10, 10) give 0 (BASBLib and the oracle agree)"),
    P("desilva1978", "De Silva, A.H. (1978) PhD thesis, George Washington University (BOLIB DeSilva1978; BASBLib "
      "fl_1995_01 via Falk & Liu 1995)", "QP", "QP", _box_projection(1.0, -2.0), -1.0, 0.0,
      {"x[1]": 0.5, "x[2]": 0.5}, {"f.y[1]": 0.5, "f.y[2]": 0.5}),
    P("falk_liu1995", "Falk, J.E. & Liu, J. (1995) On bilevel programming, Part I: general nonlinear cases, Math. "
      "Program. 70 (BOLIB FalkLiu1995)", "QP", "QP", _box_projection(1.5, -4.5), -2.25, 0.0,
      {"x[1]": 0.75, "x[2]": 0.75}, {"f.y[1]": 0.75, "f.y[2]": 0.75}, "BOLIB lists F* = -2.1962 (x = y = "
      "(sqrt(3)/2, sqrt(3)/2)); x = y = (0.75, 0.75) gives -2.25, the oracle's optimum, which we expect. BASBLib's "
      "fl_1995_01 is the De Silva data instead"),
    P("muu_quy2003_ex1", "Muu, L.D. & Quy, N.V. (2003) A global optimization method for solving convex quadratic "
      "bilevel programming problems, J. Global Optim. 26, Example 1 (BOLIB MuuQuy2003Ex1)", "QP", "QP",
      muu_quy2003_ex1, -27 / 13, -100 / 169, {"x": 11 / 13}, {"f.y[1]": 10 / 13, "f.y[2]": 0.0},
      "BOLIB best known F = -2.0769, f = -0.5868 (not proven); the oracle's exact optimum is -27/13"),
    P("bard1991_ex2_1", "Bard, J.F. (1991) JOTA 68, Example 2.1 = Bard (1998) Example 8.1.1 (BASBLib b_1991_02; "
      "BOLIB Bard1991Ex1)", "QP", "LP", bard1991_ex2_1, 2.0, 12.0, {"x": 2.0}, {"f.y[1]": 6.0, "f.y[2]": 0.0},
      "follower objective 2*y1 + x*y2 is linear in y for fixed x (bilinear, no y-y terms)"),
    P("bard1998_ex8_1_3", "Bard, J.F. (1998) Practical Bilevel Optimization, Example 8.1.3 (BASBLib b_1998_04)",
      "QP", "QP", bard1998_ex8_1_3, 508705901 / 6255001, -0.5 * (2050 / 2501) ** 2, {"x": 25051 / 2501},
      {"f.y": 2050 / 2501}, "no constraints; published to 2 decimals: F = 81.33, f = -0.336, x = 10.02, y = 0.82"),
    P("tuy_migdalas_hoai_phuong2007_ex1", "Tuy, H., Migdalas, A. & Hoai-Phuong, N.T. (2007) A novel approach to "
      "bilevel nonlinear programming, J. Global Optim. 38, Example 1 (BASBLib tmh_2007_01)", "LP", "QP",
      tuy_migdalas_hoai_phuong2007_ex1, 22.5, None, {}, {},
      "two optima: published x = 1.5, y = 4.5 (f = -4.5) and x = 4.5, y = 1.5 (f = -1.5)"),
]
