"""Toll setting over a Wardrop equilibrium: the bilevel tolls against independent references.

Braess (data/toll/): path-flow formulations over the network's simple paths, solved by scipy
(user equilibrium: Beckmann's objective; system optimum: total travel time), checked against the
textbook numbers (Braess 1968 with this data: 92 per driver at equilibrium, 83 at the optimum).
Sioux Falls (data/toll_sioux_falls/): the untolled equilibrium against the flows published with
the network (Transportation Networks for Research, best known, average excess cost 3.9e-15), and
the system optimum from the test's own link-flow model (Ipopt): marginal-cost tolls at it must
reproduce it, and the bilevel answer must reach it (it is a lower bound for any tolls).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from scipy.optimize import minimize

import pybilevel as bl
from domain_helpers import ROOT, assert_refused, copy_data, edit_cell, load_domain, model_path, run_cli
from pybilevel.solvers.ipopt import solve_nlp

# ---------------------------------------------------------------- Braess, path flows by scipy


def simple_paths(links: pd.DataFrame, origin: str, destination: str) -> list[list[int]]:
    """Every simple path (as link row numbers) from origin to destination, by depth-first search."""
    found, stack = [], [(origin, [], {origin})]
    while stack:
        node, path, seen = stack.pop()
        if node == destination:
            found.append(path)
            continue
        for k, row in links.iterrows():
            if row["tail"] == node and row["head"] not in seen:
                stack.append((row["head"], path + [k], seen | {row["head"]}))
    return found


def braess_reference(links: pd.DataFrame, demand: float, tolls: np.ndarray, system: bool) -> np.ndarray:
    """Link flows of the user equilibrium at ``tolls`` (system=False) or of the system optimum."""
    paths = simple_paths(links, "1", "2")
    incidence = np.zeros((len(links), len(paths)))
    for j, path in enumerate(paths):
        incidence[path, j] = 1.0
    t0, c, b, p = (links[k].to_numpy() for k in ("free_flow_time", "capacity", "b", "power"))

    def objective(h):
        x = incidence @ h
        if system:
            return float(np.sum(x * t0 * (1 + b * (x / c) ** p)))
        return float(np.sum(t0 * (x + b * c / (p + 1) * (x / c) ** (p + 1)) + tolls * x))

    start = np.full(len(paths), demand / len(paths))
    res = minimize(objective, start, method="SLSQP", bounds=[(0, None)] * len(paths),
                   constraints=[{"type": "eq", "fun": lambda h: h.sum() - demand}], options={"ftol": 1e-14, "maxiter": 500})
    assert res.success
    return incidence @ res.x


def total_time(links: pd.DataFrame, x: np.ndarray) -> float:
    t0, c, b, p = (links[k].to_numpy() for k in ("free_flow_time", "capacity", "b", "power"))
    return float(np.sum(x * t0 * (1 + b * (x / c) ** p)))


def braess_data():
    module, data = load_domain("toll")
    return module, data, float(data["demand"]["trips"].sum())


def test_braess_references_reproduce_the_paradox():
    _, data, demand = braess_data()
    links = data["links"]
    untolled = braess_reference(links, demand, np.zeros(len(links)), system=False)
    optimum = braess_reference(links, demand, np.zeros(len(links)), system=True)
    assert total_time(links, untolled) == pytest.approx(6 * 92, rel=1e-7)  # 2 drivers on each of 3 routes
    assert total_time(links, optimum) == pytest.approx(6 * 83, rel=1e-7)  # 3 + 3, the new link unused
    np.testing.assert_allclose(optimum, [3, 3, 3, 0, 3], atol=1e-5)


@pytest.mark.parametrize("method", ["sos1", "kkt", "bigm", "strong_duality", "regularized"])
def test_braess_toll_on_the_new_link_restores_the_system_optimum(method):
    module, data, demand = braess_data()
    links = data["links"]
    model = module.build(data)
    res = bl.solve(model, method=method)
    assert res.ok, res.message
    optimum = total_time(links, braess_reference(links, demand, np.zeros(len(links)), system=True))
    assert res.leader_objective == pytest.approx(optimum, rel=1e-8)
    toll = res.leader[model.toll["3-4"].name]
    # the route over 3-4 must cost at least the others at the optimum: 30 + 10 + toll + 30 >= 83
    assert toll >= 13 - 1e-5
    tolls = np.where(links["link"] == "3-4", toll, 0.0)
    equilibrium = braess_reference(links, demand, tolls, system=False)
    assert total_time(links, equilibrium) == pytest.approx(optimum, rel=1e-6)


def test_braess_marginal_cost_tolls_make_the_optimum_an_equilibrium(tmp_path):
    """Every link tollable: the bilevel answer is the system optimum, and the marginal-cost tolls
    x t'(x) at the optimum (30, 3, 3, 0, 30) give it as the drivers' equilibrium."""
    module, data, demand = braess_data()
    links = data["links"].assign(tollable=1, max_toll=40.0)
    res = bl.solve(module.build({**data, "links": links}), method="sos1")
    assert res.ok
    optimum = braess_reference(links, demand, np.zeros(len(links)), system=True)
    assert res.leader_objective == pytest.approx(total_time(links, optimum), rel=1e-8)
    t0, c, b, p = (links[k].to_numpy() for k in ("free_flow_time", "capacity", "b", "power"))
    marginal = t0 * b * p * (optimum / c) ** p
    np.testing.assert_allclose(marginal, [30, 3, 3, 0, 30], atol=1e-4)
    np.testing.assert_allclose(braess_reference(links, demand, marginal, system=False), optimum, atol=1e-4)


def test_cli_prints_the_paradox_and_its_cure(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "solve", model_path("toll"), "--data", copy_data("toll", tmp_path))
    assert code == 0 and "status: optimal (certified)" in out
    assert ", 552 without tolls; system optimum 498 (a lower bound for any tolls)" in out
    assert "the tolls reach the system optimum" in out and "toll revenue 0;" in out


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: edit_cell(d / "links.csv", 3, "capacity", "0"), "links.csv, line 3, column capacity: 0 must be positive"),
        (lambda d: edit_cell(d / "links.csv", 5, "tollable", "2"), "links.csv, line 5, column tollable: 2 must be 0 or 1"),
        (lambda d: edit_cell(d / "demand.csv", 2, "origin", "9"), "demand.csv, line 2, column origin: unknown '9'"),
    ],
)
def test_malformed_csv_is_refused(capsys, tmp_path, edit, message):
    assert_refused(capsys, tmp_path, "toll", edit, message)


# ---------------------------------------------------------------- Sioux Falls

SIOUX_FALLS = ROOT / "data" / "toll_sioux_falls"
# no bound relaxation: Ipopt's default (1e-8 per bound) breaks the balance rows by 2e-3 vehicles
# here when the final point is moved back onto f >= 0
EXACT = {"constr_viol_tol": 1e-10, "bound_relax_factor": 0.0}


@pytest.fixture(scope="module")
def sioux_falls():
    module, data = load_domain("toll_sioux_falls")
    return module, data


def link_flows(model) -> np.ndarray:
    """The follower's link flows in vehicles, in the order of links.csv."""
    return np.array([model.drivers.total[a].value for a in model.LINKS]) * pyo.value(model.flow_unit)


def equilibrium_at(module, data, tolls: dict[str, float]) -> np.ndarray:
    """The model's follower alone (Ipopt) with the tolls fixed: the drivers' equilibrium."""
    model = module.build(data)
    for a in model.TOLLABLE:
        model.toll[a].fix(tolls.get(a, 0.0))
    model.obj.deactivate()
    assert solve_nlp(model, tol=1e-10, options=EXACT).status == "optimal"
    return link_flows(model)


def system_optimum(links: pd.DataFrame, demand: pd.DataFrame) -> np.ndarray:
    """Link flows of least total travel time, by the test's own flow-by-origin model (Ipopt)."""
    scale = 1e4  # flows in 10,000 vehicles inside the model
    nodes = sorted(set(links["tail"]) | set(links["head"]))
    origins = sorted(set(demand["origin"]))
    m = pyo.ConcreteModel()
    m.f = pyo.Var(origins, range(len(links)), bounds=(0, None))
    m.balance = pyo.ConstraintList()
    for o, group in demand.groupby("origin"):
        supply = dict(zip(group["destination"], group["trips"] / scale))
        for i in nodes:
            if i != o:
                into, out = np.flatnonzero(links["head"] == i), np.flatnonzero(links["tail"] == i)
                m.balance.add(sum(m.f[o, k] for k in into) - sum(m.f[o, k] for k in out) == supply.get(i, 0.0))
    x = [sum(m.f[o, k] for o in origins) * scale for k in range(len(links))]
    m.obj = pyo.Objective(expr=sum(xk * r.free_flow_time * (1 + r.b * (xk / r.capacity) ** r.power) for xk, r in zip(x, links.itertuples())) / scale)
    assert solve_nlp(m, tol=1e-10, options=EXACT).status == "optimal"
    return np.array([pyo.value(xk) for xk in x])


def test_sioux_falls_untolled_equilibrium_matches_the_published_flows(sioux_falls):
    module, data = sioux_falls
    published = pd.read_csv(SIOUX_FALLS / "published_ue_flows.csv", dtype={"link": str}).set_index("link")
    flows = equilibrium_at(module, data, {})
    expected = published.loc[data["links"]["link"], "flow"].to_numpy()
    np.testing.assert_allclose(flows, expected, rtol=1e-7, atol=1e-3)  # found: 1.6e-5 vehicles, 1e-9 relative
    published_total = float((published["flow"] * published["cost"]).sum())  # 7480225.34
    assert total_time(data["links"], flows) == pytest.approx(published_total, rel=1e-9)


def test_sioux_falls_tolls_reach_the_system_optimum(sioux_falls):
    """Marginal-cost tolls at the system optimum reproduce it; the bilevel answer (local, Ipopt)
    reaches it, which proves it globally optimal (the system optimum bounds every toll vector)."""
    module, data = sioux_falls
    links = data["links"]
    optimum = system_optimum(links, data["demand"])
    best = total_time(links, optimum)
    t0, c, b, p = (links[k].to_numpy() for k in ("free_flow_time", "capacity", "b", "power"))
    marginal = dict(zip(links["link"], t0 * b * p * (optimum / c) ** p))
    assert max(marginal.values()) < links["max_toll"].min()  # marginal-cost tolls are within the bounds
    np.testing.assert_allclose(equilibrium_at(module, data, marginal), optimum, atol=1e-4)  # found: 7e-7 vehicles

    model = module.build(data)
    res = bl.solve(model)  # auto: regularized
    assert res.ok and res.status == bl.Status.LOCALLY_OPTIMAL, res.message
    assert res.leader_objective == pytest.approx(best, rel=1e-9)  # 7194256.05
    np.testing.assert_allclose(link_flows(model), optimum, atol=1e-4)  # found: 5e-6 vehicles
    summary = module.summarize(model, res)
    assert f"{best:.9g} with the tolls, 7480225.34 without tolls; system optimum {best:.9g}" in summary
    assert "the tolls reach the system optimum" in summary
