"""Small bilevel problems from the literature with their optimal values.

Every problem is a Pyomo model written with the pybilevel user API. Expected
values are the published optimistic optima, each re-derived with the independent
KKT-enumeration oracle in ``tests/oracle.py`` (see ``tests/test_oracle.py``);
where the oracle found the literature wrong, the oracle's value is expected and
``note`` says what was published. Objective senses are kept as published.

Abbreviations in citations: BOLIB = Zhou, Zemkoho & Tin (2020), "BOLIB: Bilevel
Optimization LIBrary of test problems" (file name given); BASBLib = Paulavicius,
Kleniati & Adjiman, BASBLib test set (label given); BilevelJuMP = test/problems/
jump.jl of joaquimg/BilevelJuMP.jl (function given); PAO = or-fusion/pao
examples (file given).
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


def _bard1984(leader: str, slope_rhs: float) -> Callable[[], pyo.ConcreteModel]:
    def build() -> pyo.ConcreteModel:
        m, f = _base()
        m.x = pyo.Var(within=NN)
        f.y = pyo.Var(within=NN)
        _rows(f, "c", -m.x - 0.5 * f.y <= -2, -0.25 * m.x + f.y <= 2, m.x + 0.5 * f.y <= 8,
              m.x - 2 * f.y <= slope_rhs)
        if leader == "a":
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


def bard1991_ex1() -> pyo.ConcreteModel:
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
