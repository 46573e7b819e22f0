"""Hierarchical MPC domain: the bilevel answer against lexicographic MPC solved as sequential LPs.

Reference, independent of pybilevel: for every candidate feed schedule, stage 1 is the safety
layer's LP (min weighted violation), stage 2 the economic LP (min cooling cost with the violation
held at its stage-1 optimum), both by scipy's linprog; stage 3 (max cooling cost over the same set)
gives the pessimistic cost. The best schedule's economic objective is the bilevel optimum.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli

STAGE_TOL = 1e-9  # stage 2 keeps the violation within this of its stage-1 optimum


class Horizon:
    """The safety layer's LP for one feed schedule, as arrays over z = [x (T x n), u (T), over, under]."""

    def __init__(self, data) -> None:
        states, periods = data["states"], data["periods"].sort_values("period")
        self.names, self.T, self.n = list(states["state"]), len(periods), len(states)
        self.a, self.b_feed, self.b_cool = np.zeros((self.n, self.n)), np.zeros(self.n), np.zeros(self.n)
        for state, source, coefficient in data["dynamics"].itertuples(index=False):
            i = self.names.index(state)
            if source == "feed":
                self.b_feed[i] = coefficient
            elif source == "cooling":
                self.b_cool[i] = coefficient
            else:
                self.a[i, self.names.index(source)] = coefficient
        self.x0, self.lower, self.upper = (states[k].to_numpy() for k in ("initial", "lower", "upper"))
        self.price, self.u_max = periods["cooling_price"].to_numpy(), periods["cooling_max"].to_numpy()
        nx = self.T * self.n
        self.size = 3 * nx + self.T
        self.violation = np.concatenate([np.zeros(nx + self.T), np.tile(states["violation_weight"].to_numpy(), 2 * self.T)])
        self.cost = np.concatenate([np.zeros(nx), self.price, np.zeros(2 * nx)])

    def x(self, t: int, i: int) -> int:
        return t * self.n + i

    def rows(self, feed: np.ndarray):
        """Dynamics (equalities) and the soft band (inequalities)."""
        nx, T = self.T * self.n, self.T
        a_eq, b_eq, a_ub, b_ub = [], [], [], []
        for t in range(T):
            for i in range(self.n):
                row = np.zeros(self.size)
                row[self.x(t, i)] = 1.0
                row[nx + t] = -self.b_cool[i]
                rhs = self.b_feed[i] * feed[t]
                if t == 0:
                    rhs += self.a[i] @ self.x0
                else:
                    row[[self.x(t - 1, j) for j in range(self.n)]] -= self.a[i]
                a_eq.append(row), b_eq.append(rhs)
                over, under = np.zeros(self.size), np.zeros(self.size)
                over[self.x(t, i)], over[nx + T + self.x(t, i)] = 1.0, -1.0  # x - over <= upper
                under[self.x(t, i)], under[2 * nx + T + self.x(t, i)] = -1.0, -1.0  # -x - under <= -lower
                a_ub += [over, under]
                b_ub += [self.upper[i], -self.lower[i]]
        return np.array(a_eq), np.array(b_eq), np.array(a_ub), np.array(b_ub)

    def lexicographic(self, feed: np.ndarray) -> tuple[float, float, float]:
        """(stage-1 violation, stage-2 min cooling cost, max cooling cost at that violation)."""
        a_eq, b_eq, a_ub, b_ub = self.rows(feed)
        bounds = [(None, None)] * (self.T * self.n) + [(0.0, u) for u in self.u_max] + [(0.0, None)] * (2 * self.T * self.n)
        stage1 = linprog(self.violation, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        assert stage1.status == 0
        held = np.vstack([a_ub, self.violation]), np.append(b_ub, stage1.fun + STAGE_TOL)
        cheapest = linprog(self.cost, A_ub=held[0], b_ub=held[1], A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        dearest = linprog(-self.cost, A_ub=held[0], b_ub=held[1], A_eq=a_eq, b_eq=b_eq, bounds=bounds)
        return stage1.fun, cheapest.fun, -dearest.fun


def reference(data) -> dict[str, tuple[float, float, float, float]]:
    """Per schedule: (economic objective, violation, optimistic cooling cost, pessimistic cooling cost)."""
    horizon, settings = Horizon(data), data["settings"].iloc[0]
    result = {}
    for name, rows in data["schedules"].groupby("schedule", sort=False):
        feed = rows.sort_values("period")["feed"].to_numpy()
        violation, cheap, dear = horizon.lexicographic(feed)
        objective = -settings["feed_value"] * feed.sum() + cheap + settings["violation_penalty"] * violation
        result[name] = (objective, violation, cheap, dear)
    return result


@pytest.mark.parametrize("method", ["sos1", "kkt", "strong_duality"])
def test_matches_lexicographic_mpc(method):
    module, data = load_domain("mpc_lexicographic")
    model = module.build(data)
    res = bl.solve(model, method=method)
    assert res.ok
    ref = reference(data)
    best = min(ref, key=lambda k: ref[k][0])
    chosen = next(k for k in model.SCHEDULES if res.leader[f"choose[{k}]"] > 0.5)
    assert chosen == best
    # LP data of size ~10: HiGHS/linprog and SCIP agree to ~1e-9; 1e-6 leaves room for SCIP's
    # 1e-6 feasibility tolerance on the dynamics rows
    objective, violation, cheap, dear = ref[best]
    assert res.leader_objective == pytest.approx(objective, abs=1e-6)
    assert res.follower_objectives["safety"] == pytest.approx(violation, abs=1e-6)
    assert pyo.value(module.cooling_cost(model)) == pytest.approx(cheap, abs=1e-6)
    assert module.pessimistic_cooling_cost(model, res) == pytest.approx(dear, abs=1e-6)


def test_bigm_is_refused_for_unbounded_violation_slacks():
    module, data = load_domain("mpc_lexicographic")
    with pytest.raises(bl.BigMError, match="has no upper bound"):
        bl.solve(module.build(data), method="bigm")


def test_cli_prints_schedule_and_costs(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("mpc_lexicographic"), "--data", copy_data("mpc_lexicographic", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "feed schedule: late; weighted violation 13.5014" in out
    assert "cooling cost: optimistic 264, pessimistic 288" in out


def drop_last_line(folder) -> None:
    path = folder / "schedules.csv"
    path.write_text("\n".join(path.read_text().splitlines()[:-1]) + "\n")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "dynamics.csv", 4, "source", "pressure"), "dynamics.csv, line 4, column source: unknown 'pressure'"),
        (lambda d: edit_cell(d / "dynamics.csv", 5, "state", "wall"), "dynamics.csv, line 5, column state: unknown 'wall'"),
        (lambda d: edit_cell(d / "schedules.csv", 7, "period", "9"), "schedules.csv, line 7, column period: unknown '9'"),
        (lambda d: edit_cell(d / "schedules.csv", 11, "period", "1"), "schedules.csv, line 11: duplicate key (schedule=ramp, period=1)"),
        (drop_last_line, "schedules.csv, line 32, column period: schedule late has no feed for period(s) 8"),
        (lambda d: edit_cell(d / "periods.csv", 3, "cooling_max", "lots"), "periods.csv, line 3, column cooling_max: 'lots' is not a number"),
        (lambda d: edit_cell(d / "states.csv", 2, "upper", "-10"), "states.csv, line 2, column upper: below lower for state reactor"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "mpc_lexicographic", edit, message)
