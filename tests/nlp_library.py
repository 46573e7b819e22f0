"""Nonlinear bilevel problems from the literature with independently verified optima.

Each problem is a Pyomo model in the pybilevel user API (leader = the model, follower =
the ``m.f`` block; objective senses as published), described by
:class:`problem_library.LibraryProblem`. Every ``leader_objective`` was recomputed by
the grid-and-zoom reference of ``tests/nlp_reference.py`` (re-run cheaply by
``tests/test_nlp_reference.py``); the published value is kept in :data:`PUBLISHED`, and
where it disagrees the verified value is expected and ``note`` explains why.

Classes (in the follower's variables y, leader's x fixed):

* follower ``LP``: objective and constraints linear in y (coefficients may depend on x);
  ``QP``: objective quadratic in y with a Hessian independent of x, constraints linear
  in y; ``convex NLP``: convex in y for every admissible x but neither of those (exp,
  log, powers, quadratic constraints, or a quadratic objective whose Hessian depends on
  x); ``nonconvex NLP``: not convex in y for some admissible x (pybilevel must refuse).
* leader ``LP`` / ``QP`` (quadratic objective, linear constraints) / ``NLP`` (anything
  else, including quadratic constraints).

Where the paper leaves a variable unbounded, a generous box that the verified optimum
does not touch was added (``note`` says so), so that global solvers and the reference
see finite bounds. Sources named in citations: BOLIB = Zhou, Zemkoho & Tin (2020)
BOLIB: Bilevel Optimization LIBrary of test problems, read in its Matlab files
(ShenglongZhou/BOLIB) and their Julia transcription with BOLIB's best-known values
(cinaral/BOLIB.jl, field ``Ff_optimal``); BASBLib = Paulavicius, Kleniati & Adjiman,
BASBLib test set (label, basblsolver/BASBLib); BilevelJuMP = joaquimg/BilevelJuMP.jl
test/problems/jump_nlp.jl (function). Mitsos & Barton (2006) number their examples 3.k
and their files mb_1_1_(k-7) (as BASBLib's headers show for 3.10 and 3.19).
"""
from __future__ import annotations

import math

import pyomo.environ as pyo

from problem_library import LibraryProblem, _base, _rows

FOLLOWER_CLASSES = ("LP", "QP", "convex NLP", "nonconvex NLP")
LEADER_CLASSES = ("LP", "QP", "NLP")


# --------------------------------------------------------- convex NLP followers
def gumus_floudas2001_ex1() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 12.5))
    f.y = pyo.Var(bounds=(0, 50))
    f.c = pyo.Constraint(expr=4 * m.x + f.y <= 50)
    f.obj = pyo.Objective(expr=(m.x + f.y - 20) ** 4)
    m.c = pyo.Constraint(expr=-4 * m.x + f.y <= 0)
    m.obj = pyo.Objective(expr=16 * m.x ** 2 + 9 * f.y ** 2)
    return m


def _colson_bipa1(x_max: float) -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, x_max))
    f.y = pyo.Var(bounds=(0, 20))
    f.c = pyo.Constraint(expr=m.x + f.y <= 20)
    f.obj = pyo.Objective(expr=(m.x + 2 * f.y - 15) ** 4)
    m.c = pyo.Constraint(expr=f.y <= m.x)
    m.obj = pyo.Objective(expr=(10 - m.x) ** 3 + (10 - f.y) ** 3)
    return m


def colson2002_bipa3() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 10))
    f.y = pyo.Var(bounds=(0, 10))
    f.c = pyo.Constraint(expr=-m.x + f.y <= 2)
    f.obj = pyo.Objective(expr=pyo.exp(f.y - m.x) + m.x ** 2 + 2 * m.x * f.y + f.y ** 2 + 2 * m.x + 6 * f.y)
    m.c = pyo.Constraint(expr=m.x + f.y <= 4)
    m.obj = pyo.Objective(expr=(m.x - 5) ** 4 + (2 * f.y + 1) ** 4)
    return m


def colson2002_bipa4() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 10))
    f.y = pyo.Var(bounds=(0, 10))
    f.c = pyo.Constraint(expr=-m.x + 2 * f.y <= 3)
    f.obj = pyo.Objective(expr=m.x ** 3 + 2 * f.y ** 3 + m.x - 2 * f.y - m.x ** 2)
    m.c = pyo.Constraint(expr=m.x + 2 * f.y <= 6)
    m.obj = pyo.Objective(expr=m.x ** 2 + (f.y - 10) ** 2)
    return m


def colson2002_bipa5() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 10))
    f.y = pyo.Var([1, 2], bounds=lambda f, j: (0, {1: 4, 2: 2}[j]))
    y = f.y
    _rows(f, "c", 6 * m.x + y[1] ** 2 + pyo.exp(y[2]) <= 15, 5 * m.x + y[1] ** 4 - y[2] <= 25)
    f.obj = pyo.Objective(expr=2 * m.x + pyo.exp(y[1]) + y[1] ** 2 + 4 * y[1] + 2 * y[2] ** 2 - 6 * y[2])
    m.obj = pyo.Objective(expr=(m.x - y[2]) ** 4 + (y[1] - 1) ** 2 + (y[1] - y[2]) ** 2)
    return m


def _outrata(variant: str) -> pyo.ConcreteModel:
    """Outrata (1990) Example 2 variants b, c, e; Outrata (1993) Ex. 3.1; Outrata (1994) Ex. 3.1.

    Leader min 0.5 (y1 - 3)^2 + 0.5 (y2 - 4)^2 over 0 <= x <= 10; follower quadratic in y
    with a Hessian that grows with x (strictly convex for x >= 0).
    """
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 10))
    f.y = pyo.Var([1, 2], bounds=(0, 10))
    x, y = m.x, f.y
    if variant in ("1990_2b", "1990_2c", "1990_2e"):
        h2 = {"1990_2b": 0.0, "1990_2c": 0.5 * (1 + 0.1 * x), "1990_2e": 0.5}[variant]
        f.obj = pyo.Objective(expr=0.5 * (1 + x) * y[1] ** 2 - (3 + 1.333 * x) * y[1] - x * y[2] + h2 * y[2] ** 2)
    else:
        f.obj = pyo.Objective(expr=(0.5 + 0.1 * x) * y[1] ** 2 - (3 + 1.333 * x) * y[1] - x * y[2]
                              + (0.5 + 0.05 * x) * y[2] ** 2)
    if variant in ("1990_2b", "1990_2c"):
        _rows(f, "c", 0.333 * y[1] - y[2] + 2 >= 0, 0.333 * y[2] - y[1] + 2 >= 0)
    elif variant == "1990_2e":
        _rows(f, "c", x - y[2] - (0.1 * x - 0.333) * y[1] >= 0, (0.1 * x + 0.333) * y[2] - y[1] + 2 >= 0)
    elif variant == "1993_31":
        _rows(f, "c", 2 - y[2] - (0.1 * x - 0.333) * y[1] - 0.1 * x >= 0,
              (0.1 * x + 0.333) * y[2] - y[1] - 0.1 * x + 2 >= 0)
    else:
        _rows(f, "c", 0.333 * y[1] - 0.1 * x - y[2] + 1 >= 0, y[1] ** 2 + y[2] ** 2 <= 9 + 0.1 * x)
    m.obj = pyo.Objective(expr=0.5 * (y[1] - 3) ** 2 + 0.5 * (y[2] - 4) ** 2)
    return m


def floudas_zlobec1998() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 1))
    f.y1 = pyo.Var(bounds=(-1, 1))
    f.y2 = pyo.Var(bounds=(0, 100))
    _rows(f, "c", m.x * f.y1 <= 10, f.y1 ** 2 + m.x * f.y2 <= 1)
    f.obj = pyo.Objective(expr=-f.y2)
    m.obj = pyo.Objective(expr=m.x ** 3 * f.y1 + f.y2)
    return m


def dempe1992b() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 10))
    f.y = pyo.Var(bounds=(-10, 10))
    f.c = pyo.Constraint(expr=f.y ** 2 <= m.x)
    f.obj = pyo.Objective(expr=(f.y - 3) ** 2)
    m.obj = pyo.Objective(expr=(m.x - 3.5) ** 2 + (f.y + 4) ** 2)
    return m


def dempe_dutta2012_ex24() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(-10, 10))
    f.y = pyo.Var(bounds=(-10, 10))
    f.c = pyo.Constraint(expr=f.y ** 2 <= 0)
    f.obj = pyo.Objective(expr=m.x ** 2 * f.y)
    m.obj = pyo.Objective(expr=(m.x - 1) ** 2 + f.y ** 2)
    return m


# ------------------------------------------- nonlinear leader, LP or QP follower
def _bard1988_ex3(x2_squared: bool) -> pyo.ConcreteModel:
    """Bard (1988) Ex. 3; ``x2_squared`` gives Amouzegar (1999) Ex. 2 = Sinha et al. (2014) TP3."""
    m, f = _base()
    m.x = pyo.Var([1, 2], bounds=(0, 2))
    f.y = pyo.Var([1, 2], bounds=(0, 10))
    x, y = m.x, f.y
    m.c = pyo.Constraint(expr=x[1] ** 2 + 2 * x[2] <= 4)
    _rows(f, "c", x[1] ** 2 - 2 * x[1] + x[2] ** 2 - 2 * y[1] + y[2] >= -3, x[2] + 3 * y[1] - 4 * y[2] >= 4)
    f.obj = pyo.Objective(expr=2 * x[1] ** 2 + y[1] ** 2 - 5 * y[2])
    m.obj = pyo.Objective(expr=-x[1] ** 2 - 3 * (x[2] ** 2 if x2_squared else x[2]) - 4 * y[1] + y[2] ** 2)
    return m


def _bileveljump_nlp(variant: int) -> pyo.ConcreteModel:
    """BilevelJuMP jump_nlp_01 / 02 / 03 (leader maximises)."""
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 10))
    f.y = pyo.Var(bounds=(0, 10))
    f.c = pyo.Constraint(expr=f.y >= 0)
    m.square = pyo.Constraint(expr=m.x ** 2 <= 4)
    if variant == 2:
        _rows(m, "c", m.x ** 2 + f.y + 2 >= 4, m.x ** 3 + 18 * f.y >= 1)
    if variant in (2, 3):
        m.product = pyo.Constraint(expr=pyo.inequality(-1, m.x * f.y, 1))
    if variant == 3:
        f.z = pyo.Var(bounds=(0, 10))
        f.obj = pyo.Objective(expr=f.y ** 2 + f.z)
        m.obj = pyo.Objective(expr=m.x ** 2 - 3 * f.y, sense=pyo.maximize)
    else:
        f.obj = pyo.Objective(expr=f.y)
        m.obj = pyo.Objective(expr=m.x - 3 * f.y, sense=pyo.maximize)
    return m


def zlobec2001a() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0.1, 10))
    f.y = pyo.Var([1, 2], bounds=(0, 20))
    f.c = pyo.Constraint(expr=f.y[1] + m.x * f.y[2] <= 1)
    f.obj = pyo.Objective(expr=-f.y[1] - f.y[2])
    m.obj = pyo.Objective(expr=-f.y[1] / m.x)
    return m


def ishizuka_aiyoshi1992a() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(-1.5, 10))
    f.y = pyo.Var([1, 2], bounds=(-20, 20))
    x, y = m.x, f.y
    _rows(f, "c", x >= 0, x + y[1] >= 0, x - y[1] >= 0, pyo.inequality(-1.5, y[1] + y[2], 1.5))
    f.obj = pyo.Objective(expr=y[1])
    m.obj = pyo.Objective(expr=x * y[2] ** 2)
    return m


# ----------------------------------------------------------- QP: Cournot-Stackelberg
def henderson_quandt1958() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(0, 200))
    f.y = pyo.Var(bounds=(0, 200))
    f.obj = pyo.Objective(expr=f.y * (0.5 * m.x + f.y - 100))
    m.obj = pyo.Objective(expr=m.x * (0.5 * m.x + 0.5 * f.y - 95))
    return m


# ------------------------------------------------------------ nonconvex followers
def mitsos_barton2006_ex314() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(-1, 1))
    f.y = pyo.Var(bounds=(-1, 1))
    f.obj = pyo.Objective(expr=f.y ** 3 / 3 - m.x * f.y)
    m.obj = pyo.Objective(expr=(m.x - 0.25) ** 2 + f.y ** 2)
    return m


def mitsos_barton2006_ex317() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(-1, 1))
    f.y = pyo.Var(bounds=(-1, 1))
    f.obj = pyo.Objective(expr=0.5 * m.x * f.y ** 2 + f.y ** 4 / 4)
    m.obj = pyo.Objective(expr=(m.x + 0.5) ** 2 + 0.5 * f.y ** 2)
    return m


def lampariello_sagratella2017_ex23() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(-1, 1))
    f.y = pyo.Var([1, 2], bounds=lambda f, j: (-10, 10) if j == 1 else (0, 10))
    _rows(f, "c", f.y[2] >= f.y[1] ** 3, f.y[2] >= 0)
    f.obj = pyo.Objective(expr=(m.x - f.y[1]) ** 2 + (f.y[2] + 1) ** 2)
    m.obj = pyo.Objective(expr=m.x)
    return m


def gumus_floudas2001_ex3() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var([1, 2], bounds=(0, 2))
    f.y = pyo.Var([1, 2, 3], bounds=(0, 2))
    x, y = m.x, f.y
    _rows(f, "c", -y[1] + y[2] + y[3] <= 1, 2 * x[1] - y[1] + 2 * y[2] - 0.5 * y[3] <= 1,
          2 * x[2] + 2 * y[1] - y[2] - 0.5 * y[3] <= 1)
    f.obj = pyo.Objective(expr=(x[1] + x[2] + 2 * y[1] - y[2] + y[3] + 1)
                          / (2 * x[1] + y[1] + y[2] - 3 * y[3] + 6))
    m.obj = pyo.Objective(expr=-8 * x[1] - 4 * x[2] + 4 * y[1] - 40 * y[2] - 4 * y[3])
    return m


def ye_zhu2010_ex42() -> pyo.ConcreteModel:
    m, f = _base()
    m.x = pyo.Var(bounds=(-3, 2))
    f.y = pyo.Var(bounds=(-10, 10))
    f.c = pyo.Constraint(expr=f.y >= m.x)
    f.obj = pyo.Objective(expr=f.y ** 3 - 3 * f.y)
    m.obj = pyo.Objective(expr=(m.x - 1) ** 2 + f.y ** 2)
    return m


# ---------------------------------------------------------------- the library
_BIPA1_X = (20 * math.sqrt(2) - 5) / (2 * math.sqrt(2) + 1)  # (10 - x) = (5 + x) / (2 sqrt 2)
_INV_SQRT3 = 1 / math.sqrt(3)
_BIPA5_X = 1.9405290609868067  # argmin of (x - L)^4 + 1 + L^2, L = log(15 - 6x) (1-D Brent, xatol 1e-12)
_BIPA5_L = math.log(15 - 6 * _BIPA5_X)
_OUTRATA_VERTEX = 2 / 0.667  # y1 = y2 where both rows of Outrata (1990) Ex. 2(b) are active

P = LibraryProblem
GF = ("Gümüş, Z.H. & Floudas, C.A. (2001) Global optimization of nonlinear bilevel programming problems, "
      "J. Global Optim. 20")
COLSON = ("Colson, B. (2002) BIPA (BIlevel Programming with Approximation methods): software guide and test "
          "problems, Cahiers du GERAD G-2002-37; Colson, Marcotte & Savard (2005) Comput. Optim. Appl. 30")
OUTRATA90 = ("Outrata, J.V. (1990) On the numerical solution of a class of Stackelberg problems, ZOR - Methods "
             "Models Oper. Res. 34, 255-277")
MB = "Mitsos, A. & Barton, P.I. (2006) A test set for bilevel programs, technical report, MIT (rev. 2007)"
BJ = "joaquimg/BilevelJuMP.jl test/problems/jump_nlp.jl"
ADDED_BOX = "added box (the paper has none) not touched by the optimum: "

NLP_PROBLEMS: list[LibraryProblem] = [
    # ---------------------------------------------------------- convex NLP follower
    P("gumus_floudas2001_ex1", f"{GF}, Example 1 = Shimizu, Ishizuka & Bard (1997) Nondifferentiable and "
      "Two-Level Mathematical Programming, Example 15.3.1 = Mitsos & Barton (2006) Ex. 4.1 (BOLIB "
      "GumusFloudas2001Ex1; BASBLib sib_1997_01)", "convex NLP", "QP", gumus_floudas2001_ex1, 2250.0,
      (15 / 4) ** 4, {"x": 11.25}, {"f.y": 5.0},
      "follower (x + y - 20)^4 (quartic); f* = 3.75^4 = 197.75 (BOLIB), BASBLib lists f* = 194.8 (typo); "
      "a second local optimum (7.2, 12.8) exists"),
    P("colson2002_bipa1", f"{COLSON}, problem BIPA1 (BOLIB Colson2002BIPA1)", "convex NLP", "NLP",
      lambda: _colson_bipa1(5.0), 250.0, 0.0, {"x": 5.0}, {"f.y": 5.0},
      "BOLIB's data, with the leader bound x <= 5: y(x) = (15 - x)/2 meets y <= x only at x = 5"),
    P("colson2002_bipa1_basblib", f"{COLSON}, BIPA1 as transcribed in BASBLib c_2002_01 (x <= 15)",
      "convex NLP", "NLP", lambda: _colson_bipa1(15.0),
      (10 - _BIPA1_X) ** 3 + ((5 + _BIPA1_X) / 2) ** 3, 0.0, {"x": _BIPA1_X}, {"f.y": (15 - _BIPA1_X) / 2},
      "BASBLib lists F* = 227.691 at x = 6.082, y = 4.487, but y(x) = (15 - x)/2 = 4.459 there: the flat quartic "
      "(x + 2y - 15)^4 = 1e-5 fooled its solver. Exactly: (10 - x) = (5 + x)/(2 sqrt 2), x = (20 sqrt 2 - 5)/"
      "(2 sqrt 2 + 1) = 6.0822, F = (10 - x)^3 + ((5 + x)/2)^3 = 230.268"),
    P("colson2002_bipa3", f"{COLSON}, problem BIPA3 (BOLIB Colson2002BIPA3; BASBLib c_2002_03)", "convex NLP",
      "NLP", colson2002_bipa3, 2.0, math.exp(-4) + 24, {"x": 4.0}, {"f.y": 0.0},
      "follower exp(y - x) + (x + y)^2 + 2x + 6y is increasing in y >= 0, so y = 0; x, y <= 10 as in BASBLib"),
    P("colson2002_bipa4", f"{COLSON}, problem BIPA4 (BOLIB Colson2002BIPA4; BASBLib c_2002_04)", "convex NLP",
      "QP", colson2002_bipa4, (10 - _INV_SQRT3) ** 2, -4 / (3 * math.sqrt(3)), {"x": 0.0}, {"f.y": _INV_SQRT3},
      "follower 2y^3 - 2y (+ terms in x) is convex on y >= 0 with minimiser y = 1/sqrt 3; F = (10 - 1/sqrt 3)^2 = "
      "88.7863 (BOLIB 88.79; BASBLib lists 88.754 at y = 0.579, not the follower's optimum); x, y <= 10 as in "
      "BASBLib"),
    P("colson2002_bipa5", f"{COLSON}, problem BIPA5 (BOLIB Colson2002BIPA5; BASBLib c_2002_05)", "convex NLP",
      "NLP", colson2002_bipa5, (_BIPA5_X - _BIPA5_L) ** 4 + 1 + _BIPA5_L ** 2,
      2 * _BIPA5_X + 1 + 2 * _BIPA5_L ** 2 - 6 * _BIPA5_L, {"x": _BIPA5_X}, {"f.y[1]": 0.0, "f.y[2]": _BIPA5_L},
      "follower with exp and quartic terms and convex rows; its answer is y1 = 0, y2 = min(1.5, L), L = "
      "log(15 - 6x) (infeasible for x >= 2.5), so F = (x - L)^4 + 1 + L^2, minimal at x = 1.94053: F = 2.749768, "
      "f = 0.548105 (published F = 2.75; f = 0.57 BOLIB, 0.548 BASBLib). x, y <= 10 as in BASBLib"),
    P("outrata1990_ex2b", f"{OUTRATA90}, Example 2(b) (BOLIB Outrata1990Ex2b)", "convex NLP", "QP",
      lambda: _outrata("1990_2b"), 0.5 * (3 - _OUTRATA_VERTEX) ** 2 + 0.5 * (4 - _OUTRATA_VERTEX) ** 2, None,
      {}, {"f.y[1]": _OUTRATA_VERTEX, "f.y[2]": _OUTRATA_VERTEX},
      "follower Hessian diag(1 + x, 0). For small x >= 0 (x = 0 included) the follower answers the vertex y1 = y2 "
      "= 2/0.667 of its two rows, so F* = 0.501501 on an interval of x. Published F* = 0.5 (BOLIB) is the value "
      "with 1/3 for 0.333, where the vertex is (3, 3). " + ADDED_BOX + "x <= 10, y <= 10 (the rows bound y by 3)"),
    P("outrata1990_ex2c", f"{OUTRATA90}, Example 2(c) (BOLIB Outrata1990Ex2c)", "convex NLP", "QP",
      lambda: _outrata("1990_2c"), 1.860462, None, {}, {}, "follower Hessian diag(1 + x, 1 + x/10). Reference: "
      "x = 3.4562, y = (1.7071, 2.5685), F = 1.860462 (published 1.86, f = -10.931). " + ADDED_BOX
      + "x <= 10, y <= 10"),
    P("outrata1990_ex2e", f"{OUTRATA90}, Example 2(e) (BOLIB Outrata1990Ex2e)", "convex NLP", "QP",
      lambda: _outrata("1990_2e"), 0.897460, None, {}, {}, "follower Hessian diag(1 + x, 1); rows bilinear in "
      "(x, y). Reference: x = 3.9985, y = (1.6650, 3.8871), F = 0.897460 (published 0.9, f = -14.94). "
      + ADDED_BOX + "x <= 10, y <= 10"),
    P("outrata1993_ex31", "Outrata, J.V. (1993) Necessary optimality conditions for Stackelberg problems, JOTA 76, "
      "Example 3.1 (BOLIB Outrata1993Ex31)", "convex NLP", "QP", lambda: _outrata("1993_31"), 1.562874, None, {},
      {}, "follower Hessian diag(1 + x/5, 1 + x/10); rows bilinear in (x, y). Reference: x = 1.9095, y = (2.9786, "
      "2.2321), F = 1.562874 (published 1.56, f = -11.68). " + ADDED_BOX + "x <= 10, y <= 10"),
    P("outrata1994_ex31", "Outrata, J.V. (1994) On optimization problems with variational inequality constraints, "
      "SIAM J. Optim. 4, Example 3.1 = Outrata (1993) Ex. 3.2 with x <= 10 (BOLIB Outrata1994Ex31, "
      "Outrata1993Ex32)", "convex NLP", "QP", lambda: _outrata("1994_31"), 3.207700, None, {}, {},
      "convex quadratic follower row y1^2 + y2^2 <= 9 + x/10; Hessian diag(1 + x/5, 1 + x/10). Reference: x = "
      "4.0604, y = (2.6822, 1.4871), F = 3.207700 (published 3.208, f = -20.531). " + ADDED_BOX + "y <= 10"),
    P("floudas_zlobec1998", "Floudas, C.A. & Zlobec, S. (1998) Optimality and duality in parametric convex "
      f"lexicographic programming, in Multilevel Optimization, Kluwer, Example 4.1 = {GF}, Example 2 = Mitsos & "
      "Barton (2006) Ex. 4.2 (BOLIB FloudasZlobec1998; BASBLib fz_1998_01)", "convex NLP", "NLP",
      floudas_zlobec1998, 1.0, -1.0, {"x": 1.0}, {"f.y1": 0.0, "f.y2": 1.0},
      "follower max y2 s.t. y1^2 + x y2 <= 1: y = (0, 1/x) for x >= 0.01, so F = 1/x"),
    P("dempe1992b", "Dempe, S. (1992), example as coded in BOLIB Dempe1992b", "convex NLP", "QP", dempe1992b,
      28.25, 9.0, {"x": 0.0}, {"f.y": 0.0},
      ADDED_BOX + "x <= 10 (x < 0 makes the follower infeasible), |y| <= 10. BOLIB lists F* = 31.25 at x = y = 1, "
      "a stationary point only: y(x) = sqrt(x) for x <= 9 gives F'(x) = 2x - 6 + 4/sqrt(x) >= 0, so the optimum "
      "is x = y = 0, F = 3.5^2 + 4^2 = 28.25. There the follower's feasible set is {0}, Slater fails and no KKT "
      "multiplier exists: a KKT-based method only approaches 28.25 as x -> 0+"),
    P("dempe_dutta2012_ex24", "Dempe, S. & Dutta, J. (2012) Is bilevel programming a special case of a "
      "mathematical program with complementarity constraints?, Math. Program. 131, Example 2.4 (BOLIB "
      "DempeDutta2012Ex24; BASBLib dd_2012_01)", "convex NLP", "QP", dempe_dutta2012_ex24, 0.0, 0.0, {"x": 1.0},
      {"f.y": 0.0}, "follower row y^2 <= 0 forces y = 0, so the optimum is x = 1, F = 0 (BOLIB). Slater fails: "
      "exact KKT conditions hold only at x = 0 (stationarity x^2 + 2 l y = 0 at y = 0), giving F = 1, which "
      "BASBLib lists as F*; a KKT-based method gets near 0 only with multipliers l ~ x^2/(2|y|) -> infinity"),
    # ------------------------------------------------ nonlinear leader, LP/QP follower
    P("bard1988_ex3", "Bard, J.F. (1988) Convex two-level optimization, Math. Program. 40, Example 3 (BOLIB "
      "Bard1988Ex3)", "QP", "NLP", lambda: _bard1988_ex3(False), -6 - 7.5 + (3.625 / 4) ** 2,
      (15 / 8) ** 2 - 5 * 3.625 / 4, {"x[1]": 0.0, "x[2]": 2.0}, {"f.y[1]": 1.875, "f.y[2]": 3.625 / 4},
      "leader row x1^2 + 2 x2 <= 4 gives the box x in [0, 2]^2; " + ADDED_BOX + "y <= 10 (BASBLib's). "
      "Published F* = -12.68, f* = -1.02 (BOLIB); exactly F = -13.5 + (29/32)^2 at y = (15/8, 29/32)"),
    P("sinha_malo_deb2014_tp3", "Sinha, A., Malo, P. & Deb, K. (2014) Test problem construction for single-"
      "objective bilevel optimization, Evol. Comput. 22, TP3 = Amouzegar, M.A. (1999) IEEE Trans. SMC-B 29, "
      "Example 2 (BOLIB SinhaMaloDeb2014TP3; BASBLib a_1999_01)", "QP", "NLP", lambda: _bard1988_ex3(True),
      -12 - 7.5 + (3.625 / 4) ** 2, (15 / 8) ** 2 - 5 * 3.625 / 4, {"x[1]": 0.0, "x[2]": 2.0},
      {"f.y[1]": 1.875, "f.y[2]": 3.625 / 4}, "bard1988_ex3 with -3 x2^2 for -3 x2; published -18.679 (Sinha et "
      "al.), -18.687 (BASBLib), -12.68 (Amouzegar, not global). " + ADDED_BOX + "y <= 10 (BASBLib's)"),
    P("bileveljump_nlp_01", f"{BJ}, jump_nlp_01", "LP", "NLP", lambda: _bileveljump_nlp(1), 2.0, 0.0, {"x": 2.0},
      {"f.y": 0.0}, "leader maximises; follower row y >= 0 duplicates the bound, as in the source. "
      + ADDED_BOX + "x, y <= 10"),
    P("bileveljump_nlp_02", f"{BJ}, jump_nlp_02", "LP", "NLP", lambda: _bileveljump_nlp(2), 2.0, 0.0, {"x": 2.0},
      {"f.y": 0.0}, "jump_nlp_01 plus x^2 + y >= 2, x^3 + 18 y >= 1, -1 <= x y <= 1 (coupling rows). "
      + ADDED_BOX + "x, y <= 10"),
    P("bileveljump_nlp_03", f"{BJ}, jump_nlp_03", "QP", "NLP", lambda: _bileveljump_nlp(3), 4.0, 0.0, {"x": 2.0},
      {"f.y": 0.0, "f.z": 0.0}, "leader max x^2 - 3y; z is the follower-only variable (LowerOnly in "
      "BilevelJuMP). " + ADDED_BOX + "x, y, z <= 10"),
    P("zlobec2001a", "Zlobec, S. (2001), example as coded in BOLIB Zlobec2001a", "LP", "NLP", zlobec2001a, -1.0,
      -1.0, {"x": 1.0}, {"f.y[1]": 1.0, "f.y[2]": 0.0},
      "leader objective -y1/x. The follower min -(y1 + y2) s.t. y1 + x y2 <= 1 answers (0, 1/x) for x < 1 and "
      "(1, 0) for x > 1; at x = 1 its optimal set is the segment y1 + y2 = 1 and the optimistic choice y = (1, 0) "
      "gives F = -1, approached (not attained) from x > 1 by -1/x. " + ADDED_BOX + "0.1 <= x <= 10 (x > 0 "
      "keeps the follower bounded), y <= 20"),
    P("ishizuka_aiyoshi1992a", "Ishizuka, Y. & Aiyoshi, E. (1992) Double penalty method for bilevel optimization "
      "problems, Ann. Oper. Res. 34, example (BOLIB IshizukaAiyoshi1992a)", "LP", "NLP", ishizuka_aiyoshi1992a,
      0.0, None, {}, {}, "leader objective x y2^2 (cubic); y2 does not enter the follower objective, so the "
      "optimistic choice y2 = 0 gives F = 0 for every 0 <= x <= 1.5 (BOLIB's point: x = 1.5, y = (-1.5, 0), "
      "f = -1.5). The follower row x >= 0 has no follower variable. " + ADDED_BOX + "x <= 10, |y| <= 20"),
    # ------------------------------------------------------------------------- QP
    P("henderson_quandt1958", "Henderson, J.M. & Quandt, R.E. (1958) Microeconomic Theory: A Mathematical "
      "Approach, McGraw-Hill, Cournot-Stackelberg duopoly (BOLIB HendersonQuandt1958)", "QP", "QP",
      henderson_quandt1958, -9800 / 3, -6400 / 9, {"x": 280 / 3}, {"f.y": 80 / 3},
      "price 100 - (x + y)/2; leader (quantity x, unit cost 5) min -profit = x((x + y)/2 - 95); follower "
      "(quantity y, cost y^2/2) min y(x/2 + y - 100). Follower FOC x/2 + 2y - 100 = 0: y = 50 - x/4; leader "
      "profit x(70 - 3x/8) is maximal at x = 280/3, y = 80/3, F = -9800/3 = -3266.67, f = -y^2 = -6400/9 "
      "(published -3266.67, -711.11). " + ADDED_BOX + "y <= 200"),
    # --------------------------------------------------------- nonconvex followers
    P("mitsos_barton2006_ex314", f"{MB}, Example 3.14 = mb_1_1_07 (BOLIB MitsosBarton2006Ex314; BASBLib "
      "mb_2007_14)", "nonconvex NLP", "QP", mitsos_barton2006_ex314, 0.25, -1 / 12, {"x": 0.25}, {"f.y": 0.5},
      "NONCONVEX follower y^3/3 - x y (pybilevel must refuse). At x = 0.25 y = 0.5 and y = -1 tie (f = -1/12); "
      "the optimistic choice y = 0.5 gives F = 0.25"),
    P("mitsos_barton2006_ex317", f"{MB}, Example 3.17 = mb_1_1_10 (BOLIB MitsosBarton2006Ex317; BASBLib "
      "mb_2007_17)", "nonconvex NLP", "QP", mitsos_barton2006_ex317, 0.1875, -1 / 64, {"x": -0.25}, {},
      "NONCONVEX follower x y^2/2 + y^4/4 (pybilevel must refuse); two optima y = +-0.5 at x = -0.25"),
    P("lampariello_sagratella2017_ex23", "Lampariello, L. & Sagratella, S. (2017) A bridge between bilevel "
      "programs and Nash games, JOTA 174, Example 2.3 (BOLIB LamparielloSagratella2017Ex23)", "nonconvex NLP",
      "LP", lampariello_sagratella2017_ex23, -1.0, 1.0, {"x": -1.0}, {"f.y[1]": -1.0, "f.y[2]": 0.0},
      "NONCONVEX follower row y2 >= y1^3 (pybilevel must refuse). " + ADDED_BOX + "|y1| <= 10, y2 <= 10"),
    P("gumus_floudas2001_ex3", f"{GF}, Example 3 (BOLIB GumusFloudas2001Ex3)", "nonconvex NLP", "LP",
      gumus_floudas2001_ex3, -29.2, 1.7 / 5.4, {"x[1]": 0.0, "x[2]": 0.9},
      {"f.y[1]": 0.0, "f.y[2]": 0.6, "f.y[3]": 0.4}, "NONCONVEX (linear-fractional, pseudoconvex) follower "
      "objective; pybilevel must refuse. The leader data and the point are those of Candler & Townsley (1982); "
      "f* = 1.7/5.4 (published 0.31)"),
    P("ye_zhu2010_ex42", "Ye, J.J. & Zhu, D.L. (2010) New necessary optimality conditions for bilevel programs "
      "by combining the MPEC and value function approaches, SIAM J. Optim. 20, Example 4.2 (BOLIB YeZhu2010Ex42; "
      "BASBLib yz_2010_01)", "nonconvex NLP", "QP", ye_zhu2010_ex42, 1.0, -2.0, {"x": 1.0}, {"f.y": 1.0},
      "NONCONVEX follower y^3 - 3y on y >= x (pybilevel must refuse); |y| <= 10 as in BASBLib"),
]

#: leader optimum as published (source named in the citation), for comparison with the verified value
PUBLISHED: dict[str, float] = {
    "gumus_floudas2001_ex1": 2250.0, "colson2002_bipa1": 250.0, "colson2002_bipa1_basblib": 227.691,
    "colson2002_bipa3": 2.0, "colson2002_bipa4": 88.79, "colson2002_bipa5": 2.75, "outrata1990_ex2b": 0.5,
    "outrata1990_ex2c": 1.86, "outrata1990_ex2e": 0.9, "outrata1993_ex31": 1.56, "outrata1994_ex31": 3.208,
    "floudas_zlobec1998": 1.0, "dempe1992b": 31.25, "dempe_dutta2012_ex24": 0.0, "bard1988_ex3": -12.68,
    "sinha_malo_deb2014_tp3": -18.679, "bileveljump_nlp_01": 2.0, "bileveljump_nlp_02": 2.0,
    "bileveljump_nlp_03": 4.0, "zlobec2001a": -1.0, "ishizuka_aiyoshi1992a": 0.0, "henderson_quandt1958": -3266.67,
    "mitsos_barton2006_ex314": 0.25, "mitsos_barton2006_ex317": 0.1875, "lampariello_sagratella2017_ex23": -1.0,
    "gumus_floudas2001_ex3": -29.2, "ye_zhu2010_ex42": 1.0,
}
