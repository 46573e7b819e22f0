"""Export cobra's bundled E. coli core model (``textbook``) to the CSV files of the OptKnock domain.

Run once, by hand, in a separate environment that has cobra (the project does not depend on it)::

    python -m venv /tmp/cobra_venv && /tmp/cobra_venv/bin/pip install cobra
    /tmp/cobra_venv/bin/python data/optknock/export_textbook.py

Model: Orth, J. D., Fleming, R. M. T., Palsson, B. O. (2010). "Reconstruction and use of microbial
metabolic networks: the core Escherichia coli metabolic model as an educational guide."
EcoSal Plus 4(1), doi:10.1128/ecosalplus.10.2.1. cobra ships it as ``textbook`` (95 reactions,
72 metabolites, default medium: glucose uptake <= 10 mmol/gDW/h, aerobic).

Knockable reactions, as in the OptKnock literature (Burgard, Pharkya, Maranas 2003): every
reaction except exchange reactions (``EX_``), the biomass reaction, the ATP maintenance
requirement ``ATPM``, transport reactions (a reaction that moves a metabolite other than the
proton into or out of the extracellular compartment; ATP synthase, the respiratory chain and the
transhydrogenase only pump protons and stay knockable) and essential reactions (those whose
single knockout leaves a maximal growth rate below ``MIN_GROWTH``).
"""
from __future__ import annotations

import csv
from pathlib import Path

from cobra.io import load_model

HERE = Path(__file__).resolve().parent
BIOMASS = "Biomass_Ecoli_core"
TARGET = "EX_ac_e"
MAX_KNOCKOUTS = 1
MIN_GROWTH = 0.1  # 1/h
SOURCE = (
    "E. coli core model (cobra 'textbook'): Orth, Fleming, Palsson (2010), Reconstruction and use of "
    "microbial metabolic networks: the core Escherichia coli metabolic model as an educational guide, "
    "EcoSal Plus 4(1)"
)


def number(x: float) -> str:
    """Shortest text that reads back as the same float (15 significant digits)."""
    return f"{x:.15g}"


def is_transport(reaction) -> bool:
    """Moves a non-proton metabolite across the cell boundary (exchange reactions excluded)."""
    return not reaction.boundary and any(m.compartment == "e" and m.id != "h_e" for m in reaction.metabolites)


def excluded(reaction) -> bool:
    return reaction.boundary or reaction.id in (BIOMASS, "ATPM") or is_transport(reaction)


def is_essential(model, reaction) -> bool:
    with model:
        reaction.knock_out()
        growth = model.slim_optimize(error_value=0.0)
    return growth < MIN_GROWTH


def main() -> None:
    model = load_model("textbook")
    model.objective = BIOMASS
    with open(HERE / "reactions.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "name", "lower_bound", "upper_bound", "knockable"])
        for r in model.reactions:
            knockable = not excluded(r) and not is_essential(model, r)
            writer.writerow([r.id, r.name, number(r.lower_bound), number(r.upper_bound), int(knockable)])
    with open(HERE / "stoichiometry.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["metabolite", "reaction", "coefficient"])
        for r in model.reactions:
            for m, coefficient in sorted(r.metabolites.items(), key=lambda item: item[0].id):
                writer.writerow([m.id, r.id, number(coefficient)])
    with open(HERE / "settings.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["biomass_reaction", "target_reaction", "max_knockouts", "min_growth", "source"])
        writer.writerow([BIOMASS, TARGET, MAX_KNOCKOUTS, MIN_GROWTH, SOURCE])


if __name__ == "__main__":
    main()
