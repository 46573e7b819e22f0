"""Seeded generator of bilevel benchmark instances (LP-LP, QP-LP, MILP-LP).

Every instance is

    leader:   min  cx@x + cy@y + 0.5*(qx@x**2 + qy@y**2)      (qx, qy only in qp_lp)
              s.t. 0 <= x <= ux                                (x integer in milp_lp)
    follower: min  d@y
              s.t. A@x + B@y <= b,  0 <= y <= uy

with ``B >= 0``, ``d < 0`` and ``b_i = max_{x in box} (A@x)_i + margin_i``,
``margin_i >= 0.3 * (B@uy)_i > 0``, so y = 0 is strictly feasible for every leader
box point: the follower is feasible for every x and bounded by its box, and so is
the leader.  The leader's cost on y is the follower's cost scaled plus noise
(partly aligned objectives), and only ~10% of the follower rows can bind.  For one
seed and size the three families share the same LP data (ux is integral for all
of them); only qx/qy and the integrality of x differ.

On disk an instance is ``<family>_n<n_y>_s<seed>.npz`` (vectors as float64 arrays,
sparse matrices as COO triplets ``A_row, A_col, A_val, A_shape``) plus a JSON
sidecar with the same stem holding family, sizes and seed.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

FAMILIES = ("lp_lp", "qp_lp", "milp_lp")
DEFAULT_SIZES = (100, 1_000, 10_000, 50_000)
NNZ_PER_FOLLOWER_COLUMN = 4
FORMAT_VERSION = 1
# cy = LEADER_ALIGNMENT * d + U(-CY_NOISE, CY_NOISE): the leader mostly agrees with
# the follower (d < 0 everywhere) but weighs the y differently, and wants less of a few.
LEADER_ALIGNMENT = 0.5
CY_NOISE = 0.3
# Only this fraction of follower rows can bind (margin < B@uy); the others have
# margin >= 1.05 * B@uy.  With every row able to bind, HiGHS leaves a 13% gap on a
# tight-big-M KKT MILP of n_y = 100 after 2 minutes; with 10% it solves n_y = 1000
# in seconds (benchmarks/README.md).
BINDING_ROW_FRACTION = 0.1


def sizes_for(n_y: int) -> tuple[int, int]:
    """Return (n_x, m) for a follower size n_y."""
    return max(5, n_y // 100), max(NNZ_PER_FOLLOWER_COLUMN, n_y // 2)


def _follower_matrix(rng: np.random.Generator, m: int, n_y: int) -> sp.csr_matrix:
    """B >= 0 with exactly 4 distinct rows per column and every row used."""
    first = rng.permutation(m)[np.arange(n_y) % m]
    offsets = np.sort(rng.integers(1, m - 2, size=(n_y, NNZ_PER_FOLLOWER_COLUMN - 1)), axis=1)
    offsets += np.arange(NNZ_PER_FOLLOWER_COLUMN - 1)
    rows = np.column_stack([first, (first[:, None] + offsets) % m]).ravel()
    cols = np.repeat(np.arange(n_y), NNZ_PER_FOLLOWER_COLUMN)
    return sp.csr_matrix((rng.uniform(0.5, 2.0, rows.size), (rows, cols)), shape=(m, n_y))


def _leader_matrix(rng: np.random.Generator, m: int, n_x: int) -> sp.csr_matrix:
    """A with two distinct leader columns per follower row, mixed signs."""
    first = rng.integers(0, n_x, m)
    cols = np.column_stack([first, (first + rng.integers(1, n_x, m)) % n_x]).ravel()
    rows = np.repeat(np.arange(m), 2)
    vals = rng.uniform(0.5, 2.0, rows.size) * rng.choice([-1.0, 1.0], rows.size)
    return sp.csr_matrix((vals, (rows, cols)), shape=(m, n_x))


def generate_instance(family: str, n_y: int, seed: int = 0) -> dict:
    """Build one instance as a dict of arrays (A, B as CSR) plus its ``meta`` dict."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")
    n_x, m = sizes_for(n_y)
    rng = np.random.default_rng(np.random.SeedSequence([seed, n_y]))
    ux = rng.integers(1, 11, n_x).astype(float)
    uy = rng.uniform(1.0, 10.0, n_y)
    B = _follower_matrix(rng, m, n_y)
    A = _leader_matrix(rng, m, n_x)
    binding = rng.random(m) < BINDING_ROW_FRACTION
    margin = np.where(binding, rng.uniform(0.3, 0.7, m), rng.uniform(1.05, 1.5, m)) * (B @ uy)
    b = A.maximum(0) @ ux + margin
    d = -rng.uniform(0.5, 2.0, n_y)
    inst = {
        "cx": rng.uniform(-1.0, 1.0, n_x), "cy": LEADER_ALIGNMENT * d + rng.uniform(-CY_NOISE, CY_NOISE, n_y),
        "ux": ux, "uy": uy, "A": A, "B": B, "b": b, "d": d,
    }
    extra = np.random.default_rng(np.random.SeedSequence([seed, n_y, FAMILIES.index(family)]))
    if family == "qp_lp":
        inst["qx"] = extra.uniform(0.1, 1.0, n_x)
        inst["qy"] = extra.uniform(0.0, 0.2, n_y)
    inst["meta"] = {
        "format_version": FORMAT_VERSION, "family": family, "seed": seed,
        "n_x": n_x, "n_y": n_y, "m": m, "nnz_A": int(A.nnz), "nnz_B": int(B.nnz),
        "x_integer": family == "milp_lp", "quadratic_leader": family == "qp_lp",
    }
    return inst


def instance_stem(family: str, n_y: int, seed: int) -> str:
    """File stem used for an instance on disk."""
    return f"{family}_n{n_y}_s{seed}"


def _coo_arrays(name: str, mat: sp.spmatrix) -> dict[str, np.ndarray]:
    coo = mat.tocoo()
    return {f"{name}_row": coo.row.astype(np.int64), f"{name}_col": coo.col.astype(np.int64),
            f"{name}_val": coo.data.astype(np.float64), f"{name}_shape": np.array(coo.shape, dtype=np.int64)}


def save_instance(inst: dict, out_dir: Path) -> Path:
    """Write ``inst`` as ``<stem>.npz`` plus ``<stem>.json``; return the npz path."""
    meta = inst["meta"]
    stem = instance_stem(meta["family"], meta["n_y"], meta["seed"])
    out_dir.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in inst.items() if k not in ("A", "B", "meta")}
    arrays.update(_coo_arrays("A", inst["A"]))
    arrays.update(_coo_arrays("B", inst["B"]))
    arrays["x_integer"] = np.array(meta["x_integer"])
    npz = out_dir / f"{stem}.npz"
    np.savez_compressed(npz, **arrays)
    (out_dir / f"{stem}.json").write_text(json.dumps({**meta, "npz": npz.name}, indent=1) + "\n")
    return npz


def load_instance(path: str | Path) -> dict:
    """Read an instance written by :func:`save_instance` (npz path, or the stem).

    Returns the vectors as float64 arrays, ``A`` and ``B`` as CSR matrices,
    ``x_integer`` as a bool and the sidecar as ``meta``.
    """
    npz = Path(path).with_suffix(".npz")
    with np.load(npz) as data:
        raw = {k: data[k] for k in data.files}
    inst: dict = {}
    for name in ("A", "B"):
        shape = tuple(int(s) for s in raw.pop(f"{name}_shape"))
        inst[name] = sp.csr_matrix(
            (raw.pop(f"{name}_val"), (raw.pop(f"{name}_row"), raw.pop(f"{name}_col"))), shape=shape)
    inst["x_integer"] = bool(raw.pop("x_integer"))
    inst.update(raw)
    inst["meta"] = json.loads(npz.with_suffix(".json").read_text())
    return inst


def main(argv: list[str] | None = None) -> None:
    """CLI: write the requested families and sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES),
                        help="follower sizes n_y (default: %(default)s)")
    parser.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "instances")
    args = parser.parse_args(argv)
    for n_y in args.sizes:
        for family in args.families:
            path = save_instance(generate_instance(family, n_y, args.seed), args.out)
            print(path)


if __name__ == "__main__":
    main()
