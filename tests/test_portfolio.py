"""Issue 19: ``auto`` as a portfolio. When its first choice does not finish in its slice, the
next candidate gets one; the first conclusive answer wins and the result lists every attempt.
References: the exact optimum of the 6-node toll grid by path enumeration (tests/toll_grid.py)."""
from __future__ import annotations

import warnings

import pytest

import pybilevel as bl
import toll_grid as tg
from pybilevel.methods import choice, portfolio
from pybilevel.results import Status


def test_a_slow_first_choice_hands_over_to_the_next_candidate(monkeypatch):
    # make sos1 auto's first choice on the toll grid, where it stops at 60 s without a point
    monkeypatch.setattr(choice, "_toll_like", lambda structure: False)
    monkeypatch.setattr(portfolio, "FIRST_SLICE", 0.5)
    net = tg.grid(2, 3, 4, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bl.solve(tg.build(net))  # no limit: 0.5 s slices
    assert res.status == Status.OPTIMAL and res.ok
    assert res.method == "strong_duality"
    assert res.leader_objective == pytest.approx(tg.enumerated_optimum(net), abs=1e-6)
    tried = [a["method"] for a in res.portfolio]
    assert tried[0] == "sos1" and res.portfolio[0]["status"] in (Status.LIMIT, Status.FEASIBLE)
    assert tried[-1] == "strong_duality" and res.portfolio[-1]["status"] == Status.OPTIMAL
    assert "portfolio: sos1" in res.method_reason


def test_an_easy_problem_is_won_by_the_first_choice_in_its_first_slice():
    import problem_library as pl

    problem = pl.PROBLEMS[0]
    res = bl.solve(problem.build())
    assert res.ok and res.method == "sos1" and len(res.portfolio) == 1
    assert res.leader_objective == pytest.approx(problem.leader_objective)


def test_the_portfolio_keeps_to_the_time_limit_and_returns_the_best_it_has(monkeypatch):
    monkeypatch.setattr(choice, "_toll_like", lambda structure: False)
    monkeypatch.setattr(choice, "_fallbacks", lambda *args: [("bigm", "fallback")])
    monkeypatch.setattr(portfolio, "FIRST_SLICE", 0.3)
    m = tg.build(tg.grid(2, 3, 4, seed=3))
    for var in m.f.flow.values():
        var.setub(1.0)
    import time

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bl.solve(m, time_limit=2.0)
    assert time.perf_counter() - start < 2.0 + 3.0  # the slices stay within the method's share
    assert res.status in (Status.FEASIBLE, Status.LIMIT, Status.OPTIMAL)
    assert {a["method"] for a in res.portfolio} <= {"sos1", "bigm"}


def test_interdiction_and_integer_followers_run_alone():
    import integer_library as il

    res = bl.solve(il.PROBLEMS[3].build())
    assert res.method == "branch_and_cut" and res.portfolio == []  # general-integer linking variables


def test_a_candidate_refusing_while_solving_is_dropped(monkeypatch):
    # bigm cannot bound the toll grid's flows (BigMError while solving): the portfolio goes on
    monkeypatch.setattr(choice, "_toll_like", lambda structure: False)
    monkeypatch.setattr(choice, "_fallbacks", lambda *args: [("bigm", "fallback"), ("strong_duality", "fallback")])
    monkeypatch.setattr(portfolio, "FIRST_SLICE", 0.3)
    net = tg.grid(2, 3, 4, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = bl.solve(tg.build(net))
    assert [a["status"] for a in res.portfolio if a["method"] == "bigm"] == ["refused"]
    assert res.method == "strong_duality" and res.ok
    assert res.leader_objective == pytest.approx(tg.enumerated_optimum(net), abs=1e-6)
