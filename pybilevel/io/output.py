"""Result files, written whole or not at all: everything goes to a temporary folder first."""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

from pybilevel.results import BilevelResult

__all__ = ["write_result"]


def write_result(result: BilevelResult, out_dir: str | Path) -> list[Path]:
    """Write result.json and one CSV per result table into ``out_dir``, atomically as a set."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        with open(staging / "result.json", "w") as handle:
            json.dump(_json_safe(result.to_dict()), handle, indent=2)
        for name, frame in result.frames().items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out_dir, old)
            os.replace(staging, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(out_dir.iterdir())


def _json_safe(data):
    """NaN and infinities become null, as JSON has no such numbers."""
    if isinstance(data, dict):
        return {str(k): _json_safe(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_json_safe(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data
