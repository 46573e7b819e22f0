"""A line-by-line check of an MPS file, so that faults are reported with the file and line.

HiGHS reads MPS files for :mod:`pybilevel.io.mibs`, but it is lenient: it skips a coefficient
on an unknown row, reads ``1x0`` as 1, adds a column first named in ``BOUNDS`` and reads a file
cut off before ``ENDATA`` as far as it goes, all without an error. :func:`check_mps` scans the
file first and stops at the first such fault with a :class:`~pybilevel.errors.DataError` naming
the file, the line and what is wrong. It checks the syntax and the names only (sections, field
counts, known rows and columns, numbers, markers, ``ENDATA``); what the entries mean (RANGES
signs, bound types, defaults) is left to HiGHS.

Fields are separated by white space (free MPS, which also covers the usual fixed-format files),
so names may not contain spaces. Section headers start in the first column, data lines with
white space, ``*`` starts a comment line.
"""
from __future__ import annotations

import gzip
import math
from dataclasses import dataclass, field
from pathlib import Path

from pybilevel.errors import DataError

__all__ = ["MpsScan", "check_mps", "read_text_lines"]

_SECTIONS = ("NAME", "OBJSENSE", "ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS", "ENDATA")
_UNSUPPORTED = ("QUADOBJ", "QMATRIX", "QSECTION", "QCMATRIX", "CSECTION", "SOS", "INDICATORS", "OBJNAME", "OBJSENS")
_ROW_TYPES = ("N", "L", "G", "E")
_VALUED_BOUNDS = ("UP", "LO", "FX", "LI", "UI")
_OPTIONAL_VALUE_BOUNDS = ("BV",)
_FREE_BOUNDS = ("FR", "MI", "PL")
_SENSES = ("MIN", "MAX", "MINIMIZE", "MAXIMIZE", "MINIMISE", "MAXIMISE")


@dataclass
class MpsScan:
    """What the scan saw: the objective row's name and the other rows and the columns, in file order."""

    name: str = ""
    objective: str | None = None
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


def read_text_lines(path: Path) -> list[str]:
    """The lines of a text file (``.gz`` decompressed); a DataError if it cannot be read as text."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                return handle.read().splitlines()
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read as a text file ({exc})") from None


def check_mps(path: Path) -> MpsScan:
    """Scan the MPS file at ``path``; raise DataError at the first fault, else return what it holds."""
    scanner = _Scanner(path)
    lines = read_text_lines(path)
    for number, line in enumerate(lines, start=1):
        if scanner.feed(number, line):
            return scanner.scan
    raise DataError(
        f"{path}, line {len(lines)}: the file ends without an ENDATA line (truncated?)"
    )


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return None if math.isnan(value) else value


class _Scanner:
    """State of the scan: the current section and the names seen so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.scan = MpsScan()
        self.section: str | None = None
        self.seen: set[str] = set()
        self.row_types: dict[str, str] = {}
        self.column_set: set[str] = set()
        self.in_marker: int | None = None  # line of the open INTORG marker
        self.line = 0

    def error(self, what: str) -> DataError:
        return DataError(f"{self.path}, line {self.line}: {what}")

    def feed(self, number: int, line: str) -> bool:
        """Check one line; True once ENDATA is reached."""
        self.line = number
        if not line.strip() or line.lstrip().startswith("*"):
            return False
        tokens = line.split()
        if not line[0].isspace():
            return self.header(tokens)
        if self.section in (None, "NAME"):
            raise self.error(f"data line '{line.strip()}' outside a section (a section header starts in column 1)")
        getattr(self, "_" + self.section.lower())(tokens)
        return False

    # ------------------------------------------------------------------ headers
    def header(self, tokens: list[str]) -> bool:
        key = tokens[0].upper()
        if key in _UNSUPPORTED:
            raise self.error(f"section {tokens[0]} is not supported: the MibS format holds linear "
                             "(mixed-integer) problems with one objective row")
        if key not in _SECTIONS:
            raise self.error(f"unknown section header '{tokens[0]}' (expected one of {', '.join(_SECTIONS)})")
        if key in self.seen:
            raise self.error(f"section {key} appears twice")
        self.close_section()
        needs = {"COLUMNS": ("ROWS",), "RHS": ("ROWS", "COLUMNS"), "RANGES": ("ROWS", "COLUMNS"),
                 "BOUNDS": ("ROWS", "COLUMNS"), "ENDATA": ("ROWS",)}.get(key, ())
        missing = [name for name in needs if name not in self.seen]
        if missing:
            raise self.error(f"section {key} before section {missing[0]}")
        self.seen.add(key)
        self.section = key
        if key == "NAME" and len(tokens) > 1:
            self.scan.name = tokens[1]
        if key == "OBJSENSE" and len(tokens) > 1:
            self._objsense(tokens[1:])
        return key == "ENDATA"

    def close_section(self) -> None:
        if self.section == "COLUMNS" and self.in_marker is not None:
            raise self.error(f"the INTORG marker of line {self.in_marker} is not closed by an INTEND marker "
                             "before the COLUMNS section ends")

    # ------------------------------------------------------------------ sections
    def _objsense(self, tokens: list[str]) -> None:
        if len(tokens) != 1 or tokens[0].upper() not in _SENSES:
            raise self.error(f"OBJSENSE expects MIN or MAX, found '{' '.join(tokens)}'")

    def _rows(self, tokens: list[str]) -> None:
        if len(tokens) != 2:
            raise self.error(f"a ROWS line has 2 fields (type, name), found {len(tokens)}")
        kind, name = tokens[0].upper(), tokens[1]
        if kind not in _ROW_TYPES:
            raise self.error(f"unknown row type '{tokens[0]}' (expected N, L, G or E)")
        if name in self.row_types:
            raise self.error(f"row '{name}' is declared twice")
        if kind == "N" and self.scan.objective is not None:
            raise self.error(f"second objective (N) row '{name}': the MibS format has one objective row "
                             f"('{self.scan.objective}')")
        self.row_types[name] = kind
        if kind == "N":
            self.scan.objective = name
        else:
            self.scan.rows.append(name)

    def _columns(self, tokens: list[str]) -> None:
        if len(tokens) >= 2 and tokens[1].strip("'\"").upper() == "MARKER":
            return self.marker(tokens)
        if len(tokens) not in (3, 5):
            raise self.error(f"a COLUMNS line has 3 or 5 fields (column, row, value[, row, value]), "
                             f"found {len(tokens)}")
        name = tokens[0]
        if not self.scan.columns or self.scan.columns[-1] != name:
            if name in self.column_set:
                raise self.error(f"column '{name}' appears again after other columns (each column's "
                                 "entries must be together)")
            self.column_set.add(name)
            self.scan.columns.append(name)
        self.pairs(tokens[1:], "COLUMNS")

    def marker(self, tokens: list[str]) -> None:
        kind = tokens[2].strip("'\"").upper() if len(tokens) == 3 else ""
        if kind == "INTORG" and self.in_marker is None:
            self.in_marker = self.line
        elif kind == "INTEND" and self.in_marker is not None:
            self.in_marker = None
        elif kind in ("INTORG", "INTEND"):
            raise self.error(f"marker {kind} out of order (INTORG and INTEND must alternate)")
        else:
            raise self.error("malformed marker line: expected 'name 'MARKER' 'INTORG'|'INTEND''")

    def _rhs(self, tokens: list[str]) -> None:
        self.pairs(tokens[1:] if len(tokens) % 2 else tokens, "RHS")

    def _ranges(self, tokens: list[str]) -> None:
        self.pairs(tokens[1:] if len(tokens) % 2 else tokens, "RANGES")

    def pairs(self, tokens: list[str], section: str) -> None:
        """(row, value) pairs of a COLUMNS, RHS or RANGES line."""
        if len(tokens) not in (2, 4):
            raise self.error(f"a {section} line has one or two (row, value) pairs after its name, "
                             f"found {len(tokens)} fields")
        for row, value in zip(tokens[::2], tokens[1::2]):
            if row not in self.row_types:
                raise self.error(f"unknown row '{row}' (not declared in ROWS)")
            if section == "RANGES" and self.row_types[row] == "N":
                raise self.error(f"RANGES on the objective row '{row}'")
            if _number(value) is None:
                raise self.error(f"malformed number '{value}' for row '{row}'")

    def _bounds(self, tokens: list[str]) -> None:
        kind = tokens[0].upper()
        if kind == "SC":
            raise self.error("semi-continuous bounds (SC) are not supported by the MibS format")
        if kind not in _VALUED_BOUNDS + _OPTIONAL_VALUE_BOUNDS + _FREE_BOUNDS:
            raise self.error(f"unknown bound type '{tokens[0]}'")
        rest = tokens[1:]
        if len(rest) >= 2 and rest[1] in self.column_set:
            column, values = rest[1], rest[2:]
        elif rest and rest[0] in self.column_set:
            column, values = rest[0], rest[1:]
        else:
            named = rest[1] if len(rest) >= 3 or (len(rest) == 2 and _number(rest[1]) is None) else (rest or ["?"])[0]
            raise self.error(f"bound {kind} on unknown column '{named}' (not in the COLUMNS section)")
        if len(values) > 1:
            raise self.error(f"too many fields in a {kind} bound line")
        if kind in _VALUED_BOUNDS and not values:
            raise self.error(f"bound {kind} of column '{column}' has no value")
        if values and _number(values[0]) is None:
            raise self.error(f"malformed number '{values[0]}' in the {kind} bound of column '{column}'")
