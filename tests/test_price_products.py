"""Price x quantity products in the leader's objective (issue 15, part 2): the exact linear rewrite
(products='linearise', Ruiz & Conejo 2009) and the binary expansion over price levels
(products='levels', Pereira et al. 2005), against references independent of pybilevel: each
market LP solved alone by scipy's linprog (HiGHS), its prices read from linprog's duals, over a
grid of the firm's offers or over every combination of the given levels; and SCIP on the
bilinear form (method 'sos1', products as written).
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from pyomo.common.collections import ComponentMap
from pyomo.repn.standard_repn import generate_standard_repn
from scipy.optimize import linprog

import pybilevel as bl
from domain_helpers import load_model_file, model_path
from market_reference import dc_opf, profit
from pybilevel.solvers.features import Feature

SB = load_model_file(model_path("strategic_bidding"))


def pjm5() -> dict[str, pd.DataFrame]:
    """The PJM 5-bus case (Li & Bo 2010, MATPOWER case5.m), rows copied from data/strategic_bidding/."""
    return {
        "buses": pd.DataFrame({"bus": list("ABCDE"), "load": [0.0, 300.0, 300.0, 400.0, 0.0], "reference": [0, 0, 0, 1, 0]}),
        "lines": pd.DataFrame({
            "line": ["A-B", "A-D", "A-E", "B-C", "C-D", "D-E"],
            "from_bus": list("AAABCD"), "to_bus": list("BDECDE"),
            "reactance": [0.0281, 0.0304, 0.0064, 0.0108, 0.0297, 0.0297],
            "limit": [400.0, 0.0, 0.0, 0.0, 0.0, 240.0],
        }),
        "generators": pd.DataFrame({
            "generator": ["Alta", "Park City", "Solitude", "Sundance", "Brighton"], "bus": list("AACDE"),
            "cost": [14.0, 15.0, 30.0, 40.0, 10.0], "capacity": [40.0, 170.0, 520.0, 200.0, 600.0],
        }),
        "firm": pd.DataFrame({"generator": ["Solitude", "Sundance"], "offer_cap": [60.0, 60.0]}),
    }


def two_bus() -> dict[str, pd.DataFrame]:
    """A hand-made market: the firm owns one generator at each bus, a rival at each bus, one
    congested line between them (limit 30 MW)."""
    return {
        "buses": pd.DataFrame({"bus": ["1", "2"], "load": [40.0, 90.0], "reference": [1, 0]}),
        "lines": pd.DataFrame({"line": ["1-2"], "from_bus": ["1"], "to_bus": ["2"], "reactance": [0.1], "limit": [30.0]}),
        "generators": pd.DataFrame({
            "generator": ["F1", "R1", "F2", "R2"], "bus": ["1", "1", "2", "2"],
            "cost": [10.0, 26.0, 16.0, 36.0], "capacity": [60.0, 100.0, 50.0, 100.0],
        }),
        "firm": pd.DataFrame({"generator": ["F1", "F2"], "offer_cap": [50.0, 56.0]}),
    }


def grid_best(data: dict[str, pd.DataFrame], step: float) -> float:
    """The best profit over a grid of the firm's offers (cost to cap in ``step``s); every grid
    point is a bilevel-feasible point, so it never exceeds the optimum."""
    gens, firm = data["generators"].set_index("generator"), data["firm"].set_index("generator")
    axes = [np.arange(gens.at[g, "cost"], firm.at[g, "offer_cap"] + step / 2, step) for g in firm.index]
    return max(profit(data, dict(zip(firm.index, point))) for point in itertools.product(*axes))


def snapshot(m: pyo.ConcreteModel) -> tuple:
    """Everything a solve must leave as it was: components, active flags, bounds, fixings, objective."""
    components = sorted((c.name, c.ctype.__name__, getattr(c, "active", None)) for c in m.component_objects(descend_into=True))
    variables = [(v.name, v.lb, v.ub, v.fixed, v.domain.name) for v in m.component_data_objects(pyo.Var, descend_into=True)]
    return components, variables, [str(o.expr) for o in m.component_data_objects(pyo.Objective, descend_into=True)]


# ---- the exact linear rewrite (products='linearise') ------------------------------------------


@pytest.mark.parametrize("case, step", [(pjm5, 2.0), (two_bus, 2.0)], ids=["pjm5", "two-bus"])
def test_linearised_equals_scip_bilinear_and_the_grid(case, step):
    data = case()
    linear_model, bilinear_model = SB.build(data, linearised=False), SB.build(data, linearised=False)
    before = snapshot(linear_model)
    linear = bl.solve(linear_model, method="bigm", products="linearise")
    assert snapshot(linear_model) == before  # the user's objective is back, nothing added or left fixed
    assert linear.status == "optimal" and linear.certified and linear.solver == "highs"
    bilinear = bl.solve(bilinear_model, method="sos1")
    assert bilinear.status == "optimal" and bilinear.certified and bilinear.solver == "scip"
    assert linear.leader_objective == pytest.approx(bilinear.leader_objective, rel=1e-7)
    assert SB.firm_profit(linear_model, linear) == pytest.approx(linear.leader_objective, rel=1e-9)  # the user's own profit
    best = grid_best(data, step)
    slack = 1e-8 * abs(linear.leader_objective)  # linprog's own tolerances
    assert best <= linear.leader_objective + slack
    assert best == pytest.approx(linear.leader_objective, rel=1e-7)  # the optimum sits on the grid here
    offers = {g: linear.leader[linear_model.offer[g].name] for g in linear_model.FIRM}
    assert profit(data, offers) <= linear.leader_objective + slack


def test_pjm5_optimum_and_auto_reason():
    m = SB.build(pjm5(), linearised=False)
    res = bl.solve(m)
    assert res.method == "bigm" and res.solver == "highs"
    assert "products='linearise'" in res.method_reason and "Ruiz & Conejo 2009" in res.method_reason
    assert "MILP for HiGHS" in res.method_reason
    assert res.leader_objective == pytest.approx(9693.392652, rel=1e-9)  # SCIP bilinear: test above


def transport_market(maximising: bool, bound_rows: bool) -> pyo.ConcreteModel:
    """Two buses, flows as variables (no angles), the firm's generator F at bus 1 offering x; a
    rival at each bus. ``maximising``: the market maximises minus its cost (duals change sign);
    ``bound_rows``: capacities as constraints, else as variable bounds (bound multipliers)."""
    cost, capacity, bus = {"F": 10.0, "R1": 30.0, "R2": 22.0}, {"F": 80.0, "R1": 100.0, "R2": 40.0}, {"F": 1, "R1": 1, "R2": 2}
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(10, 60))
    m.market = bl.Follower()
    k = m.market
    k.p = pyo.Var(list(cost), bounds=lambda _, g: (0, None if bound_rows else capacity[g]))
    k.flow = pyo.Var(bounds=(-35, 35))
    if bound_rows:
        k.capacity = pyo.Constraint(list(cost), rule=lambda b, g: b.p[g] <= capacity[g])
    k.balance = pyo.Constraint([1, 2], rule=lambda b, n: sum(b.p[g] for g in cost if bus[g] == n)
                               + (-b.flow if n == 1 else b.flow) == {1: 30.0, 2: 70.0}[n])
    total = m.x * k.p["F"] + cost["R1"] * k.p["R1"] + cost["R2"] * k.p["R2"]
    k.obj = pyo.Objective(expr=-total if maximising else total, sense=pyo.maximize if maximising else pyo.minimize)
    price = (-1 if maximising else 1) * bl.dual(k.balance[1])
    m.obj = pyo.Objective(expr=(price - cost["F"]) * k.p["F"], sense=pyo.maximize)
    return m


def transport_profit(x: float) -> float:
    """The firm's profit at offer x, by linprog (columns p_F, p_R1, p_R2, flow; LMP from the duals)."""
    res = linprog([x, 30.0, 22.0, 0.0], A_eq=[[1, 1, 0, -1], [0, 0, 1, 1]], b_eq=[30.0, 70.0],
                  bounds=[(0, 80), (0, 100), (0, 40), (-35, 35)], method="highs")
    assert res.status == 0
    return (res.eqlin.marginals[0] - 10.0) * res.x[0]


@pytest.mark.parametrize("bound_rows", [False, True], ids=["bounds", "rows"])
@pytest.mark.parametrize("maximising", [False, True], ids=["min-market", "max-market"])
def test_transport_market_against_closed_form(maximising, bound_rows):
    """By hand: bus 2 takes 40 from R2 (22) and 30 over the line; bus 1 then needs 60, the firm's
    F up to 80 at its offer x against R1 at 30: x = 30 (the tie goes to F), price 30, profit
    (30 - 10) * 60 = 1200. linprog at offers just below 30 agrees."""
    m = transport_market(maximising, bound_rows)
    before = snapshot(m)
    res = bl.solve(m, method="bigm", products="linearise")
    assert snapshot(m) == before
    assert res.status == "optimal" and res.certified and res.solver == "highs"
    assert res.leader_objective == pytest.approx(1200.0, abs=1e-5)
    assert res.leader["x"] == pytest.approx(30.0, abs=1e-5)
    assert transport_profit(30.0 - 1e-7) == pytest.approx(1200.0, abs=1e-4)
    assert max(transport_profit(x) for x in np.linspace(10, 60, 101)) <= 1200.0 + 1e-6


def random_market(seed: int) -> dict[str, pd.DataFrame]:
    """Three buses in a triangle with one limited line, four generators with random costs and
    capacities, the firm owning one or two of them."""
    rng = np.random.default_rng(seed)
    owned = 1 + seed % 2
    costs = rng.integers(5, 40, 4).astype(float)
    return {
        "buses": pd.DataFrame({"bus": ["1", "2", "3"], "load": rng.integers(20, 80, 3).astype(float), "reference": [1, 0, 0]}),
        "lines": pd.DataFrame({"line": ["1-2", "2-3", "1-3"], "from_bus": ["1", "2", "1"], "to_bus": ["2", "3", "3"],
                               "reactance": rng.uniform(0.05, 0.2, 3), "limit": [float(rng.integers(15, 40)), 0.0, 0.0]}),
        "generators": pd.DataFrame({"generator": ["G1", "G2", "G3", "G4"], "bus": ["1", "2", "3", str(rng.integers(1, 4))],
                                    "cost": costs, "capacity": rng.integers(40, 120, 4).astype(float)}),
        "firm": pd.DataFrame({"generator": ["G1", "G2"][:owned], "offer_cap": [c + 30.0 for c in costs[:owned]]}),
    }


def solve_mixed(data: dict[str, pd.DataFrame], options: dict) -> bl.BilevelResult:
    """The firm's profit plus half of bus 3's price times G3's dispatch (a rival's), solved."""
    m = SB.build(data, linearised=False)
    m.obj.deactivate()
    m.mixed = pyo.Objective(expr=m.obj.expr + 0.5 * bl.dual(m.market.balance["3"]) * m.market.p["G3"], sense=pyo.maximize)
    return bl.solve(m, **options)


ROUTES = ({"method": "bigm", "products": "linearise"}, {"method": "sos1"})


@pytest.mark.parametrize("seed", range(1, 4))
def test_random_markets_linearised_equals_bilinear(seed):
    """The profit plus a product with a rival's dispatch (fixed cost: rewritten through its
    stationarity), by the linear rewrite (HiGHS) and as written (SCIP): the same optimum."""
    data = random_market(seed)
    results = []
    for options in ROUTES:
        res = solve_mixed(data, options)
        assert res.status == "optimal" and res.certified
        results.append(res.leader_objective)
    assert results[0] == pytest.approx(results[1], rel=1e-6, abs=1e-6)
    assert abs(results[0]) > 1.0  # the firm earns something: a case where the products matter


def test_a_degenerate_market_is_certified_at_zero_profit():
    """Random market 0: the load (84) equals the cheapest generator's capacity (G4, cost 14) and
    the next one (G3, 22) is cheaper than the firm's G1 (cost 34), so G1 never runs: profit 0 at
    every offer. The leader's objective is steep in the dispatch (price 22 x p[G1]): within the
    certificate's band around the market's optimum it gains ~1e-4, a tolerance effect that the
    certificate extrapolates away (it scales with the band; a genuine optimum would not)."""
    data = random_market(0)
    assert data["buses"]["load"].sum() == data["generators"].set_index("generator").at["G4", "capacity"]
    for options in ROUTES:
        res = solve_mixed(data, options)
        assert res.status == "optimal" and res.certified
        assert res.leader_objective == pytest.approx(0.0, abs=1e-7)
        assert res.follower["market"]["market.p[G4]"] == pytest.approx(84.0)


# ---- refusals: the term named ----------------------------------------------------------------


def test_products_over_part_of_the_offered_generators_are_refused_by_term():
    """The firm offers F1 and F2 but the objective prices F1 only: stationarity of F2's dispatch
    cannot be used (its cost is the leader's offer), so no linear rewrite exists."""
    m = SB.build(two_bus(), linearised=False)
    price = bl.dual(m.market.balance)
    m.obj.deactivate()
    m.partial = pyo.Objective(expr=(price["1"] - 10.0) * m.market.p["F1"], sense=pyo.maximize)
    with pytest.raises(bl.MethodRefusedError) as refused:
        bl.solve(m, method="bigm", products="linearise")
    message = str(refused.value)
    assert "cannot rewrite the leader objective term 1 * bl.dual(market.balance['1']) * market.p[F1]" in message
    assert ("market.p[F2] (its follower cost holds the leader variable offer[F2], and the objective has no product "
            "with it)") in message
    assert not [c for c in m.component_objects(descend_into=False) if c.name.startswith("_pybilevel_") and c.name != "_pybilevel_duals"]
    res = bl.solve(m)  # auto: SCIP on the bilinear form, and says why
    assert res.method == "sos1" and res.status == "optimal" and res.certified
    assert "stay bilinear" in res.method_reason and "offer[F2]" in res.method_reason
    # the same problem by brute force: F2 offered so as to maximise F1's profit alone
    firm = ["F1", "F2"]
    gens = two_bus()["generators"].set_index("generator")

    def f1_profit(offers):
        dispatch, lmp, _ = dc_opf(two_bus(), dict(zip(firm, offers)))
        return (lmp["1"] - 10.0) * dispatch["F1"]

    grid = max(f1_profit(p) for p in itertools.product(np.arange(10, 51, 4.0), np.arange(16, 57, 4.0)))
    assert grid <= res.leader_objective + 1e-6
    assert gens.at["F1", "cost"] == 10.0


def test_two_duals_multiplied_are_refused_by_term():
    m = SB.build(two_bus(), linearised=False)
    price = bl.dual(m.market.balance)
    m.obj.deactivate()
    m.both = pyo.Objective(expr=price["1"] * price["2"], sense=pyo.maximize)
    with pytest.raises(bl.MethodRefusedError, match=r"term 1 \* bl.dual\(market.balance\['1'\]\) \* "
                                                    r"bl.dual\(market.balance\['2'\]\) multiplies two follower duals"):
        bl.solve(m, method="bigm", products="linearise")


@pytest.mark.parametrize("options", [{"method": "bigm", "products": "linearise"}, {}], ids=["bigm", "auto"])
def test_the_linearised_objective_can_be_looked_at_and_removed(options):
    m = SB.build(two_bus(), linearised=False)
    reformulation = bl.reformulate(m, **options)  # auto: bigm with products='linearise'
    assert reformulation.method == "bigm"
    active = list(m.component_data_objects(pyo.Objective, active=True, descend_into=True))
    assert [o.local_name for o in active] == ["leader_objective"]  # on the reformulation's block
    repn = generate_standard_repn(active[0].expr, quadratic=True)
    assert not repn.quadratic_vars and repn.nonlinear_expr is None  # linear: a MILP with the binaries
    assert reformulation.features == {Feature.INTEGER}  # HiGHS's MILP; the bilinear form adds a quadratic objective
    reformulation.remove()
    assert m.obj.active and not m.component("_pybilevel_bigm")


def test_a_product_off_the_row_is_refused_by_term():
    m = SB.build(two_bus(), linearised=False)
    m.obj.deactivate()
    m.wrong = pyo.Objective(expr=bl.dual(m.market.balance["1"]) * m.market.p["F2"], sense=pyo.maximize)
    with pytest.raises(bl.MethodRefusedError, match=r"term 1 \* bl.dual\(market.balance\['1'\]\) \* market.p\[F2\]: "
                                                    r"market.p\[F2\] is not in market.balance\['1'\]"):
        bl.solve(m, method="sos1", products="linearise")


def test_a_product_with_a_leader_variable_is_refused_by_term():
    m = seller()
    with pytest.raises(bl.MethodRefusedError, match=r"term 1 \* bl.dual\(f.balance\) \* q: q is not a variable of follower f"):
        bl.solve(m, method="bigm", products="linearise")


# ---- binary expansion over price levels (products='levels') ----------------------------------

LEVELS = {"F1": [12.0, 23.0, 29.0, 41.0], "F2": [17.0, 33.0, 39.0, 47.0]}  # no level at a rival's cost


def pereira(data: dict[str, pd.DataFrame]) -> pyo.ConcreteModel:
    """The strategic bidding model with the profit written through the firm's own stationarity:
    lambda_n p_g = offer_g p_g - nu_g capacity_g (nu_g = dual(capacity_g)), products offer x dispatch."""
    m = SB.build(data, linearised=False)
    nu = bl.dual(m.market.capacity)
    m.obj.deactivate()
    m.pereira = pyo.Objective(
        expr=sum((m.offer[g] - m.cost[g]) * m.market.p[g] - nu[g] * float(data["generators"].set_index("generator").at[g, "capacity"])
                 for g in m.FIRM),
        sense=pyo.maximize,
    )
    return m


@pytest.mark.parametrize("method, solver", [("bigm", "highs"), ("sos1", "scip")])
def test_levels_give_the_best_level_combination(method, solver):
    data = two_bus()
    m = pereira(data)
    before = snapshot(m)
    res = bl.solve(m, method=method, products="levels", price_levels=ComponentMap((m.offer[g], LEVELS[g]) for g in m.FIRM))
    assert snapshot(m) == before
    assert res.status == "optimal" and res.certified and res.solver == solver
    brute = {combo: profit(data, dict(zip(LEVELS, combo))) for combo in itertools.product(*LEVELS.values())}
    best = max(brute, key=brute.get)
    assert res.leader_objective == pytest.approx(brute[best], rel=1e-7)
    chosen = (res.leader["offer[F1]"], res.leader["offer[F2]"])
    assert min(abs(chosen[0] - v) for v in LEVELS["F1"]) < 1e-6 and min(abs(chosen[1] - v) for v in LEVELS["F2"]) < 1e-6
    assert profit(data, dict(zip(LEVELS, chosen))) == pytest.approx(brute[best], rel=1e-7)  # a best combination
    assert len({round(v, 6) for v in brute.values()}) > 3  # the levels matter: profits differ across combinations
    assert SB.firm_profit(m, res) == pytest.approx(res.leader_objective, rel=1e-7)  # lambda p = offer p - nu cap


def seller() -> pyo.ConcreteModel:
    """A leader sells q MW (cost 25/MWh) into a one-bus market at its price: rivals R1 (20, 50 MW)
    and R2 (40, 100 MW), demand 120. By hand: q = 0 -> 0; 30 -> price 40, 450; 60 -> price 40,
    900; 90 -> price 20, -450: the best level is 60, profit 900."""
    m = pyo.ConcreteModel()
    m.q = pyo.Var(bounds=(0, 90))
    m.f = bl.Follower()
    m.f.p = pyo.Var(["R1", "R2"], bounds=lambda _, g: (0, {"R1": 50, "R2": 100}[g]))
    m.f.balance = pyo.Constraint(expr=m.f.p["R1"] + m.f.p["R2"] + m.q == 120)
    m.f.obj = pyo.Objective(expr=20 * m.f.p["R1"] + 40 * m.f.p["R2"])
    m.obj = pyo.Objective(expr=(bl.dual(m.f.balance) - 25) * m.q, sense=pyo.maximize)
    return m


def seller_profit(q: float) -> float:
    res = linprog([20.0, 40.0], A_eq=[[1.0, 1.0]], b_eq=[120.0 - q], bounds=[(0, 50), (0, 100)], method="highs")
    assert res.status == 0
    return (res.eqlin.marginals[0] - 25.0) * q


def test_levels_of_a_quantity_times_a_dual():
    m = seller()
    res = bl.solve(m, method="bigm", products="levels", price_levels={"q": [0, 30, 60, 90]}, dual_bound=1000)
    assert res.status == "optimal" and res.certified and res.solver == "highs"
    by_linprog = {q: seller_profit(q) for q in (0, 30, 60, 90)}
    assert by_linprog == pytest.approx({0: 0.0, 30: 450.0, 60: 900.0, 90: -450.0}, abs=1e-6)
    assert res.leader["q"] == pytest.approx(60.0, abs=1e-6)
    assert res.leader_objective == pytest.approx(900.0, abs=1e-5)
    assert any(r.kind == "multiplier" and r.source == "argument" for r in res.bigm)  # the dual's range, recorded


def test_levels_refuse_a_product_of_two_leader_variables_by_term():
    m = seller()
    m.z = pyo.Var(bounds=(0, 1))
    m.obj.deactivate()
    m.both = pyo.Objective(expr=m.q * m.z + bl.dual(m.f.balance), sense=pyo.maximize)
    with pytest.raises(bl.MethodRefusedError, match=r"price_levels cannot linearise the leader objective term 1 \* q \* z: "
                                                    r"z is neither a follower variable nor a bl.dual"):
        bl.solve(m, method="bigm", products="levels", price_levels=ComponentMap([(m.q, [0, 30])]), dual_bound=1000)
    assert m.obj.active is False and m.both.active  # as the user left it


def test_levels_of_a_dual_need_multiplier_bounds():
    m = seller()
    with pytest.raises(bl.MethodRefusedError, match=r"price_levels cannot linearise the leader objective term 1 \* q \* "
                                                    r"bl.dual\(f.balance\): the dual needs bounds on the follower's multipliers"):
        bl.solve(m, method="sos1", products="levels", price_levels={"q": [0, 30, 60, 90]})


@pytest.mark.parametrize("options, message", [
    ({"products": "quadratic"}, "products must be one of 'bilinear', 'linearise', 'levels', got 'quadratic'"),
    ({"products": "levels"}, "price_levels goes with products='levels'"),
    ({"price_levels": "q"}, "price_levels must be a dict {leader variable: [levels]}"),
    ({"products": "levels", "price_levels": {3: [1.0]}}, "price_levels has the key 3; keys must be leader variables or their names"),
    ({"products": "levels", "price_levels": {"qq": [1.0]}}, "price_levels names 'qq', which is no variable of model unknown"),
    ({"products": "levels", "price_levels": "empty"}, "price_levels[q] must be a non-empty list of finite numbers, got []"),
    ({"products": "levels", "price_levels": "nan"}, "price_levels[q] must be a non-empty list of finite numbers"),
    ({"products": "levels", "price_levels": "twice"}, "price_levels[q] repeats a level: [30, 30]"),
    ({"products": "levels", "price_levels": "outside"}, "price_levels[q]: level 95 is outside the bounds [0, 90] of q"),
    ({"products": "levels", "price_levels": "follower"}, "price_levels: f.p[R1] is not a leader variable"),
])
def test_bad_product_options_are_refused(options, message):
    m = seller()
    given = {"empty": {"q": []}, "nan": {"q": [float("nan")]}, "twice": {"q": [30, 30]},
             "outside": ComponentMap([(m.q, [30, 95])]), "follower": {"f.p[R1]": [10]}}
    options = {k: given.get(v, v) if isinstance(v, str) and k == "price_levels" else v for k, v in options.items()}
    before = snapshot(m)
    with pytest.raises(bl.MethodRefusedError) as refused:
        bl.solve(m, method="bigm", dual_bound=1000, **options)
    assert message in str(refused.value)
    assert snapshot(m) == before
