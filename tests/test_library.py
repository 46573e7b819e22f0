"""Every literature problem through every method, against its published (oracle-checked) optimum."""
import pytest

import pybilevel as bl
from library_run import KNOWN_OUTCOMES, classify
from problem_library import PROBLEMS


CASES = [pytest.param(p, m, id=f"{p.name}-{m}") for p in PROBLEMS for m in bl.METHODS]


@pytest.mark.parametrize("problem, method", CASES)
def test_published_optimum(problem, method):
    outcome, res, detail = classify(problem, method)
    expected, _reason = KNOWN_OUTCOMES.get((problem.name, method), ({"solved"}, ""))
    if outcome == "refused":
        # big-M needs a finite bound on every slack; the message names the slack and the way out
        assert method == "bigm" and "has no upper bound" in detail and "method='sos1'" in detail
        return
    # "solved" = proven optimal, certified, and equal to the published optimum. The published
    # follower objective is not compared: where the leader has several optima (e.g. Bialas &
    # Karwan 1984) it belongs to one of them; the certificate checks the follower's value instead.
    assert outcome in expected, f"{problem.citation}: {detail}"
