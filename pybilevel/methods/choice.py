"""``method="auto"``: the first method, in an order set by the problem's class and size, that accepts it."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import BilevelError
from pybilevel.methods.base import METHODS_BY_NAME, Method, WithOptions, method_named
from pybilevel.methods.portfolio import Portfolio
from pybilevel.methods.price_linearisation import dual_products, plan_linearisation
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.structure import BilevelStructure, LeaderClass

__all__ = ["requested_method", "choose_method", "choose_auto", "GLOBAL_SIZE_LIMIT", "SOS1_SIZE_LIMIT"]

#: above this many follower variables a nonlinear model is solved locally (Ipopt), not globally
GLOBAL_SIZE_LIMIT = 500
#: above this many follower variables an LP/QP model uses big-M with HiGHS rather than SOS1 with SCIP
SOS1_SIZE_LIMIT = 2000
#: auto runs a portfolio (methods/portfolio.py) when its first choice is one of these
PORTFOLIO_STARTS = ("strong_duality", "sos1", "bigm")


def requested_method(name: str) -> Method | None:
    """The method called ``name``; None for ``"auto"``; a refusal for an unknown name."""
    return None if name == "auto" else method_named(name)


def choose_method(structure: BilevelStructure, requested: Method | None = None) -> tuple[Method, str]:
    """The method to use and a sentence saying why: the one requested if it accepts the problem
    (else its refusal), or auto's choice; if no candidate accepts, the refusal of the most general
    candidate (the last), which names the follower and what would help."""
    if requested is not None:
        refusal = requested.accepts(structure)
        if refusal is not None:
            raise refusal
        return requested, f"'{requested.name}' as requested"
    classes, size, what = _profile(structure)
    linearised = _linearised_prices(structure, classes, what)
    if linearised is not None:
        return linearised
    refusals = []
    for name, why in _candidates(structure, classes, size):
        refusal = METHODS_BY_NAME[name].accepts(structure)
        if refusal is None:
            return METHODS_BY_NAME[name], f"auto chose '{name}' ({what}): {why}"
        refusals.append(refusal)
    raise refusals[-1]


def choose_auto(structure: BilevelStructure) -> tuple[Method, str]:
    """Auto's method and why: :func:`choose_method`'s choice when it is the only candidate that
    accepts the problem; else a :class:`~pybilevel.methods.portfolio.Portfolio` of it and the
    other accepted candidates and fallbacks, run in time slices (the first conclusive answer wins)."""
    first, why = choose_method(structure)
    if first.name not in PORTFOLIO_STARTS:
        return first, why  # a special form, an integer or nonconvex follower, or a local method: alone
    classes, size, what = _profile(structure)
    accepted = [(first, why)]
    for name, reason in _candidates(structure, classes, size) + _fallbacks(structure, classes, size):
        method = METHODS_BY_NAME[name]
        if all(method.name != m.name for m, _ in accepted) and method.accepts(structure) is None:
            accepted.append((method, f"auto ran '{name}' in its portfolio ({what}): {reason}"))
    if len(accepted) == 1:
        return first, why
    return Portfolio(accepted), why


def _linearised_prices(structure: BilevelStructure, classes: set[str], what: str) -> tuple[Method, str] | None:
    """bigm with ``products='linearise'`` and why, when the leader's objective multiplies follower
    duals by follower variables of LP followers and the exact linear rewrite applies; else None."""
    if classes != {FollowerClass.LP} or structure.leader_class == LeaderClass.NONLINEAR:
        return None
    products, refusal = _price_products(structure)
    bigm = METHODS_BY_NAME["bigm"]
    if not products or refusal is not None or bigm.accepts(structure) is not None:
        return None
    return WithOptions(bigm, {"products": "linearise"}), (
        f"auto chose 'bigm' with products='linearise' ({what}): the leader's objective multiplies follower duals "
        "by follower variables, and the follower's stationarity, complementarity and strong duality rewrite "
        "those products exactly as a linear expression (Ruiz & Conejo 2009), so the problem is a MILP for HiGHS; "
        "check the big-M report"
    )


def _price_products(structure: BilevelStructure) -> tuple[bool, str | None]:
    """Whether the leader's objective multiplies follower duals by variables, and the linear
    rewrite's refusal of them (None where it applies)."""
    if not structure.dual_references or not dual_products(structure)[0]:
        return False, None
    try:
        plan_linearisation(structure)
    except BilevelError as refusal:
        return True, str(refusal)
    return True, None


def _profile(structure: BilevelStructure) -> tuple[set[str], int, str]:
    """The follower classes, the number of follower variables, and the two in words."""
    classes = {form.follower_class for form in structure.followers}
    size = sum(form.n_variables for form in structure.followers)
    what = f"{'/'.join(sorted(classes))} follower, {structure.leader_class} leader, {size} follower variables"
    return classes, size, what


def _general_integer_linking_in_mixed_rows(structure: BilevelStructure) -> bool:
    """Whether a leader variable whose bounds are more than 1 apart (or missing) appears in a
    follower row whose coefficients (on follower and leader variables) have both signs: there
    ``branch_and_cut`` ended with the smaller gap on 6 of MibS's 7 open 10 x 10 instances and
    proved two of the other three faster. With 0/1 linking variables (random families, BOBILib's
    assignment games) or one-signed (packing) rows (MibS's ``miblp_*``: proven 2-25 times faster,
    bounds closer on the open ones) ``value_function`` did better (docs/integer.md)."""
    for form in structure.followers:
        rows = sp.hstack([form.A_y, form.A_x]).tocsr()
        mixed = [np.any(rows.data[a:b] > 0) and np.any(rows.data[a:b] < 0)
                 for a, b in zip(rows.indptr[:-1], rows.indptr[1:])]
        by_column = form.A_x.tocsc()
        for k in form.linking:
            lower, upper = form.leader_variables[k].bounds
            general = lower is None or upper is None or upper - lower > 1
            if general and any(mixed[r] for r in by_column[:, k].indices):
                return True
    return False


def _fallbacks(structure: BilevelStructure, classes: set[str], size: int) -> list[tuple[str, str]]:
    """Methods auto's portfolio runs after the candidates, for LP / convex-QP followers: other
    exact reformulations with other solvers (a different branching may finish first)."""
    if classes - {FollowerClass.LP, FollowerClass.QP} or structure.leader_class == LeaderClass.NONLINEAR:
        return []
    return [
        ("strong_duality", "portfolio fallback: strong duality instead of complementarity"),
        ("sos1", "portfolio fallback: complementarity as SOS1 sets, SCIP, no big-M"),
        ("bigm", "portfolio fallback: a big-M MILP; conclusive unless a heuristic big-M value is reached"),
    ]


def _candidates(structure: BilevelStructure, classes: set[str], size: int) -> list[tuple[str, str]]:
    """Methods worth trying, best first, each with the reason it would be chosen."""
    if FollowerClass.INTEGER in classes:
        exact = (
            "branch_and_cut",
            "KKT does not describe an integer follower's optimum, and leader variables with ranges over 1 enter "
            "its rows whose coefficients have both signs, where a decomposition's big-M cuts are weak: exact "
            "branch-and-bound on SCIP branching on the follower's responses, no big-M (docs/integer.md)",
        ) if _general_integer_linking_in_mixed_rows(structure) else (
            "value_function",
            "KKT does not describe an integer follower's optimum; exact decomposition with MILP subproblems (HiGHS)",
        )
        return [(
            "interdiction_cuts",
            "an interdiction game with a monotone (packing) follower: cuts from the follower's responses "
            "with removed items zeroed (Fischetti, Ljubic, Monaci & Sinnl 2019), in a branch-and-cut over HiGHS LPs (the follower a HiGHS MILP)",
        ), exact]
    if classes & {FollowerClass.NONCONVEX_QP, FollowerClass.NONCONVEX_NLP}:
        return [(
            "discretization",
            "a KKT point of a nonconvex follower need not be its optimum; global discretization "
            "(Mitsos, Lemonidis & Barton 2008) with every subproblem solved by SCIP",
        )]
    candidates = [(
        "interdiction",
        "the follower's objective is the negative of the leader's and binary leader variables restrict its "
        "constraints, so the follower's LP dual gives one single-level problem without complementarity; "
        "check the multiplier bounds in res.bigm",
    )]
    nonlinear = FollowerClass.CONVEX_NLP in classes or structure.leader_class == LeaderClass.NONLINEAR
    if nonlinear and size > GLOBAL_SIZE_LIMIT:
        candidates.append(("regularized", "too large for global solving, so Ipopt, local"))
    elif nonlinear:
        candidates.append(("sos1", "global solution by SCIP, no big-M needed"))
    elif size > SOS1_SIZE_LIMIT:
        candidates.append(("bigm", "a MILP for HiGHS scales best; check the big-M report"))
    else:
        if _toll_like(structure):
            candidates.append((
                "strong_duality",
                "the leader's objective multiplies bounded leader variables by follower variables that also "
                "price the LP follower's objective (a pricing / toll problem), so strong duality turns the "
                "leader's revenue into a linear dual objective and no complementarity is branched on "
                "(measured on a 64-node toll grid: 0.23 s against sos1 stopped at the 60 s limit)",
            ))
        candidates.append(("sos1", _sos1_reason(*_price_products(structure))))
    return candidates


def _sos1_reason(products: bool, refusal: str | None) -> str:
    if not products:
        return "exact without big-M values, solved by SCIP"
    if refusal is None:
        return "the products of follower duals and follower variables as written (bilinear), solved globally by SCIP"
    return ("the leader's products of follower duals and follower variables stay bilinear, solved globally by SCIP "
            f"(the linear rewrite does not apply: {refusal})")


def _toll_like(structure: BilevelStructure) -> bool:
    """Whether every follower is an LP whose objective prices its variables by bounded leader
    variables (x @ C @ y), leader variables stay out of its rows, and the leader's objective
    holds leader x follower products: the pricing structure strong duality solves best."""
    if structure.leader_class != LeaderClass.QUADRATIC:
        return False
    for form in structure.followers:
        if form.follower_class != FollowerClass.LP or not form.C.nnz or form.A_x.nnz or form.is_nonlinear:
            return False
        if any(v.lb is None or v.ub is None for v in form.leader_variables):
            return False
    follower = {id(v) for form in structure.followers for v in form.variables}
    leader = {id(v) for v in structure.leader_variables}
    repn = generate_standard_repn(structure.leader_objective.expr, quadratic=True, compute_values=True)
    return any(
        (id(a) in leader and id(b) in follower) or (id(b) in leader and id(a) in follower)
        for a, b in repn.quadratic_vars
    )
