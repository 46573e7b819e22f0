"""At a solver limit the reported follower response is the optimum best for the leader at that decision."""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel.certify.certificate import certify
from pybilevel.model.structure import analyze
from pybilevel.readings.optimistic import best_response_at_limit
from pybilevel.results import BilevelResult, Status


def tied_model() -> pyo.ConcreteModel:
    """Follower min 0 s.t. y <= x, 0 <= y <= 1: every feasible y is optimal. Leader min x/2 - y."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y = pyo.Var(bounds=(0, 1))
    m.f.c = pyo.Constraint(expr=m.f.y <= m.x)
    m.f.obj = pyo.Objective(expr=0 * m.f.y)
    m.obj = pyo.Objective(expr=m.x / 2 - m.f.y)
    return m


def _incumbent(m: pyo.ConcreteModel, x: float, y: float) -> BilevelResult:
    """A result as a solver stopped at a limit would leave it: an optimal but poor follower response."""
    m.x.set_value(x)
    m.f.y.set_value(y)
    return BilevelResult(status=Status.FEASIBLE, message="stopped at a limit", method="bigm", solver="highs",
                         solver_reason="", leader_objective=pyo.value(m.obj), bound=-1.0)


def test_the_leaders_best_follower_optimum_replaces_a_poor_one():
    m = tied_model()
    result = _incumbent(m, x=1.0, y=0.0)  # y = 0 is optimal for the follower; the leader gets 0.5
    best_response_at_limit(analyze(m), result)
    # at x = 1 the optimistic reading picks y = 1 (closed form): the leader gets 1/2 - 1 = -1/2
    assert result.leader_objective == pytest.approx(-0.5)
    assert result.follower["f"]["f.y"] == pytest.approx(1.0)
    assert m.x.value == 1.0
    assert "improves the leader's objective from 0.5 to -0.5" in result.message
    assert certify(analyze(m))[0].passed


def test_a_response_already_best_is_kept():
    m = tied_model()
    result = _incumbent(m, x=0.5, y=0.5)
    best_response_at_limit(analyze(m), result)
    assert result.leader_objective == pytest.approx(-0.25)
    assert result.message == "stopped at a limit"
