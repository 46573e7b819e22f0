"""Strategic bidding domain: the firm's offers against a hand-solved 3-bus case and against the
DC-OPF solved alone by scipy's linprog (HiGHS), which is independent of pybilevel: its LMPs are
linprog's duals of the balance rows, its dispatch linprog's, the profit computed from both.
The PJM 5-bus case (data/strategic_bidding_pjm5/) carries the global checks; the IEEE 118-bus
default (data/strategic_bidding/) the real-grid ones; the converted CSVs are checked against the
cases' published sizes and loads, and against pandapower where it is installed.
"""
from __future__ import annotations

import importlib.util
import itertools
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import pybilevel as bl
from domain_helpers import (
    ROOT,
    assert_refused,
    copy_data,
    edit_cell,
    load_domain,
    model_path,
    run_cli,
)
from market_reference import dc_opf, profit
from pybilevel.io.data_io import load_tables

GRID_STEPS = 21


def three_bus() -> dict[str, pd.DataFrame]:
    """Triangle of equal reactances; load 150 at bus 3; only line 1-3 limited (60 MW).

    By hand: bus 1's cheap unit (10) reaches bus 3 at most 1.5 x 60 = 90 MW (2/3 of it flows on
    1-3), so 60 MW must come from bus 3: the firm's unit (cost 15, capacity 100) or a rival at 40
    (capacity 30). Offering o <= 40 the firm serves all 60 MW at price o: profit (o - 15) 60, at
    most 1500 at o = 40 (the tie goes to the firm in the optimistic reading); offering above 40 it
    serves 30 MW: at the cap 50, (50 - 15) 30 = 1050. So o = 40, LMPs 10, 25, 40, profit 1500.
    """
    return {
        "buses": pd.DataFrame({"bus": ["1", "2", "3"], "load": [0.0, 0.0, 150.0], "reference": [1, 0, 0]}),
        "lines": pd.DataFrame({"line": ["1-2", "2-3", "1-3"], "from_bus": ["1", "2", "1"], "to_bus": ["2", "3", "3"],
                               "reactance": [0.1, 0.1, 0.1], "limit": [0.0, 0.0, 60.0]}),
        "generators": pd.DataFrame({"generator": ["firm", "cheap", "rival"], "bus": ["3", "1", "3"],
                                    "cost": [15.0, 10.0, 40.0], "capacity": [100.0, 200.0, 30.0]}),
        "firm": pd.DataFrame({"generator": ["firm"], "offer_cap": [50.0]}),
    }


@pytest.fixture(scope="module")
def domain():
    """The model module and the PJM 5-bus case."""
    module = load_domain("strategic_bidding")[0]
    return module, load_tables(ROOT / "data" / "strategic_bidding_pjm5", module.TABLES)


@pytest.fixture(scope="module")
def solved(domain):
    """The 5-bus case solved by SCIP on the bilinear profit."""
    module, data = domain
    model = module.build(data, linearised=False)
    return module, data, model, bl.solve(model, method="sos1")


def test_three_bus_closed_form(domain):
    module = domain[0]
    data = three_bus()
    model = module.build(data, linearised=False)
    res = bl.solve(model, method="sos1")
    assert res.ok
    assert res.leader[model.offer["firm"].name] == pytest.approx(40.0, abs=1e-5)
    assert module.firm_profit(model, res) == pytest.approx(1500.0, abs=1e-4)
    lmp = res.follower_duals["market"]
    assert [lmp[model.market.balance[b].name] for b in "123"] == pytest.approx([10.0, 25.0, 40.0], abs=1e-5)
    assert module.congested_lines(model, res) == ["1-3"]
    assert profit(data, {"firm": 50.0}) == pytest.approx(1050.0, abs=1e-6)  # the cap, by linprog


def test_profit_recomputed_by_linprog(solved):
    module, data, model, res = solved
    assert res.ok
    offers = {g: res.leader[f"offer[{g}]"] for g in model.FIRM}
    dispatch, lmp, _ = dc_opf(data, offers)
    assert module.firm_profit(model, res) == pytest.approx(res.leader_objective, rel=1e-12)
    assert profit(data, offers) == pytest.approx(res.leader_objective, abs=1e-6)
    for bus, price in lmp.items():
        assert res.follower_duals["market"][f"market.balance[{bus}]"] == pytest.approx(price, abs=1e-6)


def test_no_grid_offer_beats_the_bilevel_offers(solved):
    """Each grid point is one DC-OPF LP. The profit jumps where the dispatch order changes, so there
    is no Lipschitz slack to grant: the optimistic bilevel optimum must be at least every grid value."""
    _, data, model, res = solved
    firm = data["firm"].set_index("generator")
    costs = data["generators"].set_index("generator")["cost"]
    axes = [np.linspace(costs[g], firm.at[g, "offer_cap"], GRID_STEPS) for g in firm.index]
    best = max(profit(data, dict(zip(firm.index, point))) for point in itertools.product(*axes))
    assert best <= res.leader_objective + 1e-6 * abs(res.leader_objective)
    assert best >= res.leader_objective - 1e-6 * abs(res.leader_objective)  # the optimum offers lie on the grid here


def test_truthful_offers_earn_less(solved):
    module, data, model, res = solved
    honest = module.truthful(model)
    costs = data["generators"].set_index("generator")["cost"]
    assert module.firm_profit(model, honest) == pytest.approx(profit(data, {g: costs[g] for g in model.FIRM}), abs=1e-6)
    assert module.firm_profit(model, honest) < res.leader_objective
    assert [model.offer[g].fixed for g in model.FIRM] == [False] * len(model.FIRM)


def test_linearised_profit_is_a_milp_for_highs(solved):
    module, data, _, res = solved
    model = module.build(data, linearised=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.CertificateWarning)
        linear = bl.solve(model, method="bigm")
    assert linear.ok and linear.solver == "highs"
    assert linear.leader_objective == pytest.approx(res.leader_objective, rel=1e-9)
    assert module.firm_profit(model, linear) == pytest.approx(linear.leader_objective, rel=1e-9)
    offers = {g: linear.leader[f"offer[{g}]"] for g in model.FIRM}
    assert profit(data, offers) == pytest.approx(linear.leader_objective, abs=1e-6)


def test_value_function_refuses_the_duals(domain):
    module, data = domain
    with pytest.raises(bl.MethodRefusedError, match=r"method 'value_function' cannot use bl.dual\(market.balance\[C\]\)"):
        bl.solve(module.build(data, linearised=False), method="value_function")


def test_cli_prints_lmps_profit_and_congestion(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("strategic_bidding"), "--data", copy_data("strategic_bidding_pjm5", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "firm's profit: 9693.39 $/h" in out
    assert "firm's profit with truthful offers (offer = cost): 0 $/h (to the cent)" in out
    assert "congested lines: D-E" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "firm.csv", 2, "offer_cap", "20"), "firm.csv, line 2, column offer_cap: 20 for G69 is below its cost 35.59"),
        (lambda d: edit_cell(d / "buses.csv", 2, "reference", "1"), "buses.csv, column reference: exactly one bus must be 1"),
        (lambda d: edit_cell(d / "lines.csv", 3, "reactance", "0"), "lines.csv, line 3, column reactance: 0 for 1-3"),
        (lambda d: edit_cell(d / "generators.csv", 2, "bus", "Z"), "generators.csv"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "strategic_bidding", edit, message)


#: published sizes of the MATPOWER cases (buses, branches, generators) and their total demand, the
#: sum of MATPOWER's Pd column (MW): data folder -> (buses, branches, generators, load)
PUBLISHED = {
    "strategic_bidding": (118, 186, 54, 4242.0),
    "strategic_bidding_300": (300, 411, 69, 23525.85),
    "strategic_bidding_1354": (1354, 1991, 260, 73059.67),
    "strategic_bidding_2869": (2869, 4582, 510, 132437.35),
}


@pytest.mark.parametrize("folder", PUBLISHED)
def test_converted_grid_has_the_published_size_and_demand(domain, folder):
    data = load_tables(ROOT / "data" / folder, domain[0].TABLES)
    buses, branches, units, load = PUBLISHED[folder]
    assert (len(data["buses"]), len(data["lines"]), len(data["generators"])) == (buses, branches, units)
    assert data["buses"]["load"].sum() == pytest.approx(load, abs=0.01)
    assert data["buses"]["reference"].sum() == 1
    assert (data["lines"]["reactance"] != 0).all()
    costs = data["generators"].set_index("generator")["cost"]
    assert costs.is_unique  # ties broken by the converter (README)
    firm = data["firm"].set_index("generator")
    assert len(firm) == 5
    assert (firm["offer_cap"] == (1.5 * costs[firm.index]).round(2)).all()
    assert data["buses"]["load"].sum() <= data["generators"]["capacity"].sum()


def test_converter_reproduces_the_committed_118_bus_case_from_pandapower(monkeypatch):
    if importlib.util.find_spec("pandapower") is None:
        pytest.skip("pandapower is not installed (it is a conversion-time dependency: make grids)")
    import pandapower.networks

    spec = importlib.util.spec_from_file_location("convert", ROOT / "data" / "strategic_bidding" / "convert.py")
    convert = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, convert)  # its dataclass looks its module up
    spec.loader.exec_module(convert)
    case = convert.CASES[0]
    converted = convert.tables(case, convert.matpower_case(case.loader))
    committed = load_tables(ROOT / "data" / case.folder, load_domain("strategic_bidding")[0].TABLES)
    net = pandapower.networks.case118()
    assert converted["buses"]["load"].sum() == pytest.approx(net.load["p_mw"].sum(), abs=1e-6)
    assert len(converted["lines"]) == len(net.line) + len(net.trafo)
    assert converted["generators"]["capacity"].sum() == pytest.approx(net.gen["max_p_mw"].sum() + net.ext_grid["max_p_mw"].sum())
    for name, frame in converted.items():
        pd.testing.assert_frame_equal(frame.reset_index(drop=True), committed[name], check_dtype=False, rtol=1e-9)


@pytest.fixture(scope="module")
def grid118():
    """The default case (IEEE 118-bus) solved with the model's default route."""
    module, data = load_domain("strategic_bidding")
    model = module.build(data)
    return module, data, model, bl.solve(model, method=module.METHOD)


def test_118_bus_optimum_is_certified_and_recomputed_by_linprog(grid118):
    module, data, model, res = grid118
    assert res.ok and res.certified
    offers = {g: res.leader[model.offer[g].name] for g in model.FIRM}
    assert profit(data, offers) == pytest.approx(res.leader_objective, abs=1e-6 * abs(res.leader_objective))
    assert module.firm_profit(model, res) == pytest.approx(res.leader_objective, rel=1e-9)


def test_118_bus_truthful_market_matches_linprog_and_earns_less(grid118):
    module, data, model, res = grid118
    honest = module.truthful(model)
    costs = data["generators"].set_index("generator")["cost"]
    _, lmp, _ = dc_opf(data, {g: costs[g] for g in model.FIRM})
    for bus, price in lmp.items():
        assert honest.follower_duals["market"][model.market.balance[bus].name] == pytest.approx(price, abs=1e-6)
    assert max(lmp.values()) - min(lmp.values()) < 1e-6  # drawn limits leave the competitive market uncongested (README)
    truthful_profit = module.firm_profit(model, honest)
    assert truthful_profit == pytest.approx(profit(data, {g: costs[g] for g in model.FIRM}), abs=1e-6 * truthful_profit)
    assert truthful_profit < res.leader_objective
