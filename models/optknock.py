"""OptKnock (Burgard, Pharkya, Maranas 2003) on the E. coli core metabolic model.

The engineer (leader) removes at most k reactions so that the cell, which grows as fast as it can
(flux balance analysis, the follower), overproduces a target metabolite:

leader:   max_{knock binary}  v_target
          s.t.                sum_r knock_r <= k,   v_biomass >= min_growth
follower: max_v               v_biomass
          s.t.                S v = 0                                  (steady state, one row per metabolite)
                              lb_r (1 - knock_r) <= v_r <= ub_r (1 - knock_r)   (knockable r; rows with a
                                                                           zero bound are plain bounds)
                              lb_r <= v_r <= ub_r                      (every reaction)

The reading is optimistic (OptKnock's own): among the fluxes of maximal growth the one with the
most product is taken. ``summarize`` re-solves FBA with the chosen knockouts and reports the
minimum and maximum product flux over the follower's optimal set; the minimum is the guaranteed
(pessimistic, RobustKnock-like) production of the same knockout.

Method: ``sos1`` (SCIP; complementarity as SOS1 sets, no big-M, so nothing can be cut off). It
solves k = 1 in about 2.5 s. ``bigm`` on HiGHS gives the same answer but took 54 s with the
sampled multiplier bound (which the solution reached, so unproven) and 15-18 s with
``dual_bound`` 1 or 100; k = 2 with ``sos1`` takes about 26 s (measured on 2 cores, see
docs/domains/optknock.md).

Data (data/optknock/, exported from cobra's ``textbook`` by data/optknock/export_textbook.py):
  reactions.csv      id, name, lower_bound, upper_bound, knockable (0/1)
  stoichiometry.csv  metabolite, reaction, coefficient     (nonzeros of S)
  settings.csv       biomass_reaction, target_reaction, max_knockouts, min_growth, source
Model: Orth, Fleming, Palsson (2010), "Reconstruction and use of microbial metabolic networks: the
core Escherichia coli metabolic model as an educational guide", EcoSal Plus 4(1).
"""
from __future__ import annotations

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

import pybilevel as bl
from pybilevel.io.data_io import NONNEGATIVE, Table

TABLES = {
    "reactions": Table(
        columns={"id": str, "name": str, "lower_bound": float, "upper_bound": float, "knockable": int},
        key=("id",),
    ),
    "stoichiometry": Table(
        columns={"metabolite": str, "reaction": str, "coefficient": float},
        key=("metabolite", "reaction"),
        references={"reaction": "reactions.id"},
    ),
    "settings": Table(
        columns={"biomass_reaction": str, "target_reaction": str, "max_knockouts": int, "min_growth": float, "source": str},
        references={"biomass_reaction": "reactions.id", "target_reaction": "reactions.id"},
        ranges={"max_knockouts": NONNEGATIVE, "min_growth": NONNEGATIVE},
        rows=1,
    ),
}
METHOD = "sos1"


def build(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    reactions, settings = data["reactions"], data["settings"].iloc[0]
    _check(reactions, settings)
    ids = list(reactions["id"])
    bounds = dict(zip(ids, zip(reactions["lower_bound"], reactions["upper_bound"])))
    knockable = [r for r, k in zip(ids, reactions["knockable"]) if k == 1]
    stoich = data["stoichiometry"]

    m = pyo.ConcreteModel(name="optknock")
    m.REACTIONS = pyo.Set(initialize=ids)
    m.KNOCKABLE = pyo.Set(initialize=knockable)
    m.METABOLITES = pyo.Set(initialize=sorted(set(stoich["metabolite"])))
    m.S = pyo.Param(m.METABOLITES, m.REACTIONS, default=0.0,
                    initialize=dict(zip(zip(stoich["metabolite"], stoich["reaction"]), stoich["coefficient"])))
    m.biomass, m.target = settings["biomass_reaction"], settings["target_reaction"]

    m.knock = pyo.Var(m.KNOCKABLE, within=pyo.Binary)
    m.budget = pyo.Constraint(expr=sum(m.knock[r] for r in m.KNOCKABLE) <= int(settings["max_knockouts"]))

    m.fba = bl.Follower()
    m.fba.v = pyo.Var(m.REACTIONS, bounds=lambda b, r: bounds[r])
    terms: dict[str, list[tuple[str, float]]] = {}
    for met, r, c in stoich.itertuples(index=False):
        terms.setdefault(met, []).append((r, c))
    m.fba.mass_balance = pyo.Constraint(m.METABOLITES, rule=lambda b, met: sum(c * b.v[r] for r, c in terms[met]) == 0)
    lower = [r for r in knockable if bounds[r][0] != 0]
    upper = [r for r in knockable if bounds[r][1] != 0]
    m.fba.knock_lower = pyo.Constraint(lower, rule=lambda b, r: b.v[r] - bounds[r][0] * (1 - m.knock[r]) >= 0)
    m.fba.knock_upper = pyo.Constraint(upper, rule=lambda b, r: b.v[r] - bounds[r][1] * (1 - m.knock[r]) <= 0)
    m.fba.obj = pyo.Objective(expr=m.fba.v[m.biomass], sense=pyo.maximize)

    m.min_growth = pyo.Constraint(expr=m.fba.v[m.biomass] >= float(settings["min_growth"]))
    m.obj = pyo.Objective(expr=m.fba.v[m.target], sense=pyo.maximize)
    return m


def _check(reactions: pd.DataFrame, settings: pd.Series) -> None:
    for line, (rid, lb, ub, k) in enumerate(reactions[["id", "lower_bound", "upper_bound", "knockable"]].itertuples(index=False), start=2):
        if k not in (0, 1):
            raise bl.DataError(f"reactions.csv, line {line}, column knockable: {k} for {rid}; write 0 or 1.")
        if not (np.isfinite(lb) and np.isfinite(ub) and lb <= ub):
            raise bl.DataError(f"reactions.csv, line {line}, column upper_bound: bounds [{lb}, {ub}] of {rid} must be finite with lower_bound <= upper_bound.")
    if settings["biomass_reaction"] == settings["target_reaction"]:
        raise bl.DataError("settings.csv, line 2, column target_reaction: must differ from biomass_reaction.")


def product_range(model: pyo.ConcreteModel, knocked: list[str]) -> tuple[float, float, float]:
    """FBA growth with ``knocked`` removed, then min and max target flux at that growth (HiGHS)."""
    ids = list(model.REACTIONS)
    lower = np.array([model.fba.v[r].lb for r in ids], dtype=float)
    upper = np.array([model.fba.v[r].ub for r in ids], dtype=float)
    out = [ids.index(r) for r in knocked]
    lower[out] = upper[out] = 0.0
    highs = _fba_lp(model, ids, lower, upper)
    growth = _optimise(highs, ids.index(model.biomass), highspy.ObjSense.kMaximize)
    highs.changeColBounds(ids.index(model.biomass), growth * (1 - 1e-9), growth)
    target = ids.index(model.target)
    low = _optimise(highs, target, highspy.ObjSense.kMinimize)
    high = _optimise(highs, target, highspy.ObjSense.kMaximize)
    return growth, low, high


def _fba_lp(model: pyo.ConcreteModel, ids: list[str], lower: np.ndarray, upper: np.ndarray) -> highspy.Highs:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVars(len(ids), lower, upper)
    for met in model.METABOLITES:
        cols = [j for j, r in enumerate(ids) if model.S[met, r] != 0]
        highs.addRow(0.0, 0.0, len(cols), np.array(cols, dtype=np.int32), np.array([model.S[met, ids[j]] for j in cols]))
    return highs


def _optimise(highs: highspy.Highs, column: int, sense) -> float:
    cost = np.zeros(highs.getNumCol())
    cost[column] = 1.0
    highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
    highs.changeObjectiveSense(sense)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise bl.BilevelError(f"FBA re-solve ended {highs.modelStatusToString(highs.getModelStatus())}")
    return float(highs.getInfo().objective_function_value)


def knocked_out(model: pyo.ConcreteModel, result: bl.BilevelResult) -> list[str]:
    return [r for r in model.KNOCKABLE if result.leader[f"knock[{r}]"] > 0.5]


def summarize(model: pyo.ConcreteModel, result: bl.BilevelResult) -> str:
    knocked = knocked_out(model, result)
    growth, low, high = product_range(model, knocked)
    return "\n".join([
        f"knockouts: {', '.join(knocked) or 'none'}",
        f"growth rate at the FBA optimum: {growth:.6g} 1/h",
        f"{model.target} at the reported optimum: {result.leader_objective:.6g} mmol/gDW/h",
        f"{model.target} over all growth-optimal fluxes: min {low:.6g} (guaranteed), max {high:.6g} (optimistic)",
    ])
