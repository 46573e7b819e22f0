"""Write train.csv, validation.csv and settings.csv for models/feature_selection.py (synthetic).

Run once by hand (numpy and pandas only; not run by the tests):

    .venv/bin/python data/feature_selection/make_data.py

Eight correlated features x1..x8 (correlation 0.6^|i-j|, as along a chain of neighbouring
measurements) and a target that depends on three of them:

    rng = numpy.random.default_rng(SEED)
    X   = rng.normal(size=(N_TRAIN + N_VALIDATION, 8)) @ cholesky(C).T,   C_ij = 0.6^|i-j|
    y   = 1.0 x1 - 0.8 x4 + 0.6 x6 + rng.normal(size=N_TRAIN + N_VALIDATION)

The first N_TRAIN rows are the training split, the rest validation. Features and y are
standardised with the training mean and population standard deviation (ddof=0), so the
training split is centred and the model fits no intercept.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 4
N_TRAIN = 40
N_VALIDATION = 30
N_FEATURES = 8
TRUE_WEIGHTS = {0: 1.0, 3: -0.8, 5: 0.6}
SETTINGS = {"max_features": 3, "ridge": 0.01}


def samples() -> pd.DataFrame:
    """All samples, standardised with the training statistics, in draw order."""
    rng = np.random.default_rng(SEED)
    n = N_TRAIN + N_VALIDATION
    steps = np.abs(np.subtract.outer(np.arange(N_FEATURES), np.arange(N_FEATURES)))
    x = rng.normal(size=(n, N_FEATURES)) @ np.linalg.cholesky(0.6**steps).T
    weights = np.zeros(N_FEATURES)
    weights[list(TRUE_WEIGHTS)] = list(TRUE_WEIGHTS.values())
    frame = pd.DataFrame(x, columns=[f"x{j + 1}" for j in range(N_FEATURES)])
    frame["y"] = x @ weights + rng.normal(size=n)
    train = frame.iloc[:N_TRAIN]
    frame = (frame - train.mean()) / train.std(ddof=0)
    frame.insert(0, "sample", [f"s{k:02d}" for k in range(n)])
    return frame


def main() -> None:
    folder = Path(__file__).resolve().parent
    frame = samples()
    frame.iloc[:N_TRAIN].to_csv(folder / "train.csv", index=False, float_format="%.17g")
    frame.iloc[N_TRAIN:].to_csv(folder / "validation.csv", index=False, float_format="%.17g")
    pd.DataFrame([SETTINGS]).to_csv(folder / "settings.csv", index=False)


if __name__ == "__main__":
    main()
