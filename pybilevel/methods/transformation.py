"""What every reformulation shares: the inverse data it returns and the Pyomo transformation shell."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from pyomo.common.collections import ComponentMap
from pyomo.common.config import ConfigDict, ConfigValue
from pyomo.common.modeling import unique_component_name
from pyomo.core.base.block import Block, BlockData
from pyomo.core.base.component import ActiveComponentData
from pyomo.core.base.transformation import Transformation

from pybilevel.errors import MethodRefusedError, StructureError
from pybilevel.methods.base import refusal_message
from pybilevel.methods.product_options import declare_product_options
from pybilevel.model.convexity import FollowerClass
from pybilevel.model.dual_reference import link_dual_references, refuse_dual_references
from pybilevel.model.follower_form import FollowerForm
from pybilevel.model.kkt_system import FollowerDual, build_follower_dual
from pybilevel.model.structure import BilevelStructure, LeaderClass, analyze
from pybilevel.model.structure import _classify_leader as classify_leader
from pybilevel.solvers.features import Feature

if TYPE_CHECKING:
    from pybilevel.model.bounds import BigMValue

__all__ = [
    "Reformulation",
    "BilevelTransformation",
    "KKT_CLASSES",
    "declare_multiplier_bound_options",
    "find_reformulation",
]

#: follower classes whose KKT conditions are necessary and sufficient
KKT_CLASSES = (FollowerClass.LP, FollowerClass.QP, FollowerClass.CONVEX_NLP)
BLOCK_PREFIX = "_pybilevel_"


@dataclass
class Reformulation:
    """The single-level model a reformulation built, and what is needed to map a solution back."""

    method: str
    structure: BilevelStructure
    block: BlockData  # holds everything the reformulation added, one sub-block per follower
    duals: list[FollowerDual]
    bigm: list[BigMValue] = field(default_factory=list)
    features: set[str] = field(default_factory=set)
    deactivated: list[ActiveComponentData] = field(default_factory=list)  # reactivated by remove()
    settings: dict[str, float] = field(default_factory=dict)  # method options needed at solve time
    model_components: list[str] = field(default_factory=list)  # added on the model itself, outside block
    #: steps that set values the single-level model leaves open (e.g. the follower's response
    #: when only its dual is modelled); run by :meth:`complete_solution` once a solution is loaded
    completions: list[Callable[[], None]] = field(default_factory=list)
    #: candidate starts for a MILP solver: values of some variables of the single-level model at
    #: a feasible point each (HiGHS completes them and starts from the best: :mod:`pybilevel.model.kkt_start`)
    starts: list[ComponentMap] = field(default_factory=list)

    @property
    def model(self) -> BlockData:
        return self.structure.model

    def follower_block(self, follower_name: str) -> BlockData:
        """The block holding what was added for one follower, e.g. ``follower_block('f')``."""
        return self.block.follower[follower_name]

    def size(self) -> dict[str, int]:
        """Rows, columns and nonzeros of the linear part of the single-level model."""
        from pybilevel.solvers.model_size import model_size  # noqa: PLC0415

        return model_size(self.model)

    def start(self, number: int) -> ComponentMap:
        """Candidate start ``number`` (made empty on first use; followers add their parts)."""
        while len(self.starts) <= number:
            self.starts.append(ComponentMap())
        return self.starts[number]

    def complete_solution(self) -> None:
        """After a solution of the single-level model is loaded: fill in what it does not determine."""
        for step in self.completions:
            step()

    def remove(self) -> None:
        """Undo the reformulation: delete the added block, reactivate the follower objectives."""
        self.model.del_component(self.block)
        for component in self.deactivated:
            component.activate()
        for name in self.model_components:
            self.model.del_component(name)


class BilevelTransformation(Transformation):
    """Base of the ``bilevel.*`` transformations: check, compile, add one block, keep inverse data.

    Subclasses set ``method``, ``CONFIG`` and implement :meth:`add_follower`.
    """

    method = ""
    CONFIG = declare_product_options(ConfigDict())

    def _apply_to(self, model: BlockData, **kwds) -> None:
        self.reformulate(analyze(model), **kwds)

    def reformulate(self, structure: BilevelStructure, **kwds) -> Reformulation:
        """Add the single-level reformulation of ``structure`` to its model and return inverse data."""
        try:
            config = self.CONFIG(kwds.pop("options", {}))
            config.set_value(kwds)
        except ValueError as exc:  # Pyomo's config error; the cause holds the reason
            raise MethodRefusedError(f"method '{self.method}': {exc.__context__ or exc}.") from None
        self.accepts(structure)
        model = structure.model
        name = unique_component_name(model, BLOCK_PREFIX + self.method)
        model.add_component(name, Block())
        top = model.component(name)
        top.follower = Block([form.follower.name for form in structure.followers])
        reformulation = Reformulation(method=self.method, structure=structure, block=top, duals=[])
        try:
            for form in structure.followers:
                block = top.follower[form.follower.name]
                dual = build_follower_dual(form, block)
                reformulation.duals.append(dual)
                self.add_follower(dual, reformulation, config)
                if form.leader_nonlinear.any() or form.is_nonlinear:
                    reformulation.features.add(Feature.NONLINEAR)
                form.objective.deactivate()
                reformulation.deactivated.append(form.objective)
            link_dual_references(top, structure.dual_references, reformulation.duals)
            self.rewrite_products(top, reformulation, config)
            reformulation.features |= self.leader_features(reformulation)
        except Exception:
            reformulation.remove()
            raise
        top.reformulation = reformulation
        return reformulation

    def accepts(self, structure: BilevelStructure) -> None:
        """Raise :class:`MethodRefusedError` for a follower this method cannot reformulate."""
        for form in structure.followers:
            self.accepts_follower(form)
        if not self.links_dual_references:
            refuse_dual_references(structure.dual_references, self.method)

    #: whether the single-level model keeps the follower's multipliers, so that ``bl.dual``
    #: placeholders can be linked to them (``dual_reference`` constraints on the top block)
    links_dual_references = True

    #: follower classes this method reformulates
    follower_classes = KKT_CLASSES

    def accepts_follower(self, form: FollowerForm) -> None:
        if form.follower_class not in self.follower_classes:
            raise MethodRefusedError(refusal_message(form, self.method))

    def add_follower(self, dual: FollowerDual, reformulation: Reformulation, config) -> None:
        raise NotImplementedError

    def rewrite_products(self, top: BlockData, reformulation: Reformulation, config) -> None:
        """The ``products`` option; the methods with multipliers carry it out
        (:class:`~pybilevel.methods.products.ProductRoutes`), the others take only ``"bilinear"``."""
        if config.products != "bilinear" or config.price_levels is not None:
            raise MethodRefusedError(
                f"method '{self.method}' takes only products='bilinear' without price_levels; use one of "
                "'bigm', 'sos1', 'kkt', 'strong_duality', 'regularized' for products='linearise' or 'levels'."
            )

    def leader_features(self, reformulation: Reformulation) -> set[str]:
        """Features the leader's objective (as rewritten by ``products``, if it was) and constraints
        bring to the single-level model."""
        structure = reformulation.structure
        rewritten = reformulation.block.component("leader_objective")
        if rewritten is not None:
            kind, convex = classify_leader(rewritten, structure.leader_constraints)
            structure = replace(structure, leader_class=kind, leader_objective_convex=convex)
        features = leader_features(structure)
        if reformulation.block.component("price_levels") is not None:
            features.add(Feature.INTEGER)
        return features


def _dual_bound(value):
    if value is None:
        return value
    if hasattr(value, "items"):  # dict or ComponentMap
        return {key: _positive(bound, f"dual_bound[{getattr(key, 'name', key)}]") for key, bound in value.items()}
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _positive(value, "dual_bound")
    raise ValueError("dual_bound must be a number or a dict {constraint or variable: bound}")


def _positive(value, what: str = "the value") -> float:
    """``value`` as a float if it is finite and > 0; ValueError stating the allowed range otherwise."""
    number = float(value) if isinstance(value, numbers.Real) and not isinstance(value, bool) else math.nan
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{what} must be a finite number > 0, got {value!r}")
    return number


def declare_multiplier_bound_options(config: ConfigDict) -> ConfigDict:
    """The options that set bounds on follower multipliers (see :mod:`pybilevel.model.bounds`)."""
    config.declare(
        "dual_bound",
        ConfigValue(
            default=None,
            domain=_dual_bound,
            description="bound on follower multipliers: one number for all, or a dict keyed by "
            "follower constraint / variable (or its name); overrides a BigM Suffix",
        ),
    )
    config.declare(
        "heuristic_factor",
        ConfigValue(
            default=10.0,
            domain=lambda value: _positive(value, "heuristic_factor"),
            description="safety factor of the sampled-multiplier heuristic, used for multipliers "
            "with no dual_bound argument and no BigM Suffix entry",
        ),
    )
    config.declare(
        "heuristic_samples",
        ConfigValue(default=5, domain=int, description="random leader decisions the heuristic samples"),
    )
    return config


def leader_features(structure: BilevelStructure) -> set[str]:
    """Features the leader's own objective and constraints bring to the single-level model."""
    features = set()
    if structure.leader_has_integers:
        features.add(Feature.INTEGER)
    if structure.leader_class == LeaderClass.QUADRATIC:
        features.add(Feature.QUADRATIC_OBJECTIVE)
        if not structure.leader_objective_convex:
            features.add(Feature.NONCONVEX_OBJECTIVE)
    elif structure.leader_class == LeaderClass.NONLINEAR:
        features.add(Feature.NONLINEAR)
    return features


def find_reformulation(model: BlockData, method: str | None = None) -> Reformulation:
    """The reformulation a ``bilevel.*`` transformation added to ``model`` (the latest if several)."""
    found = [
        block.reformulation
        for block in model.component_data_objects(Block, descend_into=False)
        if block.local_name.startswith(BLOCK_PREFIX)
        and hasattr(block, "reformulation")
        and (method is None or block.reformulation.method == method)
    ]
    if not found:
        raise StructureError(
            f"model {model.name} has no bilevel reformulation"
            + (f" by '{method}'" if method else "")
            + "; apply one first, e.g. TransformationFactory('bilevel.kkt').apply_to(m)."
        )
    return found[-1]
