"""The DC-OPF market solved by scipy's linprog (HiGHS) at given offers: the independent reference
of the strategic bidding tests (dispatch, LMPs from the balance rows' marginals, flows, profit)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog


def dc_opf(data: dict[str, pd.DataFrame], offers: dict[str, float]) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Dispatch, LMPs and line flows of the DC-OPF at the given offers (the others at cost), by linprog.

    Among several least-cost dispatches, the one best for the firm (the optimistic reading) is
    chosen by a second LP: maximise the firm's revenue at the first LP's LMPs with the cost fixed.
    """
    buses, lines, gens = data["buses"], data["lines"], data["generators"]
    nb, nl, ng = len(buses), len(lines), len(gens)
    bus = {b: i for i, b in enumerate(buses.bus)}
    # columns: p (ng), flow (nl), angle (nb)
    n = ng + nl + nb
    a_eq, b_eq = [], []
    for b in buses.itertuples():
        row = np.zeros(n)
        for k, g in enumerate(gens.itertuples()):
            row[k] += g.bus == b.bus
        for k, line in enumerate(lines.itertuples()):
            row[ng + k] += (line.to_bus == b.bus) - (line.from_bus == b.bus)
        a_eq.append(row), b_eq.append(b.load)
    for k, line in enumerate(lines.itertuples()):
        row = np.zeros(n)
        row[ng + k], row[ng + nl + bus[line.from_bus]], row[ng + nl + bus[line.to_bus]] = line.reactance, -1.0, 1.0
        a_eq.append(row), b_eq.append(0.0)
    bounds = [(0, g.capacity) for g in gens.itertuples()]
    bounds += [(-line.limit, line.limit) if line.limit > 0 else (None, None) for line in lines.itertuples()]
    bounds += [(0, 0) if b.reference == 1 else (None, None) for b in buses.itertuples()]
    cost = np.zeros(n)
    cost[:ng] = [offers.get(g.generator, g.cost) for g in gens.itertuples()]
    first = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert first.status == 0
    lmp = dict(zip(buses.bus, first.eqlin.marginals[:nb]))  # d(cost)/d(load): the LMP
    revenue = np.zeros(n)
    firm = set(data["firm"].generator)
    revenue[:ng] = [-(lmp[g.bus] - g.cost) if g.generator in firm else 0.0 for g in gens.itertuples()]
    tie = linprog(revenue, A_ub=[cost], b_ub=[first.fun],
                  A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    x = tie.x if tie.status == 0 else first.x
    return dict(zip(gens.generator, x[:ng])), lmp, dict(zip(lines.line, x[ng:ng + nl]))


def profit(data, offers) -> float:
    dispatch, lmp, _ = dc_opf(data, offers)
    gens = data["generators"].set_index("generator")
    return sum((lmp[gens.at[g, "bus"]] - gens.at[g, "cost"]) * dispatch[g] for g in data["firm"].generator)
