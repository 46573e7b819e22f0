"""The single-level model of a reformulation written through Pyomo's writers (LP, MPS, NL, GAMS),
with a sidecar ``FILE.json`` mapping the file's names back to leader and follower variables and
follower multipliers."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from pyomo.core.base.var import Var
from pyomo.opt import ProblemFormat

from pybilevel.errors import DataError

if TYPE_CHECKING:
    from pybilevel.methods.transformation import Reformulation

__all__ = ["FORMATS", "write_single_level"]

#: --format -> Pyomo's writer
FORMATS = {"lp": ProblemFormat.cpxlp, "mps": ProblemFormat.mps, "nl": ProblemFormat.nl, "gms": ProblemFormat.gams}


def write_single_level(reformulation: Reformulation, path: str | Path, fmt: str) -> list[Path]:
    """Write the single-level model to ``path`` in ``fmt`` with symbolic names, and ``path.json``.

    Each file is whole or absent: everything is written into a scratch folder beside ``path``
    and moved into place. Returns the files written (NL: also Pyomo's ``.row`` and ``.col``).
    """
    if fmt not in FORMATS:
        raise DataError(f"unknown export format '{fmt}'; choose one of {', '.join(FORMATS)} (or mibs).")
    path = Path(path)
    if path.is_dir():
        raise DataError(f"--out {path} is a folder; give a file name for the .{fmt} file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    model = reformulation.model
    scratch = Path(tempfile.mkdtemp(prefix=".pybilevel-export-", dir=path.parent))
    try:
        _, symbol_map_id = model.write(str(scratch / path.name), format=FORMATS[fmt],
                                       io_options={"symbolic_solver_labels": True})
        names = {id(obj): symbol for symbol, obj in _symbols(model.solutions.symbol_map.pop(symbol_map_id))}
        sidecar = scratch / f"{path.name}.json"
        sidecar.write_text(json.dumps(_name_map(reformulation, names, fmt, path.name), indent=1))
        written = []
        for produced in sorted(scratch.iterdir()):
            os.replace(produced, path.parent / produced.name)
            written.append(path.parent / produced.name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return written


def _symbols(symbol_map):
    """(file name, Pyomo component) pairs of a Pyomo symbol map."""
    for symbol in list(symbol_map.bySymbol):
        obj = symbol_map.getObject(symbol)
        if obj is not None:
            yield symbol, obj


def _name_map(reformulation: Reformulation, names: dict[int, str], fmt: str, file_name: str) -> dict:
    """The sidecar: file name -> Pyomo name, by role (leader, each follower, its multipliers, the rest)."""

    def named(variables) -> dict[str, str]:
        return {names[id(v)]: v.name for v in variables if id(v) in names}

    structure = reformulation.structure
    followers, seen = {}, {id(v) for v in structure.leader_variables}
    for dual in reformulation.duals:
        form = dual.form
        multipliers = {names[id(p.multiplier)]: {"pyomo": p.multiplier.name, "of": p.key}
                       for p in dual.pairs if id(p.multiplier) in names}
        multipliers.update({names[id(v)]: {"pyomo": v.name, "of": f"{key}:equal"}
                            for key, v in dual.block.dual_equal.items() if id(v) in names})
        block_vars = list(dual.block.component_data_objects(Var, descend_into=True))
        seen |= {id(v) for v in form.variables} | {id(p.multiplier) for p in dual.pairs}
        seen |= {id(v) for v in dual.block.dual_equal.values()}
        followers[form.follower.name] = {
            "variables": named(form.variables),
            "multipliers": multipliers,
            "auxiliary": named(v for v in block_vars if id(v) not in seen),
        }
        seen |= {id(v) for v in block_vars}
    others = named(v for v in reformulation.model.component_data_objects(Var, active=True, descend_into=True)
                   if id(v) not in seen)
    return {
        "file": file_name,
        "format": fmt,
        "method": reformulation.method,
        "leader": named(structure.leader_variables),
        "followers": followers,
        "other_variables": others,
        "how_to_map_back": "solve the file, set each Pyomo variable named here to its value in the file's solution, "
                           "then reformulation.complete_solution() (pybilevel.reformulate)",
    }
