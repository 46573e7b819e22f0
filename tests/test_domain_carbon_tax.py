"""Carbon tax domain: the bilevel tax against the closed form of marginal-abatement-cost equalisation.

Closed form (derived in models/carbon_tax.py): each sector abates a_i(tau) = clip((tau - b_i)/c_i, 0, E_i);
the social cost falls in tau up to the damage D and rises after it, so tau* = max(D, tau_cap) with
tau_cap the smallest tax meeting the cap. Total abatement is piecewise linear in tau with
breakpoints b_i and b_i + c_i E_i, so tau_cap is found exactly by linear interpolation between
the two breakpoints that bracket the required abatement.
"""
from __future__ import annotations

import numpy as np
import pytest

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli

METHODS = ("sos1", "bigm", "kkt", "strong_duality")


def response(tax: float, sectors) -> np.ndarray:
    """Each sector's abatement at the tax: marginal abatement cost = tax, within [0, E_i]."""
    e, b, c = (sectors[k].to_numpy() for k in ("baseline_emissions", "mac_intercept", "mac_slope"))
    return np.clip((tax - b) / c, 0.0, e)


def cap_clearing_tax(sectors, cap: float) -> float:
    """Smallest tax whose emissions meet the cap (exact: abatement is linear between breakpoints)."""
    need = sectors["baseline_emissions"].sum() - cap
    if need <= 0:
        return 0.0
    e, b, c = (sectors[k].to_numpy() for k in ("baseline_emissions", "mac_intercept", "mac_slope"))
    breaks = np.unique(np.concatenate([b, b + c * e]))
    low = breaks[0]
    for high in breaks[1:]:
        total = response(high, sectors).sum()
        if total >= need:
            start = response(low, sectors).sum()
            return float(low + (need - start) * (high - low) / (total - start))
        low = high
    raise AssertionError("the cap cannot be met even with full abatement")


def closed_form(data) -> tuple[float, float]:
    """(tax, social cost) of the optimal policy."""
    sectors, policy = data["sectors"], data["policy"].iloc[0]
    tax = max(policy["damage_per_ton"], cap_clearing_tax(sectors, policy["emissions_cap"]))
    a = response(tax, sectors)
    cost = sectors["mac_intercept"].to_numpy() @ a + 0.5 * sectors["mac_slope"].to_numpy() @ a**2
    return tax, float(cost + policy["damage_per_ton"] * (sectors["baseline_emissions"].sum() - a.sum()))


@pytest.mark.parametrize("cap", [550.0, 700.0, 400.0])  # cap binding; Pigouvian tax (cap slack); tight cap
@pytest.mark.parametrize("method", METHODS)
def test_tax_matches_the_closed_form(method, cap):
    module, data = load_domain("carbon_tax")
    data["policy"].loc[0, "emissions_cap"] = cap
    res = bl.solve(module.build(data), method=method)
    assert res.ok
    tax, cost = closed_form(data)
    # Social cost: SCIP keeps constraints to its 1e-6 relative feasibility tolerance (the cap row,
    # ~500 Mt, may be off by 5e-4 Mt) and stops at a 1e-9 relative gap: both move it < 1e-7 relative.
    assert res.leader_objective == pytest.approx(cost, rel=1e-7)
    # Tax: a binding cap pins it (5e-4 Mt / (sum of 1/c_i ~ 8 Mt per $/t) < 1e-4 $/t). The
    # Pigouvian tax is pinned only by the objective, which is flat there: cost(tau) - cost(D) =
    # (tau - D)^2 / 2 * sum 1/c_i, so the 1e-9 gap allows |tau - D| up to sqrt(2e-9 cost / sum 1/c_i).
    flat = np.sqrt(2e-9 * cost / (1.0 / data["sectors"]["mac_slope"]).sum())
    assert res.leader["tax"] == pytest.approx(tax, abs=1e-4 if tax > data["policy"].loc[0, "damage_per_ton"] else flat)
    abated = np.array([res.follower["firms"][f"firms.abatement[{i}]"] for i in data["sectors"]["sector"]])
    np.testing.assert_allclose(abated, response(res.leader["tax"], data["sectors"]), atol=1e-5)


def test_cli_prints_tax_and_marginal_costs(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("carbon_tax"), "--data", copy_data("carbon_tax", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "tax: 61.8557 $/t; emissions 550.0000 Mt (cap 550 Mt)" in out
    assert "chemicals: abates 80.0000 of 80 Mt, marginal abatement cost 58.0000 $/t" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "sectors.csv", 3, "mac_slope", "steep"), "sectors.csv, line 3, column mac_slope: 'steep' is not a number"),
        (lambda d: edit_cell(d / "sectors.csv", 4, "mac_slope", "0"), "sectors.csv, line 4, column mac_slope: 0 for cement"),
        (lambda d: edit_cell(d / "sectors.csv", 5, "sector", "power"), "sectors.csv, line 5: duplicate key (sector=power)"),
        (lambda d: edit_cell(d / "policy.csv", 2, "max_tax", ""), "policy.csv, line 2, column max_tax: empty cell"),
        (lambda d: edit_cell(d / "policy.csv", 2, "damage_per_ton", "-5"), "policy.csv, line 2, column damage_per_ton: -5 must be 0 or more"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "carbon_tax", edit, message)
