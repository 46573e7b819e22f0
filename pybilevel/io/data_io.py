"""CSV inputs: a schema per table, loaded with pandas and validated with errors that say where.

A model file declares ``TABLES = {"arcs": Table(columns={"tail": str, "head": str, "capacity": float},
key=("tail", "head"))}``; :func:`load_tables` reads ``<data dir>/arcs.csv`` and checks it.
Rows are counted as in a spreadsheet: the header is line 1, the first data row line 2.
"""
from __future__ import annotations

import codecs
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pybilevel.errors import DataError

__all__ = ["Table", "Range", "NONNEGATIVE", "POSITIVE", "BINARY", "load_tables"]


@dataclass(frozen=True)
class Range:
    """Allowed values of a numeric column: ``low <= v <= high`` (``<`` where the end is open)."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    why: str = ""  # the model's reason, shown in the refusal

    def contains(self, values: pd.Series) -> pd.Series:
        """Which values lie in the range."""
        above = values > self.low if self.low_open else values >= self.low
        below = values < self.high if self.high_open else values <= self.high
        return above & below

    def describe(self) -> str:
        """The rule in words, e.g. '> 0', 'between 0 and 1'."""
        low = f"> {self.low:g}" if self.low_open else f">= {self.low:g}"
        high = f"< {self.high:g}" if self.high_open else f"<= {self.high:g}"
        if math.isinf(self.high):
            return low
        if math.isinf(self.low):
            return high
        if not self.low_open and not self.high_open:
            return f"between {self.low:g} and {self.high:g}"
        return f"{low} and {high}"


#: common ranges
NONNEGATIVE = Range(0.0)
POSITIVE = Range(0.0, low_open=True)
BINARY = Range(0.0, 1.0)


@dataclass(frozen=True)
class Table:
    """Expected columns (name -> float, int or str), key columns, references to other tables,
    value ranges of numeric columns and, for a table of settings, its exact number of rows."""

    columns: dict[str, type]
    key: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)  # column -> "table.column"
    description: str = ""
    ranges: dict[str, Range] = field(default_factory=dict)  # column -> allowed values
    rows: int | None = None  # exact number of data rows (1 for a table of settings)

    def __post_init__(self) -> None:
        for column in self.ranges:
            if self.columns.get(column) not in (int, float):
                raise ValueError(f"Table range for '{column}': not a numeric column of {', '.join(self.columns)}")


def load_tables(directory: str | Path, schema: dict[str, Table]) -> dict[str, pd.DataFrame]:
    """Read and validate ``<directory>/<name>.csv`` for every table of the schema."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"data directory {directory} does not exist; pass --data DIR with the CSV files {', '.join(f'{n}.csv' for n in schema)}.")
    tables = {name: _load_table(directory / f"{name}.csv", table) for name, table in schema.items()}
    for name, table in schema.items():
        for column, target in table.references.items():
            _check_reference(directory / f"{name}.csv", tables[name], column, target, tables)
    return tables


def _load_table(path: Path, table: Table) -> pd.DataFrame:
    frame = _read_csv(path, table)
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in table.columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected exactly {', '.join(table.columns)}.")
    extra = [c for c in frame.columns if c not in table.columns]
    if extra:
        raise DataError(f"{path}: unexpected column(s) {', '.join(extra)}; expected exactly {', '.join(table.columns)} (rename or remove the others).")
    if frame.empty:
        raise DataError(f"{path}: no data rows; add at least one row below the header.")
    broken = frame.apply(lambda column: column.str.contains("[\r\n]", regex=True)).to_numpy()
    if broken.any():
        row, col = (int(i[0]) for i in broken.nonzero())
        raise DataError(
            f"{path}, line {row + 2}, column {frame.columns[col]}: the cell holds a line break (a quoted "
            "newline); every key and value must be on one line: remove the line break."
        )
    if table.rows is not None and len(frame) != table.rows:
        raise DataError(
            f"{path}, line {table.rows + 2}: extra row; this table must have exactly {table.rows} data "
            f"row{'s' if table.rows != 1 else ''} ({len(frame)} found): delete the others."
        )
    for column, kind in table.columns.items():
        frame[column] = _convert(path, frame[column], column, kind)
    for column, allowed in table.ranges.items():
        outside = ~allowed.contains(frame[column])
        if outside.any():
            row = int(outside.to_numpy().nonzero()[0][0])
            raise DataError(
                f"{path}, line {row + 2}, column {column}: {frame[column].iloc[row]:g}; it must be "
                f"{allowed.describe()}" + (f" ({allowed.why})." if allowed.why else ".")
            )
    if table.key:
        duplicated = frame.duplicated(subset=list(table.key), keep="first")
        if duplicated.any():
            row = int(duplicated.to_numpy().nonzero()[0][0])
            values = ", ".join(f"{k}={frame.iloc[row][k]}" for k in table.key)
            raise DataError(f"{path}, line {row + 2}: duplicate key ({values}); each ({', '.join(table.key)}) may appear once.")
    return frame[list(table.columns)]


def _read_csv(path: Path, table: Table) -> pd.DataFrame:
    """The file as text cells; DataError for a missing, unreadable, non-UTF-8 or malformed file."""
    try:
        if not path.is_file():
            raise DataError(f"{path}: file missing; it needs the columns {', '.join(table.columns)}.")
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc}); check that it is a readable file.") from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in raw[:4096]:
        raise DataError(f"{path}: the file is UTF-16 encoded, not UTF-8; save it as UTF-8 (\"CSV UTF-8\" in Excel).")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            f"{path}, line {line}, character {column}: byte 0x{raw[exc.start]:02x} is not UTF-8 (the file "
            "is probably Latin-1 / Windows-1252); save it as UTF-8 (\"CSV UTF-8\" in Excel)."
        ) from None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty; it needs a header line with {', '.join(table.columns)} and at least one row.") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a valid CSV file ({exc}).") from None


def _convert(path: Path, values: pd.Series, column: str, kind: type) -> pd.Series:
    text = values.str.strip()
    blank = text == ""
    if blank.any():
        row = int(blank.to_numpy().nonzero()[0][0])
        raise DataError(f"{path}, line {row + 2}, column {column}: empty cell; fill in a value.")
    if kind is str:
        return text
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise DataError(f"{path}, line {row + 2}, column {column}: '{text.iloc[row]}' is not a number.")
    infinite = ~np.isfinite(numbers.to_numpy(dtype=float))
    if infinite.any():
        row = int(infinite.nonzero()[0][0])
        raise DataError(
            f"{path}, line {row + 2}, column {column}: '{text.iloc[row]}' is not a finite number; numeric "
            "cells must be finite (write a large finite bound instead)."
        )
    if kind is int:
        fractional = numbers != numbers.round()
        if fractional.any():
            row = int(fractional.to_numpy().nonzero()[0][0])
            raise DataError(f"{path}, line {row + 2}, column {column}: '{text.iloc[row]}' is not a whole number.")
        return numbers.astype(int)
    return numbers.astype(float)


def _check_reference(path: Path, frame: pd.DataFrame, column: str, target: str, tables: dict[str, pd.DataFrame]) -> None:
    table_name, target_column = target.split(".")
    known = set(tables[table_name][target_column])
    unknown = ~frame[column].isin(known)
    if unknown.any():
        row = int(unknown.to_numpy().nonzero()[0][0])
        raise DataError(
            f"{path}, line {row + 2}, column {column}: unknown '{frame[column].iloc[row]}'; "
            f"it must be one of the {target_column} values in {table_name}.csv."
        )
