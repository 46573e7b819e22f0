"""MibS's bilevel format: an MPS file with the problem's data and an AUX file saying who decides what.

MibS (coin-or/MibS) and BOBILib exchange mixed-integer bilevel linear problems so. Two layouts:

* **general**: the MPS file holds every column, row and the *leader's* objective (minimised).
  The AUX file lists ``N`` (number of follower columns), ``M`` (number of follower rows),
  ``LC i`` for each follower column (0-based MPS column order), ``LR j`` for each follower row
  (0-based among the MPS rows other than the objective row), ``LO c`` the follower's objective
  coefficient of each ``LC`` column in that order, and ``OS 1`` (the follower minimises
  ``LO @ y``) or ``OS -1`` (it maximises). Every other column and row is the leader's.
* **interdiction** (the AUX file also has ``IC`` and ``IB`` lines): the MPS file holds only the
  follower's problem. As MibS builds it, the leader has one binary ``x_j`` per MPS column, the
  budget row ``sum IC_j x_j <= IB`` and, in the follower's problem, one interdiction row per
  column ``y_j + u_j x_j <= u_j`` (``y_j <= u_j (1 - x_j)``, ``u_j`` the column's upper bound, 1
  for a binary column). ``LC``/``LR`` count in MibS's expanded problem (x first, then y; the
  budget row first, then the MPS rows, then the interdiction rows), so they must read
  ``n .. 2n-1`` and ``1 .. m+n``. The follower minimises ``OS * LO @ y``; the leader minimises
  **minus the MPS objective** (MibS's convention; BOBILib's optima use it: on K5010W02.KNP the
  follower maximises its profit, the MPS row holds minus the profits, the leader minimises the
  profit left, optimum 1060; on the 2AP05 instances the follower minimises an assignment cost and
  the leader's optimum is minus the largest cost it can force, e.g. -36).

:func:`read_mibs` returns a Pyomo model with the names of the MPS file: leader columns are
``m.x[name]``, follower columns ``m.follower.y[name]``, leader rows ``m.rows[name]``, follower
rows ``m.follower.rows[name]``, the objectives ``m.objective`` and ``m.follower.objective``; an
interdiction instance adds ``m.x[name]`` (binary, named after the column it interdicts),
``m.budget`` and ``m.follower.interdiction[name]``. :func:`write_mibs` writes a linear model with
one follower back (the interdiction layout when the model has exactly that form).

**MPS reading and writing: HiGHS** (``highspy.Highs.readModel`` and ``getLp``; ``passModel`` and
``writeModel``). Pyomo has no MPS reader; HiGHS is already a dependency, is actively maintained,
and reads fixed and free MPS with integer markers, RANGES, every bound type and OBJSENSE, with
the defaults of COIN-OR's CoinMpsIO that MibS uses (an integer column between markers with no
bound is binary; checked on these files). HiGHS is lenient with faulty files, though (it skips a
coefficient on an unknown row, reads ``1x0`` as 1, reads a file cut off before ENDATA), so each
MPS file is first scanned line by line (:mod:`pybilevel.io.mps_check`) for errors with the line;
HiGHS and the scan must then agree on the rows and columns. The AUX parser is this module's.
Every fault in the files is a :class:`~pybilevel.errors.DataError` naming the file and line.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.core.base.block import BlockData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import DataError, MethodRefusedError, StructureError
from pybilevel.io.mps_check import check_mps, read_text_lines
from pybilevel.model.follower import Follower
from pybilevel.model.structure import BilevelStructure, analyze
from pybilevel.solvers.highs import quiet_highs

__all__ = ["MibsInstance", "read_mibs", "read_instance", "to_pyomo", "write_mibs", "instance_of"]

GENERAL, INTERDICTION = "general", "interdiction"
_AUX_KEYS = {"N": int, "M": int, "LC": int, "LR": int, "LO": float, "OS": float, "IC": float, "IB": float}
#: relative tolerance for "the interdiction row is y + u x <= u" when choosing the layout
_SAME = 1e-12


@dataclass
class MibsInstance:
    """The two files' content. Follower columns/rows are positions in ``columns``/``rows``."""

    name: str
    columns: list[str]
    rows: list[str]
    A: sp.csr_matrix  # rows x columns
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    cost: np.ndarray  # the MPS objective
    offset: float = 0.0  # its constant (minus the RHS of the objective row)
    sense: int = 1  # the MPS file's OBJSENSE: 1 minimise, -1 maximise
    follower_columns: list[int] = field(default_factory=list)
    follower_rows: list[int] = field(default_factory=list)
    follower_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # LO, in follower_columns order
    follower_sense: int = 1  # OS
    interdiction_cost: np.ndarray | None = None  # IC, per MPS column (interdiction layout)
    budget: float | None = None  # IB

    @property
    def layout(self) -> str:
        return GENERAL if self.budget is None else INTERDICTION


# ====================================================================== reading
def read_mibs(mps_path: str | os.PathLike, aux_path: str | os.PathLike) -> pyo.ConcreteModel:
    """The bilevel model of an MPS + AUX pair, as a Pyomo model with a follower block."""
    return to_pyomo(read_instance(mps_path, aux_path))


def read_instance(mps_path: str | os.PathLike, aux_path: str | os.PathLike) -> MibsInstance:
    """The content of an MPS + AUX pair, checked (DataError with file and line otherwise)."""
    instance = _read_mps(Path(mps_path))
    _read_aux(Path(aux_path), instance)
    return instance


def _read_mps(path: Path) -> MibsInstance:
    scan = check_mps(path)
    lp = _highs_lp(path)
    if list(lp.col_names_) != scan.columns or list(lp.row_names_) != scan.rows:
        raise DataError(
            f"{path}: HiGHS read {lp.num_col_} columns and {lp.num_row_} rows, the line scan "
            f"{len(scan.columns)} and {len(scan.rows)}, or other names; the file is not plain MPS as MibS reads it"
        )
    integrality = list(lp.integrality_)
    return MibsInstance(
        name=scan.name or path.stem,
        columns=scan.columns,
        rows=scan.rows,
        A=_matrix(lp),
        col_lower=np.array(lp.col_lower_, dtype=float),
        col_upper=np.array(lp.col_upper_, dtype=float),
        integer=np.array([bool(integrality) and integrality[j] != highspy.HighsVarType.kContinuous
                          for j in range(lp.num_col_)], dtype=bool),
        row_lower=np.array(lp.row_lower_, dtype=float),
        row_upper=np.array(lp.row_upper_, dtype=float),
        cost=np.array(lp.col_cost_, dtype=float),
        offset=float(lp.offset_),
        sense=-1 if lp.sense_ == highspy.ObjSense.kMaximize else 1,
    )


def _matrix(lp: highspy.HighsLp) -> sp.csr_matrix:
    """HiGHS's constraint matrix (stored by columns or by rows) as CSR, rows x columns."""
    a = lp.a_matrix_
    kind = sp.csr_matrix if a.format_ == highspy.MatrixFormat.kRowwise else sp.csc_matrix
    return kind((a.value_, a.index_, a.start_), shape=(lp.num_row_, lp.num_col_), dtype=float).tocsr()


def _highs_lp(path: Path) -> highspy.HighsLp:
    """HiGHS's reading of the MPS file (copied to a ``.mps`` name first if it has another suffix)."""
    highs = quiet_highs()
    with tempfile.TemporaryDirectory() as folder:
        source = path
        if not (path.name.endswith(".mps") or path.name.endswith(".mps.gz")):
            source = Path(folder) / ("model.mps.gz" if path.suffix == ".gz" else "model.mps")
            shutil.copyfile(path, source)
        status = highs.readModel(str(source))
    if status == highspy.HighsStatus.kError:
        raise DataError(f"{path}: HiGHS cannot read it as an MPS file (status {status.name})")
    return highs.getLp()


class _AuxTokens:
    """(line, keyword, value) triples of an AUX file; MibS reads it as keyword-value pairs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines = read_text_lines(path)

    def __iter__(self) -> Iterator[tuple[int, str, float]]:
        pending: tuple[int, str] | None = None
        for number, line in enumerate(self.lines, start=1):
            for token in line.split():
                if pending is None:
                    if token not in _AUX_KEYS:
                        raise self.error(number, f"unknown keyword '{token}' (expected one of {', '.join(_AUX_KEYS)})")
                    pending = (number, token)
                else:
                    yield pending[0], pending[1], self.value(number, pending[1], token)
                    pending = None
        if pending is not None:
            raise self.error(pending[0], f"keyword {pending[1]} has no value (truncated file?)")

    def value(self, number: int, key: str, token: str) -> float:
        kind = _AUX_KEYS[key]
        try:
            return kind(token)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise self.error(number, f"malformed number '{token}' after {key} (expected {what})") from None

    def error(self, number: int, what: str) -> DataError:
        return DataError(f"{self.path}, line {number}: {what}")


@dataclass
class _AuxEntries:
    """Every value of each keyword with the line it came from."""

    values: dict[str, list[tuple[int, float]]]

    def single(self, key: str) -> tuple[int, float] | None:
        return self.values[key][0] if self.values[key] else None

    def numbers(self, key: str) -> list[float]:
        return [value for _, value in self.values[key]]


def _read_aux(path: Path, instance: MibsInstance) -> None:
    """Parse the AUX file at ``path`` into ``instance`` (its follower parts), checking every entry."""
    tokens = _AuxTokens(path)
    entries = _AuxEntries({key: [] for key in _AUX_KEYS})
    for number, key, value in tokens:
        if key in ("N", "M", "OS", "IB") and entries.values[key]:
            raise tokens.error(number, f"second {key} line (the first is line {entries.values[key][0][0]})")
        entries.values[key].append((number, value))
    last = len(tokens.lines)
    for key, what in (("N", "the number of follower columns"), ("M", "the number of follower rows"),
                      ("OS", "the follower's objective sense, 1 or -1")):
        if entries.single(key) is None:
            raise tokens.error(last, f"no {key} line ({what}); the file ends here")
    _check_counts(tokens, entries, last)
    line, sense = entries.single("OS")
    if sense not in (1, -1):
        raise tokens.error(line, f"OS must be 1 (minimise) or -1 (maximise), found {sense:g}")
    instance.follower_sense = int(sense)
    instance.follower_cost = np.array(entries.numbers("LO"), dtype=float)
    if entries.single("IB") is None:
        instance.follower_columns = _indices(tokens, entries, "LC", 0, len(instance.columns), "MPS column")
        instance.follower_rows = _indices(tokens, entries, "LR", 0, len(instance.rows),
                                          "MPS row, the objective row not counted")
    else:
        _interdiction_indices(tokens, entries, instance)


def _check_counts(tokens: _AuxTokens, entries: _AuxEntries, last: int) -> None:
    """N, M against the number of LC, LR, LO (and IC) lines; IC and IB together."""
    n_line, n = entries.single("N")
    m_line, m = entries.single("M")
    for key, count, line, name in (("LC", n, n_line, "N"), ("LO", n, n_line, "N"), ("LR", m, m_line, "M")):
        found = len(entries.values[key])
        if found != count:
            raise tokens.error(line, f"{name} {count} but {found} {key} lines (the file ends at line {last})")
    has_ic, has_ib = bool(entries.values["IC"]), entries.single("IB") is not None
    if has_ic != has_ib:
        present, absent = ("IC", "IB") if has_ic else ("IB", "IC")
        raise tokens.error(entries.values[present][0][0], f"{present} lines without an {absent} line: the "
                           "interdiction layout needs IC (one per follower column) and IB (the budget)")
    if has_ic and len(entries.values["IC"]) != n:
        raise tokens.error(n_line, f"N {n} but {len(entries.values['IC'])} IC lines (the file ends at line {last})")


def _indices(tokens: _AuxTokens, entries: _AuxEntries, key: str, start: int, count: int, what: str) -> list[int]:
    """The ``key`` indices minus ``start``, each in ``[0, count)`` and distinct."""
    seen: dict[int, int] = {}
    for line, value in entries.values[key]:
        index = int(value) - start
        if not 0 <= index < count:
            raise tokens.error(line, f"{key} {int(value)} is out of range: the index must be in "
                               f"{start}..{start + count - 1} ({what})")
        if index in seen:
            raise tokens.error(line, f"{key} {int(value)} repeats line {seen[index]}")
        seen[index] = line
    return list(seen)


def _interdiction_indices(tokens: _AuxTokens, entries: _AuxEntries, instance: MibsInstance) -> None:
    """LC must be n..2n-1 and LR 1..m+n in MibS's expanded problem; IC per column, IB the budget."""
    n, m = len(instance.columns), len(instance.rows)
    n_line, n_aux = entries.single("N")
    if instance.sense == -1:
        raise tokens.error(entries.single("IB")[0], "the MPS file says OBJSENSE MAX, but in the interdiction "
                           "layout its objective is the follower's, minimised (the leader minimises minus it)")
    if n_aux != n:
        raise tokens.error(n_line, f"N {n_aux}, but in the interdiction layout every one of the {n} MPS "
                           "columns is a follower column")
    instance.follower_columns = _indices(tokens, entries, "LC", n, n,
                                         "the follower's columns come after the n leader columns")
    rows = _indices(tokens, entries, "LR", 1, m + n,
                    "the budget row is row 0, then the MPS rows, then one interdiction row per column")
    if len(rows) != m + n:
        m_line, _ = entries.single("M")
        raise tokens.error(m_line, f"M {len(rows)}, but the interdiction layout's follower rows are the {m} MPS "
                           f"rows and {n} interdiction rows: M {m + n}, LR 1..{m + n}")
    instance.follower_rows = [r for r in rows if r < m]  # the interdiction rows are added by to_pyomo
    cost = np.zeros(n)
    for column, (_, value) in zip(instance.follower_columns, entries.values["IC"]):
        cost[column] = value
    instance.interdiction_cost = cost
    instance.budget = entries.single("IB")[1]
    unbounded = [instance.columns[j] for j in range(n) if not np.isfinite(instance.col_upper[j])]
    if unbounded:
        raise tokens.error(entries.single("IB")[0], f"column {unbounded[0]} has no upper bound u, so its "
                           "interdiction row y <= u (1 - x) does not exist; give it one in the MPS file")


# ====================================================================== building the Pyomo model
def to_pyomo(instance: MibsInstance) -> pyo.ConcreteModel:
    """The Pyomo model of an instance (names as in the module docstring)."""
    m = pyo.ConcreteModel(name=instance.name)
    m.follower = Follower()
    follower_cols = set(instance.follower_columns)
    leader_cols = [j for j in range(len(instance.columns)) if j not in follower_cols]
    variable = {}
    if instance.layout == GENERAL:
        m.x = pyo.Var([instance.columns[j] for j in leader_cols], dense=True)
        variable.update({j: m.x[instance.columns[j]] for j in leader_cols})
    m.follower.y = pyo.Var([instance.columns[j] for j in instance.follower_columns], dense=True)
    variable.update({j: m.follower.y[instance.columns[j]] for j in instance.follower_columns})
    for j, var in variable.items():
        _set_domain(var, instance.col_lower[j], instance.col_upper[j], instance.integer[j])
    follower_rows = set(instance.follower_rows)
    _add_rows(m, "rows", instance, [i for i in range(len(instance.rows)) if i not in follower_rows], variable)
    _add_rows(m.follower, "rows", instance, instance.follower_rows, variable)
    lo = dict(zip(instance.follower_columns, instance.follower_cost))
    m.follower.objective = pyo.Objective(
        expr=_linear(lo, variable), sense=pyo.minimize if instance.follower_sense == 1 else pyo.maximize
    )
    mps_objective = _linear(dict(enumerate(instance.cost)), variable) + instance.offset
    if instance.layout == GENERAL:
        m.objective = pyo.Objective(expr=mps_objective, sense=pyo.minimize if instance.sense == 1 else pyo.maximize)
    else:
        _add_interdiction(m, instance, variable)
        m.objective = pyo.Objective(expr=-mps_objective, sense=pyo.minimize)
    return m


def _set_domain(var: VarData, lower: float, upper: float, integer: bool) -> None:
    if integer and lower == 0 and upper == 1:
        var.domain = pyo.Binary
    else:
        var.domain = pyo.Integers if integer else pyo.Reals
        var.setlb(lower if np.isfinite(lower) else None)
        var.setub(upper if np.isfinite(upper) else None)


def _linear(coefficients: dict[int, float], variable: dict[int, VarData]):
    return pyo.quicksum((float(c) * variable[j] for j, c in coefficients.items() if c != 0))


def _add_rows(block: BlockData, name: str, instance: MibsInstance, rows: list[int], variable: dict) -> None:
    """An indexed constraint ``block.<name>[row name]`` for the given rows, senses as in the MPS file."""
    A = instance.A

    def rule(_, row_name):
        i = position[row_name]
        entries = A.indices[A.indptr[i]:A.indptr[i + 1]], A.data[A.indptr[i]:A.indptr[i + 1]]
        lower, upper = instance.row_lower[i], instance.row_upper[i]
        if len(entries[0]) == 0:
            if lower <= 0 <= upper:
                return pyo.Constraint.Skip  # an empty row that holds: nothing to state
            raise DataError(f"row {row_name} has no coefficients and bounds [{lower:g}, {upper:g}] that "
                            "exclude 0: the problem is infeasible")
        body = _linear(dict(zip(*entries)), variable)
        if lower == upper:
            return body == float(upper)
        if np.isfinite(lower) and np.isfinite(upper):
            return (float(lower), body, float(upper))
        if np.isfinite(upper):
            return body <= float(upper)
        if np.isfinite(lower):
            return body >= float(lower)
        return pyo.Constraint.Skip  # a free row constrains nothing

    position = {instance.rows[i]: i for i in rows}
    block.add_component(name, pyo.Constraint([instance.rows[i] for i in rows], rule=rule))


def _add_interdiction(m: pyo.ConcreteModel, instance: MibsInstance, variable: dict) -> None:
    """Leader x (binary, one per column), the budget row, the interdiction rows on the follower."""
    names = [instance.columns[j] for j in instance.follower_columns]
    m.x = pyo.Var(names, within=pyo.Binary, dense=True)
    cost = {instance.columns[j]: float(instance.interdiction_cost[j]) for j in instance.follower_columns}
    m.budget = pyo.Constraint(
        expr=pyo.quicksum((cost[n] * m.x[n] for n in names if cost[n] != 0)) <= float(instance.budget)
    )
    upper = {instance.columns[j]: float(instance.col_upper[j]) for j in instance.follower_columns}
    m.follower.interdiction = pyo.Constraint(
        names, rule=lambda b, n: m.follower.y[n] + upper[n] * m.x[n] <= upper[n]
    )


# ====================================================================== writing
def write_mibs(
    model: BlockData, mps_path: str | os.PathLike, aux_path: str | os.PathLike, layout: str = "auto"
) -> str:
    """Write a linear bilevel model with one follower as an MPS + AUX pair; return the layout written.

    ``layout="auto"`` writes the interdiction layout when the model has exactly that form (binary
    leader x_j, one budget row, follower rows y_j + u_j x_j <= u_j, a leader objective linear in
    the follower's variables only, written as minus the MPS objective), else the general layout;
    ``"general"`` or ``"interdiction"`` force one (the latter refuses a model outside the form,
    saying which part). Nonlinear or quadratic parts
    are refused (:class:`MethodRefusedError`), as is a model with several followers
    (:class:`StructureError`). Both files are written to temporary files in their folders first and
    then renamed, so they are written whole or not at all.
    """
    instance = instance_of(model, layout)
    _write_files(instance, Path(mps_path), Path(aux_path))
    return instance.layout


def instance_of(model: BlockData, layout: str = "auto") -> MibsInstance:
    """The MPS + AUX content of a linear bilevel model with one follower (see :func:`write_mibs`)."""
    if layout not in ("auto", GENERAL, INTERDICTION):
        raise ValueError(f"layout must be 'auto', '{GENERAL}' or '{INTERDICTION}', got {layout!r}")
    structure = analyze(model)
    if len(structure.followers) != 1:
        names = ", ".join(form.follower.name for form in structure.followers)
        raise StructureError(f"model {model.name} has {len(structure.followers)} followers ({names}); the MibS "
                             "format holds one follower: merge them into one follower block if they form one problem")
    _check_linear(structure)
    if layout != GENERAL:
        instance, reason = _interdiction_instance(structure)
        if instance is not None:
            return instance
        if layout == INTERDICTION:
            raise StructureError(f"model {model.name} is not in the interdiction form: {reason}")
    return _general_instance(structure)


def _check_linear(structure: BilevelStructure) -> None:
    """Refuse, naming it, the first objective or constraint that is not linear."""
    form = structure.followers[0]
    parts = [structure.leader_objective, form.objective, *structure.leader_constraints, *form.constraints]
    for part in parts:
        is_objective = isinstance(part, ObjectiveData)
        if _repn(part.expr if is_objective else part.body).nonlinear_expr is not None:
            kind = "objective" if is_objective else "constraint"
            raise MethodRefusedError(f"{kind} {part.name} is not linear; the MibS format (MPS + AUX) holds "
                                     "linear problems with integer variables only")


def _repn(expr):
    return generate_standard_repn(expr, quadratic=False, compute_values=True)


def _objective_in(objective, index: dict[int, int], n: int) -> tuple[np.ndarray, float]:
    """Coefficients over the columns and constant of an objective, in minimisation form."""
    repn = _repn(objective.expr)
    sign = 1.0 if objective.is_minimizing() else -1.0
    cost = np.zeros(n)
    for var, coef in zip(repn.linear_vars, repn.linear_coefs):
        if id(var) in index:  # other variables are constants here (leader terms of the follower's objective)
            cost[index[id(var)]] += sign * coef
    return cost, sign * float(repn.constant)


def _row_arrays(constraints, index: dict[int, int], n: int):
    """Matrix and row bounds of linear constraints over the columns in ``index``."""
    rows, cols, vals, lower, upper = [], [], [], [], []
    for i, con in enumerate(constraints):
        repn = _repn(con.body)
        for var, coef in zip(repn.linear_vars, repn.linear_coefs):
            rows.append(i), cols.append(index[id(var)]), vals.append(float(coef))
        shift = float(repn.constant)
        lower.append(float(pyo.value(con.lower)) - shift if con.has_lb() else -np.inf)
        upper.append(float(pyo.value(con.upper)) - shift if con.has_ub() else np.inf)
    A = sp.csr_matrix((vals, (rows, cols)), shape=(len(constraints), n), dtype=float)
    return A, np.array(lower, dtype=float), np.array(upper, dtype=float)


def _columns(variables: list[VarData]) -> dict:
    return {
        "col_lower": np.array([-np.inf if v.lb is None else float(v.lb) for v in variables], dtype=float),
        "col_upper": np.array([np.inf if v.ub is None else float(v.ub) for v in variables], dtype=float),
        "integer": np.array([not v.is_continuous() for v in variables], dtype=bool),
    }


def _follower_objective(form) -> tuple[np.ndarray, int]:
    """LO (the follower's coefficients in its own sense) and OS."""
    return form.sense * np.asarray(form.c, dtype=float), int(form.sense)


def _general_instance(structure: BilevelStructure) -> MibsInstance:
    form = structure.followers[0]
    follower_ids = {id(v) for v in form.variables}
    leader = [v for v in structure.leader_variables if id(v) not in follower_ids]
    variables = leader + list(form.variables)
    index = {id(v): j for j, v in enumerate(variables)}
    constraints = list(structure.leader_constraints) + list(form.constraints)
    A, row_lower, row_upper = _row_arrays(constraints, index, len(variables))
    cost, offset = _objective_in(structure.leader_objective, index, len(variables))
    lo, os_ = _follower_objective(form)
    return MibsInstance(
        name=structure.model.name, columns=_mps_names(variables), rows=_mps_names(constraints, reserved={"Obj"}),
        A=A, row_lower=row_lower, row_upper=row_upper, cost=cost, offset=offset, sense=1,
        follower_columns=list(range(len(leader), len(variables))),
        follower_rows=list(range(len(structure.leader_constraints), len(constraints))),
        follower_cost=lo, follower_sense=os_, **_columns(variables),
    )


def _is_binary(var: VarData) -> bool:
    return not var.is_continuous() and var.lb == 0 and var.ub == 1


def _interdiction_instance(structure: BilevelStructure) -> tuple[MibsInstance | None, str]:
    """The interdiction layout's content, or None and the first part that does not fit."""
    form = structure.followers[0]
    y_index = {id(v): j for j, v in enumerate(form.variables)}
    if len(structure.leader_constraints) != 1:
        return None, f"it needs exactly one leader constraint (the budget), found {len(structure.leader_constraints)}"
    budget = structure.leader_constraints[0]
    budget_repn = _repn(budget.body)
    if budget.has_lb() or not budget.has_ub() or any(id(v) in y_index for v in budget_repn.linear_vars):
        return None, (f"leader constraint {budget.name} is not a budget row 'sum cost_j x_j <= budget' in "
                      "leader variables")
    pairs, other_rows = _interdiction_pairs(form, y_index)
    if isinstance(pairs, str):
        return None, pairs
    leader_ids = {id(v) for v in structure.leader_variables}
    if {id(x) for x in pairs.values()} != leader_ids or len(pairs) != len(form.variables):
        return None, ("every leader variable must interdict exactly one follower variable and each follower "
                      "variable be interdicted")
    cost, offset = _objective_in(structure.leader_objective, y_index, len(form.variables))
    if any(id(v) not in y_index for v in _repn(structure.leader_objective.expr).linear_vars):
        return None, f"the leader objective {structure.leader_objective.name} has leader-variable terms"
    x_cost = {id(v): float(c) for v, c in zip(budget_repn.linear_vars, budget_repn.linear_coefs)}
    variables = list(form.variables)
    A, row_lower, row_upper = _row_arrays([form.constraints[r] for r in other_rows], y_index, len(variables))
    lo, os_ = _follower_objective(form)
    return MibsInstance(
        name=structure.model.name, columns=_mps_names(variables),
        rows=_mps_names([form.constraints[r] for r in other_rows], reserved={"Obj"}),
        A=A, row_lower=row_lower, row_upper=row_upper, cost=-cost, offset=-offset, sense=1,
        follower_columns=list(range(len(variables))), follower_rows=list(range(len(other_rows))),
        follower_cost=lo, follower_sense=os_,
        interdiction_cost=np.array([x_cost.get(id(pairs[j]), 0.0) for j in range(len(variables))]),
        budget=float(pyo.value(budget.upper)) - float(budget_repn.constant), **_columns(variables),
    ), ""


def _interdiction_pairs(form, y_index: dict[int, int]) -> tuple[dict[int, VarData] | str, list[int]]:
    """Follower column -> its binary interdicting leader variable, and the follower's other rows."""
    pairs: dict[int, VarData] = {}
    other: list[int] = []
    for r, con in enumerate(form.constraints):
        repn = _repn(con.body)
        leader_terms = [(v, c) for v, c in zip(repn.linear_vars, repn.linear_coefs) if id(v) not in y_index]
        if not leader_terms:
            other.append(r)
            continue
        follower_terms = [(v, c) for v, c in zip(repn.linear_vars, repn.linear_coefs) if id(v) in y_index]
        if len(leader_terms) != 1 or len(follower_terms) != 1 or con.has_lb() or not con.has_ub():
            return f"follower constraint {con.name} has leader variables but is not 'y_j + u_j x_j <= u_j'", []
        (x, b), (y, a) = leader_terms[0], follower_terms[0]
        u, rhs = y.ub, float(pyo.value(con.upper)) - float(repn.constant)
        if not _is_binary(x) or u is None or a <= 0 or not np.isclose(b / a, u, rtol=_SAME, atol=0) \
                or not np.isclose(rhs / a, u, rtol=_SAME, atol=0) or u == 0:
            return f"follower constraint {con.name} is not 'y + u x <= u' with x binary and u the upper bound of y", []
        j = y_index[id(y)]
        if j in pairs:
            return f"follower variable {y.name} has two interdiction rows", []
        pairs[j] = x
    return pairs, other


def _mps_names(components: list, reserved: set[str] = frozenset()) -> list[str]:
    """MPS names: a string index as is (the names read_mibs gives), else the local name; unique, no spaces."""
    preferred = [_clean(c.index() if isinstance(c.index(), str) else c.local_name) for c in components]
    counts: dict[str, int] = {}
    for name in preferred:
        counts[name] = counts.get(name, 0) + 1
    names, seen = [], set(reserved)
    for name, component in zip(preferred, components):
        name = name if counts[name] == 1 else _clean(component.name)
        base, k = name, 1
        while name in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name)
        names.append(name)
    return names


def _clean(name: str) -> str:
    """A name with no white space that cannot be taken for a comment ('*' first)."""
    name = re.sub(r"\s+", "_", str(name)) or "_"
    return "_" + name if name.startswith("*") else name


def _write_files(instance: MibsInstance, mps_path: Path, aux_path: Path) -> None:
    for path in (mps_path, aux_path):
        if path.name.endswith(".gz"):
            raise ValueError(f"{path}: write_mibs writes plain text files; give a name without .gz")
        if not path.parent.is_dir():
            raise DataError(f"{path}: the folder {path.parent} does not exist")
    temporary = [_temporary(mps_path, ".mps"), _temporary(aux_path, ".aux")]
    try:
        _write_mps(instance, temporary[0])
        temporary[1].write_text(_aux_text(instance), encoding="utf-8")
        os.replace(temporary[0], mps_path)
        os.replace(temporary[1], aux_path)
    finally:
        for path in temporary:
            path.unlink(missing_ok=True)


def _temporary(path: Path, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    return Path(name)


def _write_mps(instance: MibsInstance, path: Path) -> None:
    """The MPS file through HiGHS's writer (minimisation; the objective row is called Obj)."""
    csc = instance.A.tocsc()
    lp = highspy.HighsLp()
    lp.model_name_ = _clean(instance.name)
    lp.num_col_, lp.num_row_ = len(instance.columns), len(instance.rows)
    lp.col_cost_, lp.offset_ = np.asarray(instance.cost, dtype=float), float(instance.offset)
    if instance.sense == -1:
        lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_lower_, lp.col_upper_ = instance.col_lower, instance.col_upper
    lp.row_lower_, lp.row_upper_ = instance.row_lower, instance.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = csc.indptr, csc.indices, csc.data
    lp.col_names_, lp.row_names_ = list(instance.columns), list(instance.rows)
    if instance.integer.any():
        kinds = {True: highspy.HighsVarType.kInteger, False: highspy.HighsVarType.kContinuous}
        lp.integrality_ = [kinds[bool(flag)] for flag in instance.integer]
    highs = quiet_highs()
    if highs.passModel(lp) == highspy.HighsStatus.kError or highs.writeModel(str(path)) == highspy.HighsStatus.kError:
        raise DataError(f"{path}: HiGHS could not write the MPS file")


def _aux_text(instance: MibsInstance) -> str:
    """The AUX file: N, M, LC, LR, LO, OS (and IC, IB for the interdiction layout)."""
    n_cols, n_rows = len(instance.columns), len(instance.rows)
    if instance.layout == GENERAL:
        columns, rows = instance.follower_columns, instance.follower_rows
    else:  # MibS's expanded numbering: x then y; the budget row, the MPS rows, the interdiction rows
        columns = [n_cols + j for j in instance.follower_columns]
        rows = list(range(1, n_rows + n_cols + 1))
    lines = [f"N {len(columns)}", f"M {len(rows)}"]
    lines += [f"LC {j}" for j in columns] + [f"LR {i}" for i in rows]
    lines += [f"LO {_number(c)}" for c in instance.follower_cost] + [f"OS {instance.follower_sense}"]
    if instance.layout == INTERDICTION:
        lines += [f"IC {_number(instance.interdiction_cost[j])}" for j in instance.follower_columns]
        lines.append(f"IB {_number(instance.budget)}")
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """Integers without a decimal point, other numbers with every digit (repr round-trips)."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
