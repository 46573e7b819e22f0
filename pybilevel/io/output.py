"""Result files: each written atomically into a folder that is otherwise left as it is.

* :func:`check_output_folder` runs before the solve: ``--out`` must be a folder (or not exist yet,
  under a folder), must not be the data folder, and must be writable.
* :func:`write_result` writes only ``result.json`` and one CSV per result table. Each file goes to a
  temporary file in the same folder first, then ``os.replace`` puts it in place (``result.json``
  last), so a reader sees the old or the new file, never half of one. Other files in the folder
  are not touched; new files get the permissions the umask gives.
* A result that is not certified optimal does not replace a certified one: unless ``force``, its
  files are written as ``result.<status>.json`` and ``<table>.<status>.csv`` beside it.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from pathlib import Path

from pybilevel.errors import DataError
from pybilevel.results import BilevelResult

__all__ = ["RESULT_FILE", "check_output_folder", "write_result", "holds_certified_result", "create_temporary"]

RESULT_FILE = "result.json"


def check_output_folder(out_dir: str | Path, data_dir: str | Path | None = None) -> Path:
    """``out_dir`` as a Path if results can be written there; DataError saying why not otherwise.

    Nothing is created: a missing folder is made by :func:`write_result`.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"--out {out}: exists and is not a folder; pass a folder (it is created if absent).")
    if data_dir is not None and out.is_dir() and Path(data_dir).is_dir() and out.resolve() == Path(data_dir).resolve():
        raise DataError(f"--out {out} is the data folder; write the results to another folder, e.g. --out {out / 'results'}.")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise DataError(f"--out {out}: {existing} is a file, so the folder cannot be created; choose another path.")
    try:
        probe = create_temporary(existing, ".pybilevel-write-test")
        os.close(probe[0])
        os.unlink(probe[1])
    except OSError as exc:
        raise DataError(f"--out {out}: cannot write in {existing} ({exc.strerror or exc}); choose a writable folder.") from None
    return out


def holds_certified_result(out_dir: Path) -> bool:
    """Whether ``out_dir/result.json`` is a certified optimal result (an unreadable one counts as not)."""
    try:
        data = json.loads((out_dir / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("certified") is True and data.get("status") in ("optimal", "local_optimal")


def write_result(result: BilevelResult, out_dir: str | Path, force: bool = False) -> list[Path]:
    """Write result.json and one CSV per result table into ``out_dir``; the paths written.

    A result that is not ``ok`` goes under ``<name>.<status>.<ext>`` when ``out_dir`` holds a
    certified result and ``force`` is false (module docstring).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {f"{name}.csv": frame.to_csv(index=False) for name, frame in result.frames().items()}
    files[RESULT_FILE] = json.dumps(_json_safe(result.to_dict()), indent=2)  # last: it marks a complete set
    if not result.ok and not force and holds_certified_result(out_dir):
        tag = result.status if result.status not in ("optimal", "local_optimal") else "uncertified"
        files = {_tagged(name, tag): text for name, text in files.items()}
    staged: list[tuple[str, Path]] = []
    try:
        for name, text in files.items():
            handle, temporary = create_temporary(out_dir, f".{name}")
            staged.append((name, temporary))
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
                stream.flush()
                os.fsync(stream.fileno())
        for name, temporary in staged:
            os.replace(temporary, out_dir / name)
    finally:
        for _, temporary in staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
    return [out_dir / name for name in files]


def _tagged(name: str, tag: str) -> str:
    stem, _, extension = name.rpartition(".")
    return f"{stem}.{tag}.{extension}"


def create_temporary(folder: Path, prefix: str) -> tuple[int, Path]:
    """A new empty file in ``folder`` (mode 0666 less the umask, as any new file), open for writing."""
    path = folder / f"{prefix}.{secrets.token_hex(4)}.tmp"
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), path


def _json_safe(data):
    """NaN and infinities become null, as JSON has no such numbers."""
    if isinstance(data, dict):
        return {str(k): _json_safe(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_json_safe(v) for v in data]
    if isinstance(data, float) and not math.isfinite(data):
        return None
    return data
