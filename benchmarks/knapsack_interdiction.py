"""MibS's binary knapsack interdiction instances (20, 30, 40 items) kept in ``data/knapsack_interdiction``.

``items.csv``: instance, item, weight, profit, interdiction_cost; ``sources.csv``: instance, items,
capacity, budget and the MibS files they were read from; ``optima.csv``: the verified optima
(``benchmarks/knapsack_optima.py`` writes it). The leader removes items within its budget, the
follower packs a binary knapsack of the rest for the most profit, the leader minimises that profit.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from interdiction_instances import Knapsack  # noqa: E402

FOLDER = Path(__file__).resolve().parent / "data" / "knapsack_interdiction"


def load(folder: Path = FOLDER) -> dict[str, Knapsack]:
    """Every instance of ``folder``, by name, in the order of ``sources.csv``."""
    with open(folder / "items.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out = {}
    with open(folder / "sources.csv", newline="") as handle:
        for source in csv.DictReader(handle):
            mine = [r for r in rows if r["instance"] == source["instance"]]
            column = lambda key: np.array([float(r[key]) for r in mine])  # noqa: E731
            out[source["instance"]] = Knapsack(column("profit"), column("weight"), column("interdiction_cost"),
                                               float(source["capacity"]), float(source["budget"]))
    return out


def optima(folder: Path = FOLDER) -> dict[str, float]:
    """The verified optima of ``optima.csv``."""
    with open(folder / "optima.csv", newline="") as handle:
        return {row["instance"]: float(row["optimum"]) for row in csv.DictReader(handle)}
