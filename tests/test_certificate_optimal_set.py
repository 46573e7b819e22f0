"""The certificate's leader problem over the follower's optimal set (pybilevel/certify/)."""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel.certify.certificate import certify


def tied_follower(scale: float) -> pyo.ConcreteModel:
    """min_x y1 over the follower's optima of min y1 + y2 s.t. y1 + y2 = scale: every split is
    optimal for the follower, and y1 = 0 is the optimistic one (leader objective 0)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y1 = pyo.Var(bounds=(0, None))
    m.f.y2 = pyo.Var(bounds=(0, None))
    m.f.split = pyo.Constraint(expr=m.f.y1 + m.f.y2 == scale)
    m.f.obj = pyo.Objective(expr=m.f.y1 + m.f.y2)
    m.obj = pyo.Objective(expr=m.f.y1 + 0 * m.x)
    return m


@pytest.mark.parametrize("scale", [1.0, 1e-3])
def test_a_better_tie_for_the_leader_fails_the_certificate_however_small(scale):
    """The reported split y1 = scale is follower-optimal but not the optimistic one: a genuine
    difference of scale (1 or 1e-3, far above the tolerance 1e-5) that narrowing the optimal
    set's band does not remove."""
    m = tied_follower(scale)
    m.x.set_value(0.5)
    m.f.y1.set_value(scale)
    m.f.y2.set_value(0.0)
    (certificate,) = certify(bl.analyze(m))
    assert not certificate.passed and "better for the leader" in certificate.message
    assert certificate.best_leader_objective == pytest.approx(0.0, abs=1e-9)


def test_the_optimistic_tie_passes():
    m = tied_follower(1.0)
    m.x.set_value(0.5)
    m.f.y1.set_value(0.0)
    m.f.y2.set_value(1.0)
    (certificate,) = certify(bl.analyze(m))
    assert certificate.passed and certificate.best_leader_objective == pytest.approx(0.0, abs=1e-9)
