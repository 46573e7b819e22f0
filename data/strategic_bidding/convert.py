"""Convert pandapower's MATPOWER cases into the CSV tables of models/strategic_bidding.py.

Run by ``make grids`` in its own virtual environment (.venv-grids, with pandapower): pandapower is
needed here only, never by pybilevel. Writes data/strategic_bidding/ (IEEE 118-bus, the default),
data/strategic_bidding_300/, data/strategic_bidding_1354/ and data/strategic_bidding_2869/.
The rules (what maps to what, which choices are ours) are in data/strategic_bidding/README.md.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linprog

DATA = Path(__file__).resolve().parents[1]
# columns of MATPOWER's bus, branch, gen and gencost matrices (0-based)
BUS_I, BUS_TYPE, PD = 0, 1, 2
F_BUS, T_BUS, BR_X, RATE_A, TAP, SHIFT, BR_STATUS = 0, 1, 3, 5, 8, 9, 10
GEN_BUS, GEN_STATUS, PMAX = 0, 7, 8
NCOST, COST = 3, 4
#: pandapower's stand-ins for MATPOWER's rateA = 0 (no limit): lines get a current of 99999 kA
#: (ratings of 9900 MW and more here), transformers 99999 kVA (a rating of 99.999 MW)
NO_LIMIT, NO_TRANSFORMER_LIMIT = 9000.0, 99.999
FIRM_SIZE = 5  # the firm owns this many generators
OFFER_CAP = 1.5  # offer cap = this multiple of cost
HEADROOM = 1.1  # drawn limits: this multiple of the competitive flow
LIMITED_FLOW = 100.0  # drawn limits: only on branches carrying at least this many MW


@dataclass(frozen=True)
class Case:
    """One pandapower case and the choices that MATPOWER's file does not make for us."""

    loader: str  # pandapower.networks function
    folder: str  # data/<folder>
    draw_limits: bool  # the case has no branch ratings: draw them (README)
    draw_costs: bool  # the case has one cost for every unit: draw them (README)


CASES = (
    Case("case118", "strategic_bidding", draw_limits=True, draw_costs=False),
    Case("case300", "strategic_bidding_300", draw_limits=True, draw_costs=False),
    Case("case1354pegase", "strategic_bidding_1354", draw_limits=False, draw_costs=True),
    Case("case2869pegase", "strategic_bidding_2869", draw_limits=False, draw_costs=True),
)


def matpower_case(loader: str) -> dict[str, np.ndarray]:
    """The MATPOWER matrices of a pandapower case, bus numbers as in the MATPOWER file."""
    import pandapower.networks as networks
    from pandapower.converter.pypower.to_ppc import to_ppc

    net = getattr(networks, loader)()
    ppc = to_ppc(net, init="flat", trafo_model="pi", check_connectivity=False, mode="opf")
    number = np.empty(len(ppc["bus"]), dtype=object)
    number[net._pd2ppc_lookups["bus"][net.bus.index]] = net.bus["name"].astype(str).to_numpy()
    return {"number": number, **{k: np.real(ppc[k]) for k in ("bus", "branch", "gen", "gencost")}}


def tables(case: Case, mpc: dict[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    """buses, lines, generators and firm tables of one case."""
    bus, branch, gen, gencost, number = mpc["bus"], mpc["branch"], mpc["gen"], mpc["gencost"], mpc["number"]
    branch, keep = branch[branch[:, BR_STATUS] > 0], gen[:, GEN_STATUS] > 0
    gen, gencost = gen[keep], gencost[keep]
    at = lambda column: number[column.astype(int)]  # noqa: E731
    buses = pd.DataFrame({"bus": number, "load": np.round(bus[:, PD], 6), "reference": (bus[:, BUS_TYPE] == 3).astype(int)})
    tap = np.where(branch[:, TAP] == 0, 1.0, branch[:, TAP])
    lines = pd.DataFrame({"line": unique_names([f"{a}-{b}" for a, b in zip(at(branch[:, F_BUS]), at(branch[:, T_BUS]))]),
                          "from_bus": at(branch[:, F_BUS]), "to_bus": at(branch[:, T_BUS]),
                          "reactance": branch[:, BR_X] * tap, "limit": branch[:, RATE_A]})
    unlimited = (lines["limit"] >= NO_LIMIT) | np.isclose(lines["limit"], NO_TRANSFORMER_LIMIT, rtol=0, atol=1e-9)
    lines["limit"] = np.where(unlimited, 0.0, np.round(lines["limit"], 1))
    capacity = gen[:, PMAX]
    names = unique_names([f"G{b}" for b in at(gen[:, GEN_BUS])])
    if case.draw_costs:
        cost = np.random.default_rng(int(case.loader[4:8])).uniform(10.0, 50.0, len(gen))
    else:
        cost = marginal_cost(gencost, capacity / 2)
    gens = pd.DataFrame({"generator": names, "bus": at(gen[:, GEN_BUS]), "cost": untied(np.round(cost, 2)), "capacity": np.round(capacity, 4)})
    if case.draw_limits:
        flows = dc_opf_flows(buses, lines, gens)
        drawn = np.ceil(HEADROOM * np.abs(flows) / 10) * 10
        lines["limit"] = np.where(np.abs(flows) >= LIMITED_FLOW, drawn, 0.0)
    order = gens.sort_values(["capacity", "cost"], ascending=[False, True], kind="stable").index[:FIRM_SIZE]
    firm = pd.DataFrame({"generator": gens.loc[order, "generator"], "offer_cap": np.round(OFFER_CAP * gens.loc[order, "cost"], 2)})
    return {"buses": buses, "lines": lines, "generators": gens, "firm": firm}


def unique_names(names: list[str]) -> list[str]:
    """Parallel branches and units at one bus kept apart: the k-th repeat gets '#k'."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def untied(cost: np.ndarray) -> np.ndarray:
    """Equal costs made distinct: the k-th unit (in case order) with a cost already taken gets
    + 0.01 k $/MWh, so that no two units tie in the merit order."""
    out, taken = cost.copy(), set()
    for row, value in enumerate(cost):
        while out[row] in taken:
            out[row] = round(out[row] + 0.01, 2)
        taken.add(out[row])
    return out


def marginal_cost(gencost: np.ndarray, output: np.ndarray) -> np.ndarray:
    """d(cost)/dP of MATPOWER's polynomial costs (model 2) at ``output`` MW."""
    if not (gencost[:, 0] == 2).all():
        sys.exit("piecewise-linear costs (model 1) are not converted")
    slope = np.zeros(len(gencost))
    for row, (n, p) in enumerate(zip(gencost[:, NCOST].astype(int), output)):
        coefficients = gencost[row, COST:COST + n]  # highest power first
        slope[row] = sum(c * (n - 1 - k) * p ** (n - 2 - k) for k, c in enumerate(coefficients[:-1]))
    return slope


def dc_opf_flows(buses: pd.DataFrame, lines: pd.DataFrame, gens: pd.DataFrame) -> np.ndarray:
    """Branch flows of the DC-OPF at cost without branch limits (the competitive dispatch)."""
    index = {b: i for i, b in enumerate(buses["bus"])}
    nb, ng = len(buses), len(gens)
    f, t = lines["from_bus"].map(index).to_numpy(), lines["to_bus"].map(index).to_numpy()
    b = 1.0 / lines["reactance"].to_numpy()
    rows = np.arange(len(lines))
    incidence = sp.csr_matrix((np.r_[np.ones(len(rows)), -np.ones(len(rows))], (np.r_[rows, rows], np.r_[f, t])), shape=(len(lines), nb))
    flow_of_angle = sp.diags(b) @ incidence
    gen_at = sp.csr_matrix((np.ones(ng), (gens["bus"].map(index).to_numpy(), np.arange(ng))), shape=(nb, ng))
    a_eq = sp.hstack([gen_at, -incidence.T @ flow_of_angle]).tocsr()
    reference = int(np.flatnonzero(buses["reference"].to_numpy() == 1)[0])
    bounds = [(0, c) for c in gens["capacity"]] + [(0, 0) if i == reference else (None, None) for i in range(nb)]
    result = linprog(np.r_[gens["cost"].to_numpy(), np.zeros(nb)], A_eq=a_eq, b_eq=buses["load"].to_numpy(), bounds=bounds, method="highs")
    if result.status != 0:
        sys.exit(f"DC-OPF without limits failed: {result.message}")
    return flow_of_angle @ result.x[ng:]


def main(names: list[str]) -> None:
    for case in CASES:
        if names and case.loader not in names:
            continue
        folder = DATA / case.folder
        folder.mkdir(exist_ok=True)
        for name, frame in tables(case, matpower_case(case.loader)).items():
            frame.to_csv(folder / f"{name}.csv", index=False, float_format="%.10g")
        print(f"{case.loader} -> {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
