"""Sensor-placement domain: the bilevel choice of k sensors against enumeration of every
k-subset, each scenario's estimate computed by numpy least squares (weighted ridge / MAP)."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

import pybilevel as bl
from domain_helpers import (
    assert_refused,
    copy_data,
    drop_column,
    edit_cell,
    load_domain,
    model_path,
    ridge_fit,
    run_cli,
)


def enumerate_subsets(data) -> dict[tuple[str, ...], float]:
    """Mean squared estimation error per scenario of every k-subset of the sensors."""
    sensors = list(data["sensors"]["sensor"])
    weight = 1 / data["sensors"].set_index("sensor")["noise_std"].loc[sensors].to_numpy()
    gains = data["gains"].pivot(index="sensor", columns="state", values="gain").reindex(sensors).fillna(0.0)
    truth = data["truth"].pivot(index="scenario", columns="state", values="value")[gains.columns]
    readings = data["measurements"].pivot(index="scenario", columns="sensor", values="value").loc[truth.index, sensors]
    weighted_gains, weighted_readings = weight[:, None] * gains.to_numpy(), weight * readings.to_numpy()
    settings = data["settings"].iloc[0]
    errors = {}
    for subset in combinations(range(len(sensors)), int(settings["stations_to_place"])):
        rows = list(subset)
        # min 0.5 ||W (H x - m)||^2 + 0.5 rho ||x||^2 over the installed sensors only, per scenario
        estimates = [ridge_fit(weighted_gains[rows], m[rows], settings["prior_precision"]) for m in weighted_readings]
        errors[tuple(sensors[i] for i in rows)] = float(np.sum((np.array(estimates) - truth.to_numpy()) ** 2)) / len(truth)
    return errors


@pytest.mark.parametrize("method", ["bigm", "sos1"])  # sos1 needs no big-M: checks the model's BigM Suffix cut nothing off
def test_placement_matches_enumeration(method):
    module, data = load_domain("sensor_placement")
    res = bl.solve(module.build(data), method=method)
    assert res.ok
    errors = enumerate_subsets(data)
    best = min(errors, key=errors.get)
    installed = tuple(i for i in data["sensors"]["sensor"] if res.leader[f"install[{i}]"] > 0.5)
    assert installed == best
    # same sensors, same estimator: the errors agree to SCIP's 1e-6 feasibility tolerance
    assert res.leader_objective == pytest.approx(errors[best], abs=1e-6)
    assert sorted(errors.values())[1] - errors[best] > 1e-3  # a clear optimum, not a near-tie


def test_cli_prints_the_installed_sensors(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("sensor_placement"), "--data", copy_data("sensor_placement", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "install 3 of 7 sensors: st1, st2, st3" in out


def remove_line(path, line: int) -> None:
    lines = path.read_text().splitlines()
    del lines[line - 1]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "measurements.csv", 3, "sensor", "st9"), "measurements.csv, line 3, column sensor: unknown 'st9'; it must be one of the sensor values in sensors.csv"),
        (lambda d: edit_cell(d / "truth.csv", 4, "value", "high"), "truth.csv, line 4, column value: 'high' is not a number"),
        (lambda d: drop_column(d / "gains.csv", "gain"), "gains.csv: missing column(s) gain"),
        (lambda d: edit_cell(d / "sensors.csv", 4, "noise_std", "0"), "sensors.csv, line 4, column noise_std: 0; a noise standard deviation must be > 0"),
        (lambda d: edit_cell(d / "settings.csv", 2, "stations_to_place", "0"), "settings.csv, line 2, column stations_to_place: 0; it must be between 1 and the 7 sensors"),
        (lambda d: remove_line(d / "measurements.csv", 12), "measurements.csv: no row for scenario day2, sensor st4"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "sensor_placement", edit, message)
