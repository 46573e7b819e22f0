"""Issue 18, options: multiplier bounds and gaps outside their range are refused with the range;
dual_bound keys must name follower constraints or variables (docs/reliability.md)."""
from __future__ import annotations

import math

import pyomo.environ as pyo
import pytest

import pybilevel as bl
from test_hostile_components import toy


@pytest.mark.parametrize("options, error, message", [
    ({"dual_bound": -1}, bl.MethodRefusedError, "method 'bigm': dual_bound must be a finite number > 0, got -1."),
    ({"dual_bound": 0}, bl.MethodRefusedError, "dual_bound must be a finite number > 0, got 0"),
    ({"dual_bound": math.inf}, bl.MethodRefusedError, "dual_bound must be a finite number > 0, got inf"),
    ({"dual_bound": math.nan}, bl.MethodRefusedError, "dual_bound must be a finite number > 0, got nan"),
    ({"dual_bound": True}, bl.MethodRefusedError, "dual_bound must be a number or a dict"),
    ({"dual_bound": "10"}, bl.MethodRefusedError, "dual_bound must be a number or a dict"),
    ({"dual_bound": {"f.c": -2}}, bl.MethodRefusedError, "dual_bound[f.c] must be a finite number > 0, got -2"),
    ({"dual_bound": {"f.cc": 5}}, bl.BigMError, "dual_bound has the key f.cc, which is no constraint or variable of follower f"),
    ({"dual_bound": {"lc": 5}}, bl.BigMError, "dual_bound has the key lc, which is no constraint or variable"),
    ({"heuristic_factor": 0}, bl.MethodRefusedError, "method 'bigm': heuristic_factor must be a finite number > 0, got 0"),
    ({"heuristic_factor": -3.5}, bl.MethodRefusedError, "heuristic_factor must be a finite number > 0, got -3.5"),
    ({"mip_gap": -1e-6}, bl.MethodRefusedError, "mip_gap must be a finite number >= 0 (relative gap, e.g. 1e-6), got -1e-06"),
    ({"mip_gap": math.nan}, bl.MethodRefusedError, "mip_gap must be a finite number >= 0"),
])
def test_option_out_of_range_refused(options, error, message):
    m = toy()
    with pytest.raises(error) as refused:
        bl.solve(m, method="bigm", **options)
    assert message in str(refused.value)
    assert not [c for c in m.component_objects(descend_into=False) if c.name.startswith("_pybilevel_")]  # model left clean


@pytest.mark.parametrize("value", [0, -5, math.inf, "big"])
def test_bigm_suffix_value_must_be_positive(value):
    m = toy()
    m.f.BigM = pyo.Suffix(direction=pyo.Suffix.LOCAL)
    m.f.BigM[m.f.c] = value
    with pytest.raises(bl.BigMError) as refused:
        bl.solve(m, method="bigm")
    assert f"BigM Suffix f.BigM gives f.c the bound {value!r}; a multiplier bound must be a finite number > 0" in str(refused.value)


def test_valid_dual_bound_keys_still_accepted():
    m = toy()
    res = bl.solve(m, method="bigm", dual_bound={m.f.c: 10, "f.y:upper": 10, "f.y": 10})
    assert res.ok and res.leader_objective == pytest.approx(1.0)
