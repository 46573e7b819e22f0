"""Exact linear rewrite of price x quantity products ``bl.dual(row) * y`` in the leader's objective.

Strategic bidding (Ruiz & Conejo, IEEE Trans. Power Syst. 24(4), 2009; limits: Fernández-Blanco,
Arroyo & Alguacil 2017): the leader's profit ``sum lambda_n p_g`` multiplies follower duals by
follower variables, but at every KKT point of an LP follower (minimisation form, ``lambda`` the
net row multipliers, ``beta`` the net bound multipliers) two families of identities hold:

* row ``i`` (no leader variable in it), complementarity:
  ``sum_j A_ij lambda_i y_j = K_i``, ``K_i = dual_lower_i row_lower_i - dual_upper_i row_upper_i
  + dual_equal_i rhs_i`` (linear);
* column ``j``, stationarity times ``y_j`` and bound complementarity:
  ``sum_i A_ij lambda_i y_j = (c_j + (C'x)_j) y_j - B_j``, ``B_j = bound_lower_j lb_j -
  bound_upper_j ub_j``; linear where the cost of ``y_j`` holds no leader variable.

So ``sum w_ij A_ij lambda_i y_j`` is linear whenever ``w_ij = alpha_i + gamma_j`` on every nonzero
of ``A`` with ``alpha_i = 0`` on rows holding leader variables and ``gamma_j = 0`` on columns whose
cost holds one: it equals ``sum alpha_i K_i + sum gamma_j (c_j y_j - B_j)``. The weights are
found by propagation over the bipartite graph of ``A`` (rows and columns as nodes, nonzeros as
edges); a contradiction is the refusal, naming the term. Strategic bidding's profit over every
generator priced by the firm's offers is the classic case (``alpha = 1`` except on the firm's
capacity rows; summing all identities is strong duality). Products over a subset of the offered
generators, or ``lambda_n`` times a variable not in row ``n``, are refused.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.visitor import identify_variables
from pyomo.repn.standard_repn import generate_standard_repn
from scipy.sparse.csgraph import connected_components

from pybilevel.errors import MethodRefusedError
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.kkt_system import FollowerDual
from pybilevel.model.structure import BilevelStructure

__all__ = ["DualProduct", "LinearisationPlan", "plan_linearisation", "linearised_objective", "dual_products"]

#: relative tolerance of the weight equations alpha_i + gamma_j = w_ij (to the largest of the three)
TOLERANCE = 1e-9
REMEDY = (
    "the exact rewrite (Ruiz & Conejo 2009) needs the products over every follower variable whose cost holds a "
    "leader variable, all with one coefficient, or over variables with a fixed cost (docs/duals_in_leader.md); "
    "use products='bilinear' (SCIP, global) for this objective"
)


@dataclass(frozen=True)
class DualProduct:
    """``coefficient * bl.dual(row of form) * other`` in the leader's objective."""

    coefficient: float
    placeholder: VarData
    form: FollowerForm
    row: int
    other: VarData

    @property
    def name(self) -> str:
        return f"{self.coefficient:g} * bl.dual({self.form.constraints[self.row].name}) * {self.other.name}"


@dataclass
class LinearisationPlan:
    """The leader's objective without its dual products (``rest``) and, per follower form, the
    weights alpha (rows) and gamma (columns) of the identities that replace them."""

    rest: object
    weights: list[tuple[FollowerForm, np.ndarray, np.ndarray]]


def dual_products(structure: BilevelStructure) -> tuple[list[DualProduct], object]:
    """The products of a ``bl.dual`` placeholder and another variable in the leader's objective,
    and the objective without them; a nonlinear term with a placeholder is refused."""
    references = {id(r.placeholder): r for r in structure.dual_references}
    repn = generate_standard_repn(structure.leader_objective.expr, quadratic=True, compute_values=True)
    if repn.nonlinear_expr is not None:
        inside = [v for v in identify_variables(repn.nonlinear_expr) if id(v) in references]
        if inside:
            raise MethodRefusedError(
                f"products: the leader objective has a nonlinear term in {references[id(inside[0])].name}; only "
                "products bl.dual(row) * variable can be rewritten; use products='bilinear'."
            )
    products, rest = [], [repn.constant]
    rest += [coef * var for coef, var in zip(repn.linear_coefs, repn.linear_vars)]
    for (a, b), coef in zip(repn.quadratic_vars, repn.quadratic_coefs):
        if id(b) in references and id(a) not in references:
            a, b = b, a
        if id(a) not in references:
            rest.append(coef * a * b)
            continue
        reference = references[id(a)]
        if id(b) in references:
            raise MethodRefusedError(
                f"products: the leader objective term {coef:g} * {reference.name} * {references[id(b)].name} multiplies "
                "two follower duals; only products bl.dual(row) * variable can be rewritten; use products='bilinear'."
            )
        products.append(DualProduct(float(coef), a, reference.form, reference.row, b))
    if repn.nonlinear_expr is not None:
        rest.append(repn.nonlinear_expr)
    return products, sum(rest[1:], rest[0])


def plan_linearisation(structure: BilevelStructure) -> LinearisationPlan:
    """The weights that rewrite every dual product linearly, or the refusal naming the term."""
    products, rest = dual_products(structure)
    weights = []
    for form in structure.followers:
        mine = [p for p in products if p.form is form]
        if mine:
            alpha, gamma = _weights(form, mine)
            weights.append((form, alpha, gamma))
    return LinearisationPlan(rest, weights)


def linearised_objective(plan: LinearisationPlan, duals: list[FollowerDual]) -> object:
    """The leader's objective with the dual products replaced by ``sum alpha_i K_i + sum gamma_j
    (c_j y_j - B_j)`` in the multipliers of ``duals`` (the reformulation's)."""
    by_form = {id(d.form): d for d in duals}
    coefs: dict[int, list] = {}

    def add(var: VarData, coef: float) -> None:
        coefs.setdefault(id(var), [var, 0.0])[1] += coef

    for form, alpha, gamma in plan.weights:
        dual = by_form[id(form)]
        for i in np.flatnonzero(alpha):
            for mult, sign in dual.row_multipliers[i]:
                add(mult, alpha[i] * sign * (form.row_lower[i] if sign > 0 else form.row_upper[i]))
        for j in np.flatnonzero(gamma):
            add(form.variables[j], gamma[j] * form.c[j])
            for mult, sign in dual.column_multipliers[j]:
                add(mult, -gamma[j] * sign * (form.var_lower[j] if sign > 0 else form.var_upper[j]))
    kept = [(var, coef) for var, coef in coefs.values() if coef != 0.0]
    return plan.rest + LinearExpression(
        constant=0.0, linear_coefs=[float(c) for _, c in kept], linear_vars=[v for v, _ in kept]
    )


def _weights(form: FollowerForm, products: list[DualProduct]) -> tuple[np.ndarray, np.ndarray]:
    """alpha (rows), gamma (columns) with alpha_i + gamma_j = w_ij on the nonzeros of A_y."""
    m, n = form.n_rows, form.n_variables
    a = form.A_y.tocsr()
    columns = {id(v): j for j, v in enumerate(form.variables)}
    missing = set(form.redundant_rows)  # no multiplier: lambda_i = 0, its products vanish
    w: dict[tuple[int, int], float] = {}
    for p in products:
        j = columns.get(id(p.other))
        if j is None:
            raise MethodRefusedError(
                f"products='linearise' cannot rewrite the leader objective term {p.name}: {p.other.name} is not a "
                f"variable of follower {form.follower.name} (a leader variable or another follower's), so no stationarity or "
                "complementarity condition of it gives the product; use products='levels' with price_levels for a "
                "leader variable, or products='bilinear'."
            )
        if p.row in missing:
            continue
        entry = a[p.row, j]
        if entry == 0:
            raise MethodRefusedError(
                f"products='linearise' cannot rewrite the leader objective term {p.name}: {p.other.name} is not in "
                f"{form.constraints[p.row].name}, so neither its complementarity nor the stationarity of "
                f"{p.other.name} gives the product; use products='bilinear'."
            )
        w[(p.row, j)] = w.get((p.row, j), 0.0) + p.coefficient * form.sense / entry
    pinned = _pinned(form)
    keep = np.ones(m, dtype=bool)
    keep[list(missing)] = False
    coo = a.tocoo()
    edges = [(int(i), int(j)) for i, j in zip(coo.row, coo.col) if keep[i]]
    values, origin = np.full(m + n, np.nan), np.full(m + n, -1)
    adjacency: list[list[int]] = [[] for _ in range(m + n)]
    for i, j in edges:
        adjacency[i].append(m + j)
        adjacency[m + j].append(i)
    starts = sorted(pinned) + list(range(m + n))
    for start in starts:
        if not np.isnan(values[start]):
            continue
        values[start], origin[start] = 0.0, start
        queue = deque([start])
        while queue:
            u = queue.popleft()
            for v in adjacency[u]:
                row, col = (u, v - m) if u < m else (v, u - m)
                target = w.get((row, col), 0.0)
                if np.isnan(values[v]):
                    if v in pinned:
                        continue  # visited from its own start
                    values[v], origin[v] = target - values[u], origin[u]
                    queue.append(v)
                elif abs(values[u] + values[v] - target) > TOLERANCE * max(1.0, abs(target), abs(values[u]), abs(values[v])):
                    raise _conflict(form, products, edges, (row, col), origin[u], origin[v], pinned)
    return np.nan_to_num(values[:m]), np.nan_to_num(values[m:])


def _pinned(form: FollowerForm) -> set[int]:
    """Graph nodes whose weight must be 0: rows holding leader variables (their K_i would be
    bilinear), columns whose cost holds a leader variable or a quadratic term."""
    m = form.n_rows
    rows = set(np.flatnonzero(np.diff(form.A_x.tocsr().indptr) > 0)) | set(np.flatnonzero(form.leader_nonlinear))
    leader_cost = np.diff(form.C.tocsc().indptr) > 0
    quadratic = np.diff(form.Q.tocsc().indptr) > 0
    return {int(i) for i in rows} | {m + int(j) for j in np.flatnonzero(leader_cost | quadratic)}


def _conflict(form, products, edges, edge, origin_u, origin_v, pinned) -> MethodRefusedError:
    """The refusal for a contradiction found at ``edge``: the first objective term of its part of
    the follower, and what each side of the contradiction comes from."""
    m, n = form.n_rows, form.n_variables
    rows, cols = zip(*edges)
    graph = sp.coo_matrix((np.ones(len(edges)), (rows, [m + c for c in cols])), shape=(m + n, m + n))
    _, label = connected_components(graph, directed=False)
    columns = {id(v): j for j, v in enumerate(form.variables)}
    term = next(p for p in products if label[p.row] == label[edge[0]] or label[m + columns[id(p.other)]] == label[edge[0]])
    priced = {id(p.other) for p in products}
    sides = [_origin(form, node, pinned, priced) for node in dict.fromkeys((int(origin_u), int(origin_v)))]
    tied = " and to ".join(sides) + (" around a cycle of the follower's rows and variables" if len(sides) == 1 else "")
    return MethodRefusedError(
        f"products='linearise' cannot rewrite the leader objective term {term.name}: the follower's stationarity "
        f"and complementarity tie it to {tied}, which would need different coefficients on "
        f"bl.dual({form.constraints[edge[0]].name}) * {form.variables[edge[1]].name}. {REMEDY[0].upper()}{REMEDY[1:]}."
    )


def _origin(form: FollowerForm, node: int, pinned: set[int], priced: set[int]) -> str:
    m = form.n_rows
    if node not in pinned:
        return "the other products of the objective"
    if node < m:
        leader = [form.leader_variables[k].name for k in form.A_x.tocsr()[node].indices] or ["(nonlinear)"]
        return f"{form.constraints[node].name} (its right-hand side holds the leader variable {leader[0]})"
    y = form.variables[node - m]
    column = form.C.tocsc()[:, node - m].indices
    what = f"the leader variable {form.leader_variables[column[0]].name}" if len(column) else "a quadratic term"
    left_out = "" if id(y) in priced else ", and the objective has no product with it"
    return f"{y.name} (its follower cost holds {what}{left_out})"
