"""Shared helpers of the domain tests (tests/test_domain_*.py): load a domain, run the CLI on a
copy of its data, edit one cell of a CSV, and a ridge fit by numpy least squares."""
from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from pybilevel.io.cli import load_model_file, main
from pybilevel.io.data_io import load_tables

ROOT = Path(__file__).resolve().parents[1]


def model_path(name: str) -> Path:
    return ROOT / "models" / f"{name}.py"


def load_domain(name: str) -> tuple[ModuleType, dict[str, pd.DataFrame]]:
    """The domain's model module and its sample data, validated against its TABLES."""
    module = load_model_file(model_path(name))
    return module, load_tables(ROOT / "data" / name, module.TABLES)


def copy_data(name: str, target: Path) -> Path:
    """A copy of data/<name>/ (CSV files only) in ``target``, safe to edit."""
    folder = target / name
    folder.mkdir(parents=True)
    for table in (ROOT / "data" / name).glob("*.csv"):
        shutil.copy(table, folder)
    return folder


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``pybilevel <args>``."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def edit_cell(path: Path, line: int, column: str, text: str) -> None:
    """Replace one cell of a CSV file; ``line`` counts as a spreadsheet does (header = line 1).

    Quoted cells (text with commas) survive: the file is read and written with the csv module."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[line - 1][rows[0].index(column)] = text
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def drop_column(path: Path, column: str) -> None:
    """Remove one column from a CSV file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=column).to_csv(path, index=False)


def ridge_fit(x: np.ndarray, y: np.ndarray, ridge: float) -> np.ndarray:
    """argmin_w 0.5 ||x w - y||^2 + 0.5 ridge ||w||^2, by numpy least squares on [x; sqrt(ridge) I]."""
    augmented = np.vstack([x, np.sqrt(ridge) * np.eye(x.shape[1])])
    target = np.concatenate([y, np.zeros(x.shape[1])])
    return np.linalg.lstsq(augmented, target, rcond=None)[0]


def assert_refused(capsys, tmp_path: Path, name: str, edit: Callable[[Path], object], message: str) -> None:
    """Edit a copy of the domain's data; the CLI must exit 1 with ``message`` on stderr."""
    data = copy_data(name, tmp_path)
    edit(data)
    code, _, err = run_cli(capsys, "solve", model_path(name), "--data", data)
    assert code == 1
    assert message in err
