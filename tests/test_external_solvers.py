"""Any Pyomo solver for the single-level model (pybilevel/solvers/external.py): the same certified
optima as the embedded solvers on library problems, refusals naming the missing capability."""
from __future__ import annotations

import pyomo.environ as pyo
import pytest
from pyomo.opt import SolverFactory

import pybilevel as bl
from problem_library import PROBLEMS
from pybilevel.solvers.external import solve_external

HAS_CBC = SolverFactory("cbc").available(exception_flag=False)
HAS_GLPK = SolverFactory("glpk").available(exception_flag=False)
needs_cbc = pytest.mark.skipif(not HAS_CBC, reason="CBC not installed (apt-get install coinor-cbc)")
needs_glpk = pytest.mark.skipif(not HAS_GLPK, reason="GLPK not installed (apt-get install glpk-utils)")

LP_LP = [p for p in PROBLEMS if (p.follower_class, p.leader_class) == ("LP", "LP")][:8]
QP_LEADER = next(p for p in PROBLEMS if p.leader_class == "QP")


def _check_same_optimum(problem, method: str, solver: str, **kwargs) -> None:
    embedded = bl.solve(problem.build(), method=method)
    external = bl.solve(problem.build(), method=method, solver=solver, **kwargs)
    assert external.solver == solver
    assert external.status == bl.Status.OPTIMAL and external.ok, external.message
    assert external.leader_objective == pytest.approx(embedded.leader_objective, rel=1e-6, abs=1e-6)
    assert external.leader_objective == pytest.approx(problem.leader_objective, rel=1e-6, abs=1e-6)


@needs_cbc
@pytest.mark.parametrize("method", ["bigm", "sos1", "kkt"])
@pytest.mark.parametrize("problem", LP_LP, ids=lambda p: p.name)
def test_cbc_gives_the_certified_optimum(problem, method: str) -> None:
    _check_same_optimum(problem, method, "cbc")


@needs_glpk
@pytest.mark.parametrize("problem", LP_LP, ids=lambda p: p.name)
def test_glpk_gives_the_certified_optimum(problem) -> None:
    _check_same_optimum(problem, "bigm", "glpk")


@pytest.mark.parametrize(("solver", "method"), [("scip_direct", "sos1"), ("appsi_highs", "bigm")])
@pytest.mark.parametrize("problem", LP_LP[:3], ids=lambda p: p.name)
def test_pyomo_interfaces_of_the_pip_solvers(problem, solver: str, method: str) -> None:
    """pyomo.contrib.solver (scip_direct) and an appsi solver through the legacy factory (appsi_highs),
    with a time limit: both need only the pip packages pybilevel already installs."""
    _check_same_optimum(problem, method, solver, time_limit=60)


@needs_cbc
def test_solver_options_reach_cbc() -> None:
    problem = LP_LP[0]
    _check_same_optimum(problem, "bigm", "cbc", solver_options={"sec": 100, "threads": 1})


@needs_glpk
def test_glpk_refuses_sos1_and_names_a_solver_that_has_it() -> None:
    with pytest.raises(bl.MethodRefusedError, match=r"SOS1 sets.*glpk.*(cbc|leave solver unset)"):
        bl.solve(LP_LP[0].build(), method="sos1", solver="glpk")


@needs_cbc
def test_cbc_refuses_a_quadratic_objective() -> None:
    with pytest.raises(bl.MethodRefusedError, match="quadratic objective.*leave solver unset"):
        bl.solve(QP_LEADER.build(), method="bigm", solver="cbc")


def test_unknown_solver_name_is_refused() -> None:
    with pytest.raises(bl.MethodRefusedError, match="unknown solver 'no_such_solver'"):
        bl.solve(LP_LP[0].build(), solver="no_such_solver")


def test_absent_solver_is_unavailable_with_a_remedy() -> None:
    if SolverFactory("cplex").available(exception_flag=False):
        pytest.skip("CPLEX is installed here")
    with pytest.raises(bl.SolverUnavailableError, match="'cplex' is not available"):
        bl.solve(LP_LP[0].build(), method="bigm", solver="cplex")


def test_decompositions_keep_their_own_solver() -> None:
    with pytest.raises(bl.MethodRefusedError, match="leave solver unset"):
        bl.solve(LP_LP[0].build(), method="regularized", solver="cbc" if HAS_CBC else "glpk")


@pytest.mark.skipif(not (HAS_CBC or HAS_GLPK), reason="neither CBC nor GLPK installed")
@pytest.mark.parametrize("solver", [s for s, ok in (("cbc", HAS_CBC), ("glpk", HAS_GLPK)) if ok])
def test_status_mapping(solver: str) -> None:
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1), within=pyo.Integers)
    m.c = pyo.Constraint(expr=m.x >= 2)
    m.o = pyo.Objective(expr=m.x)
    infeasible = solve_external(m, solver)
    assert (infeasible.status, infeasible.has_solution) == ("infeasible", False)
    m.c.deactivate()
    optimal = solve_external(m, solver)
    assert (optimal.status, optimal.has_solution, optimal.objective, m.x.value) == ("optimal", True, 0.0, 0.0)
    assert solve_external(m, solver, time_limit=0.0).status == "limit"


def test_solver_options_must_be_a_dict() -> None:
    with pytest.raises(bl.MethodRefusedError, match="solver_options must be a dict"):
        bl.solve(LP_LP[0].build(), solver_options=["threads", 2])


@needs_cbc
def test_tee_shows_the_solver_log(capfd) -> None:
    bl.solve(LP_LP[0].build(), method="bigm", solver="cbc", tee=True)
    assert "CBC" in capfd.readouterr().out
    bl.solve(LP_LP[0].build(), method="bigm", solver="cbc")
    assert "CBC" not in capfd.readouterr().out
