"""The result of a bilevel solve: values, duals, statuses, certificate, timings, big-M report."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from pyomo.core.base.block import BlockData

    from pybilevel.certify.certificate import FollowerCertificate
    from pybilevel.model.bounds import BigMValue
    from pybilevel.progress import IterationRecord


__all__ = ["BilevelResult", "Status", "CertificateWarning", "ScalingWarning", "register_plotter"]

#: draws a result: pybilevel.plot.picture.plot_result, registered by that module (it sits above
#: this one: it re-solves the follower through the certificate's machinery)
_PLOTTERS: list[Callable[..., Figure]] = []


def register_plotter(plotter: Callable[..., Figure]) -> None:
    """Make ``plotter(result, model, path=, ax=, points=)`` the one :meth:`BilevelResult.plot` calls."""
    _PLOTTERS[:] = [plotter]


class CertificateWarning(UserWarning):
    """A solve returned a point whose follower answer could not be certified optimal."""


class ScalingWarning(UserWarning):
    """A coefficient below the solvers' zero tolerance may be dropped (harmlessly: within tolerance)."""


class Status:
    """Bilevel statuses, each saying what was proven."""

    OPTIMAL = "optimal"  # solver proved optimality of the single-level model
    LOCALLY_OPTIMAL = "local_optimal"  # a local solver (Ipopt) converged: a stationary point, not proven global
    FEASIBLE = "feasible"  # a point was found but optimality was not proven (limit reached)
    INFEASIBLE = "infeasible"  # no bilevel-feasible point exists (see message for which part)
    UNBOUNDED = "unbounded"  # the leader's objective is unbounded over bilevel-feasible points
    FOLLOWER_UNBOUNDED = "follower_unbounded"  # the follower has no optimum for some leader decision
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    LIMIT = "limit"  # stopped by a time or iteration limit without a point
    ERROR = "error"


@dataclass
class BilevelResult:
    """Everything a bilevel solve found. Names of variables and constraints are Pyomo names."""

    status: str
    message: str
    method: str
    solver: str
    solver_reason: str
    leader_objective: float | None = None
    follower_objectives: dict[str, float] = field(default_factory=dict)
    leader: dict[str, float] = field(default_factory=dict)
    follower: dict[str, dict[str, float]] = field(default_factory=dict)
    follower_duals: dict[str, dict[str, float]] = field(default_factory=dict)
    follower_reduced_costs: dict[str, dict[str, float]] = field(default_factory=dict)
    certificate: list[FollowerCertificate] = field(default_factory=list)
    bigm: list[BigMValue] = field(default_factory=list)
    bound: float | None = None  # solver's proven bound on the leader objective
    gap: float | None = None  # |leader objective - bound| / max(1, |leader objective|), where a method reports it
    iterations: int | None = None  # a decomposition's iterations (value_function), branch_and_cut's nodes
    #: an iterative method's (iteration, seconds, bound, incumbent) per iteration, leader's sense
    history: list[IterationRecord] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    model_size: dict[str, int] = field(default_factory=dict)
    method_reason: str = ""
    reading: str = "optimistic"  # or "pessimistic": which follower optimum the values are for
    mpcc: dict[str, object] = field(default_factory=dict)  # local methods: residual, biactive pairs, verdict
    polish: dict[str, object] = field(default_factory=dict)  # what polishing did to the solver's point
    scaling: list[str] = field(default_factory=list)  # rows rescaled before solving, coefficients solvers may drop
    convexity: dict[str, str] = field(default_factory=dict)  # follower -> how its convexity is known (nonlinear followers)
    portfolio: list[dict] = field(default_factory=list)  # auto's attempts when it ran several methods
    #: the solved model, kept by bl.solve for :meth:`plot` (a class attribute, not a field: no data to write)
    _model = None

    def keep_model(self, model: BlockData) -> None:
        """Keep the solved model, whose follower :meth:`plot` re-solves on a grid of leader decisions."""
        self._model = model

    def plot(self, path: str | Path | None = None, ax: Axes | None = None, points: int | None = None) -> Figure:
        """The inducible region for one or two leader variables (the follower re-solved on a grid of
        ``points`` leader values per variable, the leader's objective along its response, the optimum
        found), else the convergence of an iterative method (bound and incumbent against seconds).
        Drawn into ``ax`` or a new figure, written to the PNG file ``path`` if given; the figure is
        returned. Needs matplotlib (``pip install pybilevel[plot]``); docs/plotting.md."""
        return _PLOTTERS[0](self, self._model, path=path, ax=ax, points=points)

    @property
    def certified(self) -> bool:
        """Every follower's answer was re-solved and confirmed optimal for the leader's decision."""
        return bool(self.certificate) and all(c.passed for c in self.certificate)

    @property
    def certificate_complete(self) -> bool:
        """Every check of the certificate was made (False: the time limit ran out first)."""
        return all(c.complete for c in self.certificate)

    @property
    def ok(self) -> bool:
        """Optimal (globally, or locally for a local method) and certified."""
        return self.status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL) and self.certified

    @property
    def bigm_reached(self) -> list[BigMValue]:
        """Big-M values the solution reached; those not ``proven`` may have cut off a better point."""
        return [record for record in self.bigm if record.reached]

    def attach_certificate(self, certificate: list[FollowerCertificate]) -> None:
        """Keep ``certificate``; an optimum whose certificate the time limit cut short is only
        ``feasible``, and the message says so. Warns (:class:`CertificateWarning`) if not certified."""
        self.certificate = certificate
        if not self.certificate_complete and self.status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL):
            self.status = Status.FEASIBLE
            self.message += "; the time limit ran out before the certificate was complete, so it is not proven"
        if self.status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE) and not self.certified:
            warnings.warn(
                f"{self._certificate_verdict()}: " + "; ".join(c.message for c in self.certificate if not c.passed),
                CertificateWarning,
                stacklevel=3,
            )

    def _certificate_verdict(self) -> str:
        return "CERTIFICATE FAILED" if self.certificate_complete else "CERTIFICATE INCOMPLETE (time limit)"

    def frames(self) -> dict[str, pd.DataFrame]:
        """Leader values, follower values, duals, certificate and big-M report as DataFrames."""
        rows = [("leader", "", n, v) for n, v in self.leader.items()]
        rows += [("follower", f, n, v) for f, vals in self.follower.items() for n, v in vals.items()]
        duals = [(f, n, v) for f, vals in self.follower_duals.items() for n, v in vals.items()]
        return {
            "values": pd.DataFrame(rows, columns=["level", "follower", "variable", "value"]),
            "duals": pd.DataFrame(duals, columns=["follower", "constraint", "dual"]),
            "certificate": pd.DataFrame([asdict(c) for c in self.certificate]),
            "bigm": pd.DataFrame([asdict(b) for b in self.bigm]),
        }

    def to_dict(self) -> dict:
        """Plain data, ready for JSON."""
        data = asdict(self)
        data["certified"] = self.certified
        return data

    def __str__(self) -> str:
        head = f"status: {self.status}"
        if self.status in (Status.OPTIMAL, Status.LOCALLY_OPTIMAL, Status.FEASIBLE):
            head += " (certified)" if self.certified else f"  ** {self._certificate_verdict()}: do not trust this point **"
        if self.status == Status.LOCALLY_OPTIMAL:
            head += " -- LOCAL: a stationary point, not proven globally optimal"
        lines = [head, f"  {self.message}", f"method: {self.method} ({self.method_reason}); solver: {self.solver_reason}"
                 + ("; pessimistic reading" if self.reading != "optimistic" else "")]
        if self.mpcc:
            lines.append(f"MPCC: {self.mpcc['verdict']} (residual {self.mpcc['residual']:.2g})")
        if self.polish:
            lines.append(_polish_line(self.polish))
        lines.extend(f"scaling: {note}" for note in self.scaling)
        lines.extend(f"convexity of follower {f}: {how}" for f, how in self.convexity.items())
        if self.leader_objective is not None:
            lines.append(f"leader objective: {self.leader_objective:.10g}")
            if self.gap is not None:
                lines.append(f"proven bound: {self.bound:.10g} (gap {self.gap:.3g})")  # the message counts the work
            lines.extend(f"follower {f} objective: {v:.10g}" for f, v in self.follower_objectives.items())
            lines.append("leader: " + _short(self.leader))
            lines.extend(f"follower {f}: " + _short(v) for f, v in self.follower.items())
        lines.extend("certificate: " + c.message for c in self.certificate)
        for record in self.bigm_reached:
            if record.proven:
                continue
            lines.append(
                f"big-M reached: {record.kind} of {record.key} at M={record.value:g} ({record.source}); "
                "raise it (dual_bound=... or a BigM Suffix) or use method='sos1' to rule out a cut-off optimum"
            )
        lines.append("timings [s]: " + ", ".join(f"{k} {v:.3f}" for k, v in self.timings.items()))
        return "\n".join(lines)


def _short(values: dict[str, float], limit: int = 8) -> str:
    shown = ", ".join(f"{k}={v:.6g}" for k, v in list(values.items())[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def _polish_line(polish: dict[str, object]) -> str:
    if not polish["accepted"]:
        return f"polish: kept the solver's point ({polish['reason']})"
    return (
        f"polish: {polish['step']}; moved {polish['moved']:.2g}, leader objective {polish['objective_change']:+.2g}, "
        f"largest row violation {polish['violation_before']:.2g} -> {polish['violation_after']:.2g}"
    )
