"""OptKnock domain: the bilevel knockout against enumeration of every single knockout with FBA.

Reference, independent of pybilevel: for no knockout and each knockable reaction alone, FBA
(max biomass) by scipy's linprog, then the min and max target flux with biomass held at its
optimum. Knockouts whose growth is below the minimum are infeasible for the leader. The bilevel
optimum is the best optimistic (max) production; the minimum is what the knockout guarantees.
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli

GROWTH_TOL = 1e-9  # relative slack on the growth optimum when it is held fixed


class FluxBalance:
    """S v = 0, lb <= v <= ub from the domain's CSV tables."""

    def __init__(self, data) -> None:
        reactions, stoich = data["reactions"], data["stoichiometry"]
        self.ids = list(reactions["id"])
        metabolites = sorted(set(stoich["metabolite"]))
        rows = [metabolites.index(m) for m in stoich["metabolite"]]
        cols = [self.ids.index(r) for r in stoich["reaction"]]
        self.s = csr_matrix((stoich["coefficient"], (rows, cols)), shape=(len(metabolites), len(self.ids)))
        self.lower, self.upper = reactions["lower_bound"].to_numpy(), reactions["upper_bound"].to_numpy()

    def optimise(self, reaction: str, lower: np.ndarray, upper: np.ndarray, sense: int) -> float:
        """max (sense=1) or min (sense=-1) of one flux."""
        cost = np.zeros(len(self.ids))
        cost[self.ids.index(reaction)] = -sense
        res = linprog(cost, A_eq=self.s, b_eq=np.zeros(self.s.shape[0]), bounds=list(zip(lower, upper)))
        assert res.status == 0
        return -sense * res.fun

    def knockout(self, knocked: tuple[str, ...], biomass: str, target: str) -> tuple[float, float, float]:
        """(growth, min target, max target) over the growth-optimal fluxes."""
        lower, upper = self.lower.copy(), self.upper.copy()
        for r in knocked:
            lower[self.ids.index(r)] = upper[self.ids.index(r)] = 0.0
        growth = self.optimise(biomass, lower, upper, 1)
        lower[self.ids.index(biomass)] = growth * (1 - GROWTH_TOL)
        return growth, self.optimise(target, lower, upper, -1), self.optimise(target, lower, upper, 1)


@pytest.fixture(scope="module")
def enumeration():
    _, data = load_domain("optknock")
    settings = data["settings"].iloc[0]
    fba = FluxBalance(data)
    knockable = data["reactions"].loc[data["reactions"]["knockable"] == 1, "id"]
    return {
        knocked: fba.knockout(knocked, settings["biomass_reaction"], settings["target_reaction"])
        for knocked in [(), *((r,) for r in knockable)]
    }


def test_single_knockout_matches_enumeration(enumeration):
    module, data = load_domain("optknock")
    assert data["settings"].loc[0, "max_knockouts"] == 1
    model = module.build(data)
    res = bl.solve(model, method=module.METHOD)
    assert res.ok
    viable = {k: v for k, v in enumeration.items() if v[0] >= data["settings"].loc[0, "min_growth"]}
    best = max(v[2] for v in viable.values())
    # fluxes of ~10 mmol/gDW/h from LPs solved to 1e-9 (HiGHS, SCIP): 1e-6 is tight with room to spare
    assert res.leader_objective == pytest.approx(best, abs=1e-6)
    knocked = tuple(module.knocked_out(model, res))
    growth, low, high = enumeration[knocked]
    assert high == pytest.approx(best, abs=1e-6)
    assert module.product_range(model, list(knocked)) == pytest.approx((growth, low, high), abs=1e-6)


def test_cli_prints_knockout_and_product_range(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("optknock"), "--data", copy_data("optknock", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "knockouts: ATPS4r" in out
    assert "EX_ac_e over all growth-optimal fluxes: min 0 (guaranteed), max 14.3123 (optimistic)" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "stoichiometry.csv", 5, "coefficient", "x"), "stoichiometry.csv, line 5, column coefficient: 'x' is not a number"),
        (lambda d: edit_cell(d / "stoichiometry.csv", 9, "reaction", "NOPE"), "stoichiometry.csv, line 9, column reaction: unknown 'NOPE'"),
        (lambda d: edit_cell(d / "reactions.csv", 4, "knockable", "2"), "reactions.csv, line 4, column knockable: 2 for ACKr; write 0 or 1"),
        (lambda d: edit_cell(d / "reactions.csv", 6, "upper_bound", "-2000"), "reactions.csv, line 6, column upper_bound: bounds [-1000.0, -2000.0] of ACONTb"),
        (lambda d: edit_cell(d / "settings.csv", 2, "target_reaction", "EX_gold_e"), "settings.csv, line 2, column target_reaction: unknown 'EX_gold_e'"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "optknock", edit, message)
