"""Write train.csv and validation.csv for models/lasso.py from scikit-learn's bundled diabetes set.

Run once by hand (needs scikit-learn; not run by the tests):

    .venv/bin/python data/lasso/make_data.py

Steps: load the 442 patients of ``sklearn.datasets.load_diabetes`` (Efron et al. 2004), keep the
columns FEATURES and ``target``, draw N_TRAIN + N_VALIDATION patients without replacement with
``numpy.random.default_rng(SEED).permutation``, the first N_TRAIN for training, the rest for
validation. Every feature and the target are standardised with the *training* mean and
population standard deviation (ddof=0), so the training split is centred (the model fits no
intercept) and the validation split is scaled the same way. ``sample`` is the patient's row
number in the original set. Values are written with full float precision.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes

FEATURES = ["age", "sex", "bmi", "bp", "s5"]
SEED = 0
N_TRAIN = 40
N_VALIDATION = 20


def standardised_splits() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The training and validation patients, standardised with the training statistics."""
    frame = load_diabetes(as_frame=True).frame[FEATURES + ["target"]]
    rows = np.random.default_rng(SEED).permutation(len(frame))[: N_TRAIN + N_VALIDATION]
    chosen = frame.iloc[rows]
    train, validation = chosen.iloc[:N_TRAIN], chosen.iloc[N_TRAIN:]
    mean, std = train.mean(), train.std(ddof=0)
    return (train - mean) / std, (validation - mean) / std


def main() -> None:
    folder = Path(__file__).resolve().parent
    for name, part in zip(("train", "validation"), standardised_splits()):
        part.rename_axis("sample").reset_index().to_csv(folder / f"{name}.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
