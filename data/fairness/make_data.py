"""Write train.csv, validation.csv and settings.csv for models/fairness.py (synthetic, seeded).

Run once by hand (numpy and pandas only; not run by the tests):

    .venv/bin/python data/fairness/make_data.py

The story: predict an employee's pay from experience, education and weekly hours. Group ``b``
has on average less recorded experience (0.8 standard deviations) and slightly less education
(0.3), and was paid 0.5 less for the same qualifications in the historical data, so a plain
least-squares fit predicts lower pay for group ``b`` partly through the features correlated with
the group. With ``rng = numpy.random.default_rng(SEED)``, for N_TRAIN + N_VALIDATION people:

    b          = rng.random(n) < 0.5                    (group b, else a)
    experience = rng.normal(size=n) - 0.8 b
    education  = rng.normal(size=n) - 0.3 b
    hours      = rng.normal(size=n)
    pay        = 0.6 experience + 0.4 education + 0.2 hours - 0.5 b + 0.5 rng.normal(size=n)

drawn in this order. The first N_TRAIN rows are the training split, the rest validation.
Features and pay are standardised with the training mean and population standard deviation
(ddof=0), so the training split is centred and the model fits no intercept.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 0
N_TRAIN = 60
N_VALIDATION = 40
SETTINGS = {"ridge": 0.01, "gamma": 1.0, "beta_max": 2.0}


def people() -> pd.DataFrame:
    """All people, unstandardised, in draw order."""
    rng = np.random.default_rng(SEED)
    n = N_TRAIN + N_VALIDATION
    b = rng.random(n) < 0.5
    experience = rng.normal(size=n) - 0.8 * b
    education = rng.normal(size=n) - 0.3 * b
    hours = rng.normal(size=n)
    pay = 0.6 * experience + 0.4 * education + 0.2 * hours - 0.5 * b + 0.5 * rng.normal(size=n)
    return pd.DataFrame({
        "person": [f"p{k:03d}" for k in range(n)],
        "group": np.where(b, "b", "a"),
        "experience": experience,
        "education": education,
        "hours": hours,
        "pay": pay,
    })


def main() -> None:
    folder = Path(__file__).resolve().parent
    frame = people()
    numeric = ["experience", "education", "hours", "pay"]
    train = frame.iloc[:N_TRAIN]
    frame[numeric] = (frame[numeric] - train[numeric].mean()) / train[numeric].std(ddof=0)
    frame.iloc[:N_TRAIN].to_csv(folder / "train.csv", index=False, float_format="%.17g")
    frame.iloc[N_TRAIN:].to_csv(folder / "validation.csv", index=False, float_format="%.17g")
    pd.DataFrame([SETTINGS]).to_csv(folder / "settings.csv", index=False)


if __name__ == "__main__":
    main()
