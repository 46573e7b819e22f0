"""Write the CSV files of models/sensor_placement.py (synthetic, seeded).

Run once by hand (numpy and pandas only; not run by the tests):

    .venv/bin/python data/sensor_placement/make_data.py

Three emission sources and eight candidate monitoring stations on a 10 km x 10 km map, drawn
uniformly with ``rng = numpy.random.default_rng(SEED)`` (sources first, then stations). A
station's reading is a linear combination of the sources' emission deviations from their
permitted rates (the state, in units of their typical day-to-day variation):

    gain[station, source] = exp(-distance / 3 km), rounded to 4 decimals
    noise_std[station]    = rng.uniform(0.05, 0.4), rounded to 2 decimals   (instrument quality)

then, for each of N_SCENARIOS calibration days, the true state is drawn N(0, 1) per source
(rounded to 3 decimals; known from the plants' own metering) and every station's reading is
gain @ state + noise_std * N(0, 1), rounded to 4 decimals.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 0
N_SCENARIOS = 3
SOURCES = ["north_plant", "river_mill", "east_kiln"]
N_STATIONS = 7
LENGTH_KM = 3.0
NOISE_RANGE = (0.05, 0.4)
SETTINGS = {"stations_to_place": 3, "prior_precision": 1.0}


def tables() -> dict[str, pd.DataFrame]:
    """sensors, gains, truth, measurements and settings, drawn in the order the docstring says."""
    rng = np.random.default_rng(SEED)
    sources = rng.uniform(0, 10, size=(len(SOURCES), 2))
    stations = rng.uniform(0, 10, size=(N_STATIONS, 2))
    names = [f"st{i + 1}" for i in range(N_STATIONS)]
    gain = np.round(np.exp(-np.linalg.norm(stations[:, None, :] - sources[None, :, :], axis=2) / LENGTH_KM), 4)
    noise = np.round(rng.uniform(*NOISE_RANGE, size=N_STATIONS), 2)
    days = [f"day{s + 1}" for s in range(N_SCENARIOS)]
    truth = np.round(rng.normal(size=(N_SCENARIOS, len(SOURCES))), 3)
    readings = np.round(truth @ gain.T + noise * rng.normal(size=(N_SCENARIOS, N_STATIONS)), 4)
    return {
        "sensors": pd.DataFrame({"sensor": names, "noise_std": noise}),
        "gains": pd.DataFrame([(names[i], SOURCES[j], gain[i, j]) for i in range(N_STATIONS) for j in range(len(SOURCES))], columns=["sensor", "state", "gain"]),
        "truth": pd.DataFrame([(days[s], SOURCES[j], truth[s, j]) for s in range(N_SCENARIOS) for j in range(len(SOURCES))], columns=["scenario", "state", "value"]),
        "measurements": pd.DataFrame([(days[s], names[i], readings[s, i]) for s in range(N_SCENARIOS) for i in range(N_STATIONS)], columns=["scenario", "sensor", "value"]),
        "settings": pd.DataFrame([SETTINGS]),
    }


def main() -> None:
    folder = Path(__file__).resolve().parent
    for name, frame in tables().items():
        frame.to_csv(folder / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()
