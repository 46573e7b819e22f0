"""Microbial consortium: the community doses shared nutrients; each species maximises its growth.

Species s has a small flux-balance network (reactions r with bounds, internal metabolites
balanced: S_s v_s = 0). The community (leader) splits each nutrient's supply among the species
in whole units; a species' uptake of a nutrient is capped by its share. One species may feed on
what another secretes (cross-feeding): the consumer's uptake is capped by the producer's
secretion, so each consumer's problem contains the producer's flux, and the species play a game.

leader:    max_{a, z}  z                                   (egalitarian: z <= mu_s for every s)
      or   max_{a}     sum_s mu_s                          (total biomass)
           s.t.        sum_s a_{s,n} <= supply_n,   a_{s,n} in {0, 1, 2, ...}
follower s: max_{v_s}  mu_s = v_s[growth reaction of s]
           s.t.        S_s v_s = 0,  lower <= v_s <= upper,
                       v_s[uptake of n] <= a_{s,n},
                       v_s[uptake of m] <= v_p[secretion of m]   (p: the producer s feeds on)

Sample data (a textbook-style two-species toy, numbers chosen for illustration): a glucose
fermenter that respires when it gets oxygen (glc + 2 o2 -> 10 atp) and otherwise ferments
(glc -> 3 atp + 2 acetate), and an acetate respirer (ace + o2 -> 4 atp). Oxygen is the contested
nutrient: more oxygen to the fermenter raises its own growth but cuts the acetate its partner
lives on. The egalitarian split balances the two growth rates; the total-biomass split does not.

Method: ``bigm`` (HiGHS MILP; the leader's integer allocations make it a MILP; multiplier bounds
from the heuristic, reported).

Data (data/consortium/):
  species.csv        species, growth_reaction
  reactions.csv      species, reaction, lower, upper                  [flux units per hour]
  stoichiometry.csv  species, reaction, metabolite, coefficient       (internal metabolites)
  nutrients.csv      nutrient, supply                                 [whole units]
  uptakes.csv        species, reaction, nutrient                      (flux <= the species' share)
  cross_feeding.csv  consumer, uptake_reaction, producer, secretion_reaction
  community.csv      objective                                        ("egalitarian" or "total")
"""
from __future__ import annotations

import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import NONNEGATIVE, Table

TABLES = {
    "species": Table(columns={"species": str, "growth_reaction": str}, key=("species",)),
    "reactions": Table(
        columns={"species": str, "reaction": str, "lower": float, "upper": float},
        key=("species", "reaction"),
        references={"species": "species.species"},
    ),
    "stoichiometry": Table(
        columns={"species": str, "reaction": str, "metabolite": str, "coefficient": float},
        key=("species", "reaction", "metabolite"),
        references={"species": "species.species"},
    ),
    "nutrients": Table(columns={"nutrient": str, "supply": int}, key=("nutrient",), ranges={"supply": NONNEGATIVE}),
    "uptakes": Table(
        columns={"species": str, "reaction": str, "nutrient": str},
        key=("species", "reaction"),
        references={"species": "species.species", "nutrient": "nutrients.nutrient"},
    ),
    "cross_feeding": Table(
        columns={"consumer": str, "uptake_reaction": str, "producer": str, "secretion_reaction": str},
        key=("consumer", "uptake_reaction"),
        references={"consumer": "species.species", "producer": "species.species"},
    ),
    "community": Table(columns={"objective": str}, rows=1),
}
METHOD = "bigm"
OBJECTIVES = ("egalitarian", "total")


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    _check(data)
    species = data["species"].set_index("species")["growth_reaction"].to_dict()
    reactions = data["reactions"].set_index(["species", "reaction"])
    nutrients = data["nutrients"].set_index("nutrient")["supply"].to_dict()
    objective = data["community"].iloc[0]["objective"]

    m = pyo.ConcreteModel(name="consortium")
    m.SPECIES = pyo.Set(initialize=list(species), ordered=True)
    m.NUTRIENTS = pyo.Set(initialize=list(nutrients), ordered=True)
    m.growth_reaction = species
    m.SHARES = pyo.Set(initialize=sorted(set(zip(data["uptakes"]["species"], data["uptakes"]["nutrient"]))), dimen=2)
    m.share = pyo.Var(m.SHARES, within=pyo.NonNegativeIntegers, bounds=lambda _, s, n: (0, nutrients[n]))
    m.supply = pyo.Constraint(m.NUTRIENTS, rule=lambda _, n: sum(m.share[s, k] for s, k in m.SHARES if k == n) <= nutrients[n])

    m.species = bl.Follower(m.SPECIES)
    for s in m.SPECIES:
        own = reactions.loc[s]
        f = m.species[s]
        f.flux = pyo.Var(list(own.index), bounds=lambda _, r, own=own: (own.at[r, "lower"], own.at[r, "upper"]))
        balance = data["stoichiometry"][data["stoichiometry"]["species"] == s]
        by_metabolite = {met: rows for met, rows in balance.groupby("metabolite", sort=True)}
        f.balance = pyo.Constraint(list(by_metabolite), rule=lambda f, met: sum(
            c * f.flux[r] for r, c in zip(by_metabolite[met]["reaction"], by_metabolite[met]["coefficient"])) == 0)
        f.growth = pyo.Objective(expr=f.flux[species[s]], sense=pyo.maximize)
    for _, row in data["uptakes"].iterrows():
        f = m.species[row["species"]]
        f.add_component(f"share_{row['nutrient']}", pyo.Constraint(expr=f.flux[row["reaction"]] <= m.share[row["species"], row["nutrient"]]))
    for _, row in data["cross_feeding"].iterrows():
        f, producer = m.species[row["consumer"]], m.species[row["producer"]]
        f.add_component(f"fed_by_{row['producer']}", pyo.Constraint(
            expr=f.flux[row["uptake_reaction"]] <= producer.flux[row["secretion_reaction"]]))

    if objective == "egalitarian":
        m.slowest = pyo.Var(bounds=(0, None))
        m.below = pyo.Constraint(m.SPECIES, rule=lambda _, s: m.slowest <= growth(m, s))
        m.community = pyo.Objective(expr=m.slowest, sense=pyo.maximize)
    else:
        m.community = pyo.Objective(expr=sum(growth(m, s) for s in m.SPECIES), sense=pyo.maximize)
    return m


def growth(m: pyo.ConcreteModel, s: str):
    return m.species[s].flux[m.growth_reaction[s]]


def _check(data: dict[str, pd.DataFrame]) -> None:
    """References that span two columns (species and reaction) and the objective's name."""
    known = set(zip(data["reactions"]["species"], data["reactions"]["reaction"]))

    def need(table: str, line: int, column: str, species: str, reaction: str) -> None:
        if (species, reaction) not in known:
            raise bl.DataError(f"{table}.csv, line {line}, column {column}: species {species} has no reaction "
                               f"'{reaction}' in reactions.csv; add it there or fix the name.")

    for line, row in enumerate(data["species"].itertuples(), start=2):
        need("species", line, "growth_reaction", row.species, row.growth_reaction)
    for line, row in enumerate(data["stoichiometry"].itertuples(), start=2):
        need("stoichiometry", line, "reaction", row.species, row.reaction)
    for line, row in enumerate(data["uptakes"].itertuples(), start=2):
        need("uptakes", line, "reaction", row.species, row.reaction)
    for line, row in enumerate(data["cross_feeding"].itertuples(), start=2):
        need("cross_feeding", line, "uptake_reaction", row.consumer, row.uptake_reaction)
        need("cross_feeding", line, "secretion_reaction", row.producer, row.secretion_reaction)
        if row.consumer == row.producer:
            raise bl.DataError(f"cross_feeding.csv, line {line}: species {row.consumer} cannot feed on itself.")
    for line, row in enumerate(data["reactions"].itertuples(), start=2):
        if row.lower > row.upper:
            raise bl.DataError(f"reactions.csv, line {line}: lower {row.lower:g} > upper {row.upper:g} for {row.reaction}.")
    objective = data["community"].iloc[0]["objective"]
    if objective not in OBJECTIVES:
        raise bl.DataError(f"community.csv, line 2, column objective: '{objective}'; choose one of {', '.join(OBJECTIVES)}.")


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    what = "slowest growth (egalitarian)" if hasattr(model, "slowest") else "total growth"
    lines = [f"community objective, {what}: {result.leader_objective:.6g} per hour"]
    for s in model.SPECIES:
        shares = ", ".join(f"{n} {result.leader[f'share[{s},{n}]']:.0f}" for t, n in model.SHARES if t == s)
        rate = result.follower[f"species[{s}]"][f"species[{s}].flux[{model.growth_reaction[s]}]"]
        lines.append(f"  {s}: growth {rate:.6g} per hour with shares {shares}")
    return "\n".join(lines)
