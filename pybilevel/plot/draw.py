"""Drawing with matplotlib (an optional dependency, imported only here and only when drawing).

Figures are made without pyplot (no global state, no display needed) on the Agg canvas, which
writes PNG files; given an ``ax``, the picture goes into the caller's own figure instead.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import numpy as np

from pybilevel.errors import BilevelError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from pybilevel.plot.grid import InducibleRegion
    from pybilevel.results import BilevelResult

__all__ = ["require_matplotlib", "region_figure", "convergence_figure"]


def require_matplotlib() -> None:
    """Raise a :class:`BilevelError` saying how to install matplotlib if it is missing."""
    try:
        importlib.import_module("matplotlib")
    except ImportError:
        raise BilevelError("res.plot() needs matplotlib, which is not installed: pip install pybilevel[plot]") from None


def region_figure(region: InducibleRegion, result: BilevelResult, ax: Axes | None = None) -> Figure:
    """One leader variable: F(x, y*(x)) with the follower's reaction y*(x) on a second axis;
    two: a heatmap of F over the grid. Gaps where there is no point; the optimum found marked."""
    ax = _axes(ax)
    optimum = [result.leader.get(name) for name in region.leader]
    found = all(v is not None for v in optimum) and result.leader_objective is not None
    if len(region.leader) == 1:
        _draw_curve(ax, region, result, optimum[0] if found else None)
    else:
        _draw_contours(ax, region, optimum if found else None)
    ax.set_title(f"inducible region ({region.reading} reading), method {result.method}")
    return ax.figure


def convergence_figure(result: BilevelResult, ax: Axes | None = None) -> Figure:
    """The proven bound and the incumbent of an iterative method against seconds."""
    ax = _axes(ax)
    seconds = np.array([h.seconds for h in result.history])
    for label, values, style in (("bound", [h.bound for h in result.history], "-"),
                                 ("incumbent", [h.incumbent for h in result.history], "--")):
        series = np.array([np.nan if v is None else v for v in values], dtype=float)
        if np.isfinite(series).any():
            ax.step(seconds, series, style, where="post", marker="o", markersize=3, label=label)
    ax.set_xlabel("seconds")
    ax.set_ylabel("leader objective")
    ax.set_title(f"convergence of {result.method} ({len(result.history)} iterations)")
    ax.legend()
    return ax.figure


def _axes(ax: Axes | None) -> Axes:
    """``ax``, or the axes of a new figure on the Agg canvas."""
    require_matplotlib()
    if ax is not None:
        return ax
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415 (optional dependency)
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=(7, 5), layout="constrained")
    FigureCanvasAgg(figure)
    return figure.add_subplot()


def _draw_curve(ax: Axes, region: InducibleRegion, result: BilevelResult, x_star: float | None) -> None:
    x = region.axes[0]
    ax.plot(x, region.leader_objective, "-", color="C0", marker="." if len(x) <= 30 else None,
            label="leader objective F(x, y*(x))")
    ax.set_xlabel(region.leader[0])
    ax.set_ylabel("leader objective", color="C0")
    reaction_ax = ax.twinx()
    for k, (name, values) in enumerate(region.reaction.items()):
        reaction_ax.plot(x, values, "--", color=f"C{k + 1}", label=f"follower reaction {name}")
    reaction_ax.set_ylabel("follower reaction y*(x)")
    if x_star is not None:
        ax.plot([x_star], [result.leader_objective], "*", color="C3", markersize=14, zorder=5,
                label=f"optimum found: {region.leader[0]}={x_star:.4g}, F={result.leader_objective:.4g}")
    lines = ax.get_legend_handles_labels()
    more = reaction_ax.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize="small")


def _draw_contours(ax: Axes, region: InducibleRegion, optimum: list[float] | None) -> None:
    values = np.ma.masked_invalid(region.leader_objective.T)  # rows: the second leader variable
    cells = ax.pcolormesh(region.axes[0], region.axes[1], values, shading="nearest", cmap="viridis")
    ax.figure.colorbar(cells, ax=ax, label="leader objective F(x, y*(x)); blank: no point")
    ax.set_xlabel(region.leader[0])
    ax.set_ylabel(region.leader[1])
    if optimum is not None:
        ax.plot([optimum[0]], [optimum[1]], "*", color="red", markersize=14,
                label=f"optimum found: ({optimum[0]:.4g}, {optimum[1]:.4g})")
        ax.legend(fontsize="small")
