"""Structure check: find the followers, split leader from follower variables, classify each level."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyomo.common.collections import ComponentSet
from pyomo.core.base.block import Block, BlockData
from pyomo.core.base.constraint import Constraint, ConstraintData
from pyomo.core.base.objective import Objective, ObjectiveData
from pyomo.core.base.var import Var, VarData
from pyomo.core.expr.visitor import identify_variables
from pyomo.repn.standard_repn import generate_standard_repn

from pybilevel.errors import StructureError
from pybilevel.model.components import check_components, check_model_argument
from pybilevel.model.convexity import classify_follower, is_positive_semidefinite
from pybilevel.model.dual_reference import (
    DualReference,
    resolve_dual_references,
    split_placeholders,
)
from pybilevel.model.follower import FollowerData
from pybilevel.model.follower_form import (
    FollowerForm,
    compile_follower,
    symmetric_hessian,
)
from pybilevel.model.redundancy import find_redundant_rows

__all__ = ["BilevelStructure", "LeaderClass", "analyze", "find_followers"]


class LeaderClass:
    """Names of the leader classes: they decide which single-level solver applies."""

    LINEAR = "linear"
    QUADRATIC = "quadratic"
    NONLINEAR = "nonlinear"


@dataclass
class BilevelStructure:
    """What the structure check found: the leader's parts and every follower compiled."""

    model: BlockData
    leader_objective: ObjectiveData
    leader_constraints: list[ConstraintData]
    leader_variables: list[VarData]
    leader_class: str
    leader_objective_convex: bool
    leader_has_integers: bool
    followers: list[FollowerForm]
    #: follower duals the leader uses (``bl.dual(con)``): neither leader nor follower decisions
    dual_references: list[DualReference] = field(default_factory=list)

    def other_followers_variables(self, form: FollowerForm) -> list[VarData]:
        """Variables of other followers that ``form`` sees: parameters of its problem (a game)."""
        leader = ComponentSet(self.leader_variables)
        return [v for v in form.leader_variables if v not in leader]

    def followers_seeing(self, form: FollowerForm) -> list[FollowerForm]:
        """The other followers whose problems contain a variable of ``form``."""
        own = ComponentSet(form.variables)
        return [f for f in self.followers if f is not form and any(v in own for v in f.leader_variables)]

    @property
    def is_game(self) -> bool:
        """Whether some follower sees another follower's variables (a Nash game among followers)."""
        return any(self.other_followers_variables(form) for form in self.followers)

    def describe(self) -> str:
        """A few readable lines: one for the leader, one per follower."""
        lines = [
            f"leader: objective {self.leader_objective.name} ({self.leader_class}), "
            f"{len(self.leader_variables)} variables"
            + (" (some integer)" if self.leader_has_integers else "")
            + f", {len(self.leader_constraints)} constraints"
            + (f", {len(self.dual_references)} follower duals ({', '.join(r.name for r in self.dual_references[:3])}"
               + (", ..." if len(self.dual_references) > 3 else "") + ")" if self.dual_references else "")
        ]
        for form in self.followers:
            others = len(self.other_followers_variables(form))
            lines.append(
                f"follower {form.follower.name}: {form.follower_class}, "
                f"{form.n_variables} variables, {form.n_rows} constraints, "
                f"{len(form.leader_variables) - others} leader variables in it"
                + (f", {others} variables of other followers (a game among followers)" if others else "")
            )
            lines.extend(f"    {reason}" for reason in form.reasons)
            lines.extend(_redundancy_lines(form))
        return "\n".join(lines)


def _redundancy_lines(form: FollowerForm) -> list[str]:
    """The redundant equality rows of ``form`` (dropped from its KKT system), if any."""
    lines = []
    names = form.redundant_row_names()
    if names:
        shown = ", ".join(names[:5]) + (f", ... ({len(names)} in all)" if len(names) > 5 else "")
        lines.append(f"    redundant equality rows (linearly dependent on the others; multiplier fixed at 0): {shown}")
    if form.redundancy is not None and form.redundancy.unchecked_rows:
        lines.append(f"    {form.redundancy.unchecked_rows} equality rows not checked for redundancy (block too large)")
    return lines


def find_followers(model: BlockData) -> list[FollowerData]:
    """Every active follower block in the model; a follower nested in a follower is refused."""
    followers = [
        block
        for block in model.component_data_objects(Block, descend_into=True, active=True)
        if isinstance(block, FollowerData)
    ]
    for follower in followers:
        parent = follower.parent_block()
        while parent is not None:
            if isinstance(parent, FollowerData):
                raise StructureError(
                    f"follower {follower.name} is declared inside follower {parent.name}; "
                    "multi-level (trilevel) problems are not supported: declare every "
                    "follower on the leader's model."
                )
            parent = parent.parent_block()
    return followers


class ComponentOwner:
    """Which follower decides each follower variable, in declaration order."""

    def __init__(self) -> None:
        self._owner: dict[int, tuple[VarData, FollowerData]] = {}

    def __setitem__(self, var: VarData, follower: FollowerData) -> None:
        self._owner[id(var)] = (var, follower)

    def get(self, var: VarData) -> FollowerData | None:
        entry = self._owner.get(id(var))
        return None if entry is None else entry[1]

    def items(self):
        return self._owner.values()

    def __iter__(self):
        return (var for var, _ in self._owner.values())


def analyze(model: BlockData) -> BilevelStructure:
    """Check the bilevel structure of ``model`` and compile every follower."""
    model = check_model_argument(model)
    followers = find_followers(model)
    if not followers:
        raise StructureError(
            f"model {model.name} has no follower: declare the lower level as "
            "m.f = pybilevel.Follower() and put its variables, constraints and objective on it."
        )
    check_components(model, followers)
    owner = _follower_variables(followers)
    forms = []
    for follower in followers:
        variables = [v for v, f in owner.items() if f is follower and not v.fixed]
        objective = _single_objective(follower, f"follower {follower.name}")
        constraints = _active_constraints(follower)
        form = compile_follower(follower, variables, objective, constraints)
        linear_equalities = form.is_equality & ~np.isin(np.arange(form.n_rows), list(form.row_nonlinear))
        form.redundancy = find_redundant_rows(form.A_y, np.flatnonzero(linear_equalities))
        form.follower_class = classify_follower(form)
        forms.append(form)

    leader_objective = _single_objective(model, f"leader model {model.name}", exclude=followers)
    leader_constraints = _active_constraints(model, exclude=followers)
    leader_constraints += [con for form in forms for con in form.leader_only_constraints]
    follower_vars = ComponentSet(owner)
    leader_variables = _leader_variables(leader_objective, leader_constraints, forms, follower_vars)
    leader_variables, placeholders = split_placeholders(model, leader_variables)
    leader_class, convex = _classify_leader(leader_objective, leader_constraints)
    return BilevelStructure(
        model=model,
        leader_objective=leader_objective,
        leader_constraints=leader_constraints,
        leader_variables=leader_variables,
        leader_class=leader_class,
        leader_objective_convex=convex,
        leader_has_integers=any(not v.is_continuous() for v in leader_variables),
        followers=forms,
        dual_references=resolve_dual_references(model, placeholders, forms),
    )


def _follower_variables(followers: list[FollowerData]) -> ComponentOwner:
    owner = ComponentOwner()
    for follower in followers:
        declared = list(follower.component_data_objects(Var, descend_into=True))
        for var in declared + list(follower.external_variables):
            previous = owner.get(var)
            if previous is not None and previous is not follower:
                raise StructureError(
                    f"variable {var.name} belongs to both follower {previous.name} and "
                    f"follower {follower.name}; a variable is decided by one follower only."
                )
            owner[var] = follower
    return owner


def _single_objective(
    block: BlockData, what: str, exclude: list[FollowerData] = ()
) -> ObjectiveData:
    objectives = _data_objects(block, Objective, exclude)
    if len(objectives) != 1:
        names = ", ".join(o.name for o in objectives) or "none"
        raise StructureError(
            f"{what} needs exactly one active objective, found {len(objectives)} ({names}); "
            "deactivate or delete the extra ones."
        )
    return objectives[0]


def _active_constraints(block: BlockData, exclude: list[FollowerData] = ()) -> list[ConstraintData]:
    return list(_data_objects(block, Constraint, exclude))


def _data_objects(block: BlockData, ctype, exclude) -> list:
    """Active data objects of ``ctype`` in ``block``, skipping the excluded follower blocks."""
    excluded = {id(f) for f in exclude}
    found = []
    stack = [block]
    while stack:
        current = stack.pop()
        found.extend(current.component_data_objects(ctype, descend_into=False, active=True))
        for sub in current.component_data_objects(Block, descend_into=False, active=True):
            if id(sub) not in excluded:
                stack.append(sub)
    return found


def _leader_variables(
    objective: ObjectiveData,
    constraints: list[ConstraintData],
    forms: list[FollowerForm],
    follower_vars: ComponentSet,
) -> list[VarData]:
    seen: dict[int, VarData] = {}
    for component in [objective, *constraints]:
        for var in identify_variables(component.expr, include_fixed=False):
            if var not in follower_vars:
                seen.setdefault(id(var), var)
    for form in forms:
        for var in form.leader_variables:
            if var not in follower_vars:  # another follower's variable is a parameter, not the leader's
                seen.setdefault(id(var), var)
    return list(seen.values())


def _classify_leader(
    objective: ObjectiveData, constraints: list[ConstraintData]
) -> tuple[str, bool]:
    """Leader class (linear / quadratic / nonlinear) and whether its objective is convex."""
    repn = generate_standard_repn(objective.expr, quadratic=True, compute_values=True)
    if repn.nonlinear_expr is not None:
        kind, convex = LeaderClass.NONLINEAR, False
    elif repn.quadratic_vars:
        kind = LeaderClass.QUADRATIC
        index: dict[int, int] = {}
        entries = [
            (index.setdefault(id(v1), len(index)), index.setdefault(id(v2), len(index)), coef)
            for (v1, v2), coef in zip(repn.quadratic_vars, repn.quadratic_coefs)
        ]
        sign = 1 if objective.is_minimizing() else -1
        convex = is_positive_semidefinite(symmetric_hessian(entries, len(index), sign))
    else:
        kind, convex = LeaderClass.LINEAR, True
    for con in constraints:
        if generate_standard_repn(con.body, quadratic=False, compute_values=True).nonlinear_expr is not None:
            return LeaderClass.NONLINEAR, convex
    return kind, convex
