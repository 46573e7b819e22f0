"""Microbial consortium domain: the bilevel allocation against enumeration of every integer split.

Reference (scipy's linprog, no pybilevel code): for every split of the nutrient supplies among
the species that can take them up, solve the producer's growth LP, take among its optima the one
that secretes the most (the optimistic choice: a consumer's growth cannot fall when more is
secreted for it, and the producer's own growth is fixed on its optimal set), then the consumer's
growth LP with its uptake capped by that secretion; keep the best community objective.
"""
from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from domain_helpers import assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli

METHODS = ("bigm", "sos1")


class SpeciesLP:
    """One species' flux-balance LP in arrays: max v[growth] s.t. S v = 0, bounds, caps."""

    def __init__(self, data, species: str) -> None:
        reactions = data["reactions"][data["reactions"]["species"] == species]
        self.names = list(reactions["reaction"])
        self.bounds = list(zip(reactions["lower"], reactions["upper"]))
        stoich = data["stoichiometry"][data["stoichiometry"]["species"] == species]
        metabolites = sorted(set(stoich["metabolite"]))
        self.S = np.zeros((len(metabolites), len(self.names)))
        for row in stoich.itertuples():
            self.S[metabolites.index(row.metabolite), self.names.index(row.reaction)] = row.coefficient
        self.growth = self.names.index(data["species"].set_index("species").at[species, "growth_reaction"])

    def solve(self, caps: dict[str, float], then_maximise: str | None = None) -> np.ndarray:
        bounds = [(lo, min(up, caps.get(r, np.inf))) for r, (lo, up) in zip(self.names, self.bounds)]
        cost = np.zeros(len(self.names))
        cost[self.growth] = -1.0
        first = linprog(cost, A_eq=self.S, b_eq=np.zeros(len(self.S)), bounds=bounds, method="highs")
        assert first.status == 0
        if then_maximise is None:
            return first.x
        bounds[self.growth] = (first.x[self.growth] - 1e-9, first.x[self.growth])
        second = np.zeros(len(self.names))
        second[self.names.index(then_maximise)] = -1.0
        return linprog(second, A_eq=self.S, b_eq=np.zeros(len(self.S)), bounds=bounds, method="highs").x


@lru_cache(maxsize=1)
def sample_growth_pairs() -> np.ndarray:
    """(producer growth, consumer growth) of every integer split of the sample's supplies."""
    return enumerate_growth_pairs(load_domain("consortium")[1])


def enumerate_growth_pairs(data) -> np.ndarray:
    """Growth of both species for every integer split (the sample has one producer, one consumer)."""
    feeding = data["cross_feeding"].iloc[0]
    producer = SpeciesLP(data, feeding["producer"])
    consumer = SpeciesLP(data, feeding["consumer"])
    supply = data["nutrients"].set_index("nutrient")["supply"].to_dict()
    uptakes = data["uptakes"]

    def caps_of(species: str, shares: dict[str, int]) -> dict[str, float]:
        rows = uptakes[uptakes["species"] == species]
        return {r: shares[n] for r, n in zip(rows["reaction"], rows["nutrient"])}

    @lru_cache(maxsize=None)
    def produce(shares: tuple) -> tuple[float, float]:
        flux = producer.solve(caps_of(feeding["producer"], dict(shares)), then_maximise=feeding["secretion_reaction"])
        return flux[producer.growth], flux[producer.names.index(feeding["secretion_reaction"])]

    @lru_cache(maxsize=None)
    def consume(shares: tuple, secreted: float) -> float:
        caps = caps_of(feeding["consumer"], dict(shares))
        caps[feeding["uptake_reaction"]] = secreted
        return consumer.solve(caps)[consumer.growth]

    takers = {n: list(uptakes[uptakes["nutrient"] == n]["species"]) for n in supply}
    pairs = []
    for split in itertools.product(*[
        [c for c in itertools.product(range(supply[n] + 1), repeat=len(takers[n])) if sum(c) <= supply[n]] for n in supply
    ]):
        share = {(s, n): k for n, counts in zip(supply, split) for s, k in zip(takers[n], counts)}
        mine = lambda s: {n: k for (t, n), k in share.items() if t == s}  # noqa: E731
        grow_p, secreted = produce(tuple(sorted(mine(feeding["producer"]).items())))
        pairs.append((grow_p, consume(tuple(sorted(mine(feeding["consumer"]).items())), round(secreted, 9))))
    return np.array(pairs)


@pytest.mark.parametrize("objective", ["egalitarian", "total"])
@pytest.mark.parametrize("method", METHODS)
def test_allocation_matches_enumeration(method, objective):
    module, data = load_domain("consortium")
    data["community"].loc[0, "objective"] = objective
    res = bl.solve(module.build(data), method=method)
    assert res.certified, res.message
    pairs = sample_growth_pairs()
    best = pairs.min(axis=1).max() if objective == "egalitarian" else pairs.sum(axis=1).max()
    assert res.leader_objective == pytest.approx(best, abs=1e-6)
    # each species grows at its own optimum for its shares, given the other's secretion
    assert [c.follower for c in res.certificate] == ["species[fermenter]", "species[acetate_eater]"]


def test_cli_prints_the_split(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("consortium"), "--data", copy_data("consortium", tmp_path))
    assert code == 0
    assert "status: optimal (certified)" in out
    assert "community objective, slowest growth (egalitarian): 2.6875 per hour" in out
    assert "fermenter: growth 2.6875 per hour with shares ammonium 2, glucose 6, oxygen 1" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "uptakes.csv", 3, "nutrient", "nitrate"), "uptakes.csv, line 3, column nutrient: unknown 'nitrate'"),
        (lambda d: edit_cell(d / "cross_feeding.csv", 2, "secretion_reaction", "ace_export"),
         "cross_feeding.csv, line 2, column secretion_reaction: species fermenter has no reaction 'ace_export'"),
        (lambda d: edit_cell(d / "nutrients.csv", 3, "supply", "lots"), "nutrients.csv, line 3, column supply: 'lots' is not"),
        (lambda d: edit_cell(d / "community.csv", 2, "objective", "utilitarian"),
         "community.csv, line 2, column objective: 'utilitarian'; choose one of egalitarian, total"),
    ],
)
def test_malformed_csv_is_refused_with_file_line_column(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "consortium", edit, message)
