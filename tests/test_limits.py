"""Issue 19: no method raises at a time limit or on a partial solution; each returns status
``limit`` (no point) or ``feasible`` (a point and the bound), and an unset variable is reported
as "no point", never read as a number."""
from __future__ import annotations

import math
import warnings

import pytest

import integer_library as il
import interdiction_instances as ii
import nonconvex_library as nl
import pybilevel as bl
import toll_grid as tg
from pybilevel.methods import reformulation as reformulation_module
from pybilevel.methods import scholtes as scholtes_module
from pybilevel.results import Status


def _bounded_grid():
    m = tg.build(tg.grid(2, 3, 4, seed=3))
    for var in m.f.flow.values():
        var.setub(1.0)  # big-M needs bounded slacks
    return m


MODELS = {
    "kkt": _bounded_grid,
    "bigm": _bounded_grid,
    "sos1": _bounded_grid,
    "strong_duality": _bounded_grid,
    "regularized": _bounded_grid,
    "value_function": il.PROBLEMS[3].build,
    "interdiction": lambda: ii.knapsack_model(ii.knapsack_instance(40, 1)),
    "discretization": nl.mb_3_09,
}


@pytest.mark.parametrize("method", sorted(MODELS))
def test_a_tiny_time_limit_gives_a_status_not_an_exception(method):
    res = bl.solve(MODELS[method](), method=method, time_limit=1e-3)
    assert res.status in (Status.LIMIT, Status.FEASIBLE), (res.status, res.message)
    assert res.message
    if res.status == Status.LIMIT:
        assert res.leader_objective is None or math.isnan(res.leader_objective)
    str(res)  # the report prints at a limit too
    res.to_json() if hasattr(res, "to_json") else None


def test_interdiction_stopped_with_a_point_reports_it_and_the_bound():
    inst = ii.knapsack_instance(40, 1)
    res = bl.solve(ii.knapsack_model(inst), method="interdiction", time_limit=0.6)
    assert res.status in (Status.FEASIBLE, Status.LIMIT, Status.OPTIMAL)
    if res.status == Status.FEASIBLE:  # the leader minimises the follower's profit: bound <= point
        assert res.bound is not None and res.bound <= res.leader_objective + 1e-6


def _leaving_a_variable_unset(real, status):
    """A solve_model that solves, then forgets one follower value and reports ``status``."""

    def solve_model(model, *args, **kwargs):
        outcome = real(model, *args, **kwargs)
        if outcome.has_solution and hasattr(model, "f"):
            next(iter(model.f.component_data_objects(_var()))).set_value(None)
            outcome.status = status
        return outcome

    return solve_model


def _var():
    from pyomo.environ import Var

    return Var


@pytest.mark.parametrize("method", ["kkt", "bigm", "sos1", "strong_duality", "regularized", "interdiction"])
@pytest.mark.parametrize("status, expected", [("limit", Status.LIMIT), ("optimal", Status.ERROR)])
def test_a_solver_leaving_a_variable_unset_gives_no_point(monkeypatch, method, status, expected):
    monkeypatch.setattr(reformulation_module, "solve_model", _leaving_a_variable_unset(reformulation_module.solve_model, status))
    monkeypatch.setattr(scholtes_module, "solve_model", _leaving_a_variable_unset(scholtes_module.solve_model, status))
    m = ii.knapsack_model(ii.knapsack_instance(8, 1)) if method == "interdiction" else _bounded_grid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bl.solve(m, method=method, time_limit=60)
    if method == "interdiction":  # it completes the follower's values itself (complete_solution)
        assert res.status in (expected, Status.FEASIBLE, Status.OPTIMAL), res.message
        assert all(math.isfinite(v) for v in res.follower["f"].values())
        return
    if method == "regularized":  # the Scholtes sequence drops an incomplete step itself: no point
        assert res.status in (Status.LIMIT, Status.ERROR), res.message
    else:
        assert res.status == expected, res.message
        assert "without a value" in res.message
    assert not res.leader
