"""Proven multiplier bounds for followers with the leader in the cost only (model/dual_bounds.py),
the pairs that need no binary, and the MILP start of the big-M model (model/kkt_start.py).

References: a closed form worked by hand, scipy's linprog (its own HiGHS run, outside pybilevel)
on random leader decisions, and SCIP on the SOS1 model (no big-M at all)."""
import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog

import pybilevel as bl
from pybilevel.model.bounds import DUAL_LP as SOURCE


def two_goods(x_bounds=(0.0, 3.0)):
    """Follower: min x*y1 + 2*y2  s.t.  y1 + y2 = 1,  y >= 0;  leader: max y1 + 0.1 x, x in [0, 3].

    By hand: the follower value z(x) = min(x, 2) is concave, so it is at least its chord between
    the box's ends, 0 at x = 0 and 2 at x = 3: z(x) >= 2x/3. Its dual polyhedron: x - lam - r1 = 0,
    2 - lam - r2 = 0, r >= 0, dual objective lam >= 2x/3, 0 <= x <= 3; so r1 = x - lam <= x/3 <= 1
    (the true largest, at x = 3) and r2 = 2 - lam <= 2 (at x = 0)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=x_bounds)
    m.f = bl.Follower()
    m.f.y = pyo.Var([1, 2], within=pyo.NonNegativeReals)
    m.f.buy = pyo.Constraint(expr=m.f.y[1] + m.f.y[2] == 1)
    m.f.obj = pyo.Objective(expr=m.x * m.f.y[1] + 2 * m.f.y[2])
    m.obj = pyo.Objective(expr=m.f.y[1] + 0.1 * m.x, sense=pyo.maximize)
    return m


def multiplier_records(m):
    return {r.key: r for r in bl.find_reformulation(m, "bigm").bigm if r.kind == "multiplier"}


def test_closed_form_bounds_of_the_dual_polyhedron():
    m = two_goods()
    pyo.TransformationFactory("bilevel.bigm").apply_to(m)
    records = multiplier_records(m)
    assert records["f.y[1]:lower"].value == pytest.approx(1, rel=1e-5)
    assert records["f.y[2]:lower"].value == pytest.approx(2, rel=1e-5)
    assert {r.source for r in records.values()} == {SOURCE} and all(r.proven for r in records.values())


def test_two_goods_optimum_by_hand():
    """Good 1 is bought while x <= 2 (optimistic tie at 2): the leader's best is x = 2, 1 + 0.2."""
    res = bl.solve(two_goods(), method="bigm")
    assert res.status == "optimal" and res.certified
    assert res.leader_objective == pytest.approx(1.2, abs=1e-7)
    assert all(b.proven for b in res.bigm)


def random_pricing(seed: int, n: int = 6, rows: int = 4):
    """A random LP follower whose cost has 2 leader prices (one on a variable that can be negative,
    so the floor enumerates that price's two ends) and rows that do not involve the leader; the
    leader maximises the quantities at those prices plus a small share of the prices."""
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, size=(rows, n)).astype(float)
    A[0] = 1.0  # a covering row keeps the follower bounded below and feasible
    b = np.concatenate([[3.0], rng.integers(-2, 3, size=rows - 1).astype(float)])
    c = rng.integers(1, 6, size=n).astype(float)
    m = pyo.ConcreteModel()
    m.x = pyo.Var([0, 1], bounds=(0.0, 4.0))
    m.f = bl.Follower()
    m.f.y = pyo.Var(range(n), bounds=lambda _, j: (-1.0 if j == 1 else 0.0, 5.0))
    m.f.rows = pyo.Constraint(range(rows), rule=lambda f, i: (
        sum(A[i, j] * f.y[j] for j in range(n)) >= b[i] if i == 0 else sum(A[i, j] * f.y[j] for j in range(n)) <= abs(b[i]) + 20
    ))
    m.f.obj = pyo.Objective(expr=sum(c[j] * m.f.y[j] for j in range(n)) + m.x[0] * m.f.y[0] + m.x[1] * m.f.y[1])
    m.obj = pyo.Objective(expr=m.f.y[0] + m.f.y[1] + 0.1 * (m.x[0] + m.x[1]), sense=pyo.maximize)
    return m, A, b, c


@pytest.mark.parametrize("seed", range(6))
def test_bounds_hold_at_every_sampled_leader_decision(seed):
    """Every multiplier linprog reports at 200 random leader decisions is within the proven bound."""
    m, A, b, c = random_pricing(seed)
    pyo.TransformationFactory("bilevel.bigm").apply_to(m)
    records = multiplier_records(m)
    assert {r.source for r in records.values()} == {SOURCE}
    n, rows = len(c), len(b)
    A_ub = np.vstack([-A[0], A[1:]])
    b_ub = np.concatenate([[-b[0]], np.abs(b[1:]) + 20])
    bounds = [(-1.0 if j == 1 else 0.0, 5.0) for j in range(n)]
    rng = np.random.default_rng(100 + seed)
    for _ in range(200):
        x = rng.uniform(0, 4, size=2)
        cost = c.copy()
        cost[:2] += x
        lp = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
        assert lp.status == 0
        row = -lp.ineqlin.marginals  # >= 0 in scipy's sign for <= rows
        observed = {f"f.rows[{i}]:{'lower' if i == 0 else 'upper'}": row[i] for i in range(rows)}
        observed.update({f"f.y[{j}]:lower": lp.lower.marginals[j] for j in range(n)})
        observed.update({f"f.y[{j}]:upper": -lp.upper.marginals[j] for j in range(n)})
        for key, value in observed.items():
            if key in records:
                assert value <= records[key].value + 1e-7, (key, value, records[key].value)


@pytest.mark.parametrize("seed", range(4))
def test_bigm_with_proven_bounds_agrees_with_sos1(seed):
    """The same optimum as SCIP on the SOS1 model, which needs no big-M at all."""
    bigm = bl.solve(random_pricing(seed)[0], method="bigm")
    sos1 = bl.solve(random_pricing(seed)[0], method="sos1")
    assert bigm.status == sos1.status == "optimal"
    assert bigm.leader_objective == pytest.approx(sos1.leader_objective, abs=1e-6)


def test_leader_in_the_follower_rows_keeps_the_stated_heuristic():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 4))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 5))
    m.f.c1 = pyo.Constraint(expr=m.x + m.f.y >= 3)
    m.f.obj = pyo.Objective(expr=m.f.y)
    m.obj = pyo.Objective(expr=m.x - 4 * m.f.y)
    pyo.TransformationFactory("bilevel.bigm").apply_to(m)
    assert all(r.source.startswith("heuristic") for r in multiplier_records(m).values())


def fixed_reference():
    """A follower variable with equal bounds (as an angle reference): both its bound pairs are
    always active. Follower: min x*y + t  s.t.  y + t >= 2,  t in [0.5, 0.5],  y in [0, 10].
    At x > 0 the follower takes y = 1.5; at x = 0 every y in [1.5, 10] is optimal and the
    optimistic reading takes 1.5. The leader minimises y + 0.2 x: x = 0, value 1.5."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 3))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 10))
    m.f.t = pyo.Var(bounds=(0.5, 0.5))
    m.f.cover = pyo.Constraint(expr=m.f.y + m.f.t >= 2)
    m.f.obj = pyo.Objective(expr=m.x * m.f.y + m.f.t)
    m.obj = pyo.Objective(expr=m.f.y + 0.2 * m.x)
    return m


def test_always_active_pairs_get_no_binary():
    m = fixed_reference()
    pyo.TransformationFactory("bilevel.bigm").apply_to(m)
    keys = set(bl.find_reformulation(m, "bigm").follower_block("f").indicator)
    assert "f.t:lower" not in keys and "f.t:upper" not in keys and "f.y:lower" in keys
    res = bl.solve(fixed_reference(), method="bigm")
    assert res.status == "optimal" and res.leader_objective == pytest.approx(1.5, abs=1e-7)


def test_every_start_is_a_feasible_point_of_the_big_m_model():
    """Each candidate start, with its variables set, satisfies every row and bound of the MILP."""
    m = two_goods()
    reformulation = bl.reformulate(m, "bigm")
    assert len(reformulation.starts) == 3  # the lower end, the upper end and the middle of x
    for start in reformulation.starts:
        for var, value in start.items():
            var.set_value(value, skip_validation=True)
        for con in m.component_data_objects(pyo.Constraint, active=True):
            body = pyo.value(con.body)
            assert con.lb is None or body >= pyo.value(con.lb) - 1e-9, con.name
            assert con.ub is None or body <= pyo.value(con.ub) + 1e-9, con.name
        for var in start:
            assert var.lb is None or var.value >= var.lb - 1e-9
            assert var.ub is None or var.value <= var.ub + 1e-9
    reformulation.remove()


def test_the_best_completed_start_is_offered():
    """Two complete candidate starts (the binary b fixed at 0 or 1): each is completed by one LP
    and the better completion is returned. max x + 2y s.t. x + y <= 1 + b, y <= 2b, x, y in
    [0, 1]: b = 0 completes to x = 1, y = 0 (value 1), b = 1 to x = y = 1 (value 3)."""
    from pyomo.common.collections import ComponentMap
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    from pybilevel.solvers.highs import ArrayLP, _best_start

    m = pyo.ConcreteModel()
    m.b = pyo.Var(within=pyo.Binary)
    m.x = pyo.Var(bounds=(0, 1))
    m.y = pyo.Var(bounds=(0, 1))
    m.c1 = pyo.Constraint(expr=m.x + m.y <= 1 + m.b)
    m.c2 = pyo.Constraint(expr=m.y <= 2 * m.b)
    m.obj = pyo.Objective(expr=m.x + 2 * m.y, sense=pyo.maximize)
    compiled = LinearStandardFormCompiler().write(m, mixed_form=True, set_sense=None)
    columns = compiled.columns
    rhs = np.asarray(compiled.rhs, dtype=float)
    kind = np.array([row.bound_type for row in compiled.rows])
    integer = np.array([v.is_integer() for v in columns])
    bounds = np.array([v.lb for v in columns], float), np.array([v.ub for v in columns], float)
    lp = ArrayLP(compiled.A, np.where(kind <= 0, rhs, -np.inf), np.where(kind >= 0, rhs, np.inf), *bounds, integer=integer)
    cost = compiled.c.toarray()[0]
    starts = [ComponentMap([(m.b, 0.0)]), ComponentMap([(m.b, 1.0)])]
    indices, values = _best_start(lp, columns, integer, bounds, starts, cost, True, None)
    point = dict(zip((columns[j].name for j in indices), values))
    assert point == pytest.approx({"b": 1.0, "x": 1.0, "y": 1.0})
    assert list(lp.highs.getLp().col_lower_) == [0.0, 0.0, 0.0]  # the binary is free again (last fixed at 1)


@pytest.mark.parametrize("seed", range(4))
def test_value_minorants_lie_below_the_follower_value_everywhere_in_the_box(seed):
    """Every affine minorant a + g @ x of the follower's optimal value (the lower hull through the
    box's corners) is at most the value linprog finds at 100 random leader decisions, and equal
    to it (up to the margin) at the corner it was built through."""
    from pybilevel.model.dual_bounds import value_minorants
    from pybilevel.model.structure import analyze

    m, A, b, c = random_pricing(seed)
    form = analyze(m).followers[0]
    minorants = value_minorants(form)
    assert minorants  # both prices in the cost, at most 6: the hull through all four corners
    order = [m.x[0], m.x[1]]
    columns = [next(k for k, v in enumerate(form.leader_variables) if v is var) for var in order]
    A_ub = np.vstack([-A[0], A[1:]])
    b_ub = np.concatenate([[-b[0]], np.abs(b[1:]) + 20])
    bounds = [(-1.0 if j == 1 else 0.0, 5.0) for j in range(len(c))]

    def value(x):
        cost = c.copy()
        cost[:2] += x
        return linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs").fun

    rng = np.random.default_rng(seed)
    for x in [*rng.uniform(0, 4, size=(100, 2)), *np.array([[0, 0], [0, 4], [4, 0], [4, 4]], dtype=float)]:
        z = value(x)
        for g, a in minorants:
            assert a + g[columns] @ x <= z + 1e-7
    corners = [np.array(p, dtype=float) for p in ([0, 0], [0, 4], [4, 0], [4, 4])]
    assert all(min(abs(value(v) - (a + g[columns] @ v)) for g, a in minorants) < 1e-4 for v in corners)
