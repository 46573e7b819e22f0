"""``method="auto"``: a method from the follower class, the leader's form and the size."""
from __future__ import annotations

from pybilevel.errors import MethodRefusedError
from pybilevel.model.follower_form import FollowerClass
from pybilevel.methods.transformation import refusal_message
from pybilevel.methods.interdiction import min_max_form
from pybilevel.model.structure import BilevelStructure, LeaderClass
from pybilevel.methods.value_function import METHOD as VALUE_FUNCTION, accepts as value_function_accepts

__all__ = ["choose_method", "GLOBAL_SIZE_LIMIT"]

#: above this many follower variables a nonlinear model is solved locally (Ipopt), not globally
GLOBAL_SIZE_LIMIT = 500
#: above this many follower variables an LP/QP model uses big-M with HiGHS rather than SOS1 with SCIP
SOS1_SIZE_LIMIT = 2000


def choose_method(structure: BilevelStructure) -> tuple[str, str]:
    """The method to use and a sentence saying why."""
    size = sum(form.n_variables for form in structure.followers)
    classes = {form.follower_class for form in structure.followers}
    if FollowerClass.INTEGER in classes:
        value_function_accepts(structure)  # refuses, naming the reason, what it cannot solve exactly
        return VALUE_FUNCTION, (
            f"auto chose '{VALUE_FUNCTION}' (integer follower, {size} follower variables): KKT does not describe "
            "an integer follower's optimum; exact decomposition with MILP subproblems (HiGHS)"
        )
    for form in structure.followers:
        if form.follower_class not in (FollowerClass.LP, FollowerClass.QP, FollowerClass.CONVEX_NLP):
            raise MethodRefusedError(refusal_message(form, "auto"))
    nonlinear = FollowerClass.CONVEX_NLP in classes or structure.leader_class == LeaderClass.NONLINEAR
    what = f"{'/'.join(sorted(classes))} follower, {structure.leader_class} leader, {size} follower variables"
    if _is_min_max(structure):
        return "interdiction", (
            f"auto chose 'interdiction' ({what}): the follower's objective is the negative of the "
            "leader's and binary leader variables restrict its constraints, so the follower's LP dual "
            "gives one single-level problem without complementarity; check the multiplier bounds in res.bigm"
        )
    if nonlinear and size > GLOBAL_SIZE_LIMIT:
        return "regularized", f"auto chose 'regularized' ({what}): too large for global solving, so Ipopt, local"
    if nonlinear:
        return "sos1", f"auto chose 'sos1' ({what}): global solution by SCIP, no big-M needed"
    if size > SOS1_SIZE_LIMIT:
        return "bigm", f"auto chose 'bigm' ({what}): a MILP for HiGHS scales best; check the big-M report"
    return "sos1", f"auto chose 'sos1' ({what}): exact without big-M values, solved by SCIP"


def _is_min_max(structure: BilevelStructure) -> bool:
    try:
        min_max_form(structure)
    except MethodRefusedError:
        return False
    return True
