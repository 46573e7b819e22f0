"""``res.plot()``: the inducible region for one or two leader variables, else the convergence of
an iterative method; written to a PNG file whole or not at all (docs/plotting.md)."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pybilevel.errors import BilevelError
from pybilevel.io.output import create_temporary
from pybilevel.model.structure import analyze
from pybilevel.plot.draw import convergence_figure, region_figure, require_matplotlib
from pybilevel.plot.grid import inducible_region
from pybilevel.results import BilevelResult, register_plotter

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from pyomo.core.base.block import BlockData

__all__ = ["plot_result", "save_png", "check_plot_file"]

#: the methods that record ``res.history`` (for the refusal's advice)
ITERATIVE_METHODS = ("value_function", "interdiction_cuts", "discretization", "regularized")


def plot_result(
    result: BilevelResult, model: BlockData | None, path: str | Path | None = None, ax: Axes | None = None,
    points: int | None = None,
) -> Figure:
    """Draw ``result`` (module docstring) into ``ax`` or a new figure, save it to ``path`` if given,
    and return the figure. ``points``: grid points per leader variable."""
    require_matplotlib()  # before the grid's solves, not after them
    structure = None if model is None else analyze(model)
    if structure is not None and len(structure.leader_variables) in (1, 2) and len(structure.followers) == 1:
        figure = region_figure(inducible_region(structure, points, result.reading), result, ax)
    elif result.history:
        figure = convergence_figure(result, ax)
    else:
        raise BilevelError(f"res.plot(): {_why_no_region(structure)} and method {result.method} records no "
                           "iteration history; the inducible region is drawn for one or two leader variables and one "
                           f"follower, the convergence plot for the iterative methods ({', '.join(ITERATIVE_METHODS)}).")
    if path is not None:
        save_png(figure, path)
    return figure


def save_png(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` to ``path`` as PNG through a temporary file in the same folder, so the file
    is whole or absent; a :class:`BilevelError` naming the path if it cannot be written."""
    path = check_plot_file(path)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = create_temporary(path.parent, f".{path.name}")
        with os.fdopen(handle, "wb") as stream:
            figure.savefig(stream, format="png", dpi=120)
        os.replace(temporary, path)
    except OSError as exc:
        raise BilevelError(f"plot file {path}: writing failed ({exc.strerror or exc}); choose a writable path.") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    return path


def check_plot_file(path: str | Path) -> Path:
    """``path`` if a picture can be written there (a .png name, matplotlib installed), else a
    :class:`BilevelError` saying what to change; checked before a solve that would draw it."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise BilevelError(f"plot file {path}: the picture is written as PNG; give a name ending in .png.")
    if path.is_dir():
        raise BilevelError(f"plot file {path} is a folder; give a file name ending in .png.")
    require_matplotlib()
    return path


def _why_no_region(structure) -> str:
    if structure is None:
        return "the result holds no model (it was not returned by bl.solve)"
    followers = len(structure.followers)
    return f"the problem has {len(structure.leader_variables)} leader variables" + (
        f" and {followers} followers," if followers != 1 else "")


register_plotter(plot_result)
