"""Bilevel problems from the literature whose follower is NONCONVEX in its own variables.

Each is a Pyomo model in the pybilevel user API (leader = the model, follower = ``m.f``),
described by :class:`problem_library.LibraryProblem`; ``leader_objective`` is the optimum as
recomputed independently (``tests/test_discretization.py``: a leader grid with the follower
solved exactly by enumerating its stationary points for the one-variable followers, and the
grid-and-zoom reference of ``tests/nlp_reference.py``); :data:`PUBLISHED` holds the value as
published with the number of decimals given there, so that a rounded published value is
matched within its rounding. Sources: MB = Mitsos & Barton (2006, rev. 2007) A test set for
bilevel programs (examples 3.k, files mb_i_j_k), as transcribed in BASBLib (basblsolver/BASBLib,
label mb_2007_k) and BOLIB (file MitsosBarton2006Ex3k); KA = Kleniati & Adjiman (2014)
Branch-and-Sandwich Part II, J. Global Optim. 60; NWY = Nie, Wang & Ye (2017) Bilevel
polynomial programs and semidefinite relaxation methods, SIAM J. Optim. 27 (arXiv 1508.06985);
PA = Paulavicius & Adjiman (2017) examples in BOLIB. BOLIB writes constraints as ``>= 0``.
"""
from __future__ import annotations

import math

import pyomo.environ as pyo

from nlp_library import (
    lampariello_sagratella2017_ex23,
    mitsos_barton2006_ex314,
    mitsos_barton2006_ex317,
    ye_zhu2010_ex42,
)
from problem_library import LibraryProblem, _base, _rows

MB = "Mitsos, A. & Barton, P.I. (2006) A test set for bilevel programs, technical report, MIT (rev. 2007)"
KA = ("Kleniati, P.-M. & Adjiman, C.S. (2014) Branch-and-Sandwich ... Part II, J. Global Optim. 60, 459-481")
NWY = ("Nie, J., Wang, L. & Ye, J.J. (2017) Bilevel polynomial programs and semidefinite relaxation methods, "
       "SIAM J. Optim. 27, 1728-1757")


def _one(x_bounds=(-1, 1), y_bounds=(-1, 1)) -> tuple[pyo.ConcreteModel, pyo.Block]:
    m, f = _base()
    m.x = pyo.Var(bounds=x_bounds)
    f.y = pyo.Var(bounds=y_bounds)
    return m, f


def _quartic(y):
    return 16 * y ** 4 + 2 * y ** 3 - 8 * y ** 2 - 1.5 * y + 0.5


def mb_3_09() -> pyo.ConcreteModel:
    m, f = _one(x_bounds=(-10, 10))
    f.obj = pyo.Objective(expr=f.y ** 3)
    m.c = pyo.Constraint(expr=f.y <= m.x)
    m.obj = pyo.Objective(expr=m.x)
    return m


def mb_3_10() -> pyo.ConcreteModel:
    m, f = _one(x_bounds=(0.1, 1))
    f.obj = pyo.Objective(expr=m.x * _quartic(f.y))
    m.obj = pyo.Objective(expr=f.y)
    return m


def mb_3_11() -> pyo.ConcreteModel:
    m, f = _one(y_bounds=(-0.8, 1))
    f.obj = pyo.Objective(expr=m.x * _quartic(f.y))
    m.obj = pyo.Objective(expr=f.y)
    return m


def mb_3_13() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=0.5 * m.x * f.y ** 2 - f.y * m.x ** 3)
    m.obj = pyo.Objective(expr=m.x - f.y)
    return m


def mb_3_15() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=0.5 * m.x * f.y ** 2 - f.y ** 3 / 3)
    m.obj = pyo.Objective(expr=m.x + f.y)
    return m


def mb_3_16() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=-0.5 * m.x * f.y ** 2 - f.y ** 4 / 4)
    m.obj = pyo.Objective(expr=2 * m.x + f.y)
    return m


def mb_3_18() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=m.x * f.y ** 2 - f.y ** 4 / 2)
    m.obj = pyo.Objective(expr=m.x ** 2 + f.y ** 2)
    return m


def mb_3_19() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=-m.x * f.y ** 2 + f.y ** 4 / 2)
    m.obj = pyo.Objective(expr=m.x * f.y - f.y + 0.5 * f.y ** 2)
    return m


def mb_3_20() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=f.y ** 3 / 3 - m.x ** 2 * f.y)
    m.obj = pyo.Objective(expr=(m.x - 0.25) ** 2 + f.y ** 2)
    return m


def _mb_3_21_objective(x, y):
    return (y * (2 * x / 25 - 9 * x ** 2 / 250 + x ** 3 / 250) - y ** 3 * (2 * x / 15 - 2 / 15)
            - y ** 2 * (x ** 2 / 50 - 4 * x / 25 + 2 / 5) + y ** 4)


def mb_3_21(coupled: bool = False) -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=_mb_3_21_objective(m.x, f.y))
    if coupled:
        f.c = pyo.Constraint(expr=f.y ** 2 - m.x ** 2 / 100 - 1 / 100 >= 0)
    m.obj = pyo.Objective(expr=(m.x + 0.6) ** 2 + f.y ** 2)
    return m


def mb_3_23() -> pyo.ConcreteModel:
    m, f = _one()
    f.c = pyo.Constraint(expr=f.y ** 2 * (m.x - 0.5) <= 0)
    f.obj = pyo.Objective(expr=f.y)
    m.c = pyo.Constraint(expr=f.y - m.x + 9 * m.x ** 2 - 1 >= 0)
    m.obj = pyo.Objective(expr=m.x ** 2)
    return m


def mb_3_26() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2], bounds=(-1, 1))
    f.y = pyo.Var([1, 2, 3], bounds=(-1, 1))
    x, y = m.x, f.y
    f.obj = pyo.Objective(expr=x[1] * y[1] ** 2 + x[2] * y[2] ** 2 + (x[1] - x[2]) * y[3] ** 2)
    norm = y[1] ** 2 + y[2] ** 2 + y[3] ** 2
    _rows(m, "c", x[1] ** 2 >= 0.1, norm >= 1.5, norm <= 2.5)
    m.obj = pyo.Objective(expr=x[1] * y[1] + x[2] * y[2] ** 2 + x[1] * x[2] * y[3] ** 3)
    return m


def ka_2014_ex3() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=0.5 * m.x * f.y ** 2 - m.x * f.y ** 3)
    m.obj = pyo.Objective(expr=m.x - f.y)
    return m


def ka_2014_ex4() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(range(1, 6), bounds=(-1, 1))
    f.y = pyo.Var(range(1, 6), bounds=(-1, 1))
    x, y = m.x, f.y
    f.c = pyo.Constraint(expr=x[1] - y[3] ** 2 <= 0.2)
    f.obj = pyo.Objective(expr=0.1 * y[3] + y[1] ** 3 + (x[1] + x[2]) * y[2] ** 2
                          + (y[4] ** 2 + y[5] ** 2) * x[3] * x[4] * x[5])
    _rows(m, "c", -x[1] + y[1] * y[2] <= 0, x[2] * y[1] ** 2 <= 0, x[1] + y[3] - pyo.exp(x[2]) <= 0)
    m.obj = pyo.Objective(expr=-sum(x[i] ** 2 for i in x) - sum(y[j] ** 2 for j in y))
    return m


def pa_2017b() -> pyo.ConcreteModel:
    m, f = _one()
    f.obj = pyo.Objective(expr=m.x * f.y ** 2 / 2 - m.x ** 3 * f.y)
    m.obj = pyo.Objective(expr=m.x + f.y)
    return m


def nwy_2017_ex52() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2], bounds=(-1, 1))
    f.y = pyo.Var([1, 2, 3], bounds=(-10, 10))
    x, y = m.x, f.y
    norm = y[1] ** 2 + y[2] ** 2 + y[3] ** 2
    _rows(f, "c", norm >= 1, norm <= 2)
    f.obj = pyo.Objective(expr=x[1] * y[1] ** 2 + x[2] ** 2 * y[2] * y[3] - y[1] * y[3] ** 2)
    m.c = pyo.Constraint(expr=-x[1] ** 2 + y[1] * y[2] <= 0)
    m.obj = pyo.Objective(expr=x[1] * y[1] + x[2] * y[2] + x[1] * x[2] * y[1] * y[2] * y[3])
    return m


def nwy_2017_ex57() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2], bounds=(-1, 1))
    f.y = pyo.Var([1, 2, 3], bounds=(-10, 10))
    x, y = m.x, f.y
    _rows(f, "c", -x[1] + y[1] ** 2 + y[2] ** 2 + y[3] ** 2 <= 0, -1 + 2 * y[2] * y[3] <= 0)
    f.obj = pyo.Objective(expr=x[2] * (y[1] * y[2] * y[3] + y[2] ** 2 - y[3] ** 3))
    m.c = pyo.Constraint(expr=-x[1] - x[2] + x[1] ** 2 + y[1] ** 2 + y[2] ** 2 <= 0)
    m.obj = pyo.Objective(expr=0.5 * x[1] ** 2 * y[1] + x[2] * y[2] ** 2 - (x[1] + x[2] ** 2) * y[3])
    return m


def nwy_2017_ex61() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2], bounds=(-1, 1))
    f.y = pyo.Var([1, 2], bounds=(-1, 1))
    x, y = m.x, f.y
    f.c = pyo.Constraint(expr=y[1] ** 2 + y[2] ** 2 <= 1)
    f.obj = pyo.Objective(expr=y[1] * y[2] ** 2 - y[1] ** 2 * (x[2] - x[1] ** 2) - y[2] ** 3)
    m.c = pyo.Constraint(expr=y[2] - y[1] * (x[1] ** 2 - 1) >= 0)
    m.obj = pyo.Objective(expr=x[2] ** 3 * y[2] - y[1] ** 3 * (3 * x[1] * x[2] - x[1] ** 2) - y[1] ** 2 * y[2])
    return m


_S319 = (-0.5 + math.sqrt(3.25)) / 3  # sqrt of Mitsos & Barton 3.19's optimal x

P = LibraryProblem
NC = "nonconvex NLP"
NONCONVEX_PROBLEMS: list[LibraryProblem] = [
    P("mb_3_09", f"{MB}, Example 3.9 = mb_1_1_02 (BASBLib mb_2007_09; BOLIB MitsosBarton2006Ex39)", NC, "LP", mb_3_09,
      -1.0, -1.0, {"x": -1.0}, {"f.y": -1.0}, "follower y^3 on [-1, 1]: y = -1 always; leader min x s.t. y <= x"),
    P("mb_3_10", f"{MB}, Example 3.10 = mb_1_1_03 (BASBLib mb_2007_10)", NC, "LP", mb_3_10, 0.5, None, {}, {"f.y": 0.5},
      "follower x q(y), q quartic with global minimum q(0.5) = -1 and x >= 0.1: y = 0.5 for every x"),
    P("mb_3_11", f"{MB}, Example 3.11 = mb_1_1_04 (BASBLib mb_2007_11)", NC, "LP", mb_3_11, -0.8, 0.0, {"x": 0.0},
      {"f.y": -0.8}, "at x = 0 every y is optimal and the leader takes y = -0.8"),
    P("mb_3_13", f"{MB}, Example 3.13 = mb_1_1_06 (BASBLib mb_2007_13)", NC, "LP", mb_3_13, -1.0, 0.0, {"x": 0.0},
      {"f.y": 1.0}, ""),
    P("mb_3_14", f"{MB}, Example 3.14 = mb_1_1_07 (BASBLib mb_2007_14; BOLIB MitsosBarton2006Ex314)", NC, "QP",
      mitsos_barton2006_ex314, 0.25, -1 / 12, {"x": 0.25}, {"f.y": 0.5}, "y = 0.5 and y = -1 tie at x = 0.25"),
    P("mb_3_15", f"{MB}, Example 3.15 = mb_1_1_08 (BASBLib mb_2007_15)", NC, "LP", mb_3_15, 0.0, -5 / 6, {"x": -1.0},
      {"f.y": 1.0}, "published f* = -0.83 is -5/6"),
    P("mb_3_16", f"{MB}, Example 3.16 = mb_1_1_09 (BASBLib mb_2007_16)", NC, "LP", mb_3_16, -2.0, 0.0, {"x": -1.0},
      {"f.y": 0.0}, "two optima: (-1, 0) and (-0.5, -1)"),
    P("mb_3_17", f"{MB}, Example 3.17 = mb_1_1_10 (BASBLib mb_2007_17; BOLIB MitsosBarton2006Ex317)", NC, "QP",
      mitsos_barton2006_ex317, 0.1875, -1 / 64, {"x": -0.25}, {"f.y": 0.5}, "y = +-0.5 tie at x = -0.25"),
    P("mb_3_18", f"{MB}, Example 3.18 = mb_1_1_11 (BASBLib mb_2007_18) = Paulavicius & Adjiman (2017) a (BOLIB "
      "PaulaviciusAdjiman2017a)", NC, "QP", mb_3_18, 0.25, 0.0, {"x": 0.5}, {"f.y": 0.0}, ""),
    P("mb_3_19", f"{MB}, Example 3.19 = mb_1_1_12 (BASBLib mb_2007_19)", NC, "QP", mb_3_19,
      _S319 ** 3 - _S319 + _S319 ** 2 / 2, None, {"x": _S319 ** 2}, {"f.y": _S319},
      "y(x) = +-sqrt(x) for x > 0 and the leader takes +sqrt(x): F(x) = x^1.5 - x^0.5 + x/2, minimal where "
      "1.5 s^2 + 0.5 s - 0.5 = 0 (s = sqrt x): s = (-0.5 + sqrt 3.25)/3, x = 0.188580, F = -0.258077 "
      "(published -0.258 at x = 0.189, y = 0.439)"),
    P("mb_3_20", f"{MB}, Example 3.20 = mb_1_1_13 (BASBLib mb_2007_20; BOLIB MitsosBarton2006Ex320)", NC, "QP",
      mb_3_20, 0.3125, -1 / 12, {"x": 0.5}, {"f.y": 0.5}, "published 0.313 (BASBLib), 0.3125 (BOLIB)"),
    P("mb_3_21", f"{MB}, Example 3.21 = mb_1_1_14 (BASBLib mb_2007_21; BOLIB MitsosBarton2006Ex321)", NC, "QP",
      mb_3_21, 0.209505, None, {}, {}, "exact grid of tests/test_discretization.py refined to a step of 5e-6 near "
      "the optimum: F = 0.2095050 at x = -0.554455, y = 0.455445 (published 0.2095 (BOLIB) / 0.210 (BASBLib) at "
      "x = -0.555, y = 0.455)"),
    P("mb_3_22", f"{MB}, Example 3.22 = mb_1_1_15 (BASBLib mb_2007_22; BOLIB MitsosBarton2006Ex322)", NC, "QP",
      lambda: mb_3_21(coupled=True), 0.209505, None, {}, {},
      "3.21 with the COUPLING follower row y^2 >= (1 + x^2)/100, inactive at the optimum (same value, 0.2095050)"),
    P("mb_3_23", f"{MB}, Example 3.23 = mb_1_1_16 (BASBLib mb_2007_23; BOLIB MitsosBarton2006Ex323)", NC, "QP",
      mb_3_23, ((1 - math.sqrt(73)) / 18) ** 2, -1.0, {"x": (1 - math.sqrt(73)) / 18}, {"f.y": -1.0},
      "COUPLING follower row y^2 (x - 1/2) <= 0: y = -1 for x <= 1/2, y = 0 above; the leader row 9x^2 - x - 2 >= 0 "
      "gives x = (1 - sqrt 73)/18, F = 0.175651 (published 0.176)"),
    P("mb_3_26", f"{MB}, Example 3.26 = mb_2_3_02 (BASBLib mb_2007_24)", NC, "NLP", mb_3_26, -2 - 1 / math.sqrt(8), -2.0, {"x[1]": -1.0, "x[2]": -1.0},
      {"f.y[1]": 1.0, "f.y[2]": 1.0, "f.y[3]": -1 / math.sqrt(2)},
      "published F* = -2.350 at x = (-1, -1), y = (1, +-1, -1/sqrt 2): F = -1 - 1 - 1/sqrt(8) = -2.353553"),
    P("ka_2014_ex3", f"{KA}, Example 3 (BASBLib ka_2014_01)", NC, "LP", ka_2014_ex3, -1.0, 0.0, {"x": 0.0},
      {"f.y": 1.0}, ""),
    P("pa_2017b", "Paulavicius, R. & Adjiman, C.S. (2017), example b (BOLIB PaulaviciusAdjiman2017b)", NC, "LP",
      pa_2017b, -2.0, -1.5, {"x": -1.0}, {"f.y": -1.0}, ""),
    P("ka_2014_ex4", f"{KA}, Example 4 (BASBLib ka_2014_02; variant of MB 3.28)", NC, "NLP", ka_2014_ex4, -10.0, -3.1,
      {}, {}, "5 leader and 5 follower variables; COUPLING follower row x1 - y3^2 <= 0.2"),
    P("nwy_2017_ex52", f"{NWY}, Example 5.2 (BASBLib nwj_2017_02)", NC, "NLP", nwy_2017_ex52, -1.70957, -2.23, {}, {},
      "published -1.71 (2 decimals); box |y| <= 10 as in BASBLib. NOT independently verified (3 follower "
      "variables): the value recorded is discretization's certified point -1.709570 at x = (-1, -1); its SCIP-proven "
      "bound -1.709702 shows the published -1.71 is a rounding"),
    P("nwy_2017_ex57", f"{NWY}, Example 5.7 (BASBLib nwj_2016_04)", NC, "NLP", nwy_2017_ex57, -2.0, -1.0, {}, {},
      "COUPLING follower row |y|^2 <= x1; box |y| <= 10 as in BASBLib"),
    P("nwy_2017_ex61", f"{NWY}, Example 6.1 (BOLIB NieWangYe2017Ex61)", NC, "NLP", nwy_2017_ex61, -1.022, -1.084, {},
      {}, "published -1.022 (3 decimals)"),
    P("lampariello_sagratella2017_ex23", "Lampariello, L. & Sagratella, S. (2017) A bridge between bilevel programs "
      "and Nash games, JOTA 174, Example 2.3 (BOLIB LamparielloSagratella2017Ex23)", NC, "LP",
      lampariello_sagratella2017_ex23, -1.0, 1.0, {"x": -1.0}, {}, "follower row y2 >= y1^3"),
    P("ye_zhu2010_ex42", "Ye, J.J. & Zhu, D.L. (2010) SIAM J. Optim. 20, Example 4.2 (BASBLib yz_2010_01)", NC, "QP",
      ye_zhu2010_ex42, 1.0, -2.0, {"x": 1.0}, {"f.y": 1.0}, "COUPLING follower row y >= x; |y| <= 10 as in BASBLib"),
]

#: the leader optimum as published, and the decimals it was published with (its rounding)
PUBLISHED: dict[str, tuple[float, int]] = {
    "mb_3_09": (-1.0, 1), "mb_3_10": (0.5, 1), "mb_3_11": (-0.8, 1), "mb_3_13": (-1.0, 1), "mb_3_14": (0.25, 2),
    "mb_3_15": (0.0, 1), "mb_3_16": (-2.0, 1), "mb_3_17": (0.1875, 4), "mb_3_18": (0.25, 2), "mb_3_19": (-0.258, 3),
    "mb_3_20": (0.3125, 4), "mb_3_21": (0.2095, 4), "mb_3_22": (0.2095, 4), "mb_3_23": (0.176, 3),
    "mb_3_26": (-2.35, 2), "ka_2014_ex3": (-1.0, 1), "pa_2017b": (-2.0, 1), "ka_2014_ex4": (-10.0, 1),
    "nwy_2017_ex52": (-1.71, 2), "nwy_2017_ex57": (-2.0, 1),
    "nwy_2017_ex61": (-1.022, 3), "lampariello_sagratella2017_ex23": (-1.0, 1), "ye_zhu2010_ex42": (1.0, 1),
}
