"""Convexity check of nonlinear followers: curvature is evaluated on the block of variables a part
uses (its nonlinear Hessian entries and its quadratic matrix), which must find the same answer as
the whole Hessian would."""
import pyomo.environ as pyo
import pytest

import pybilevel as bl
from pybilevel.model.convexity import FollowerClass

N = 2000  # follower variables; only three enter curved terms


def follower_with(quadratic) -> pyo.ConcreteModel:
    """min_y y0^4 + quadratic(y) + sum(y) over y in [0, 1]^N; leader min x + sum(y), x in [0, 1]."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1))
    m.f = bl.Follower()
    m.f.y = pyo.Var(range(N), bounds=(0, 1))
    m.f.c = pyo.Constraint(expr=sum(m.f.y[i] for i in range(N)) >= m.x)
    m.f.obj = pyo.Objective(expr=m.f.y[0] ** 4 + quadratic(m.f.y) + sum(m.f.y[i] for i in range(N)))
    m.obj = pyo.Objective(expr=m.x)
    return m


@pytest.mark.parametrize(
    "quadratic, expected",
    [
        (lambda y: y[1] ** 2 + y[2] ** 2, FollowerClass.CONVEX_NLP),
        # Hessian [[0, 1], [1, 0]] on y1, y2, which the nonlinear term y0^4 does not use
        (lambda y: y[1] * y[2], FollowerClass.NONCONVEX_NLP),
        (lambda y: y[0] * y[1], FollowerClass.NONCONVEX_NLP),  # [[12 y0^2, 1], [1, 0]]: det -1
    ],
)
def test_large_follower_is_classified_on_the_block_its_curved_terms_use(quadratic, expected):
    form = bl.analyze(follower_with(quadratic)).followers[0]
    assert form.follower_class == expected
    if expected == FollowerClass.NONCONVEX_NLP:
        assert any("objective f.obj is not convex" in reason for reason in form.reasons)
