"""CSV inputs: a schema per table, loaded with pandas and validated with errors that say where.

A model file declares ``TABLES = {"arcs": Table(columns={"tail": str, "head": str, "capacity": float},
key=("tail", "head"))}``; :func:`load_tables` reads ``<data dir>/arcs.csv`` and checks it.
Rows are counted as in a spreadsheet: the header is line 1, the first data row line 2.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pybilevel.errors import DataError

__all__ = ["Table", "load_tables"]


@dataclass(frozen=True)
class Table:
    """Expected columns (name -> float, int or str), key columns, and references to other tables."""

    columns: dict[str, type]
    key: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)  # column -> "table.column"
    description: str = ""


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
    if not path.is_file():
        raise DataError(f"{path}: file missing; it needs the columns {', '.join(table.columns)}.")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty; it needs a header line with {', '.join(table.columns)} and at least one row.") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a valid CSV file ({exc}).") from None
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in table.columns if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; expected exactly {', '.join(table.columns)}.")
    extra = [c for c in frame.columns if c not in table.columns]
    if extra:
        raise DataError(f"{path}: unexpected column(s) {', '.join(extra)}; expected exactly {', '.join(table.columns)} (rename or remove the others).")
    if frame.empty:
        raise DataError(f"{path}: no data rows; add at least one row below the header.")
    for column, kind in table.columns.items():
        frame[column] = _convert(path, frame[column], column, kind)
    if table.key:
        duplicated = frame.duplicated(subset=list(table.key), keep="first")
        if duplicated.any():
            row = int(duplicated.to_numpy().nonzero()[0][0])
            values = ", ".join(f"{k}={frame.iloc[row][k]}" for k in table.key)
            raise DataError(f"{path}, line {row + 2}: duplicate key ({values}); each ({', '.join(table.key)}) may appear once.")
    return frame[list(table.columns)]


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
